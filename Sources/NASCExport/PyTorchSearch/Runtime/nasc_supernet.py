"""The supernet of a nasc cell space as PyTorch modules, built from the `supernet.json` that
`nasc export SPACE --pytorch-search DIR` writes.

Generated for the space named in supernet.json; nasc stays the source of truth (its `space_sha256`
and `network_sha256` say which file and network this is). Modules and tensors are named exactly as
in nasc's checkpoints (`cells3.node2_edge0_from1.sep_conv_3x3.1_conv.weight`), so a nasc search
checkpoint loads by name (`load_nasc_checkpoint`). Each candidate op is interpreted from its
primitive graph, as nasc's engine runs it.
"""
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


class PrimGraph(nn.Module):
    """One instantiated op (an edge candidate, a preprocessing op, the stem, the head): its
    primitives in order. Layers are registered as `{k}_conv`, `{k}_bn`, `{k}_linear`."""

    def __init__(self, g):
        super().__init__()
        self.nodes, self.output = g["nodes"], g["output"]
        self.is_zero = g.get("zero", False)
        for k, n in enumerate(self.nodes):
            op = n["op"]
            if op == "conv":
                self.add_module(f"{k}_conv", nn.Conv2d(
                    n["cin"], n["cout"], (n["kh"], n["kw"]), (n["sh"], n["sw"]), (n["ph"], n["pw"]),
                    (n["dh"], n["dw"]), n["groups"], bias=n["bias"]))
            elif op == "bn":
                self.add_module(f"{k}_bn", nn.BatchNorm2d(n["channels"], eps=1e-5, momentum=0.1, affine=n["affine"]))
            elif op == "linear":
                self.add_module(f"{k}_linear", nn.Linear(n["in"], n["out"], bias=n["bias"]))

    def forward(self, x):
        if self.output == 0:
            return x
        v = [x]
        for k, n in enumerate(self.nodes):
            a = [v[i] for i in n["inputs"]]
            op = n["op"]
            if op in MAP_OPS and any(t.dim() == 4 for t in a) or op in MAP_OPS - {"concat"}:
                # A [N, C] vector (after a linear layer) read as a map is [N, C, 1, 1], as in nasc.
                a = [t.reshape(t.shape[0], -1, 1, 1) if t.dim() == 2 else t for t in a]
            if op == "conv":
                y = getattr(self, f"{k}_conv")(a[0])
            elif op == "bn":
                y = getattr(self, f"{k}_bn")(a[0])
            elif op == "linear":
                y = getattr(self, f"{k}_linear")(a[0].flatten(1))
            elif op == "relu":
                y = F.relu(a[0])
            elif op == "relu6":
                y = F.relu6(a[0])
            elif op == "tanh":
                y = torch.tanh(a[0])
            elif op == "sigmoid":
                y = torch.sigmoid(a[0])
            elif op == "identity":
                y = a[0]
            elif op == "zero":
                c, h, w = n["shape"]
                y = a[0].new_zeros((a[0].shape[0], c, h, w))
            elif op == "max_pool":
                y = F.max_pool2d(a[0], (n["kh"], n["kw"]), (n["sh"], n["sw"]), (n["ph"], n["pw"]))
            elif op == "avg_pool":
                y = F.avg_pool2d(a[0], (n["kh"], n["kw"]), (n["sh"], n["sw"]), (n["ph"], n["pw"]),
                                 count_include_pad=n["count_include_pad"])
            elif op == "global_avg_pool":
                y = a[0].mean((2, 3), keepdim=True)
            elif op == "dropout":
                y = F.dropout(a[0], n["p"], self.training)
            elif op == "shift":
                y = F.pad(a[0][:, :, 1:, 1:], (0, 1, 0, 1))
            elif op == "channel_shuffle":
                y = channel_shuffle(a[0], n["groups"])
            elif op == "slice":
                s = n["start"]
                y = a[0][:, s:s + (n["count"] - 1) * n["step"] + 1:n["step"]]
            elif op == "concat":
                y = torch.cat(a, 1)
            elif op == "add":
                y = broadcast_sum(a)
            elif op == "mul":
                y = a[0]
                for t in a[1:]:
                    y = as_map(y, t) * as_map(t, y)
            elif op == "sub":
                y = a[0]
                for t in a[1:]:
                    y = as_map(y, t) - as_map(t, y)
            else:
                raise ValueError(f"unknown primitive {op}")
            v.append(y)
        return v[self.output]


