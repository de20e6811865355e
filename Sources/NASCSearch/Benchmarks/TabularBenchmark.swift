import NASCSpace
import Foundation

/// A tabular NAS benchmark: a precomputed table of every architecture of a search space with its
/// accuracy, so that a search can be scored by looking results up instead of training.
///
/// Two tables are supported, both read from CSV files kept outside the repository (see
/// `shared/data/README.md`):
/// - `nb201`: the NAS-Bench-201 cell space (15,625 cells). A search sees the 12-epoch CIFAR-10
///   validation accuracy `c10valid_val_12ep`; the result reported is the 200-epoch CIFAR-10 test
///   accuracy `analognas_c10_baseline_200ep`. Keys are the official architecture strings, such as
///   `|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|`.
/// - `nas-bench-macro`: NAS-Bench-Macro (6,561 networks). Both the signal and the reported figure
///   are `mean_acc`, the mean CIFAR-10 test accuracy of three trainings. Keys are the 8-character
///   codes of `0`/`1`/`2`, leading zeros included (`02012100`).
///
/// The table is parsed once by `load(_:searchRoots:)`; lookups are dictionary lookups. The value is
/// immutable and cheap to copy.
public struct TabularBenchmark: Sendable {
  /// Which benchmark table.
  public enum Kind: String, Sendable, CaseIterable {
    /// NAS-Bench-201 (`nb201`).
    case nb201
    /// NAS-Bench-Macro (`nas-bench-macro`).
    case nasBenchMacro = "nas-bench-macro"

    /// The column holding the architecture key.
    public var keyColumn: String {
      switch self {
      case .nb201: return "arch_str"
      case .nasBenchMacro: return "arch"
      }
    }

    /// The column a search sees as its signal.
    public var signalColumn: String {
      switch self {
      case .nb201: return "c10valid_val_12ep"
      case .nasBenchMacro: return "mean_acc"
      }
    }

    /// The column reported as the result of a search.
    public var reportedColumn: String {
      switch self {
      case .nb201: return "analognas_c10_baseline_200ep"
      case .nasBenchMacro: return "mean_acc"
      }
    }

    /// Where the table lives below a data root, such as `nas-bench-201/nb201.csv`.
    public var defaultFile: String {
      switch self {
      case .nb201: return "nas-bench-201/nb201.csv"
      case .nasBenchMacro: return "nas-bench-macro/nas-bench-macro-cifar10.csv"
      }
    }
  }

  /// The two figures a table holds for one architecture.
  public struct Entry: Sendable, Equatable {
    /// What a search sees (for NB201 the 12-epoch validation accuracy, %).
    public var signal: Double
    /// The figure reported as the result (for NB201 the 200-epoch test accuracy, %).
    public var reported: Double

    /// Creates an entry.
    public init(signal: Double, reported: Double) {
      self.signal = signal
      self.reported = reported
    }
  }

  /// Which benchmark this is.
  public let kind: Kind
  /// The CSV file the table was read from.
  public let path: String
  /// The column a search sees (`Entry.signal`).
  public let signalColumn: String
  /// The column reported as the result (`Entry.reported`).
  public let reportedColumn: String
  /// Every architecture key, in file order.
  public let keys: [String]
  /// The architecture with the highest reported figure (the first one on ties) and that figure.
  public let maxReported: (key: String, value: Double)
  /// The mean reported figure over the whole table.
  public let meanReported: Double

  private let rowOfKey: [String: Int]
  private let signals: [Double]
  private let reportedValues: [Double]

  /// The number of architectures in the table.
  public var count: Int { keys.count }

  /// The entry of an architecture, or nil if the table has no such key.
  ///
  /// Keys are matched exactly: the NB201 architecture string as written in the CSV, or the
  /// 8-character NAS-Bench-Macro code (`"2012100"` does not find `"02012100"`).
  public func lookup(_ key: String) -> Entry? {
    guard let row = rowOfKey[key] else { return nil }
    return Entry(signal: signals[row], reported: reportedValues[row])
  }

  /// Where `load` looks for a table named without a path: `$NASC_BENCHMARK_DATA` if set, then
  /// `../shared/data` and `shared/data` relative to the current directory.
  public static var defaultRoots: [String] {
    var roots: [String] = []
    if let env = ProcessInfo.processInfo.environment["NASC_BENCHMARK_DATA"], !env.isEmpty { roots.append(env) }
    roots.append("../shared/data")
    roots.append("shared/data")
    return roots
  }

