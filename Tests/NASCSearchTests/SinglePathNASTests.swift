import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// Single-Path NAS: the superkernel against the explicit k3/k5 × e3/e6 MBConvs, its gradient, the
/// runtime model, the derivation from the indicators, and a run that resumes bit-identically.
@Suite("Single-Path NAS")
struct SinglePathNASTests {
  /// The searchable layer of `single-path-nas-digits.yaml` at body index `index` and its candidates.
  static func layer(_ index: Int) throws -> LayerIR {
    let ir = try compileSpace("single-path-nas-digits.yaml")
    return ir.layers.filter { $0.choice != nil }[index]
  }

  /// A superkernel with random BN affines and running statistics, so that every slice matters.
  static func superkernel(_ l: LayerIR, seed: UInt64) throws -> SuperkernelModule {
    let grid = try #require(SuperkernelModule.grid(l.candidates))
    var rng = RNG(seed: seed)
    let k = SuperkernelModule(choice: l.choice!, grid: grid, rng: &rng)
    for (name, p) in k.namedParameters() where name.hasPrefix("bn") {
      p.value = Tensor(shape: p.value.shape, scalars: (0..<p.value.count).map { _ in rng.nextFloat() + 0.5 })
    }
    for bn in [k.bn1, k.bn2, k.bn3] {
      bn.stats.mean = Tensor(
        shape: bn.stats.mean.shape, scalars: (0..<bn.stats.mean.count).map { _ in rng.nextFloat() - 0.5 })
      bn.stats.variance = Tensor(
        shape: bn.stats.variance.shape, scalars: (0..<bn.stats.variance.count).map { _ in rng.nextFloat() + 0.5 })
    }
    return k
  }

  /// `t[rows, cols, crop]`: channel slices of a weight (first `rows` outputs, first `cols` inputs),
  /// its k×k kernel cropped to the centre `crop`×`crop`.
  static func slice(_ t: Tensor, rows: Int, cols: Int? = nil, crop: Int? = nil) -> Tensor {
    let s = t.shape, v = t.scalars
    guard s.count == 4 else { return Tensor(Array(v[0..<rows])) }
    let (c1, k) = (cols ?? s[1], s[2])
    let kk = crop ?? k, m = (k - kk) / 2
    var out = [Float]()
    for o in 0..<rows {
      for i in 0..<c1 {
        for a in 0..<kk { for b in 0..<kk { out.append(v[((o * s[1] + i) * k + a + m) * k + b + m]) } }
      }
    }
    return Tensor(shape: [rows, c1, kk, kk], scalars: out)
  }

  /// The explicit candidate (k, e) on the superkernel's weights: expand, depthwise and project
  /// sliced to e·C channels, the kernel cropped to k×k.
  static func explicit(_ sk: SuperkernelModule, _ l: LayerIR, k: Int, e: Int) throws -> PrimGraphModule {
    let i = try #require(sk.grid.index(k: k, e: e))
    var rng = RNG(seed: 1)
    let m = try PrimGraphModule(l.candidates[i].graph, rng: &rng)
    let c = e * sk.grid.cin
    let params = Dictionary(uniqueKeysWithValues: m.namedParameters().map { ($0.name, $0.parameter) })
    params["0_conv.weight"]!.value = slice(sk.expand.weight.value, rows: c)
    params["3_conv.weight"]!.value = slice(sk.depthwise.value, rows: c, crop: k)
    params["6_conv.weight"]!.value = slice(sk.project.weight.value, rows: sk.grid.cout, cols: c)
    for (bn, own, n) in [("1_bn", sk.bn1, c), ("4_bn", sk.bn2, c), ("7_bn", sk.bn3, sk.grid.cout)] {
      params[bn + ".weight"]!.value = slice(own.weight!.value, rows: n)
      params[bn + ".bias"]!.value = slice(own.bias!.value, rows: n)
    }
    let stats = Dictionary(uniqueKeysWithValues: m.namedStats().map { ($0.name, $0.stats) })
    for (node, own, n) in [("1_bn", sk.bn1, c), ("4_bn", sk.bn2, c), ("7_bn", sk.bn3, sk.grid.cout)] {
      let bn = try #require(stats[node], "\(stats.keys.sorted())")
      bn.mean = slice(own.stats.mean, rows: n)
      bn.variance = slice(own.stats.variance, rows: n)
    }
    return m
  }