MAP_OPS = {"conv", "max_pool", "avg_pool", "global_avg_pool", "shift", "concat"}


def as_map(t, other):
    """A [N, c] vector meeting [N, c, h, w] maps acts as [N, c, 1, 1], as nasc broadcasts it."""
    return t.reshape(t.shape[0], -1, 1, 1) if t.dim() == 2 and other.dim() == 4 else t


def broadcast_sum(ts):
    y = ts[0]
    for t in ts[1:]:
        y = as_map(y, t) + as_map(t, y)
    return y


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class MixedEdge(nn.Module):
    """One edge: its candidate ops (registered under nasc's names) and, for PC-DARTS, the
    partial-channel split."""

    def __init__(self, e):
        super().__init__()
        self.choice, self.stride, self.partial = e["choice"], e["stride"], e.get("partial_channels")
        self.names = [c["name"] for c in e["candidates"]]
        self.ops = []
        for c in e["candidates"]:
            if not hasattr(self, c["module"]):
                self.add_module(c["module"], PrimGraph(c["graph"]))
            self.ops.append(getattr(self, c["module"]))
        self.nonzero = [i for i, op in enumerate(self.ops) if not op.is_zero]

    def forward(self, x, plan):
        if not self.partial:
            return self.mix(x, plan)
        c = x.shape[1]
        part = c // self.partial
        y = self.mix(x[:, :part], plan)
        rest = x[:, part:]
        if self.stride == 2:
            rest = F.max_pool2d(rest, 2, 2)
        return channel_shuffle(torch.cat([y, rest], 1), self.partial)

    def mix(self, x, plan):
        if plan is None:
            return self.ops[0](x)
        kind = plan[0]
        if kind == "mixture":
            _, active, weights = plan
            return sum(weights[j] * self.ops[i](x) for j, i in enumerate(active))
        _, i, weight = plan
        y = self.ops[i](x)
        return y if weight is None else y * weight


class Cell(nn.Module):
    """One cell instance: preprocessing of its inputs, its nodes' edges, its output."""

    def __init__(self, c):
        super().__init__()
        self.spec = c
        for i, inp in enumerate(c["inputs"]):
            self.add_module(f"pre{i}", PrimGraph(inp["preprocess"]))
        self.edges = []
        for node in c["nodes"]:
            row = []
            for j, e in enumerate(node["edges"]):
                name = f"node{node['index']}_edge{j}_from{e['from']}"
                self.add_module(name, MixedEdge(e))
                row.append(getattr(self, name))
            self.edges.append(row)

    def forward(self, inputs, plan):
        c = self.spec
        states = [getattr(self, f"pre{i}")(x) for i, x in enumerate(inputs)]
        states += [None] * len(c["nodes"])
        for n, node in enumerate(c["nodes"]):
            outs = []
            for j, e in enumerate(node["edges"]):
                p = plan["ops"].get(e["choice"]) if e["choice"] else None
                if p is not None and p[0] == "off":
                    continue
                outs.append(self.edges[n][j](states[e["from"]], p))
            beta = plan["inputs"].get(node.get("inputs_choice"))
            if beta is not None:
                value = sum(beta[j] * o for j, o in enumerate(outs))
            elif node["combine"] == "mean" and len(outs) > 1:
                value = sum(outs) / len(outs)
            else:
                value = sum(outs) if len(outs) > 1 else outs[0]
            states[node["index"]] = value
        picked = [states[i] for i in c["output_nodes"]]
        mode = c["output_mode"]
        if mode in ("mean", "mean_loose_ends"):
            return sum(picked) / len(picked)
        if mode == "last":
            return picked[-1]
        return torch.cat(picked, 1) if len(picked) > 1 else picked[0]


