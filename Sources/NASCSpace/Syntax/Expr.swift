/// A value of the DSL's small expression language.
public enum ExprValue: Sendable, Equatable, CustomStringConvertible {
  /// An integer.
  case int(Int)
  /// A real number.
  case real(Double)
  /// A boolean.
  case bool(Bool)

  /// The value as a number, or nil for booleans.
  public var number: Double? {
    switch self {
    case .int(let i): return Double(i)
    case .real(let d): return d
    case .bool: return nil
    }
  }

  /// Prints as written in the DSL.
  public var description: String {
    switch self {
    case .int(let i): return String(i)
    case .real(let d): return String(d)
    case .bool(let b): return b ? "true" : "false"
    }
  }
}

/// An expression of the DSL: integers, reals, booleans, variables, `+ - * / // %`, comparisons,
/// `and or not`, parentheses and the functions `min`, `max`, `floor` (the integer at or below: a
/// width multiplier's truncation, Python's `int()` of a positive number), `round8` (round to a
/// multiple of 8, MobileNet's `make_divisible`). Channel counts, strides, `when:` conditions and positions use it.
public indirect enum Expr: Sendable, CustomStringConvertible {
  /// A literal.
  case literal(ExprValue)
  /// A variable such as `C`, `C_in`, `stride`, `k`.
  case variable(String)
  /// A unary operator (`-`, `not`).
  case unary(String, Expr)
  /// A binary operator.
  case binary(String, Expr, Expr)
  /// A function call.
  case call(String, [Expr])

  /// Source-like text.
  public var description: String {
    switch self {
    case .literal(let v): return v.description
    case .variable(let n): return n
    case .unary(let op, let e): return op == "not" ? "not \(e)" : "\(op)\(e)"
    case .binary(let op, let a, let b): return "(\(a) \(op) \(b))"
    case .call(let f, let args): return "\(f)(\(args.map(\.description).joined(separator: ", ")))"
    }
  }

  /// The variables the expression reads.
  public var variables: Set<String> {
    switch self {
    case .literal: return []
    case .variable(let n): return [n]
    case .unary(_, let e): return e.variables
    case .binary(_, let a, let b): return a.variables.union(b.variables)
    case .call(_, let args): return args.reduce(into: Set<String>()) { $0.formUnion($1.variables) }
    }
  }

  /// An evaluation or parse error.
  public struct Failure: Error, Sendable {
    /// Which diagnostic to report.
    public var code: DiagnosticCode
    /// What went wrong.
    public var message: String
    /// A hint.
    public var help: String?
  }

  /// Parses `text`.
  public static func parse(_ text: String) throws(Failure) -> Expr {
    if text.unicodeScalars.count > 500 {
      throw Failure(code: .expressionSyntax, message: "expression longer than 500 characters")
    }
    var p = ExprParser(Array(text.unicodeScalars))
    let e = try p.parseOr()
    p.skipSpace()
    if p.i < p.s.count {
      throw Failure(code: .expressionSyntax, message: "unexpected '\(String(p.s[p.i]))' in expression '\(text)'")
    }
    return e
  }

  /// Evaluates with the given variables.
  public func evaluate(_ env: [String: ExprValue]) throws(Failure) -> ExprValue {
    switch self {
    case .literal(let v): return v
    case .variable(let n):
      guard let v = env[n] else {
        let names = env.keys.sorted()
        throw Failure(
          code: .unknownVariable, message: "unknown variable '\(n)'",
          help: DidYouMean.suggest(n, in: names).map { "did you mean '\($0)'?" }
            ?? "variables here: \(names.joined(separator: ", "))")
      }
      return v
    case .unary(let op, let e):
      let v = try e.evaluate(env)
      if op == "not" {
        guard case .bool(let b) = v else { throw Failure(code: .badValue, message: "'not' needs a boolean, got \(v)") }
        return .bool(!b)
      }
      switch v {
      case .int(let i): return .int(0 &- i)
      case .real(let d): return .real(-d)
      case .bool: throw Failure(code: .badValue, message: "'-' needs a number")
      }
    case .call(let f, let args):
      let vs = try args.map { (a: Expr) throws(Failure) -> ExprValue in try a.evaluate(env) }
      let nums = vs.compactMap(\.number)
      guard nums.count == vs.count, !nums.isEmpty else {
        throw Failure(code: .badValue, message: "\(f)() needs numbers")
      }
      switch f {
      case "min": return Self.normalise(nums.min()!)
      case "max": return Self.normalise(nums.max()!)
      case "floor":
        let v = nums[0]
        guard v.isFinite, abs(v) < 9e15 else {
          throw Failure(code: .outOfRange, message: "floor() of \(v) is out of range")
        }
        return .int(Int(v.rounded(.down)))
      case "round8":
        let v = nums[0]
        guard v.isFinite, abs(v) < 1e15 else {
          throw Failure(code: .outOfRange, message: "round8() of \(v) is out of range")
        }
        var r = max(8, Int(v + 4) / 8 * 8)
        if Double(r) < 0.9 * v { r += 8 }
        return .int(r)
      default:
        throw Failure(
          code: .expressionSyntax, message: "unknown function '\(f)'", help: "functions: min, max, floor, round8")
      }
    case .binary(let op, let a, let b):
      if op == "and" || op == "or" {
        guard case .bool(let x) = try a.evaluate(env) else {
          throw Failure(code: .badValue, message: "'\(op)' needs booleans")
        }
        if op == "and", !x { return .bool(false) }
        if op == "or", x { return .bool(true) }
        guard case .bool(let y) = try b.evaluate(env) else {
          throw Failure(code: .badValue, message: "'\(op)' needs booleans")
        }
        return .bool(y)
      }
      let x = try a.evaluate(env)
      let y = try b.evaluate(env)
      if op == "==" || op == "!=" {
        let eq: Bool
        if let p = x.number, let q = y.number { eq = p == q } else { eq = x == y }
        return .bool(op == "==" ? eq : !eq)
      }
      guard let p = x.number, let q = y.number else { throw Failure(code: .badValue, message: "'\(op)' needs numbers") }
      switch op {
      case "<": return .bool(p < q)
      case ">": return .bool(p > q)
      case "<=": return .bool(p <= q)
      case ">=": return .bool(p >= q)
      default: break
      }
      if case .int(let i) = x, case .int(let j) = y {
        switch op {
        case "+": return .int(i &+ j)
        case "-": return .int(i &- j)
        case "*":
          let (r, o) = i.multipliedReportingOverflow(by: j)
          if o { throw Failure(code: .outOfRange, message: "integer overflow in \(self)") }
          return .int(r)
        case "/":
          if j == 0 { throw Failure(code: .badValue, message: "division by zero in \(self)") }
          if j == -1 { return .int(0 &- i) }
          return i % j == 0 ? .int(i / j) : .real(Double(i) / Double(j))
        case "//":
          if j == 0 { throw Failure(code: .badValue, message: "division by zero in \(self)") }
          if j == -1 { return .int(0 &- i) }
          let q = i / j
          return .int((i % j != 0) && ((i < 0) != (j < 0)) ? q - 1 : q)
        case "%":
          if j == 0 { throw Failure(code: .badValue, message: "division by zero in \(self)") }
          if j == -1 { return .int(0) }
          return .int(i % j)
        default: break
        }
      }
      switch op {
      case "+": return Self.normalise(p + q)
      case "-": return Self.normalise(p - q)
      case "*": return Self.normalise(p * q)
      case "/", "//", "%":
        if q == 0 { throw Failure(code: .badValue, message: "division by zero in \(self)") }
        if op == "/" { return Self.normalise(p / q) }
        if op == "//" { return Self.normalise((p / q).rounded(.down)) }
        return .real(p.truncatingRemainder(dividingBy: q))
      default: throw Failure(code: .expressionSyntax, message: "unknown operator '\(op)'")
      }
    }
  }

  /// Integral reals become integers (so `0.5 * 16` is the integer 8).
  static func normalise(_ d: Double) -> ExprValue {
    if d.isFinite, d == d.rounded(), abs(d) < 9e15 { return .int(Int(d)) }
    return .real(d)
  }
}

