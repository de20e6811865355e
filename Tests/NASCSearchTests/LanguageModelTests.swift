import Foundation
import NASCData
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// Text data, the recurrent cell's lowering and language-model training (issue 12, step 1).
@Suite struct LanguageModelTests {
  static let tinySpace = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-rnn.yaml"
  static let tinyArch = "Genotype(recurrent=[('tanh', 0), ('relu', 1), ('sigmoid', 1)], concat=range(1, 4))"

  /// The tiny fixed cell, compiled.
  static func tinyIR() throws -> SpaceIR {
    let result = Compiler.compile(path: tinySpace, options: CompileOptions(arch: tinyArch))
    for d in result.diagnostics where d.severity == .error { Issue.record("\(d.message)") }
    return try #require(result.ir)
  }

  /// A synthetic corpus in the PTB layout: sentences drawn from four fixed templates over ten words,
  /// so a model that reads context predicts far better than word frequencies do.
  static func writeSyntheticPTB(into dir: String, sentences: [Int] = [1200, 150, 150]) throws {
    let templates = ["a b c d", "e f g", "h i j b c", "d a e f g h"]
    var rng = RNG(seed: 11)
    for (file, count) in zip(TokenCorpus.ptbFiles, sentences) {
      let lines = (0..<count).map { _ in templates[rng.nextInt(below: templates.count)] }
      try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
    }
  }

  static func synthetic() throws -> TokenCorpus {
    let dir = try TempDir()
    try writeSyntheticPTB(into: dir.path)
    return try TokenCorpus.loadPTB(directory: dir.path, name: "synthetic")
  }

  /// The code of the `RunError` `body` throws ("other: …" for another error, nil for none).
  static func code(_ body: () throws -> Void) -> String? {
    do { try body() } catch let e as RunError { return e.code } catch { return "other: \(error)" }
    return nil
  }

  // MARK: Text data

  @Test func ptbLayoutLoadsWithEndOfSentenceAndUnknownWords() throws {
    let dir = try TempDir()
    try "the cat sat\nthe dog\n\n".write(toFile: dir.path + "/ptb.train.txt", atomically: true, encoding: .utf8)
    try "the bird sat\n".write(toFile: dir.path + "/ptb.valid.txt", atomically: true, encoding: .utf8)
    try "dog cat\n".write(toFile: dir.path + "/ptb.test.txt", atomically: true, encoding: .utf8)
    let c = try DataSource(parsing: "ptb:\(dir.path)").loadCorpus()
    #expect(c.vocabulary == ["the", "cat", "sat", "<eos>", "dog", "<unk>"])
    #expect(c.train == [0, 1, 2, 3, 0, 4, 3])
    #expect(c.valid == [0, 5, 2, 3])
    #expect(c.test == [4, 1, 3])
    #expect(c.unknownInValid == 1 && c.unknownInTest == 0)
    #expect(c.notes.count == 1)
  }

  @Test func gzippedSplitsAreRead() throws {
    let dir = try TempDir()
    try Self.writeSyntheticPTB(into: dir.path, sentences: [20, 5, 5])
    let plain = try TokenCorpus.loadPTB(directory: dir.path)
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
    gzip.arguments = [dir.path + "/ptb.train.txt"]
    try gzip.run()
    gzip.waitUntilExit()
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/ptb.train.txt"))
    #expect(try TokenCorpus.loadPTB(directory: dir.path) == plain)
  }