  /// For every indicator setting, the superkernel's forward equals the explicit candidate's (or
  /// zeros for skip), on a layer that may be skipped and on a stride-2 layer that may not.
  @Test(arguments: [1, 2]) func superkernelEqualsTheExplicitCandidates(_ index: Int) throws {
    let l = try Self.layer(index)
    let sk = try Self.superkernel(l, seed: 3)
    #expect(sk.grid.skippable == (index == 1) && sk.grid.stride == (index == 1 ? 1 : 2))
    sk.eval()
    var rng = RNG(seed: 5)
    let x = Tensor.uniform([2, sk.grid.cin, l.inputShape.height, l.inputShape.width], low: -1, high: 1, rng: &rng)
    for d5 in [Float(0), 1] {
      for d100 in [Float(0), 1] {
        for d50 in sk.grid.skippable ? [Float(0), 1] : [1] {
          var ctx = ForwardContext(rng: RNG(seed: 0))
          let y = withNoGrad { sk(x, context: &ctx, forced: (d5, d100, d50)) }
          if d50 == 0 {
            #expect(y.scalars.allSatisfy { $0 == 0 })
            continue
          }
          let k = d5 == 1 ? 5 : 3, e = d100 == 1 ? 6 : 3
          let m = try Self.explicit(sk, l, k: k, e: e)
          m.eval()
          var ctx2 = ForwardContext(rng: RNG(seed: 0))
          let want = withNoGrad { m(x, context: &ctx2) }
          #expect(y.shape == want.shape)
          let err = zip(y.scalars, want.scalars).map { abs($0 - $1) }.max()!
          #expect(err < 1e-4, "k\(k) e\(e): max error \(err)")
        }
      }
    }
  }

  /// With the indicators held, ∂/∂w of Σ c ⊙ superkernel(x) matches central finite differences on
  /// sampled coordinates of the expand, depthwise and project weights.
  @Test func superkernelGradientMatchesFiniteDifferences() throws {
    let l = try Self.layer(1)
    let sk = try Self.superkernel(l, seed: 8)
    sk.eval()
    var rng = RNG(seed: 9)
    let x = Tensor.uniform([2, sk.grid.cin, l.inputShape.height, l.inputShape.width], low: -1, high: 1, rng: &rng)
    var checked = 0
    for setting: (Float, Float, Float) in [(1, 1, 1), (0, 1, 1), (1, 0, 1), (0, 0, 1)] {
      var ctx = ForwardContext(rng: RNG(seed: 0))
      let y0 = sk(x, context: &ctx, forced: setting)
      var crng = RNG(seed: 10)
      let c = Tensor.uniform(y0.shape, low: -1, high: 1, rng: &crng)
      func loss() -> Double {
        var ctx = ForwardContext(rng: RNG(seed: 0))
        return Double(withNoGrad { (sk(x, context: &ctx, forced: setting) * c).sum() }.scalar)
      }
      sk.zeroGrad()
      (y0 * c).sum().backward()
      for p in [sk.expand.weight, sk.depthwise, sk.project.weight] {
        let grad = try #require(p.grad).scalars
        for _ in 0..<8 {
          let i = rng.nextInt(below: p.value.count)
          let v = p.value.scalars[i]
          func at(_ u: Float) -> Double {
            var s = p.value.scalars
            s[i] = u
            p.value = Tensor(shape: p.value.shape, scalars: s)
            return loss()
          }
          let up = at(v + 3e-3), down = at(v - 3e-3), mid = at(v)  // the value restored last
          // A coordinate whose step crosses a ReLU6 kink has one-sided slopes that disagree: skip it.
          let (right, left) = ((up - mid) / 3e-3, (mid - down) / 3e-3)
          guard abs(right - left) < 0.05 * max(1, abs(right)) else { continue }
          checked += 1
          let fd = (up - down) / 6e-3
          #expect(abs(Double(grad[i]) - fd) < 2e-2 * max(1, abs(fd)), "\(setting) [\(i)]: \(grad[i]) vs \(fd)")
        }
      }
    }
    // Most sampled coordinates are away from a kink.
    #expect(checked >= 60, "only \(checked) of 96 coordinates checked")
  }

