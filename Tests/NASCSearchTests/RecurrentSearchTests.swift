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

  @Test func otherMethodsAndSecondOrderAreRefusedOnTokenSpaces() throws {
    let data = try Self.corpus()
    let gdas = try runNasc([
      "search", Self.space, "--method", "gdas", "--data", "ptb:\(data.path)", "--out", data.path + "/g",
    ])
    #expect(
      gdas.status == 1 && gdas.stderr.contains("error[E310]: gdas does not search recurrent cells"), "\(gdas.stderr)")
    let second = try runNasc([
      "search", Self.space, "--set", "order=second", "--data", "ptb:\(data.path)", "--out", data.path + "/s",
    ])
    #expect(second.status == 1 && second.stderr.contains("second-order"), "\(second.stderr)")
    let images = try runNasc(["search", Self.space, "--data", "digits", "--out", data.path + "/d"])
    #expect(images.status == 1 && images.stderr.contains("E214"), "\(images.stderr)")
    let limit = try runNasc([
      "search", Self.space, "--data", "ptb:\(data.path)", "--limit", "100", "--out", data.path + "/l",
    ])
    #expect(limit.status == 1 && limit.stderr.contains("error[E214]: --limit"), "\(limit.stderr)")
  }
}
