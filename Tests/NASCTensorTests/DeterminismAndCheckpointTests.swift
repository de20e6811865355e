import Foundation
import Testing

@testable import NASCTensor

/// A tiny DARTS-flavoured network: stem conv + BN, a mixed edge (sep-conv-like, pool, skip) weighted by
/// softmax(α), global pool, linear head.
final class TinyNet: Module {
  let stem: Conv2d, bn: BatchNorm2d, dw: Conv2d, pw: Conv2d, bn2: BatchNorm2d, head: Linear
  let alpha: Parameter

  init(rng: inout RNG) {
    stem = Conv2d(3, 8, kernel: 3, padding: 1, rng: &rng)
    bn = BatchNorm2d(8)
    dw = Conv2d(8, 8, kernel: 3, padding: 2, dilation: 2, groups: 8, rng: &rng)
    pw = Conv2d(8, 8, kernel: 1, rng: &rng)
    bn2 = BatchNorm2d(8, affine: false)
    head = Linear(8, 4, rng: &rng)
    alpha = Parameter(.randn([3], std: 1e-3, rng: &rng), group: .architecture)
    super.init()
    register("stem", stem); register("bn", bn); register("dw", dw); register("pw", pw)
    register("bn2", bn2); register("head", head); register("alpha", alpha)
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    let s = bn(stem(x))
    let conv = bn2(pw(dw(s.relu())))
    let pool = avgPool2d(s, Pool2DConfig(kernel: 3, stride: 1, padding: 1))
    let mixed = weightedSum([conv, pool, s], weights: alpha.value.softmax())
    return head(globalAvgPool(mixed))
  }
}

func trainTiny(seed: UInt64, steps: Int = 3) -> (TinyNet, SGD, Adam) {
  var rng = RNG(seed: seed)
  let net = TinyNet(rng: &rng)
  let sgd = SGD(net.parameters(in: .weights), learningRate: 0.05, momentum: 0.9, weightDecay: 3e-4)
  let adam = Adam(
    net.parameters(in: .architecture), learningRate: 3e-4, beta1: 0.5, beta2: 0.999, weightDecay: 1e-3)
  for _ in 0..<steps {
    let x = Tensor.randn([4, 3, 9, 9], rng: &rng)
    let labels = (0..<4).map { _ in rng.nextInt(below: 4) }
    net.zeroGrad()
    let loss = crossEntropy(logits: net(x), labels: labels, labelSmoothing: 0.1)
    loss.backward()
    clipGradNorm(sgd.parameters, maxNorm: 5)
    sgd.step()
    adam.step()
  }
  return (net, sgd, adam)
}

@Suite("Determinism and checkpoints")
struct DeterminismAndCheckpointTests {
  @Test func sameSeedGivesBitIdenticalParameters() {
    // The only test that sets Engine.threads. Work is cut into the same chunks for 1 to 4 threads, so
    // even runs with different thread counts must agree bit for bit.
    func bits(_ net: TinyNet) -> [[UInt32]] {
      net.namedParameters().map { $0.parameter.value.scalars.map(\.bitPattern) }
    }
    Engine.threads = 2
    let a = bits(trainTiny(seed: 7).0)
    let b = bits(trainTiny(seed: 7).0)
    let c = bits(trainTiny(seed: 8).0)
    Engine.threads = 1
    let d = bits(trainTiny(seed: 7).0)
    Engine.threads = 2
    #expect(a == b)
    #expect(a != c)
    #expect(a == d)
  }

  @Test func trainingReducesTheLossOnAFixedBatch() {
    var rng = RNG(seed: 11)
    let net = TinyNet(rng: &rng)
    let sgd = SGD(net.parameters(in: .weights), learningRate: 0.1, momentum: 0.9)
    let adam = Adam(net.parameters(in: .architecture), learningRate: 0.01)
    let x = Tensor.randn([8, 3, 9, 9], rng: &rng)
    let labels = [0, 1, 2, 3, 0, 1, 2, 3]
    var losses: [Float] = []
    for _ in 0..<50 {
      net.zeroGrad()
      let loss = crossEntropy(logits: net(x), labels: labels)
      losses.append(loss.scalar)
      loss.backward()
      sgd.step()
      adam.step()
    }
    #expect(losses.last! < 0.5 * losses.first!, "loss \(losses)")
    #expect(net.alpha.grad != nil)
  }