  @Test func brokenTextDataAreCodedErrors() throws {
    let dir = try TempDir()
    #expect(Self.code { _ = try TokenCorpus.loadPTB(directory: dir.path + "/absent") } == "E201")
    try "a b\n".write(toFile: dir.path + "/ptb.train.txt", atomically: true, encoding: .utf8)
    try "a\n".write(toFile: dir.path + "/ptb.valid.txt", atomically: true, encoding: .utf8)
    #expect(Self.code { _ = try TokenCorpus.loadPTB(directory: dir.path) } == "E201")  // no test split
    try "\n\n".write(toFile: dir.path + "/ptb.test.txt", atomically: true, encoding: .utf8)
    #expect(Self.code { _ = try TokenCorpus.loadPTB(directory: dir.path) } == "E202")  // empty test split
    try Data([0x61, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: dir.path + "/ptb.test.txt"))
    #expect(Self.code { _ = try TokenCorpus.loadPTB(directory: dir.path) } == "E202")  // not UTF-8
    try Data([0x1F, 0x8B, 0x08, 0x00, 0x01]).write(to: URL(fileURLWithPath: dir.path + "/ptb.test.txt.gz"))
    try FileManager.default.removeItem(atPath: dir.path + "/ptb.test.txt")
    #expect(Self.code { _ = try TokenCorpus.loadPTB(directory: dir.path) } == "E202")  // truncated gzip
    // Text for images and images for text.
    #expect(Self.code { _ = try DataSource.kjv.load() } == "E214")
    #expect(Self.code { _ = try DataSource.digits.loadCorpus() } == "E214")
    #expect(Self.code { _ = try DataSource(parsing: "ptb") } == "E204")
    #expect(try DataSource(parsing: "kjv") == .kjv && DataSource.kjv.isText)
    #expect(try DataSource(parsing: "ptb:/d") == .ptb(directory: "/d"))
  }

  @Test func bundledCorpusHasItsRecordedSize() throws {
    let c = try BundledCorpus.load()
    #expect(c.vocabularySize == 3000)
    #expect((c.train.count, c.valid.count, c.test.count) == (152_003, 18_087, 18_258))
    #expect(c.unknownInValid == 0 && c.unknownInTest == 0)  // out-of-vocabulary words are already <unk>
    let unigram = c.unigramCrossEntropy(on: c.test).perplexity
    #expect(unigram > 150 && unigram < 400, "\(unigram)")
  }

  @Test func streamsAreTimeMajorAndWindowsShiftTargetsByOne() throws {
    let s = try #require(TokenStreams((0..<23).map(Int32.init), columns: 3))
    #expect(s.length == 7 && s.predictions == 18)
    #expect(Array(s.ids.prefix(6)) == [0, 7, 14, 1, 8, 15])
    let (x, y) = s.window(at: 0, steps: 4)
    #expect(x == [[0, 7, 14], [1, 8, 15], [2, 9, 16], [3, 10, 17]])
    #expect(y == [[1, 8, 15], [2, 9, 16], [3, 10, 17], [4, 11, 18]])
    #expect(s.windowStarts(steps: 4) == [0, 4])
    #expect(s.window(at: 4, steps: 4).inputs == [[4, 11, 18], [5, 12, 19]])  // the short last window
    #expect(TokenStreams([1, 2, 3], columns: 2) == nil)
  }

  // MARK: The model

