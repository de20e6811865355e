import Foundation
import NASCSpace

/// One value a method reports: a number, a flag, a word, a list of numbers, or a map of values.
public indirect enum MetricValue: Codable, Equatable, Sendable {
  /// A number.
  case number(Double)
  /// An integer.
  case int(Int)
  /// A flag.
  case bool(Bool)
  /// A word.
  case text(String)
  /// Numbers.
  case numbers([Double])
  /// Named values.
  case map([String: MetricValue])
  /// Absent.
  case null

  /// Encodes as the plain JSON value.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .number(let d): try c.encode(d)
    case .int(let i): try c.encode(i)
    case .bool(let b): try c.encode(b)
    case .text(let s): try c.encode(s)
    case .numbers(let a): try c.encode(a)
    case .map(let m): try c.encode(m)
    case .null: try c.encodeNil()
    }
  }

  /// Decodes a plain JSON value.
  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? c.decode(Int.self) {
      self = .int(i)
    } else if let d = try? c.decode(Double.self) {
      self = .number(d)
    } else if let s = try? c.decode(String.self) {
      self = .text(s)
    } else if let a = try? c.decode([Double].self) {
      self = .numbers(a)
    } else {
      self = .map(try c.decode([String: MetricValue].self))
    }
  }

  /// The value as a number, if it is one.
  public var number: Double? {
    switch self {
    case .number(let d): return d
    case .int(let i): return Double(i)
    default: return nil
    }
  }
}

/// What one unit of a method's loop reports: one line of `metrics.jsonl`, keys chosen by the
/// method (`train_loss`, `alpha`, `best_signal`...). `seconds` is the only key the loop adds.
public typealias Metrics = [String: MetricValue]

/// Writes metric lines as JSON with sorted keys.
public enum MetricsFile {
  /// Every line, rewritten whole and atomically (so a resumed run's file equals an uninterrupted
  /// one's but for timings), and the same values as TensorBoard events in `tb/` beside it
  /// (`MetricsBoard`).
  public static func write<Line: Encodable>(_ history: [Line], to path: String) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    var text = ""
    var lines = [Metrics]()
    for m in history {
      let json = try enc.finiteJSON(m, of: "a metric")
      text += String(decoding: json, as: UTF8.self) + "\n"
      lines.append((try? JSONDecoder().decode(Metrics.self, from: json)) ?? [:])
    }
    try AtomicFile.write(text, to: path)
    try MetricsBoard.write(lines, besides: path)
  }
}

extension JSONEncoder {
  /// The JSON of `value`; `E401` when it holds a number that is NaN or infinite (JSON has none), with
  /// the path of the value (`what` names it for the message).
  func finiteJSON<T: Encodable>(_ value: T, of what: String) throws -> Data {
    do { return try encode(value) } catch EncodingError.invalidValue(let v, let context) {
      let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
      throw RunError(
        "E401", "\(what) became \(v)\(path.isEmpty ? "" : " (\(path))")",
        help:
          "the run diverged: lower the learning rates (--set w_lr=... or --set arch_lr=...); the last checkpoint is kept"
      )
    }
  }
}