  @Test func parameterNamesAndGroups() {
    var rng = RNG(seed: 1)
    let net = TinyNet(rng: &rng)
    let names = net.namedParameters().map(\.name)
    #expect(
      Set(names) == [
        "alpha", "stem.weight", "bn.weight", "bn.bias", "dw.weight", "pw.weight", "head.weight", "head.bias",
      ])
    #expect(net.parameters(in: .architecture).count == 1)
    #expect(net.parameters(in: .weights).count == 7)
    #expect(
      Set(net.stateDict().keys).isSuperset(of: [
        "bn.running_mean", "bn2.running_var", "bn.num_batches_tracked",
      ]))
  }

  @Test func checkpointRoundTripIsExact() throws {
    let (net, sgd, adam) = trainTiny(seed: 3)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("ckpt.safetensors")
    try Checkpoint.save(
      module: net, optimizers: ["w": sgd, "a": adam], extra: ["epoch": Tensor(4)],
      metadata: ["method": "darts"], to: url)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["ckpt.safetensors"])

    var rng = RNG(seed: 99)
    let fresh = TinyNet(rng: &rng)
    let sgd2 = SGD(fresh.parameters(in: .weights), learningRate: 0, momentum: 0.9, weightDecay: 3e-4)
    let adam2 = Adam(fresh.parameters(in: .architecture), beta1: 0.5, weightDecay: 1e-3)
    let (extra, meta) = try Checkpoint.load(module: fresh, optimizers: ["w": sgd2, "a": adam2], from: url)
    #expect(extra["epoch"]?.scalar == 4)
    #expect(meta["method"] == "darts")
    let a = net.stateDict(), b = fresh.stateDict()
    #expect(a.keys.sorted() == b.keys.sorted())
    for (k, t) in a { #expect(t.scalars.map(\.bitPattern) == b[k]!.scalars.map(\.bitPattern), "\(k)") }
    for (k, t) in sgd.stateDict() { #expect(t.scalars == sgd2.stateDict()[k]?.scalars, "\(k)") }
    for (k, t) in adam.stateDict() { #expect(t.scalars == adam2.stateDict()[k]?.scalars, "\(k)") }
    #expect(sgd2.learningRate == sgd.learningRate)
    // Continuing from the checkpoint gives the same next step as continuing the original.
    var r1 = RNG(seed: 5), r2 = RNG(seed: 5)
    for (n, o, r) in [(net, sgd, 0), (fresh, sgd2, 1)] {
      var rng = r == 0 ? r1 : r2
      let x = Tensor.randn([4, 3, 9, 9], rng: &rng)
      n.zeroGrad()
      crossEntropy(logits: n(x), labels: [0, 1, 2, 3]).backward()
      o.step()
      if r == 0 { r1 = rng } else { r2 = rng }
    }
    #expect(net.stem.weight.value.scalars == fresh.stem.weight.value.scalars)
  }

  /// Python's `safetensors` loads a checkpoint nasc wrote (scripts/fixtures/check_safetensors.py);
  /// skipped where python3 lacks `safetensors` (scripts/setup installs it).
  @Test(.enabled(if: pythonHasSafetensors, "python3 with safetensors and numpy"))
  func pythonSafetensorsLoadsACheckpoint() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: path) }
    let (net, sgd, adam) = trainTiny(seed: 3)
    try Checkpoint.save(module: net, optimizers: ["w": sgd, "a": adam], metadata: ["writer": "nasc"], to: path)
    var script = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { script.deleteLastPathComponent() }
    script.appendPathComponent("scripts/fixtures/check_safetensors.py")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", script.path, path.path]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(out)")
  }

  @Test func corruptCheckpointsThrow() throws {
    #expect(throws: CheckpointError.self) { try Safetensors.decode(Data([1, 2, 3])) }
    var bad = Data([200, 0, 0, 0, 0, 0, 0, 0])
    bad.append(contentsOf: Array("{}".utf8))
    #expect(throws: CheckpointError.self) { try Safetensors.decode(bad) }
    let good = Safetensors.encode(["x": Tensor([1, 2, 3])])
    #expect(throws: CheckpointError.self) { try Safetensors.decode(good.prefix(good.count - 4)) }
    #expect(throws: CheckpointError.self) {
      try Safetensors.read(from: URL(fileURLWithPath: "/nonexistent/dir/ckpt.safetensors"))
    }
    var rng = RNG(seed: 1)
    let net = TinyNet(rng: &rng)
    #expect(throws: CheckpointError.self) { try net.load(stateDict: ["alpha": Tensor([1, 2])]) }
  }

  @Test func safetensorsLayout() throws {
    let data = Safetensors.encode(["b": Tensor(shape: [2, 1], scalars: [1, -2]), "a": Tensor([0.5])])
    let len = Int(data[0]) | Int(data[1]) << 8
    #expect(len % 8 == 0)
    let header = String(decoding: data[8..<(8 + len)], as: UTF8.self)
    #expect(
      header.hasPrefix(
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2,1],"data_offsets":[4,12]}}"#
      ))
    #expect(data.count == 8 + len + 12)
    let back = try Safetensors.decode(data).tensors
    #expect(back["b"]?.shape == [2, 1] && back["b"]?.scalars == [1, -2])
  }

  @Test func hessianVectorProductByFiniteDifferences() {
    // Second-order DARTS: overwrite weights with w ± R·v and run extra forward/backward passes.
    var rng = RNG(seed: 2)
    let net = TinyNet(rng: &rng)
    let x = Tensor.randn([4, 3, 9, 9], rng: &rng)
    let weights = net.parameters(in: .weights)
    let saved = weights.map(\.value)
    let v = weights.map { Tensor.randn($0.shape, std: 0.01, rng: &rng) }
    func alphaGrad(_ sign: Float) -> [Float] {
      for (p, (w, d)) in zip(weights, zip(saved, v)) { p.value = w + d * sign }
      net.zeroGrad()
      crossEntropy(logits: net(x), labels: [0, 1, 2, 3]).backward()
      return net.alpha.grad!.scalars
    }
    let gp = alphaGrad(1), gm = alphaGrad(-1)
    for (p, w) in zip(weights, saved) { p.value = w }
    #expect(gp != gm)
    #expect(weights[0].value.scalars == saved[0].scalars)
  }
}

/// Whether python3 can import `safetensors` and numpy.
let pythonHasSafetensors: Bool = {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3", "-c", "import safetensors, numpy"]
  p.standardOutput = FileHandle.nullDevice
  p.standardError = FileHandle.nullDevice
  do { try p.run() } catch { return false }
  p.waitUntilExit()
  return p.terminationStatus == 0
}()