  /// The indicators' straight-through gradient reaches the thresholds: ∂L/∂t = −σ'(‖·‖ − t) · ∂L/∂d.
  @Test func thresholdsGetTheSigmoidGradient() throws {
    let x = Parameter(Tensor([0.3]))
    let d = SuperkernelModule.indicator(x.value)
    #expect(d.scalars == [1])
    (d * 2).sum().backward()
    let s = 1 / (1 + exp(-0.3))
    #expect(abs(Double(try #require(x.grad).scalars[0]) - 2 * s * (1 - s)) < 1e-6)
    #expect(SuperkernelModule.indicator(Tensor([-0.1])).scalars == [0])
  }

  /// The runtime model at the corners: R100 (k5 e6), R3 (k3 e6), R50 (k5 e3), 0 when skipped.
  @Test func runtimeModelCorners() {
    func r(_ d5: Float, _ d100: Float, _ d50: Float) -> Double {
      Double(
        SinglePathNAS.layerRuntime(
          d5: Tensor([d5]), d100: Tensor([d100]), d50: Tensor([d50]), r3: 2, r50: 3, r100: 5
        ).scalar)
    }
    #expect(abs(r(1, 1, 1) - 5) < 1e-6 && abs(r(0, 1, 1) - 2) < 1e-6 && abs(r(1, 0, 1) - 3) < 1e-6)
    #expect(abs(r(0, 0, 1) - 3 * 2 / 5) < 1e-6 && r(1, 1, 0) == 0)
  }

  /// The derivation reads the indicators: thresholds far above a norm switch its part off.
  @Test func decisionFollowsTheThresholds() throws {
    let l = try Self.layer(1)
    let sk = try Self.superkernel(l, seed: 2)
    let names = l.candidates.map(\.name)
    func set(_ t5: Float, _ t100: Float, _ t50: Float) {
      sk.t5.value = Tensor([t5])
      sk.t100.value = Tensor([t100])
      sk.t50.value = Tensor([t50])
    }
    set(-1e6, -1e6, -1e6)
    #expect(names[sk.decision()] == "k5_e6")
    set(1e6, -1e6, -1e6)
    #expect(names[sk.decision()] == "k3_e6")
    set(-1e6, 1e6, -1e6)
    #expect(names[sk.decision()] == "k5_e3")
    set(-1e6, -1e6, 1e6)
    #expect(names[sk.decision()] == "skip")
  }

  /// A run on the digits space: the decided latency per epoch, the per-layer picture, and a run
  /// killed after an epoch resumes bit-identically. A space whose layers are not MBConv grids is E312.
  @Test func singlePathNASRunsAndResumes() throws {
    let space = repoRoot + "/spaces/single-path-nas-digits.yaml"
    let dir = try TempDir()
    let args = [
      "search", space, "--limit", "96", "--seed", "4", "--set", "steps=12", "--set", "warmup_steps=4",
      "--set", "batch_size=16", "--set", "train_portion=0.75",
    ]
    let full = dir.path + "/sp-full"
    let a = try runNasc(args + ["--out", full])
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stderr.contains("epoch 3/3"), "\(a.stderr)")
    let arch = try text(full + "/arch.yaml")
    #expect(arch.contains("layer[1].op:") && arch.contains("layer[6].op:"), "\(arch)")
    let last = try #require(try metrics(full).last)
    #expect(last.contains("\"decided_mmacs\":") && last.contains("\"thresholds\":"), "\(last)")
    #expect(FileManager.default.fileExists(atPath: full + "/alpha-layers.svg"))
    let cut = dir.path + "/sp-cut"
    #expect(try killAndResume(args, out: cut, unit: 1) == 0)
    #expect(try text(full + "/arch.yaml") == text(cut + "/arch.yaml"))
    #expect(try metrics(full) == metrics(cut))
    // A target below the cheapest network (skips and k3 e3 layers, some 0.6 MMACs) is E316 at the start.
    let low = try runNasc(args + ["--set", "latency_target=0.001", "--out", dir.path + "/sp-low"])
    #expect(low.status == 1 && low.stderr.contains("E316") && low.stderr.contains("cheapest"), "\(low.stderr)")
    let other = try runNasc([
      "search", repoRoot + "/spaces/proxylessnas-digits.yaml", "--method", "single-path-nas", "--limit", "32",
      "--out", dir.path + "/sp-bad",
    ])
    #expect(
      other.status == 1 && other.stderr.contains("E312") && other.stderr.contains("superkernel"), "\(other.stderr)")
  }
}
