import Foundation
import NASCSpace

/// A latency lookup table: per block (keyed by `PrimGraph.latencyKey`), its measured forward time
/// under recorded conditions, plus its parameters and MACs. The file format is documented in
/// LUT.md, so that tables measured elsewhere can be brought in.
public struct LatencyTable: Codable, Sendable, Equatable {
  /// Where and how the table was measured.
  public struct Conditions: Codable, Sendable, Equatable {
    /// Engine threads.
    public var threads: Int
    /// Images per forward pass.
    public var batch: Int
    /// The processor (`model name` of /proc/cpuinfo, or `unknown`).
    public var cpu: String
    /// The nasc version that measured it.
    public var nascVersion: String
    /// When (ISO 8601, UTC).
    public var date: String
    /// `release` or `debug`: how the nasc that measured was built (nil in tables from elsewhere).
    public var build: String?

    /// Conditions as given.
    public init(threads: Int, batch: Int, cpu: String, nascVersion: String, date: String, build: String? = nil) {
      (self.threads, self.batch, self.cpu, self.nascVersion, self.date) = (threads, batch, cpu, nascVersion, date)
      self.build = build
    }

    enum CodingKeys: String, CodingKey {
      case threads, batch, cpu, date, build
      case nascVersion = "nasc_version"
    }

    /// What differs from `other` in what the timings depend on (threads, batch, processor).
    public func differences(from other: Conditions) -> [String] {
      var d = [String]()
      if threads != other.threads { d.append("threads \(threads) vs \(other.threads)") }
      if batch != other.batch { d.append("batch \(batch) vs \(other.batch)") }
      if cpu != other.cpu { d.append("cpu '\(cpu)' vs '\(other.cpu)'") }
      if let a = build, let b = other.build, a != b { d.append("a \(a) build of nasc vs a \(b) build") }
      return d
    }
  }

  /// One timed block.
  public struct Entry: Codable, Sendable, Equatable {
    /// The block's key.
    public var key: String
    /// A readable name where it was first measured (informational).
    public var name: String
    /// Median forward time of one batch, in milliseconds.
    public var ms: Double
    /// Fastest and slowest measured run, in milliseconds (the spread).
    public var minMs: Double
    /// Slowest measured run, in milliseconds.
    public var maxMs: Double
    /// Timed runs.
    public var runs: Int
    /// Parameters of the block (every batch norm affine, as a stand-alone network counts them).
    public var params: Int
    /// Multiply-accumulates per image.
    public var macs: Int

    enum CodingKeys: String, CodingKey {
      case key, name, ms, runs, params, macs
      case minMs = "min_ms"
      case maxMs = "max_ms"
    }
  }

  /// The layout version of the file.
  public static let format = 1
  /// `format` as read.
  public var format: Int
  /// Measurement conditions.
  public var conditions: Conditions
  /// The blocks, sorted by key.
  public var entries: [Entry]

  /// A table.
  public init(conditions: Conditions, entries: [Entry]) {
    format = Self.format
    self.conditions = conditions
    self.entries = entries.sorted { $0.key < $1.key }
  }

  /// The entry of `key`, if measured.
  public func entry(_ key: String) -> Entry? {
    // Sorted by key: binary search.
    var lo = 0, hi = entries.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if entries[mid].key < key { lo = mid + 1 } else { hi = mid }
    }
    return lo < entries.count && entries[lo].key == key ? entries[lo] : nil
  }

  /// The table as JSON (keys sorted, one stable layout).
  public func encoded() throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .prettyPrinted]
    return try e.encode(self)
  }

  /// The table a search reads from `path` (nil when empty): `E320` when it was measured under other
  /// conditions than this machine's (processor, build kind, threads) unless `anyConditions`.
  public static func forSearch(_ path: String, anyConditions: Bool) throws -> LatencyTable? {
    guard !path.isEmpty else { return nil }
    let table = try read(from: path)
    guard !anyConditions else { return table }
    let here = LatencyMeter.conditions(threads: table.conditions.threads, batch: table.conditions.batch)
    let differ = table.conditions.differences(from: here)
    if !differ.isEmpty {
      throw RunError(
        "E320",
        "the latency table was measured under other conditions than this machine's: \(differ.joined(separator: ", "))",
        help:
          "measure a table here (nasc latency SPACE --out FILE), or search against it anyway with --set latency_conditions=any",
        path: path)
    }
    return table
  }

  /// Reads a table; `E318` when the file cannot be read or is not a table of this layout.
  public static func read(from path: String) throws -> LatencyTable {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw RunError(
        "E318", "cannot read the latency table \(path)", help: "measure one with: nasc latency SPACE --out \(path)",
        path: path)
    }
    let t: LatencyTable
    do { t = try JSONDecoder().decode(LatencyTable.self, from: data) } catch {
      throw RunError(
        "E318", "\(path) is not a latency table: \(Self.describe(error))",
        help: "LUT.md describes the format; nasc latency SPACE --out FILE writes one", path: path)
    }
    guard t.format == Self.format else {
      throw RunError(
        "E318", "the latency table has layout \(t.format); this nasc reads layout \(Self.format)",
        help: "measure it again with this nasc: nasc latency SPACE --out \(path)", path: path)
    }
    guard t.conditions.batch >= 1, t.conditions.threads >= 1 else {
      throw RunError(
        "E318", "the latency table's conditions give batch \(t.conditions.batch) and threads \(t.conditions.threads)",
        help: "both must be at least 1; measure one with nasc latency SPACE --out \(path)", path: path)
    }
    for e in t.entries where !(e.ms.isFinite && e.ms >= 0) {
      throw RunError(
        "E318", "the latency table gives '\(e.name)' a time of \(e.ms) ms", help: "times are milliseconds ≥ 0",
        path: path)
    }
    return LatencyTable(conditions: t.conditions, entries: t.entries)
  }

  static func describe(_ error: any Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let k, _): return "no '\(k.stringValue)'"
    case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
      return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
    case DecodingError.dataCorrupted: return "not valid JSON"
    default: return "\(error)"
    }
  }

  /// The time of `graph` (with its shortcut when `residual`) named `name`: 0 for the zero op, else
  /// its entry's median; `E319` naming the block when the table (read from `path`) lacks it.
  public func ms(of graph: PrimGraph, residual: Bool, name: String, path: String) throws -> Double {
    if graph.isZero { return 0 }
    let key = graph.latencyKey(residual: residual)
    guard let e = entry(key) else {
      throw RunError(
        "E319", "the latency table has no entry for \(name) (\(key))",
        help: "measure the space it comes from: nasc latency SPACE --out \(path)", path: path)
    }
    return e.ms
  }

  /// The predicted forward time of `blocks` (a decided network's): the sum of their entries; `E319`
  /// naming the first block the table lacks.
  public func predict(_ blocks: [LatencyBlock], path: String) throws -> Double {
    try blocks.reduce(0) { $0 + (try ms(of: $1.graph, residual: $1.residual, name: $1.name, path: path)) }
  }
}
