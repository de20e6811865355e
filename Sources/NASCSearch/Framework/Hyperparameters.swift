import NASCSpace

/// Typed reads of a method's resolved hyperparameters. `MethodCatalog` is their one home (paper
/// defaults); the compiler has already checked names and types, so a missing key is a mismatch
/// between a method file and the catalog, reported as `E310`.
public struct Hyperparameters: Sendable {
  /// The resolved config.
  public let config: MethodConfig

  /// Wraps a config.
  public init(_ config: MethodConfig) { self.config = config }

  private func value(_ key: String) throws -> HyperValue {
    guard let v = config[key] else {
      throw RunError(
        "E310", "method '\(config.name)' has no hyperparameter '\(key)' in the catalog",
        help: "this is a bug in nasc: the method file and MethodCatalog disagree")
    }
    return v
  }

  /// A real number (integers are accepted).
  public func double(_ key: String) throws -> Double {
    switch try value(key) {
    case .int(let i): return Double(i)
    case .real(let r): return r
    case let v: throw mismatch(key, v, "a number")
    }
  }

  /// An integer.
  public func int(_ key: String) throws -> Int {
    switch try value(key) {
    case .int(let i): return i
    case .real(let r) where r == r.rounded() && abs(r) < 1e15: return Int(r)
    case let v: throw mismatch(key, v, "an integer")
    }
  }

  /// A word.
  public func string(_ key: String) throws -> String {
    if case .string(let s) = try value(key) { return s }
    throw mismatch(key, try value(key), "a word")
  }

  /// A flag.
  public func bool(_ key: String) throws -> Bool {
    if case .bool(let b) = try value(key) { return b }
    throw mismatch(key, try value(key), "true or false")
  }

  /// A list of numbers with exactly `count` entries when given.
  public func list(_ key: String, count: Int? = nil) throws -> [Double] {
    let v = try value(key)
    guard case .list(let l) = v, count == nil || l.count == count else {
      throw mismatch(key, v, count.map { "a list of \($0) numbers" } ?? "a list of numbers")
    }
    return l
  }

  /// A list of whole numbers in `range`, with exactly `count` entries when given (stage counts,
  /// layer depths).
  public func counts(_ key: String, in range: ClosedRange<Int>, count: Int? = nil) throws -> [Int] {
    let l = try list(key, count: count)
    guard l.allSatisfy({ $0 == $0.rounded() && Double(range.lowerBound) <= $0 && $0 <= Double(range.upperBound) })
    else {
      throw mismatch(key, .list(l), "a list of whole numbers in \(range.lowerBound)...\(range.upperBound)")
    }
    return l.map { Int($0) }
  }

  /// Whether the space or the command line set `key` (rather than the paper default).
  public func isOverridden(_ key: String) -> Bool {
    config.hyperparameters.first { $0.name == key }?.overridden ?? false
  }

  private func mismatch(_ key: String, _ v: HyperValue, _ want: String) -> RunError {
    RunError(
      "E310", "hyperparameter '\(key)' of \(config.name) is \(v) but must be \(want)",
      help: "set \(key) in the space's search: block or with --set \(key)=VALUE")
  }
}

extension MethodConfig {
  /// Sets `key` to `value` when the method has that hyperparameter (benchmarks and tests).
  public mutating func set(_ key: String, _ value: HyperValue) {
    guard let i = hyperparameters.firstIndex(where: { $0.name == key }) else { return }
    hyperparameters[i] = (key, value, true)
  }
}