  /// Loads a table from a spec: `nb201`, `nb201:PATH`, `nas-bench-macro` or `nas-bench-macro:PATH`.
  ///
  /// Without a path the table's `Kind.defaultFile` is looked up below each of `searchRoots` in turn.
  /// A path naming a directory is searched the same way. Throws `RunError` `E208` for an unknown
  /// name, `E209` when the file is not found or cannot be read and `E210` when it is malformed.
  public static func load(_ spec: String, searchRoots: [String] = defaultRoots) throws -> TabularBenchmark {
    let (kind, explicitPath) = try parseSpec(spec)
    let file = try locate(kind, explicitPath: explicitPath, searchRoots: searchRoots)
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: file), options: .mappedIfSafe)
    } catch {
      throw RunError(
        "E209", "cannot read the \(kind.rawValue) table \(file): \(error.localizedDescription)",
        help: "check the file's permissions", path: file)
    }
    return try parse(csv: data, kind: kind, path: file)
  }

  /// Parses a table's CSV text; `path` names it in errors. Throws `E210` when it is malformed.
  ///
  /// The first non-blank line is the header; columns are found by name, so their order and any
  /// other columns do not matter. Fields are separated by commas and are not quoted; blank lines,
  /// `\r\n` line ends, a UTF-8 byte-order mark and spaces around fields are ignored.
  public static func parse(csv data: Data, kind: Kind, path: String) throws -> TabularBenchmark {
    try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> TabularBenchmark in
      var parser = CSVTableParser(bytes: raw, kind: kind, path: path)
      return try parser.run()
    }
  }

  fileprivate init(
    kind: Kind, path: String, keys: [String], rowOfKey: [String: Int], signals: [Double], reported: [Double]
  ) {
    self.kind = kind
    self.path = path
    self.signalColumn = kind.signalColumn
    self.reportedColumn = kind.reportedColumn
    self.keys = keys
    self.rowOfKey = rowOfKey
    self.signals = signals
    self.reportedValues = reported
    var best = 0
    var sum = 0.0
    for (i, value) in reported.enumerated() {
      sum += value
      if value > reported[best] { best = i }
    }
    if keys.isEmpty {
      self.maxReported = (key: "", value: -Double.infinity)
      self.meanReported = .nan
    } else {
      self.maxReported = (key: keys[best], value: reported[best])
      self.meanReported = sum / Double(reported.count)
    }
  }
}

// MARK: - Spec and file lookup

extension TabularBenchmark {
  /// The accepted spellings, for help texts.
  static let acceptedForms = "nb201, nb201:PATH, nas-bench-macro or nas-bench-macro:PATH"

  /// Splits `NAME[:PATH]`; throws `E208` for an unknown name or an empty path.
  static func parseSpec(_ spec: String) throws -> (Kind, String?) {
    let name: String
    let path: String?
    if let colon = spec.firstIndex(of: ":") {
      name = String(spec[..<colon])
      path = String(spec[spec.index(after: colon)...])
    } else {
      name = spec
      path = nil
    }
    guard let kind = Kind(rawValue: name) else {
      let hint = suggestion(for: name).map { "did you mean '\($0.rawValue)'? " } ?? ""
      throw RunError(
        "E208", "unknown benchmark '\(name)'",
        help: "\(hint)the benchmarks are \(Kind.allCases.map(\.rawValue).joined(separator: " and ")); "
          + "write \(acceptedForms)")
    }
    if let path, path.isEmpty {
      throw RunError(
        "E208", "the path after '\(name):' is empty",
        help: "write \(name) to use the default file, or \(name):PATH to name the CSV file")
    }
    return (kind, path)
  }

  /// The benchmark a mistyped name most likely meant, if any.
  static func suggestion(for name: String) -> Kind? {
    let plain = String(name.lowercased().filter { $0.isLetter || $0.isNumber })
    guard !plain.isEmpty else { return nil }
    if plain.contains("201") { return .nb201 }
    if plain.contains("macro") { return .nasBenchMacro }
    var best: (Kind, Int)?
    for kind in Kind.allCases {
      let target = String(kind.rawValue.filter { $0.isLetter || $0.isNumber })
      let d = editDistance(plain, target)
      if d <= max(2, target.count / 3), d < (best?.1 ?? .max) { best = (kind, d) }
    }
    return best?.0
  }