class Supernet(nn.Module):
    """Stem, cells, head; the architecture parameters (α, and β for PC-DARTS) by nasc's choice ids."""

    def __init__(self, spec, alpha_init=1e-3):
        super().__init__()
        self.spec = spec
        self.stem = PrimGraph(spec["stem"])
        self.cells = []
        for i, item in enumerate(spec["items"]):
            self.add_module(f"cells{i}", Cell(item))
            self.cells.append(getattr(self, f"cells{i}"))
        self.head = PrimGraph(spec["head"])
        self.arch_ids = []
        self.arch = nn.ParameterList()
        for cp in spec["architecture"]:
            self.arch_ids.append(cp["id"])
            self.arch.append(nn.Parameter(alpha_init * torch.randn(cp["size"])))

    def alpha(self, cid):
        return self.arch[self.arch_ids.index(cid)]

    def weights(self):
        return [p for n, p in self.named_parameters() if not n.startswith("arch.")]

    def forward(self, x, plan):
        s = self.stem(x)
        outputs = []
        for cell in self.cells:
            ins = [s if inp["source"] < 0 else outputs[inp["source"]] for inp in cell.spec["inputs"]]
            outputs.append(cell(ins, plan))
        return self.head(outputs[-1] if outputs else s)


def plan(net, relaxation, tau=None):
    """The forward plan of one pass: per op choice id ('mixture', active, softmax(α)[active]) for the
    softmax relaxations, ('single', i, hard weight) for GDAS' Gumbel sample; per inputs choice id
    softmax(β) for PC-DARTS' edge normalisation."""
    ops, inputs = {}, {}
    nonzero = net.spec["nonzero"]
    for cp in net.spec["architecture"]:
        a = net.alpha(cp["id"])
        if cp["kind"] == "inputs":
            if relaxation == "softmax_edge_norm":
                inputs[cp["id"]] = F.softmax(a, 0)
        elif relaxation == "gumbel_hard":
            logp = F.log_softmax(a, 0)
            while True:
                g = -torch.empty_like(logp).exponential_().log()
                soft = F.softmax((logp + g) / tau, 0)
                if torch.isfinite(soft).all():
                    break
            i = int(soft.argmax())
            hard = torch.zeros_like(soft)
            hard[i] = 1
            ops[cp["id"]] = ("single", i, (hard - soft.detach() + soft)[i])
        else:
            active = nonzero[cp["id"]]
            ops[cp["id"]] = ("mixture", active, F.softmax(a, 0)[active])
    return {"ops": ops, "inputs": inputs}


def read_safetensors(path):
    """The F32 tensors and metadata of a safetensors file (the format nasc writes)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = memoryview(raw)[8 + n:]
    out = {}
    for k, h in header.items():
        a, b = h["data_offsets"]
        t = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32) if b > a else torch.zeros(0)
        out[k] = t.reshape(h["shape"])
    return out, meta


def load_nasc_checkpoint(net, path):
    """Loads a nasc search checkpoint (`weights/…` and `arch/…` tensors) into `net` by name."""
    tensors, _ = read_safetensors(path)
    state = net.state_dict()
    missing = []
    for name, t in state.items():
        if name.startswith("arch."):
            continue
        src = tensors.get("weights/" + name)
        if src is None:
            missing.append(name)
            continue
        t.copy_(src.reshape(t.shape).to(t.dtype))
    for i, cid in enumerate(net.arch_ids):
        src = tensors.get("arch/" + cid)
        if src is None:
            missing.append("arch/" + cid)
            continue
        with torch.no_grad():
            net.arch[i].copy_(src)
    if missing:
        raise ValueError(f"{path}: no tensor for {missing[:5]} (of {len(missing)}): not a checkpoint of this supernet")


def derive(net, rule):
    """The space's top-k-edges rule: per node the k incoming edges whose best op (other than the
    excluded ones) weighs most, each with that op; for PC-DARTS edge strengths include softmax(β)."""
    choices = {}
    exclude = set(rule["exclude"])
    for cell in net.cells:
        template = cell.spec["template"]
        for node in cell.spec["nodes"]:
            key = f"{template}.node{node['index']}"
            if key in choices:
                continue
            beta = None
            if node.get("inputs_choice") and net.spec["relaxation"] == "softmax_edge_norm":
                beta = F.softmax(net.alpha(node["inputs_choice"]).detach(), 0)
            scored = []
            for j, e in enumerate(node["edges"]):
                w = F.softmax(net.alpha(e["choice"]).detach(), 0)
                names = [c["name"] for c in e["candidates"]]
                best = max((i for i, nm in enumerate(names) if nm not in exclude), key=lambda i: float(w[i]))
                strength = float(w[best]) * (float(beta[j]) if beta is not None else 1.0)
                scored.append((-strength, e["from"], names[best]))
            scored.sort()
            kept = sorted(scored[:rule["k"]], key=lambda s: s[1])
            choices[key] = [[op, src] for _, src, op in kept]
    return choices
