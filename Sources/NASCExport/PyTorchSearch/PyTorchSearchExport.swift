import Foundation
import NASCData
import NASCSearch
import NASCSpace
import NASCTensor

/// `nasc export SPACE --pytorch-search DIR`: the supernet of a cell space as PyTorch modules and a
/// search script that runs the space's DARTS, PC-DARTS or GDAS search under `torchrun`, for users
/// who outgrow one machine. DIR gets `supernet.json` (the supernet, hyperparameters, the space's
/// hashes), `nasc_supernet.py` and `search.py` (the runtime and the loop), `data.safetensors` (the
/// training images as nasc normalises them), `space/` (a copy of the space, which the arch document
/// the script writes names) and, from a nasc search run, `first_step.safetensors` (a batch and the
/// loss nasc's supernet gives it with that run's weights and α).
public enum PyTorchSearchExport {
  static let coverage =
    "--pytorch-search covers cell spaces searched with darts, pc-darts or gdas (top-k-edges derivation)"

  /// The relaxation names the runtime knows, per method: (relaxation, α step first, Nesterov).
  static let methods: [String: (relaxation: String, archFirst: Bool, nesterov: Bool)] = [
    "darts": ("softmax", true, false), "pc-darts": ("softmax_edge_norm", true, false),
    "gdas": ("gumbel_hard", false, true),
  ]

  /// Writes the directory. `sources` are the compiled space's files (for the copy), `data` the
  /// `--data` argument, `from` a nasc search run directory whose checkpoint gives the first step.
  public static func write(
    ir: SpaceIR, sources: [String: String], to path: String, data: String, limit: Int?, downsample: Int?,
    from run: String?
  ) throws {
    guard let method = ir.method, let m = methods[method.name] else {
      throw RunError(
        "E330",
        "\(ir.name) is searched with \(ir.method?.name ?? "no method"), which --pytorch-search does not generate",
        help: coverage + "; pick one with --method")
    }
    guard ir.mode != .fixed else {
      throw RunError("E330", "\(ir.name) has no choices left to search", help: coverage)
    }
    var items = [[String: Any]]()
    for item in ir.network.items {
      guard case .cell(let c) = item, !c.recurrent, c.postprocess == nil,
        !c.nodes.contains(where: { $0.project != nil || $0.edges.contains { $0.project != nil } })
      else {
        throw RunError("E330", "\(ir.name) has a body item that is not a convolutional cell", help: coverage)
      }
      items.append(try SupernetJSON.cell(c))
    }
    guard ir.derive.kind == .topKEdges else {
      throw RunError("E330", "the derivation rule \(ir.derive.kind) is not generated", help: coverage)
    }
    let layout = ChoiceLayout(ir)
    let edgeNormalization = m.relaxation == "softmax_edge_norm"
    // The architecture parameters exactly as nasc lays them out (ids, kinds, sizes).
    var rng = RNG(seed: 0)
    let architecture: [[String: Any]] = ArchitectureParameters(ir: ir, inputs: edgeNormalization, rng: &rng).entries
      .map { id, p in ["id": id, "kind": ir.choicePoint(id)?.kind.rawValue ?? "op", "size": p.shape[0]] }
    var hyper = [String: Any]()
    for (name, value, _) in method.hyperparameters {
      switch value {
      case .int(let i): hyper[name] = i
      case .real(let d): hyper[name] = d
      case .bool(let b): hyper[name] = b
      case .string(let s): hyper[name] = s
      case .list(let l): hyper[name] = l
      }
    }
    if hyper["order"] as? String == "second" {
      throw RunError("E330", "second-order DARTS is not generated", help: "export with --set order=first")
    }
    // Everything that can fail on user input happens before the directory is made.
    let source = try DataSource(parsing: data)
    let train = try SearchDriver.loadData(source, limit: limit, downsample: downsample).train
    try SearchDriver.checkInput(train, fits: ir)
    let firstStep = try run.map {
      try Self.firstStep(ir: ir, run: $0, train: train, hyper: hyper, edgeNormalization: edgeNormalization)
    }
    let dir = RunDirectory(path: path)
    let lock = try dir.createAndLock(resume: false)
    defer { withExtendedLifetime(lock) {} }
    let spaceCopy = try SpaceSnapshot.write(sources: sources, top: ir.file, into: dir)
    let spec: [String: Any] = [
      "name": ir.name, "nasc_version": nascVersion, "space": spaceCopy,
      "network_sha256": Fingerprint.sha256(Array(IRDump.dump(ir).utf8)), "method": method.name,
      "relaxation": m.relaxation, "arch_first": m.archFirst, "nesterov": m.nesterov, "hyperparameters": hyper,
      "derive": ["k": ir.derive.k, "exclude": ir.derive.exclude], "input": SupernetJSON.shape(ir.network.input),
      "classes": ir.network.classes, "stem": try SupernetJSON.graph(ir.network.stem), "items": items,
      "head": try SupernetJSON.graph(ir.network.head), "architecture": architecture, "nonzero": layout.nonZero,
    ]
    let json = try JSONSerialization.data(withJSONObject: spec, options: [.sortedKeys, .prettyPrinted])
    try AtomicFile.write(json, to: dir.file("supernet.json"))
    for name in ["nasc_supernet.py", "search.py"] {
      guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Runtime"),
        let code = try? Data(contentsOf: url)
      else { preconditionFailure("the PyTorch runtime \(name) is missing from nasc's resources") }
      let header = "# Generated by nasc \(nascVersion) for the space \(ir.name) (\(spaceCopy)); do not edit.\n"
      try AtomicFile.write(Data(header.utf8) + code, to: dir.file(name))
    }
    let images = Tensor(shape: [train.count, train.channels, train.height, train.width], scalars: train.pixels)
    let labels = Tensor(shape: [train.count], scalars: train.labels.map(Float.init))
    try AtomicFile.write(
      Safetensors.encode(["images": images, "labels": labels], metadata: ["data": data]),
      to: dir.file("data.safetensors"))
    if let firstStep {
      try AtomicFile.write(
        Safetensors.encode(firstStep, metadata: ["from": RunDirectory(path: run!).checkpoint]),
        to: dir.file("first_step.safetensors"))
    }
  }