  /// Levenshtein distance between two strings (by characters).
  static func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a)
    let y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
      current[0] = i
      for j in 1...y.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[y.count]
  }

  /// The file to read; throws `E209` when there is none.
  static func locate(_ kind: Kind, explicitPath: String?, searchRoots: [String]) throws -> String {
    let fm = FileManager.default
    func isFile(_ p: String) -> Bool {
      var dir: ObjCBool = false
      return fm.fileExists(atPath: p, isDirectory: &dir) && !dir.boolValue
    }
    func isDirectory(_ p: String) -> Bool {
      var dir: ObjCBool = false
      return fm.fileExists(atPath: p, isDirectory: &dir) && dir.boolValue
    }
    let fileName = (kind.defaultFile as NSString).lastPathComponent
    if let explicitPath {
      if isFile(explicitPath) { return explicitPath }
      if isDirectory(explicitPath) {
        let candidates = [explicitPath + "/" + fileName, explicitPath + "/" + kind.defaultFile]
        if let found = candidates.first(where: isFile) { return found }
        throw RunError(
          "E209", "no \(fileName) in the directory \(explicitPath)",
          help: "looked for \(candidates.joined(separator: " and ")); write \(kind.rawValue):PATH with the CSV file",
          path: explicitPath)
      }
      throw RunError(
        "E209", "\(kind.rawValue) table not found: \(explicitPath)",
        help: "check the path, or write just \(kind.rawValue) to look for \(kind.defaultFile) under "
          + "\(searchRoots.isEmpty ? "the default data folders" : searchRoots.joined(separator: ", "))",
        path: explicitPath)
    }
    let candidates = searchRoots.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + kind.defaultFile }
    if let found = candidates.first(where: isFile) { return found }
    let looked = candidates.isEmpty ? "no data folders were given" : "looked for " + candidates.joined(separator: ", ")
    throw RunError(
      "E209", "the \(kind.rawValue) table was not found",
      help: "\(looked) (from \(fm.currentDirectoryPath)); set NASC_BENCHMARK_DATA to the folder holding "
        + "\(kind.defaultFile), or write \(kind.rawValue):PATH with the CSV file")
  }
}

// MARK: - CSV parsing

/// A one-pass parser of a benchmark CSV held in memory: splits on bytes, keeps the three columns it
/// needs and reports the 1-based line and the column of anything malformed as `E210`.
private struct CSVTableParser {
  let bytes: UnsafeRawBufferPointer
  let kind: TabularBenchmark.Kind
  let path: String

  private static let comma = UInt8(ascii: ",")
  private static let newline = UInt8(ascii: "\n")
  private static let cr = UInt8(ascii: "\r")
  private static let space = UInt8(ascii: " ")
  private static let tab = UInt8(ascii: "\t")

  init(bytes: UnsafeRawBufferPointer, kind: TabularBenchmark.Kind, path: String) {
    self.bytes = bytes
    self.kind = kind
    self.path = path
  }

  func fail(line: Int, column: String, _ why: String, help: String) -> RunError {
    RunError("E210", "line \(line), column '\(column)': \(why)", help: help, path: path)
  }

  /// The range with spaces and tabs trimmed from both ends.
  func trimmed(_ start: Int, _ end: Int) -> Range<Int> {
    var s = start
    var e = end
    while s < e, bytes[s] == Self.space || bytes[s] == Self.tab { s += 1 }
    while e > s, bytes[e - 1] == Self.space || bytes[e - 1] == Self.tab { e -= 1 }
    return s..<e
  }

  func text(_ r: Range<Int>) -> String {
    String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
  }

  /// Splits a header line into trimmed column names.
  func headerNames(_ start: Int, _ end: Int) -> [String] {
    var names: [String] = []
    var fieldStart = start
    var i = start
    while i <= end {
      if i == end || bytes[i] == Self.comma {
        names.append(text(trimmed(fieldStart, i)))
        fieldStart = i + 1
      }
      i += 1
    }
    return names
  }