  @Test func publishedCellHasDartsParameterCount() throws {
    // DARTS' evaluation model on PTB: 23M parameters (tied 10000 × 850 embedding, W0, 8 W_i).
    let ir = try #require(
      Compiler.compile(
        path: repoRoot + "/spaces/darts-rnn.yaml", options: CompileOptions(eval: true, arch: "DARTS_RNN_V2")
      ).ir)
    var rng = RNG(seed: 1)
    let model = try LanguageModel(ir.network, rng: &rng)
    let count = model.parameters().reduce(0) { $0 + $1.value.count }
    #expect(count == 10_000 * 850 + 1700 * 1700 + 8 * 850 * 1700 + 10_000)
    #expect(count == ir.cost.params)
  }

  /// Gradients of the unrolled model (three steps from a random state, dropout masks on and fixed
  /// by the seed) against central differences, for a sample of every parameter and the state;
  /// with and without the search cell's batch norm on the states.
  @Test(arguments: [false, true]) func unrolledCellGradientsMatchFiniteDifferences(normalized: Bool) throws {
    let ir = try Self.tinyIR()
    var rng = RNG(seed: 5)
    let model = try LanguageModel(ir.network, normalizesStates: normalized, rng: &rng)
    for p in model.parameters() { p.value = .uniform(p.shape, low: -0.5, high: 0.5, rng: &rng) }
    let dropout = LanguageModelDropout(output: 0.3, hidden: 0.2, x: 0.3, input: 0.1, embedding: 0.1)
    let inputs = [[1, 4], [2, 2], [7, 0]]
    let h0 = Parameter(.uniform([2, 16], low: -0.8, high: 0.8, rng: &rng))
    let r = Tensor.uniform([6, 11], low: -1, high: 1, rng: &rng).scalars
    func loss() -> Tensor {
      var ctx = ForwardContext(rng: RNG(seed: 77))
      let out = model(inputs, hidden: h0.value, plan: ForwardPlan(), dropout: dropout, context: &ctx)
      let tar = try! #require(LanguageModel.temporalActivationPenalty(out.states))
      return (out.logits * Tensor(shape: [6, 11], scalars: r)).sum() + out.hidden.sum() + tar
    }
    model.zeroGrad()
    loss().backward()
    let eps: Float = 1e-2
    var checked = 0
    for (name, p) in model.namedParameters() + [("h0", h0)] {
      let g = try #require(p.grad, "\(name) has no gradient")
      let analytic = g.scalars
      let scale = analytic.map(abs).max() ?? 0
      #expect(scale > 0, "\(name)")
      var coords = Array(0..<p.value.count)
      var pick = RNG(seed: 3)
      pick.shuffle(&coords)
      for j in coords.prefix(12) {
        let base = p.value.scalars
        var plus = base, minus = base
        plus[j] += eps
        minus[j] -= eps
        p.value = Tensor(shape: p.shape, scalars: plus)
        let lp = withNoGrad { Double(loss().scalar) }
        p.value = Tensor(shape: p.shape, scalars: minus)
        let lm = withNoGrad { Double(loss().scalar) }
        p.value = Tensor(shape: p.shape, scalars: base)
        let numeric = Float((lp - lm) / Double(2 * eps))
        #expect(
          abs(analytic[j] - numeric) <= 2e-2 * scale + 2e-2 * abs(numeric) + 1e-3,
          "\(name)[\(j)]: analytic \(analytic[j]) vs numeric \(numeric)")
        checked += 1
      }
    }
    #expect(checked > 40)
  }

  @Test func vocabularyThatIsNotTheSpacesIsE206() throws {
    let corpus = try TokenCorpus(
      name: "t", train: "a b c\n", valid: "a\n", test: "b\n", paths: ["t", "v", "s"])
    let ir = try Self.tinyIR()
    #expect(
      Self.code { _ = try LanguageModelTrainRun(ir: ir, settings: LanguageModelSettings(), corpus: corpus) } == "E206")
  }

  // MARK: Training

  static let quick = LanguageModelSettings(
    epochs: 3, batchSize: 8, bptt: 10, lr: 5, dropout: LanguageModelDropout(), temporalPenalty: 1e-3,
    evalBatchSize: 5, seed: 4, threads: 2, data: "synthetic")

  @Test func trainingBeatsTheUnigramModel() throws {
    let corpus = try Self.synthetic()
    let run = try LanguageModelTrainRun(ir: try Self.tinyIR(), settings: Self.quick, corpus: corpus)
    let before = Foundation.exp(run.evaluate(on: corpus.valid))
    while !run.isFinished { _ = try run.runEpoch() }
    let unigram = corpus.unigramCrossEntropy(on: corpus.valid).perplexity
    let after = try #require(run.history.last).validPerplexity
    #expect(before > 9, "an untrained model is near uniform over 11 tokens: \(before)")
    #expect(after < 0.25 * unigram, "valid perplexity \(after) vs unigram \(unigram)")
    // Only the template's first word is uncertain (1 of 4 in 5.5 tokens): no model scores below
    // exp(ln 4 / 5.5) ≈ 1.29 without seeing its targets.
    #expect(after > 1.2, "valid perplexity \(after) is below what the corpus allows")
    #expect(run.history.count == 3 && run.history[2].lr < run.history[0].lr)
  }

  @Test func resumedRunEndsBitIdentical() throws {
    let corpus = try Self.synthetic()
    let dir = try TempDir()
    let url = URL(fileURLWithPath: dir.path + "/checkpoint.safetensors")
    var settings = Self.quick
    settings.epochs = 2
    settings.dropout = LanguageModelDropout(output: 0.2, hidden: 0.1, x: 0.2, input: 0.1, embedding: 0.1)
    let whole = try LanguageModelTrainRun(ir: try Self.tinyIR(), settings: settings, corpus: corpus)
    while !whole.isFinished { _ = try whole.runEpoch() }

    let first = try LanguageModelTrainRun(ir: try Self.tinyIR(), settings: settings, corpus: corpus)
    _ = try first.runEpoch()
    var windows = 0
    #expect(
      try first.runEpoch(shouldStop: {
        windows += 1
        return windows > 7
      }) == false)
    try first.saveCheckpoint(to: url, network: "n")
    #expect(LanguageModelTrainRun.isLanguageModelCheckpoint(at: url))
    #expect(try LanguageModelTrainRun.checkpointSettings(at: url) == settings)

    let second = try LanguageModelTrainRun(ir: try Self.tinyIR(), settings: settings, corpus: corpus)
    #expect(Self.code { try second.restore(from: url, network: "other") } == "E304")
    try second.restore(from: url, network: "n")
    #expect(second.epoch == 1 && second.stepInEpoch == 7)
    while !second.isFinished { _ = try second.runEpoch() }
    func withoutTimes(_ h: [LanguageModelEpochMetrics]) -> [LanguageModelEpochMetrics] {
      h.map {
        var m = $0
        m.seconds = 0
        return m
      }
    }
    #expect(withoutTimes(second.history) == withoutTimes(whole.history))
    for ((name, a), (_, b)) in zip(whole.model.namedParameters(), second.model.namedParameters()) {
      #expect(a.value.scalars.map(\.bitPattern) == b.value.scalars.map(\.bitPattern), "\(name)")
    }
  }

  // MARK: The command

  @Test func trainCommandRefusesDataOfTheOtherKind() throws {
    let dir = try TempDir()
    let rnn = try runNasc([
      "train", repoRoot + "/spaces/darts-rnn-small.yaml", "--arch", "DARTS_RNN_V2", "--data", "digits", "--out",
      dir.path + "/a",
    ])
    #expect(rnn.status == 1 && rnn.stderr.contains("error[E214]"), "\(rnn.stderr)")
    let cnn = try runNasc([
      "train", repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml", "--arch", "DARTS_V2", "--data", "kjv",
      "--out", dir.path + "/b",
    ])
    #expect(cnn.status != 0 && cnn.stderr.contains("E214"), "\(cnn.stderr)")
    let flags = try runNasc([
      "train", repoRoot + "/spaces/darts-rnn-small.yaml", "--arch", "DARTS_RNN_V2", "--dropouts", "0.5,0.5",
    ])
    #expect(flags.status != 0 && flags.stderr.contains("five numbers"), "\(flags.stderr)")
  }

  @Test func trainCommandTrainsATokenSpaceOnPTBLayout() throws {
    let dir = try TempDir()
    try Self.writeSyntheticPTB(into: dir.path, sentences: [300, 40, 40])
    let r = try runNasc([
      "train", Self.tinySpace, "--arch", Self.tinyArch, "--data", "ptb:\(dir.path)", "--epochs", "1", "--batch-size",
      "4", "--bptt", "8", "--lr", "5", "--out", dir.path + "/run",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("test perplexity "), "\(r.stdout)")
    #expect(r.stderr.contains("unigram test perplexity"), "\(r.stderr)")
    let lines = try metrics(dir.path + "/run")
    #expect(lines.count == 1 && lines[0].contains("\"valid_ppl\""), "\(lines)")
  }
}