struct ExprParser {
  let s: [Unicode.Scalar]
  var i = 0

  init(_ s: [Unicode.Scalar]) { self.s = s }

  mutating func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 } }

  mutating func peekWord() -> String? {
    skipSpace()
    var j = i
    var w = ""
    while j < s.count, s[j].properties.isAlphabetic || s[j] == "_" || (j > i && s[j].properties.numericType != nil) {
      w.unicodeScalars.append(s[j])
      j += 1
    }
    return w.isEmpty ? nil : w
  }

  mutating func eat(_ tok: String) -> Bool {
    skipSpace()
    let t = Array(tok.unicodeScalars)
    guard i + t.count <= s.count, Array(s[i..<(i + t.count)]) == t else { return false }
    if t.last!.properties.isAlphabetic, i + t.count < s.count,
      s[i + t.count].properties.isAlphabetic || s[i + t.count] == "_"
    {
      return false
    }
    i += t.count
    return true
  }

  var text: String { String(String.UnicodeScalarView(s)) }

  mutating func parseOr() throws(Expr.Failure) -> Expr {
    var e = try parseAnd()
    while eat("or") { e = .binary("or", e, try parseAnd()) }
    return e
  }

  mutating func parseAnd() throws(Expr.Failure) -> Expr {
    var e = try parseNot()
    while eat("and") { e = .binary("and", e, try parseNot()) }
    return e
  }

  mutating func parseNot() throws(Expr.Failure) -> Expr {
    if eat("not") { return .unary("not", try parseNot()) }
    return try parseCmp()
  }

  mutating func parseCmp() throws(Expr.Failure) -> Expr {
    let e = try parseSum()
    for op in ["==", "!=", "<=", ">=", "<", ">"] where eat(op) {
      return .binary(op, e, try parseSum())
    }
    return e
  }

  mutating func parseSum() throws(Expr.Failure) -> Expr {
    var e = try parseTerm()
    while true {
      if eat("+") {
        e = .binary("+", e, try parseTerm())
      } else if eat("-") {
        e = .binary("-", e, try parseTerm())
      } else {
        return e
      }
    }
  }

  mutating func parseTerm() throws(Expr.Failure) -> Expr {
    var e = try parseUnary()
    while true {
      if eat("*") {
        e = .binary("*", e, try parseUnary())
      } else if eat("//") {
        e = .binary("//", e, try parseUnary())
      } else if eat("/") {
        e = .binary("/", e, try parseUnary())
      } else if eat("%") {
        e = .binary("%", e, try parseUnary())
      } else {
        return e
      }
    }
  }

  mutating func parseUnary() throws(Expr.Failure) -> Expr {
    if eat("-") { return .unary("-", try parseUnary()) }
    return try parseAtom()
  }

  mutating func parseAtom() throws(Expr.Failure) -> Expr {
    skipSpace()
    guard i < s.count else {
      throw Expr.Failure(code: .expressionSyntax, message: "expression '\(text)' ends too early")
    }
    if eat("(") {
      let e = try parseOr()
      guard eat(")") else { throw Expr.Failure(code: .expressionSyntax, message: "missing ')' in '\(text)'") }
      return e
    }
    if s[i].properties.numericType != nil || s[i] == "." {
      var w = ""
      while i < s.count,
        s[i].properties.numericType != nil || s[i] == "." || s[i] == "_" || s[i] == "e"
          || (w.last == "e" && (s[i] == "-" || s[i] == "+"))
      {
        if s[i] != "_" { w.unicodeScalars.append(s[i]) }
        i += 1
      }
      if let v = Int(w) { return .literal(.int(v)) }
      if let d = Double(w) { return .literal(.real(d)) }
      throw Expr.Failure(code: .expressionSyntax, message: "bad number '\(w)' in '\(text)'")
    }
    if let w = peekWord() {
      i += w.unicodeScalars.count
      if w == "true" { return .literal(.bool(true)) }
      if w == "false" { return .literal(.bool(false)) }
      if eat("(") {
        var args: [Expr] = []
        if !eat(")") {
          repeat { args.append(try parseOr()) } while eat(",")
          guard eat(")") else { throw Expr.Failure(code: .expressionSyntax, message: "missing ')' in '\(text)'") }
        }
        return .call(w, args)
      }
      return .variable(w)
    }
    throw Expr.Failure(code: .expressionSyntax, message: "unexpected '\(String(s[i]))' in expression '\(text)'")
  }
}
