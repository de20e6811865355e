/// A small JSON value with deterministic output (object keys keep insertion order).
/// Used for `--json`, the schema and the machine-readable diagnostic formats.
public indirect enum JSONValue: Sendable, Equatable {
  /// `null`.
  case null
  /// `true` / `false`.
  case bool(Bool)
  /// An integer, written without exponent.
  case int(Int)
  /// A floating-point number.
  case double(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object; keys keep the given order.
  case object([(String, JSONValue)])

  /// Equality compares object pairs in order.
  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.int(x), .int(y)): return x == y
    case let (.double(x), .double(y)): return x == y
    case let (.string(x), .string(y)): return x == y
    case let (.array(x), .array(y)): return x == y
    case let (.object(x), .object(y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// Serialises; `indent` > 0 pretty-prints with that many spaces per level.
  public func serialized(indent: Int = 2) -> String {
    var out = ""
    write(into: &out, indent: indent, level: 0)
    return out
  }

  private func write(into out: inout String, indent: Int, level: Int) {
    let nl = indent > 0 ? "\n" : ""
    let pad = String(repeating: " ", count: indent * (level + 1))
    let endPad = String(repeating: " ", count: indent * level)
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d):
      if d.isFinite {
        if d == d.rounded(), abs(d) < 1e15 { out += String(Int(d)) + ".0" } else { out += "\(d)" }
      } else {
        out += "null"
      }
    case .string(let s): out += Self.quote(s)
    case .array(let a):
      if a.isEmpty { out += "[]"; return }
      out += "[" + nl
      for (i, v) in a.enumerated() {
        out += pad
        v.write(into: &out, indent: indent, level: level + 1)
        if i + 1 < a.count { out += "," }
        out += nl
      }
      out += endPad + "]"
    case .object(let o):
      if o.isEmpty { out += "{}"; return }
      out += "{" + nl
      for (i, (k, v)) in o.enumerated() {
        out += pad + Self.quote(k) + (indent > 0 ? ": " : ":")
        v.write(into: &out, indent: indent, level: level + 1)
        if i + 1 < o.count { out += "," }
        out += nl
      }
      out += endPad + "}"
    }
  }

  /// JSON string literal with the required escapes.
  public static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          let h = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}
