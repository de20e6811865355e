import Foundation
import NASCData
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// DARTS on a recurrent cell (`nasc search` on a token space), on the tiny cell and the synthetic
/// corpus of `LanguageModelTests`.
@Suite(.serialized) struct RecurrentSearchTests {
  static let space = LanguageModelTests.tinySpace

  /// A directory holding the synthetic corpus in the PTB layout.
  static func corpus() throws -> TempDir {
    let dir = try TempDir()
    try LanguageModelTests.writeSyntheticPTB(into: dir.path, sentences: [400, 80, 80])
    return dir
  }

  @Test func searchDerivesARecurrentGenotypeThatTrains() throws {
    let data = try Self.corpus()
    let run = data.path + "/run"
    let r = try runNasc(["search", Self.space, "--data", "ptb:\(data.path)", "--seed", "2", "--out", run])
    #expect(r.status == 0, "\(r.stderr)")
    let genotype = try text(run + "/genotype.txt")
    #expect(genotype.hasPrefix("Genotype(recurrent=["), "\(genotype)")
    #expect(genotype.contains("concat=[1, 2, 3]"), "\(genotype)")
    let lines = try text(run + "/metrics.jsonl").split(separator: "\n")
    #expect(lines.count == 2)
    var ppl = [Double]()
    for line in lines {
      let m = try JSONDecoder().decode(Metrics.self, from: Data(line.utf8))
      ppl.append(try #require(m["val_ppl"]?.number))
      // α moved away from uniform (5 candidates: entropy ln 5 = 1.6094).
      guard case .map(let e)? = m["alpha_entropy"], let rnn = e["rnn"]?.number else {
        Issue.record("no alpha_entropy in \(line)")
        continue
      }
      #expect(rnn < Foundation.log(5) - 1e-4 && rnn > 0, "\(rnn)")
    }
    #expect(ppl[1] < ppl[0] && ppl[1] < 11, "\(ppl)")  // below the uniform model's 11
    let trained = try runNasc([
      "train", "--arch", run + "/arch.yaml", "--data", "ptb:\(data.path)", "--epochs", "1", "--batch-size", "4",
      "--lr", "5", "--out", data.path + "/train",
    ])
    #expect(trained.status == 0 && trained.stdout.hasPrefix("test perplexity"), "\(trained.stderr)")
  }

  @Test func killedSearchResumesBitIdentical() throws {
    let data = try Self.corpus()
    let args = ["search", Self.space, "--data", "ptb:\(data.path)", "--seed", "5"]
    let whole = try runNasc(args + ["--out", data.path + "/whole"])
    #expect(whole.status == 0, "\(whole.stderr)")
    #expect(try killAndResume(args, out: data.path + "/cut", unit: 1) == 0)
    #expect(try metrics(data.path + "/cut") == metrics(data.path + "/whole"))
    #expect(try text(data.path + "/cut/arch.yaml") == text(data.path + "/whole/arch.yaml"))
  }

  @Test func secondOrderSearchRunsResumesAndDiffersFromFirstOrder() throws {
    let data = try Self.corpus()
    let args = ["search", Self.space, "--data", "ptb:\(data.path)", "--seed", "3", "--set", "order=second"]
    let whole = try runNasc(args + ["--out", data.path + "/whole"])
    #expect(whole.status == 0, "\(whole.stderr)")
    #expect(try killAndResume(args, out: data.path + "/cut", unit: 1) == 0)
    #expect(try metrics(data.path + "/cut") == metrics(data.path + "/whole"))
    let first = try runNasc(Array(args.dropLast(2)) + ["--out", data.path + "/first"])
    #expect(first.status == 0, "\(first.stderr)")
    // The unrolled step moves α differently from the first-order one.
    func last(_ run: String) throws -> Metrics {
      let line = try #require(try text(data.path + run + "/metrics.jsonl").split(separator: "\n").last)
      return try JSONDecoder().decode(Metrics.self, from: Data(line.utf8))
    }
    let second = try last("/whole"), firstOrder = try last("/first")
    #expect(second["alpha"] != nil && second["alpha"] != firstOrder["alpha"])
    #expect((second["val_ppl"]?.number ?? .infinity) < 11, "\(second)")
  }

  @Test func otherMethodsAreRefusedOnTokenSpaces() throws {
    let data = try Self.corpus()
    let gdas = try runNasc([
      "search", Self.space, "--method", "gdas", "--data", "ptb:\(data.path)", "--out", data.path + "/g",
    ])
    #expect(
      gdas.status == 1 && gdas.stderr.contains("error[E310]: gdas does not search recurrent cells"), "\(gdas.stderr)")
    let third = try runNasc([
      "search", Self.space, "--set", "order=third", "--data", "ptb:\(data.path)", "--out", data.path + "/s",
    ])
    #expect(third.status == 1 && third.stderr.contains("E0"), "\(third.stderr)")
    let images = try runNasc(["search", Self.space, "--data", "digits", "--out", data.path + "/d"])
    #expect(images.status == 1 && images.stderr.contains("E214"), "\(images.stderr)")
    let limit = try runNasc([
      "search", Self.space, "--data", "ptb:\(data.path)", "--limit", "100", "--out", data.path + "/l",
    ])
    #expect(limit.status == 1 && limit.stderr.contains("error[E214]: --limit"), "\(limit.stderr)")
  }
}
