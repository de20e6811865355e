import NASCSpace
import Foundation
import Testing

@testable import NASCSearch

/// `../shared/data` beside the repository root, found from this file's path.
private let benchmarkDataRoot: String = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  return url.deletingLastPathComponent().appendingPathComponent("shared/data").standardizedFileURL.path
}()

private let nb201File = benchmarkDataRoot + "/nas-bench-201/nb201.csv"
private let macroFile = benchmarkDataRoot + "/nas-bench-macro/nas-bench-macro-cifar10.csv"
private let nb201Present = FileManager.default.fileExists(atPath: nb201File)
private let macroPresent = FileManager.default.fileExists(atPath: macroFile)

/// Reads a column of a CSV file the plain way (split on line ends and commas), keyed by another.
private func naiveColumn(_ file: String, key: String, value: String) throws -> [(String, Double)] {
  let text = try String(contentsOfFile: file, encoding: .utf8)
  let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
  let header = try #require(lines.first).map(String.init)
  let k = try #require(header.firstIndex(of: key))
  let v = try #require(header.firstIndex(of: value))
  return try lines.dropFirst().map { (String($0[k]), try #require(Double(String($0[v])))) }
}

/// Writes `text` to a fresh temporary file and returns its path.
private func temporaryCSV(_ text: String, name: String = "table.csv") throws -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-tabular-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  let file = dir.appendingPathComponent(name)
  try Data(text.utf8).write(to: file)
  return file.path
}

/// The `RunError` that `body` throws, or nil (recording an issue) when it throws none or another error.
private func searchError(_ body: () throws -> TabularBenchmark) -> RunError? {
  do {
    let table = try body()
    Issue.record("expected an error, loaded \(table.count) rows")
  } catch let error as RunError {
    return error
  } catch {
    Issue.record("expected a RunError, got \(error)")
  }
  return nil
}

private let nb201Header = "index,arch_str,c10valid_val_12ep,analognas_c10_baseline_200ep"
private let archA = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
private let archB = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"

@Suite struct TabularBenchmarkTests {
  @Test(.enabled(if: nb201Present, "NAS-Bench-201 table not found under ../shared/data; skipped"))
  func nb201RealTable() throws {
    let start = Date()
    let table = try TabularBenchmark.load("nb201", searchRoots: [benchmarkDataRoot])
    let ms = Date().timeIntervalSince(start) * 1000
    print("TabularBenchmark: loaded \(table.count) NB201 rows in \(String(format: "%.1f", ms)) ms")
    #expect(table.kind == .nb201)
    #expect(table.count == 15_625)
    #expect(table.keys.count == 15_625)
    #expect(Set(table.keys).count == 15_625)
    #expect(table.signalColumn == "c10valid_val_12ep")
    #expect(table.reportedColumn == "analognas_c10_baseline_200ep")
    #expect(table.path.hasSuffix("nas-bench-201/nb201.csv"))
    #expect(table.keys[0] == archB)
    #expect(table.keys[1] == archA)
    #expect(table.lookup(archA) == TabularBenchmark.Entry(signal: 82.834, reported: 93.2956))
    #expect(table.lookup(archB) == TabularBenchmark.Entry(signal: 63.364, reported: 85.9708))
    #expect(table.lookup("|none~0|") == nil)
    #expect(table.lookup("") == nil)
  }

  @Test(.enabled(if: macroPresent, "NAS-Bench-Macro table not found under ../shared/data; skipped"))
  func macroRealTable() throws {
    let table = try TabularBenchmark.load("nas-bench-macro", searchRoots: [benchmarkDataRoot])
    #expect(table.kind == .nasBenchMacro)
    #expect(table.count == 6_561)
    #expect(table.signalColumn == "mean_acc")
    #expect(table.reportedColumn == "mean_acc")
    #expect(table.keys.first == "02012100")
    #expect(table.lookup("02012100") == TabularBenchmark.Entry(signal: 89.1967, reported: 89.1967))
    // Codes keep their leading zeros: all 3^8 codes are there, each with 8 characters.
    #expect(table.keys.allSatisfy { $0.count == 8 })
    #expect(table.lookup("00000000") != nil)
    #expect(table.lookup("2012100") == nil)
  }

  @Test(.enabled(if: nb201Present && macroPresent, "benchmark tables not found under ../shared/data; skipped"))
  func maxAndMeanMatchANaiveRead() throws {
    for (spec, file, key, column) in [
      ("nb201", nb201File, "arch_str", "analognas_c10_baseline_200ep"),
      ("nas-bench-macro", macroFile, "arch", "mean_acc"),
    ] {
      let table = try TabularBenchmark.load(spec, searchRoots: [benchmarkDataRoot])
      let rows = try naiveColumn(file, key: key, value: column)
      #expect(rows.count == table.count)
      let best = try #require(rows.max { $0.1 < $1.1 })
      #expect(table.maxReported.value == best.1)
      #expect(table.lookup(table.maxReported.key)?.reported == best.1)
      let mean = rows.map(\.1).reduce(0, +) / Double(rows.count)
      #expect(abs(table.meanReported - mean) < 1e-9)
      #expect(table.keys == rows.map(\.0))
    }
  }

  @Test(.enabled(if: nb201Present, "NAS-Bench-201 table not found under ../shared/data; skipped"))
  func specForms() throws {
    let explicit = try TabularBenchmark.load("nb201:" + nb201File, searchRoots: [])
    #expect(explicit.path == nb201File)
    #expect(explicit.count == 15_625)
    let directory = try TabularBenchmark.load("nb201:" + benchmarkDataRoot, searchRoots: [])
    #expect(directory.count == 15_625)
    // The first root holding the file wins.
    let searched = try TabularBenchmark.load("nb201", searchRoots: ["/nonexistent-nasc-root", benchmarkDataRoot])
    #expect(searched.path == benchmarkDataRoot + "/nas-bench-201/nb201.csv")
  }

  @Test func defaultRoots() {
    #expect(Array(TabularBenchmark.defaultRoots.suffix(2)) == ["../shared/data", "shared/data"])
    if let env = ProcessInfo.processInfo.environment["NASC_BENCHMARK_DATA"], !env.isEmpty {
      #expect(TabularBenchmark.defaultRoots.first == env)
    }
    #expect(TabularBenchmark.Kind.allCases.map(\.rawValue) == ["nb201", "nas-bench-macro"])
  }

  @Test func unknownNameIsE208() throws {
    let error = try #require(searchError { try TabularBenchmark.load("nb-201") })
    #expect(error.code == "E208")
    #expect(error.message.contains("nb-201"))
    #expect(error.help.contains("did you mean 'nb201'"))
    #expect(error.help.contains("nas-bench-macro"))
    let other = try #require(searchError { try TabularBenchmark.load("imagenet:/tmp/x.csv") })
    #expect(other.code == "E208")
    #expect(other.help.contains("nb201") && other.help.contains("nas-bench-macro"))
    #expect(TabularBenchmark.suggestion(for: "macro") == .nasBenchMacro)
    #expect(TabularBenchmark.suggestion(for: "NB201") == .nb201)
    #expect(TabularBenchmark.suggestion(for: "cifar") == nil)
    let empty = try #require(searchError { try TabularBenchmark.load("nb201:") })
    #expect(empty.code == "E208")
  }

  @Test func missingFileIsE209() throws {
    let explicit = try #require(searchError { try TabularBenchmark.load("nb201:/nonexistent-nasc/nb201.csv") })
    #expect(explicit.code == "E209")
    #expect(explicit.path == "/nonexistent-nasc/nb201.csv")
    let searched = try #require(
      searchError { try TabularBenchmark.load("nas-bench-macro", searchRoots: ["/nonexistent-nasc-a", "/b"]) })
    #expect(searched.code == "E209")
    #expect(searched.help.contains("/nonexistent-nasc-a/nas-bench-macro/nas-bench-macro-cifar10.csv"))
    #expect(searched.help.contains("/b/nas-bench-macro/nas-bench-macro-cifar10.csv"))
    #expect(searched.help.contains("nas-bench-macro:PATH"))
    #expect(searched.help.contains("NASC_BENCHMARK_DATA"))
  }

  @Test func smallTableParses() throws {
    // Columns in another order, CRLF line ends, a byte-order mark, blank lines and padded fields.
    let csv =
      "\u{FEFF}analognas_c10_baseline_200ep,arch_str,extra,c10valid_val_12ep\r\n"
      + "93.5, \(archA) ,x,82.8\r\n\r\n" + "85.25,\(archB),y,-1.5e1\r\n"
    let table = try TabularBenchmark.load("nb201:" + temporaryCSV(csv))
    #expect(table.keys == [archA, archB])
    #expect(table.lookup(archA) == TabularBenchmark.Entry(signal: 82.8, reported: 93.5))
    #expect(table.lookup(archB) == TabularBenchmark.Entry(signal: -15, reported: 85.25))
    #expect(table.maxReported.key == archA && table.maxReported.value == 93.5)
    #expect(table.meanReported == (93.5 + 85.25) / 2)
  }

  @Test func missingColumnIsE210() throws {
    let path = try temporaryCSV("index,arch_str,analognas_c10_baseline_200ep\n0,\(archA),93.1\n")
    let error = try #require(searchError { try TabularBenchmark.load("nb201:" + path) })
    #expect(error.code == "E210")
    #expect(error.message.contains("line 1"))
    #expect(error.message.contains("c10valid_val_12ep"))
    #expect(error.path == path)
  }

  @Test func shortAndLongRowsAreE210() throws {
    let short = try temporaryCSV("\(nb201Header)\n0,\(archA),82.8,93.1\n1,\(archB),63.3\n")
    let error = try #require(searchError { try TabularBenchmark.load("nb201:" + short) })
    #expect(error.code == "E210")
    #expect(error.message.contains("line 3"))
    #expect(error.message.contains("analognas_c10_baseline_200ep"))
    let long = try temporaryCSV("\(nb201Header)\n0,\(archA),82.8,93.1,7\n")
    let longError = try #require(searchError { try TabularBenchmark.load("nb201:" + long) })
    #expect(longError.code == "E210")
    #expect(longError.message.contains("line 2"))
  }

  @Test func nonNumericFieldIsE210() throws {
    for bad in ["abc", "", "nan", "inf", "0x1p3", "8 2"] {
      let path = try temporaryCSV("\(nb201Header)\n0,\(archA),82.8,93.1\n1,\(archB),\(bad),85.9\n")
      let error = try #require(searchError { try TabularBenchmark.load("nb201:" + path) })
      #expect(error.code == "E210", "value '\(bad)'")
      #expect(error.message.contains("line 3"), "value '\(bad)'")
      #expect(error.message.contains("c10valid_val_12ep"), "value '\(bad)'")
    }
  }

  @Test func duplicateKeyIsE210() throws {
    let path = try temporaryCSV("\(nb201Header)\n0,\(archA),82.8,93.1\n\n1,\(archA),63.3,85.9\n")
    let error = try #require(searchError { try TabularBenchmark.load("nb201:" + path) })
    #expect(error.code == "E210")
    #expect(error.message.contains("line 4"))
    #expect(error.message.contains("first on line 2"))
    #expect(error.message.contains("arch_str"))
  }

  @Test func emptyFileAndHeaderOnlyAreE210() throws {
    for text in ["", "\n\n", nb201Header + "\n"] {
      let path = try temporaryCSV(text)
      let error = try #require(searchError { try TabularBenchmark.load("nb201:" + path) })
      #expect(error.code == "E210", "file \(text.debugDescription)")
      #expect(error.message.contains("line "), "file \(text.debugDescription)")
      #expect(error.message.contains("arch_str"), "file \(text.debugDescription)")
    }
  }

  @Test func macroCodesMustKeepLeadingZeros() throws {
    let header = "arch,test_acc_run1,test_acc_run2,test_acc_run3,mean_acc,std,params,flops"
    let good = try temporaryCSV("\(header)\n02012100,89.47,88.95,89.17,89.1967,0.2131,890666,47327744\n")
    let table = try TabularBenchmark.load("nas-bench-macro:" + good)
    #expect(table.lookup("02012100")?.signal == 89.1967)
    let stripped = try temporaryCSV("\(header)\n2012100,89.47,88.95,89.17,89.1967,0.2131,890666,47327744\n")
    let error = try #require(searchError { try TabularBenchmark.load("nas-bench-macro:" + stripped) })
    #expect(error.code == "E210")
    #expect(error.message.contains("line 2") && error.message.contains("'arch'"))
    #expect(error.help.contains("leading zeros"))
  }
}