  /// The tensors of `first_step.safetensors`: the first `batch_size` images of the weights' split, their labels
  /// and the training loss of nasc's supernet on them with `run`'s weights and α (softmax
  /// relaxations; a Gumbel sample is random, so GDAS gets none).
  static func firstStep(
    ir: SpaceIR, run: String, train: ImageDataset, hyper: [String: Any], edgeNormalization: Bool
  ) throws -> [String: Tensor] {
    guard ir.method?.name != "gdas" else {
      throw RunError(
        "E330", "a GDAS step draws a random Gumbel sample, so its loss cannot be compared",
        help: "compare the first step of a darts or pc-darts search")
    }
    let file = RunDirectory(path: run).checkpoint
    let tensors: [String: Tensor]
    do { tensors = try Safetensors.read(from: URL(fileURLWithPath: file)).tensors } catch {
      throw RunError("E303", "cannot read \(file): \(error)", help: "pass a nasc search run directory", path: file)
    }
    var rng = RNG(seed: 1)
    let model = try SupernetModel(ir.network, rng: &rng)
    let arch = ArchitectureParameters(ir: ir, inputs: edgeNormalization, rng: &rng)
    var weights = [String: Tensor]()
    var alphas = [String: Tensor]()
    for (k, t) in tensors {
      if k.hasPrefix("weights/") { weights[String(k.dropFirst(8))] = t }
      if k.hasPrefix("arch/") { alphas[String(k.dropFirst(5))] = t }
    }
    do {
      try model.load(stateDict: weights)
      try arch.load(alphas)
    } catch {
      throw RunError(
        "E304", "the checkpoint is not of this supernet: \(error)",
        help: "pass a search run of the same space and method", path: file)
    }
    let split = train.split(portion: hyper["train_portion"] as? Double ?? 0.5).first
    let n = min(hyper["batch_size"] as? Int ?? 64, split.count)
    let x = Tensor(
      shape: [n, split.channels, split.height, split.width], scalars: Array(split.pixels[0..<(n * split.imageSize)]))
    let labels = split.labels[0..<n].map(Int.init)
    var planRNG = RNG(seed: 0)
    let plan = SoftmaxMixture(layout: ChoiceLayout(ir), edgeNormalization: edgeNormalization)
      .plan(arch, epoch: 0, rng: &planRNG)
    var context = ForwardContext(rng: RNG(seed: 0))
    model.train()
    let loss = crossEntropy(logits: model(x, plan: plan, context: &context).logits, labels: labels)
    return ["input": x, "labels": Tensor(shape: [n], scalars: labels.map(Float.init)), "loss": Tensor(loss.scalar)]
  }
}
