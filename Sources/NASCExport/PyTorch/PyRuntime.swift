/// The fixed Python at the end of every exported module: nasc's checkpoint names as attribute
/// paths, a safetensors reader (the format is an 8-byte little-endian header length, a JSON
/// header, then raw little-endian data; nasc writes F32 only) and `load_nasc_checkpoint`.
enum PyRuntime {
  static let loader = #"""
    # Loading a `nasc train` checkpoint.

    _PRIMITIVE_LAYER = re.compile(r"(\d+)_(conv|bn|linear)")
    _OWNS_OP = re.compile(r"node\d+_edge\d+_from\d+|layers\d+")


    def nasc_name(name):
        """The attribute path in Network of nasc checkpoint tensor `name`.

        Two rules: the candidate segment after an edge (`nodeN_edgeJ_fromF`) or a layer (`layersI`)
        is dropped, since the module there is the op itself; and primitive K's layer `K_conv`,
        `K_bn`, `K_linear` is `convK`, `bnK`, `linearK`. Everything else keeps its name.

            cells3.node2_edge0_from1.sep_conv_3x3.1_conv.weight -> cells3.node2_edge0_from1.conv1.weight
            cells3.pre0.2_bn.running_mean                        -> cells3.pre0.bn2.running_mean
            layers4.mbconv_k3_e6.0_conv.weight                   -> layers4.conv0.weight
            stem.0_conv.weight                                   -> stem.conv0.weight
        """
        out = []
        parts = name.split(".")
        i = 0
        while i < len(parts):
            part = parts[i]
            m = _PRIMITIVE_LAYER.fullmatch(part)
            out.append(m.group(2) + m.group(1) if m else part)
            i += 2 if _OWNS_OP.fullmatch(part) else 1
        return ".".join(out)


    def read_safetensors(path):
        """The tensors (by name) and the metadata of a safetensors file of F32 tensors."""
        with open(path, "rb") as f:
            data = f.read()
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + length])
        metadata = header.pop("__metadata__", {})
        base = 8 + length
        tensors = {}
        for name, entry in header.items():
            if entry["dtype"] != "F32":
                raise ValueError(f"{path}: tensor {name} is {entry['dtype']}, not F32")
            begin, end = entry["data_offsets"]
            if begin == end:
                tensors[name] = torch.zeros(entry["shape"])
            else:
                raw = bytearray(data[base + begin : base + end])
                tensors[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(entry["shape"])
        return tensors, metadata


    def load_nasc_checkpoint(model, path):
        """Loads a `nasc train` checkpoint (the run directory or its checkpoint.safetensors) into
        `model` by name (see `nasc_name`) and returns the model in evaluation mode.

        The checkpoint must have been written for this network (NETWORK_FINGERPRINT). Its tensors of
        parts this module leaves out (the auxiliary head, optimizer state) are ignored; every tensor
        the module has must be in it.
        """
        if os.path.isdir(path):
            path = os.path.join(path, "checkpoint.safetensors")
        tensors, metadata = read_safetensors(path)
        if "nasc.train" in metadata:
            trained = json.loads(metadata["nasc.train"]).get("network")
            if NETWORK_FINGERPRINT and trained and trained != NETWORK_FINGERPRINT:
                raise ValueError(f"{path} was written for another network ({trained}, not {NETWORK_FINGERPRINT})")
        state = model.state_dict()
        loaded = {}
        unused = []
        for name, tensor in tensors.items():
            key = nasc_name(name)
            if key in state:
                if key.endswith("num_batches_tracked"):  # nasc keeps it as a 1-element F32 tensor
                    tensor = tensor.reshape(state[key].shape).to(state[key].dtype)
                if tuple(tensor.shape) != tuple(state[key].shape):
                    raise ValueError(f"{name}: shape {tuple(tensor.shape)}, the module's {key} is {tuple(state[key].shape)}")
                loaded[key] = tensor
            elif not name.startswith(("optimizer.", "auxiliary.")):
                unused.append(name)
        missing = [k for k in state if k not in loaded and not k.endswith("num_batches_tracked")]
        if missing or unused:
            raise KeyError(f"{path} does not fit this module: missing {missing[:5]}, not placed {unused[:5]}")
        model.load_state_dict(loaded, strict=False)
        return model.eval()


    def load(path=CHECKPOINT):
        """Network() with the weights of the checkpoint `path`, in evaluation mode."""
        if path is None:
            raise ValueError("no checkpoint: the module was exported without --weights")
        return load_nasc_checkpoint(Network(), path)


    if __name__ == "__main__":
        import sys

        model = load(sys.argv[1]) if len(sys.argv) > 1 else (load() if CHECKPOINT else Network().eval())
        with torch.no_grad():
            print(model(torch.zeros(2, *INPUT_SHAPE)).shape)

    """#
}
