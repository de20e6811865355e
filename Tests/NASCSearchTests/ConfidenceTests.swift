import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// The confidence of a derivation: margins, the Adam-on-noise null, the learning check, the
/// budget-aware architecture rate, and `nasc derive --explain` / `nasc compare` as a user runs them.
@Suite(.serialized) struct ConfidenceTests {
  static let planted = repoRoot + "/Tests/NASCSearchTests/Spaces/planted-orientation.yaml"

  /// 8×8 images of one 4-pixel bar, vertical (label 0) or horizontal (label 1, the transpose), with
  /// three grey specks; `shuffled` permutes the training labels.
  static func writeBars(to dir: String, shuffled: Bool) throws {
    var rng = RNG(seed: 11)
    func images(_ n: Int) -> (pixels: [UInt8], labels: [UInt8]) {
      var pixels = [UInt8](), labels = [UInt8]()
      for i in 0..<n {
        var img = [UInt8](repeating: 0, count: 64)
        let x = rng.nextInt(below: 8), y = rng.nextInt(below: 5)
        for r in y..<(y + 4) { img[r * 8 + x] = 255 }
        for _ in 0..<3 { img[rng.nextInt(below: 8) * 8 + rng.nextInt(below: 8)] = 128 }
        if i % 2 == 1 {
          var t = img
          for r in 0..<8 { for c in 0..<8 { t[c * 8 + r] = img[r * 8 + c] } }
          img = t
        }
        pixels += img
        labels.append(UInt8(i % 2))
      }
      return (pixels, labels)
    }
    func write(_ prefix: String, _ d: (pixels: [UInt8], labels: [UInt8])) throws {
      func be(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> $0) & 0xFF) } }
      let n = d.labels.count
      try Data(be(0x803) + be(n) + be(8) + be(8) + d.pixels).write(
        to: URL(fileURLWithPath: dir + "/\(prefix)-images-idx3-ubyte"))
      try Data(be(0x801) + be(n) + d.labels).write(to: URL(fileURLWithPath: dir + "/\(prefix)-labels-idx1-ubyte"))
    }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var train = images(1024)
    if shuffled { rng.shuffle(&train.labels) }
    try write("train", train)
    try write("t10k", images(256))
  }

  @Test func plantedOpIsDerivedAndConfidentAndShuffledLabelsAreNot() throws {
    let dir = try TempDir()
    for shuffled in [false, true] {
      let data = dir.path + (shuffled ? "/shuffled" : "/bars"), out = data + "-run"
      try Self.writeBars(to: data, shuffled: shuffled)
      let r = try runNasc(["search", Self.planted, "--data", "idx:" + data, "--out", out])
      #expect(r.status == 0, "\(r.stderr)")
      let printed = r.stdout + r.stderr
      #expect(printed.contains("architecture steps against the paper's 19,550: arch_lr 0.0003 × 100.0 = 0.03"))
      let explain = try runNasc(["derive", "--explain", out])
      #expect(explain.status == 0, "\(explain.stderr)")
      let opRow = explain.stdout.split(separator: "\n").first { $0.contains(" op ") } ?? ""
      let manifest = try RunManifest.read(from: out + "/manifest.json")
      let confidence = try #require(manifest.result?.confidence)
      #expect(confidence.decisions == 2)
      // The row ends in margin, noise, confident.
      let cells = opRow.split(separator: " ").suffix(3).map(String.init)
      let (margin, noise) = (Double(cells.first ?? "") ?? .nan, Double(cells.dropFirst().first ?? "") ?? .nan)
      if shuffled {
        #expect(opRow.hasSuffix("no"), "\(explain.stdout)")
        // Not confident by the learning check alone: the margin is within the null's too.
        #expect(margin < noise, "\(explain.stdout)")
        #expect(confidence.confident == 0)
        #expect(printed.contains("warning: the supernet predicts the architecture half no better than chance"))
      } else {
        // The one op that can tell the classes apart, far beyond the null's 95% margin.
        #expect(opRow.contains("sep_conv_3x3 ← ") && opRow.hasSuffix("yes"), "\(explain.stdout)")
        #expect(try String(contentsOfFile: out + "/genotype.txt", encoding: .utf8).contains("('sep_conv_3x3', "))
        // Which of the two identical inputs the node keeps is a coin toss, and marked so.
        let inputsRow = explain.stdout.split(separator: "\n").first { $0.contains(" inputs ") } ?? ""
        #expect(inputsRow.hasSuffix("no"), "\(explain.stdout)")
        #expect(confidence.confident == 1)
        #expect(margin > 2 * noise, "\(explain.stdout)")
        // A hand-edited basis is refused, not trusted.
        let manifestPath = out + "/manifest.json"
        let text = try String(contentsOfFile: manifestPath, encoding: .utf8)
        try text.replacingOccurrences(of: "\"steps\" : 160", with: "\"steps\" : -5").write(
          toFile: manifestPath, atomically: true, encoding: .utf8)
        #expect(text.contains("\"steps\" : 160"))
        let edited = try runNasc(["derive", "--explain", out])
        #expect(edited.status != 0 && edited.stderr.contains("E303"), "\(edited.stderr)")
        #expect(
          try String(contentsOfFile: out + "/arch.yaml", encoding: .utf8).contains(
            "# confidence: 1 of 2 decisions separated beyond gradient noise"))
      }
    }
  }

  static func plantedIR() throws -> SpaceIR {
    let r = Compiler.compile(path: planted)
    return try #require(r.ir, "\(r.diagnostics)")
  }

  @Test func marginsAreTheChosenWeightMinusTheRunnerUpsInTheRulesWeights() throws {
    let ir = try Self.plantedIR()
    // Edge 0→2 favours sep_conv_3x3 (column 5), edge 1→2 a little less.
    let a0: [Float] = [0, 0, 0, 1, 0, 2], a1: [Float] = [0, 0, 0, 0, 0, 1]
    var logits = [String: Tensor]()
    for cp in ir.choicePoints where cp.kind == .op { logits[cp.id] = Tensor(cp.id.contains("0→") ? a0 : a1) }
    let arch = try Derivation.derive(ir: ir, logits: logits, edgeNormalization: false, rule: ir.derive)
    let m = DecisionMargins.of(arch, ir: ir, logits: logits, edgeNormalization: false, rule: ir.derive)
    #expect(m.map(\.kind) == [.inputs, .op])
    let p0 = Tensor(a0).softmax().scalars.map(Double.init), p1 = Tensor(a1).softmax().scalars.map(Double.init)
    #expect(m[0].chosen == "inputs 0" && m[0].runnerUp == "input 1")
    #expect(abs(m[0].margin - (p0[5] - p1[5])) < 1e-6)
    #expect(m[1].chosen == "sep_conv_3x3 ← 0" && m[1].runnerUp == "skip_connect ← 0")
    #expect(abs(m[1].margin - (p0[5] - p0[3])) < 1e-6)
    // Under edge normalisation (PC-DARTS) the node's inputs are ranked by softmax(α)·softmax(β);
    // the op stays the edge's own decision, whatever its β share.
    logits["normal.node2.inputs"] = Tensor([0, 3] as [Float])
    let b = Tensor([0, 3] as [Float]).softmax().scalars.map(Double.init)
    let withBeta = try Derivation.derive(ir: ir, logits: logits, edgeNormalization: true, rule: ir.derive)
    let n = DecisionMargins.of(withBeta, ir: ir, logits: logits, edgeNormalization: true, rule: ir.derive)
    #expect(n[0].chosen == "inputs 1" && abs(n[0].margin - (p1[5] * b[1] - p0[5] * b[0])) < 1e-6)
    #expect(n[1].chosen == "sep_conv_3x3 ← 1")
    #expect(abs(n[1].margin - (p1[5] - p1[4])) < 1e-6)
  }

  @Test func pairsMarginIsTheWeakestKeptPairAgainstTheStrongestDropped() throws {
    let ir = try Self.plantedIR()
    var rule = ir.derive
    rule.kind = .topKPairs
    let a0: [Float] = [0, 0, 0, 1, 0, 2], a1: [Float] = [0, 0, 0, 0, 0, 1.5]
    var logits = [String: Tensor]()
    for cp in ir.choicePoints where cp.kind == .op { logits[cp.id] = Tensor(cp.id.contains("0→") ? a0 : a1) }
    let arch = try Derivation.derive(ir: ir, logits: logits, edgeNormalization: false, rule: rule)
    let m = DecisionMargins.of(arch, ir: ir, logits: logits, edgeNormalization: false, rule: rule)
    let p0 = Tensor(a0).softmax().scalars.map(Double.init), p1 = Tensor(a1).softmax().scalars.map(Double.init)
    #expect(m.count == 1 && m[0].kind == .pairs)
    #expect(m[0].chosen == "sep_conv_3x3 ← 0")
    let dropped = max(p1[5], p0[3])
    #expect(m[0].runnerUp == (p1[5] > p0[3] ? "sep_conv_3x3 ← 1" : "skip_connect ← 0"))
    #expect(abs(m[0].margin - (p0[5] - dropped)) < 1e-6)
  }

  @Test func nullModelIsDeterministicAndGrowsWithSteps() throws {
    let ir = try Self.plantedIR()
    let shapes = Dictionary(uniqueKeysWithValues: ir.choicePoints.filter { $0.kind == .op }.map { ($0.id, 6) })
    func noise(_ steps: Int, seed: UInt64 = 1) -> [String: Double] {
      NullModel(steps: steps, learningRate: 0.03, beta1: 0.5, beta2: 0.999, alphaInit: 1e-3).thresholds(
        ir: ir, shapes: shapes, edgeNormalization: false, rule: ir.derive, alive: [:], seed: seed)
    }
    let a = noise(160)
    #expect(a == noise(160))
    #expect(a != noise(160, seed: 2))
    let op = try #require(a["normal.node2 op"])
    // α random-walks about lr·√T per logit: 0.38 after 160 steps, a 95% top-two margin near 0.2 of
    // softmax weight over 5 live ops; with 10 steps, a quarter of that.
    #expect((0.12...0.3).contains(op), "\(a)")
    #expect(try #require(noise(10)["normal.node2 op"]) < op / 2)
    // With no steps α stays at its 1e-3 initialisation: margins near 0.
    #expect(try #require(noise(0)["normal.node2 op"]) < 1e-3)
  }

  @Test func learningCheckNeedsThreeStandardErrorsAboveChance() {
    #expect(!LearningCheck(accuracy: 0.512, chance: 0.51, count: 512).passed)
    #expect(LearningCheck(accuracy: 0.6, chance: 0.5, count: 512).passed)
    #expect(!LearningCheck(accuracy: 0.55, chance: 0.5, count: 100).passed)
  }

  @Test func budgetScalesThePapersRateUnlessTheRateIsSet() throws {
    let data = try SearchDriver.loadData(.digits, limit: nil).train
    func budget(_ settings: [String]) throws -> ArchStepBudget {
      let r = Compiler.compile(
        path: repoRoot + "/spaces/darts-digits.yaml", options: CompileOptions(settings: settings))
      let config = try #require(r.ir?.method, "\(r.diagnostics)")
      let h = Hyperparameters(config)
      var s = try BilevelSettings(h, nesterov: false)
      return try ArchStepBudget(h, method: "darts", settings: &s, archEpochs: s.epochs, data: data)
    }
    let auto = try budget([])
    #expect(auto.runSteps == 20 * 29 && auto.paperSteps == 19_550)
    #expect(abs(auto.rate - 3e-4 * 19_550 / 580) < 1e-12)
    #expect(try budget(["arch_lr_scale=paper"]).rate == 3e-4)
    #expect(try budget(["arch_lr=6e-4"]).rate == 6e-4)
    // Never more than 100× (a 1-epoch run: 29 steps would ask for 674×).
    #expect(abs(try budget(["epochs=1"]).scale - 100) < 1e-9)
  }

  @Test func compareReportsAgreementAndChance() throws {
    let dir = try TempDir()
    let tiny = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    let args = ["--limit", "64", "--epochs", "2"]
    for (name, seed) in [("a", "1"), ("b", "1"), ("c", "2")] {
      let r = try runNasc(["search", tiny, "--out", dir.path + "/" + name, "--seed", seed] + args)
      #expect(r.status == 0, "\(r.stderr)")
    }
    let same = try RunComparison.compare([dir.path + "/a", dir.path + "/b"])
    #expect(same.distinct == 1)
    #expect(same.agreement.allSatisfy { $0.decisions == 1 && ($0.inputs ?? 1) == 1 })
    #expect(same.agreement.map(\.group) == ["normal", "reduce", "overall"])
    let overall = try #require(same.agreement.last)
    // Two uniform random architectures share few (op, input) pairs and about half their inputs.
    #expect(overall.chanceDecisions < 0.2 && (0.3...0.8).contains(overall.chanceInputs ?? 0))
    let cli = try runNasc(["compare", dir.path + "/a", dir.path + "/b", dir.path + "/c"])
    #expect(cli.status == 0, "\(cli.stderr)")
    #expect(cli.stdout.contains("agreement, mean over 3 pairs of runs"))
    #expect(cli.stdout.contains("distinct architectures: "))
    let twice = try runNasc(["compare", dir.path + "/a", dir.path + "/./a"])
    #expect(twice.status != 0 && twice.stderr.contains("E331") && twice.stderr.contains("twice"), "\(twice.stderr)")
    let one = try runNasc(["compare", dir.path + "/a"])
    #expect(one.status != 0 && one.stderr.contains("E331"), "\(one.stderr)")
    let other = try runNasc(["search", Self.planted, "--out", dir.path + "/p", "--epochs", "1", "--limit", "64"])
    #expect(other.status == 0, "\(other.stderr)")
    let mixed = try runNasc(["compare", dir.path + "/a", dir.path + "/p"])
    #expect(mixed.status != 0 && mixed.stderr.contains("E331"), "\(mixed.stderr)")
    let unfinished = try runNasc(["compare", dir.path + "/a", dir.path + "/missing"])
    #expect(unfinished.status != 0 && unfinished.stderr.contains("E302"), "\(unfinished.stderr)")
  }

  @Test func explainWithoutARecordedNoiseLevelIsAnError() throws {
    let dir = try TempDir()
    let r = try runNasc([
      "search", repoRoot + "/spaces/nas-bench-201.yaml", "--method", "random", "--benchmark", "nb201", "--budget", "5",
      "--out", dir.path + "/r",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let e = try runNasc(["derive", "--explain", dir.path + "/r"])
    #expect(e.status != 0 && e.stderr.contains("E311"), "\(e.stderr)")
  }
}