  mutating func run() throws -> TabularBenchmark {
    let n = bytes.count
    var pos = 0
    if n >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
    var line = 0
    var header: [String]?
    var keyIndex = 0
    var signalIndex = 0
    var reportedIndex = 0
    var keys: [String] = []
    var signals: [Double] = []
    var reported: [Double] = []
    var lineOfRow: [Int] = []
    var rowOfKey: [String: Int] = [:]
    let expectedRows = kind == .nb201 ? 15_625 : 6_561
    keys.reserveCapacity(expectedRows)
    signals.reserveCapacity(expectedRows)
    reported.reserveCapacity(expectedRows)
    rowOfKey.reserveCapacity(expectedRows)
    // Where each needed field lies in the current row.
    var keyRange = 0..<0
    var signalRange = 0..<0
    var reportedRange = 0..<0

    while pos < n {
      line += 1
      var end = pos
      while end < n, bytes[end] != Self.newline { end += 1 }
      let next = end + 1
      if end > pos, bytes[end - 1] == Self.cr { end -= 1 }
      defer { pos = next }
      if trimmed(pos, end).isEmpty { continue }

      guard let columns = header else {
        let names = headerNames(pos, end)
        func column(_ name: String) throws -> Int {
          guard let i = names.firstIndex(of: name) else {
            let found = names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", …" : "")
            throw fail(
              line: line, column: name, "the header has no column '\(name)'",
              help: "a \(kind.rawValue) table needs the columns \(kind.keyColumn), \(kind.signalColumn) and "
                + "\(kind.reportedColumn); this header has: \(found)")
          }
          return i
        }
        keyIndex = try column(kind.keyColumn)
        signalIndex = try column(kind.signalColumn)
        reportedIndex = try column(kind.reportedColumn)
        header = names
        continue
      }

      // Split the row, remembering only the fields needed.
      var field = 0
      var fieldStart = pos
      var i = pos
      while true {
        if i == end || bytes[i] == Self.comma {
          if field == keyIndex { keyRange = fieldStart..<i }
          if field == signalIndex { signalRange = fieldStart..<i }
          if field == reportedIndex { reportedRange = fieldStart..<i }
          field += 1
          fieldStart = i + 1
          if i == end { break }
        }
        i += 1
      }
      guard field == columns.count else {
        let help =
          "every row needs as many comma-separated fields as the header (\(columns.count)); fields cannot hold commas"
        if field < columns.count {
          throw fail(
            line: line, column: columns[field],
            "the row has \(field) fields, the header \(columns.count): '\(columns[field])' and later columns "
              + "are missing",
            help: help)
        }
        throw fail(
          line: line, column: columns[columns.count - 1],
          "the row has \(field) fields, more than the header's \(columns.count) (the last column is "
            + "'\(columns[columns.count - 1])')", help: help)
      }

      let key = text(trimmed(keyRange.lowerBound, keyRange.upperBound))
      try checkKey(key, line: line)
      let signal = try number(signalRange, column: kind.signalColumn, line: line)
      let value =
        signalIndex == reportedIndex ? signal : try number(reportedRange, column: kind.reportedColumn, line: line)
      if let first = rowOfKey[key] {
        throw fail(
          line: line, column: kind.keyColumn, "duplicate architecture '\(key)' (first on line \(lineOfRow[first]))",
          help: "each architecture may appear only once in the table")
      }
      rowOfKey[key] = keys.count
      keys.append(key)
      signals.append(signal)
      reported.append(value)
      lineOfRow.append(line)
    }

    guard header != nil else {
      throw fail(
        line: 1, column: kind.keyColumn, "the file is empty",
        help: "a \(kind.rawValue) table starts with a header line naming the columns \(kind.keyColumn), "
          + "\(kind.signalColumn) and \(kind.reportedColumn), then one line per architecture")
    }
    guard !keys.isEmpty else {
      throw fail(
        line: max(line, 1) + 1, column: kind.keyColumn, "the table has a header but no rows",
        help: "the file seems truncated; the \(kind.rawValue) table has one line per architecture after the header")
    }
    return TabularBenchmark(
      kind: kind, path: path, keys: keys, rowOfKey: rowOfKey, signals: signals, reported: reported)
  }

  /// Checks a key's form: non-empty; for NAS-Bench-Macro eight characters of `0`, `1` and `2`.
  func checkKey(_ key: String, line: Int) throws {
    guard !key.isEmpty else {
      throw fail(
        line: line, column: kind.keyColumn, "empty architecture key", help: "every row needs an architecture key")
    }
    guard kind == .nasBenchMacro else { return }
    let utf8 = key.utf8
    let valid = utf8.count == 8 && utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "2") }
    guard !valid else { return }
    let digitsOnly = utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    throw fail(
      line: line, column: kind.keyColumn, "'\(key)' is not an 8-character code of 0, 1 and 2",
      help: digitsOnly && utf8.count < 8
        ? "leading zeros seem lost (a spreadsheet may have read the codes as numbers); codes look like 02012100"
        : "NAS-Bench-Macro codes have one digit per layer: 0 identity, 1 MobileNetV2 k3 e3, 2 MobileNetV2 k5 e6")
  }

  /// A field as a finite number.
  func number(_ range: Range<Int>, column: String, line: Int) throws -> Double {
    let r = trimmed(range.lowerBound, range.upperBound)
    let help = "the \(column) column must hold plain decimal numbers such as 82.834"
    guard !r.isEmpty else { throw fail(line: line, column: column, "the value is empty", help: help) }
    // Only digits, signs, a point and an exponent: rejects nan, inf and hexadecimal forms.
    for b in UnsafeRawBufferPointer(rebasing: bytes[r]) {
      switch b {
      case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
        UInt8(ascii: "e"), UInt8(ascii: "E"):
        continue
      default:
        throw fail(line: line, column: column, "'\(text(r))' is not a number", help: help)
      }
    }
    guard let value = Double(text(r)), value.isFinite else {
      throw fail(line: line, column: column, "'\(text(r))' is not a number", help: help)
    }
    return value
  }
}
