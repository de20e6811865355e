/// A DARTS genotype: `Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5],
/// reduce=[...], reduce_concat=[...])`. Entries 2i and 2i+1 feed intermediate node i (node 2 + i
/// in cell numbering; 0 and 1 are the cell inputs).
public struct DartsGenotype: Sendable, Equatable {
  /// (op, input) pairs of the normal cell.
  public var normal: [Pair]
  /// Nodes concatenated into the normal cell's output.
  public var normalConcat: [Int]
  /// (op, input) pairs of the reduction cell.
  public var reduce: [Pair]
  /// Nodes concatenated into the reduction cell's output.
  public var reduceConcat: [Int]
  /// A recurrent genotype (DARTS RNN: `Genotype(recurrent=[('sigmoid', 0), ...], concat=range(1, 9))`):
  /// entry i feeds node i + 1; `normal` and `reduce` are then empty.
  public var recurrent: [Pair]? = nil
  /// The nodes averaged into a recurrent cell's output.
  public var concat: [Int]? = nil

  /// One (op, input) entry.
  public struct Pair: Sendable, Equatable {
    /// Op name.
    public var op: String
    /// Input node index.
    public var input: Int

    /// Creates a pair.
    public init(_ op: String, _ input: Int) {
      self.op = op
      self.input = input
    }
  }

  /// Creates a genotype.
  public init(normal: [Pair], normalConcat: [Int], reduce: [Pair], reduceConcat: [Int]) {
    self.normal = normal
    self.normalConcat = normalConcat
    self.reduce = reduce
    self.reduceConcat = reduceConcat
  }

  /// A parse error with the 1-based character column where it happened.
  public struct ParseError: Error, Sendable {
    /// What went wrong.
    public var message: String
    /// 1-based column in the string.
    public var column: Int
  }

  /// The longest genotype string read (published ones are under 600 characters; a cell of 50 nodes
  /// with long op names stays under 8,000).
  public static let maxLength = 65_536

  /// Parses the Python repr (also accepts `range(2, 6)` for the concat lists).
  public static func parse(_ text: String) throws(ParseError) -> DartsGenotype {
    guard text.utf8.count <= maxLength else {
      throw ParseError(
        message: "a genotype string of \(text.utf8.count) bytes is longer than the \(maxLength) any cell needs",
        column: 1)
    }
    var lx = GenotypeLexer(Array(text.unicodeScalars))
    try lx.expectWord("Genotype")
    try lx.expect("(")
    var normal: [Pair]? = nil, reduce: [Pair]? = nil, recurrent: [Pair]? = nil
    var nc: [Int]? = nil, rc: [Int]? = nil, cc: [Int]? = nil
    while true {
      lx.skip()
      if lx.peek() == ")" { lx.i += 1; break }
      let name = lx.word()
      try lx.expect("=")
      switch name {
      case "normal": normal = try lx.pairs()
      case "reduce": reduce = try lx.pairs()
      case "normal_concat": nc = try lx.ints()
      case "reduce_concat": rc = try lx.ints()
      case "recurrent": recurrent = try lx.pairs()
      case "concat": cc = try lx.ints()
      default: throw ParseError(message: "unknown genotype field '\(name)'", column: lx.i + 1)
      }
      lx.skip()
      if lx.peek() == "," { lx.i += 1; continue }
      try lx.expect(")")
      break
    }
    lx.skip()
    if lx.i < lx.s.count { throw ParseError(message: "unexpected text after the genotype", column: lx.i + 1) }
    if let recurrent {
      var g = DartsGenotype(normal: [], normalConcat: [], reduce: [], reduceConcat: [])
      g.recurrent = recurrent
      g.concat = cc ?? Array(1...max(1, recurrent.count))
      return g
    }
    guard let normal else { throw ParseError(message: "the genotype has no 'normal' (or 'recurrent') list", column: 1) }
    return DartsGenotype(
      normal: normal, normalConcat: nc ?? [2, 3, 4, 5], reduce: reduce ?? [], reduceConcat: rc ?? [2, 3, 4, 5])
  }

  /// The canonical Python repr, as DARTS' `genotypes.py` writes it.
  public var description: String {
    func ps(_ p: [Pair]) -> String { "[" + p.map { "('\($0.op)', \($0.input))" }.joined(separator: ", ") + "]" }
    func cs(_ c: [Int]) -> String { "[" + c.map(String.init).joined(separator: ", ") + "]" }
    if let recurrent { return "Genotype(recurrent=\(ps(recurrent)), concat=\(cs(concat ?? [])))" }
    return
      "Genotype(normal=\(ps(normal)), normal_concat=\(cs(normalConcat)), reduce=\(ps(reduce)), reduce_concat=\(cs(reduceConcat)))"
  }

  /// The published genotypes of METHODS.md by name (DARTS_V1, DARTS_V2, PC_DARTS_cifar, PDARTS, GDAS_V1).
  public static let published: [String: String] = [
    "DARTS_V1":
      "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])",
    "DARTS_V2":
      "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])",
    "PC_DARTS_cifar":
      "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), ('dil_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('avg_pool_3x3', 0), ('dil_conv_3x3', 1)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 1), ('max_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 2), ('sep_conv_3x3', 0), ('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], reduce_concat=range(2, 6))",
    "PDARTS":
      "Genotype(normal=[('skip_connect', 0), ('dil_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 3), ('sep_conv_3x3', 0), ('dil_conv_5x5', 4)], normal_concat=range(2, 6), reduce=[('avg_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('dil_conv_5x5', 2), ('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('dil_conv_3x3', 1), ('dil_conv_5x5', 3)], reduce_concat=range(2, 6))",
    "DARTS_RNN_V1":
      "Genotype(recurrent=[('relu', 0), ('relu', 1), ('tanh', 2), ('relu', 3), ('relu', 4), ('identity', 1), ('relu', 5), ('relu', 1)], concat=range(1, 9))",
    "DARTS_RNN_V2":
      "Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), ('tanh', 2), ('sigmoid', 5), ('tanh', 3), ('relu', 5)], concat=range(1, 9))",
    "GDAS_V1":
      "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('sep_conv_5x5', 2), ('sep_conv_3x3', 3), ('skip_connect', 0), ('sep_conv_5x5', 4), ('sep_conv_3x3', 3)], normal_concat=[2, 3, 4, 5], reduce=[('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_5x5', 2), ('sep_conv_5x5', 1), ('dil_conv_5x5', 2), ('sep_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_5x5', 1)], reduce_concat=[2, 3, 4, 5])",
  ]
}

struct GenotypeLexer {
  let s: [Unicode.Scalar]
  var i = 0

  init(_ s: [Unicode.Scalar]) { self.s = s }

  mutating func skip() { while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" || s[i] == "\r" { i += 1 } }
  func peek() -> Unicode.Scalar? { i < s.count ? s[i] : nil }

  mutating func expect(_ c: Unicode.Scalar) throws(DartsGenotype.ParseError) {
    skip()
    guard peek() == c else {
      throw DartsGenotype.ParseError(
        message: "expected '\(c)'\(peek().map { ", found '\($0)'" } ?? " at the end")", column: i + 1)
    }
    i += 1
  }

  mutating func word() -> String {
    skip()
    var w = ""
    while i < s.count, s[i].properties.isAlphabetic || s[i] == "_" || (s[i].properties.numericType != nil && !w.isEmpty)
    {
      w.unicodeScalars.append(s[i])
      i += 1
    }
    return w
  }

  mutating func expectWord(_ w: String) throws(DartsGenotype.ParseError) {
    let start = i
    let got = word()
    if got != w { throw DartsGenotype.ParseError(message: "expected '\(w)', found '\(got)'", column: start + 1) }
  }

  mutating func int() throws(DartsGenotype.ParseError) -> Int {
    skip()
    var w = ""
    while i < s.count, s[i].properties.numericType != nil || (w.isEmpty && s[i] == "-") {
      w.unicodeScalars.append(s[i])
      i += 1
    }
    guard let v = Int(w) else { throw DartsGenotype.ParseError(message: "expected an integer", column: i + 1) }
    return v
  }

  mutating func string() throws(DartsGenotype.ParseError) -> String {
    skip()
    guard let q = peek(), q == "'" || q == "\"" else {
      throw DartsGenotype.ParseError(message: "expected a quoted op name", column: i + 1)
    }
    i += 1
    var w = ""
    while i < s.count, s[i] != q {
      w.unicodeScalars.append(s[i])
      i += 1
    }
    guard i < s.count else { throw DartsGenotype.ParseError(message: "unterminated string", column: i + 1) }
    i += 1
    return w
  }

  mutating func pairs() throws(DartsGenotype.ParseError) -> [DartsGenotype.Pair] {
    try expect("[")
    var out: [DartsGenotype.Pair] = []
    skip()
    if peek() == "]" { i += 1; return out }
    while true {
      try expect("(")
      let op = try string()
      try expect(",")
      let j = try int()
      try expect(")")
      out.append(.init(op, j))
      skip()
      if peek() == "," { i += 1; skip(); if peek() == "]" { i += 1; return out }; continue }
      try expect("]")
      return out
    }
  }

  mutating func ints() throws(DartsGenotype.ParseError) -> [Int] {
    skip()
    if peek() == "r" {
      try expectWord("range")
      try expect("(")
      let a = try int()
      try expect(",")
      let b = try int()
      try expect(")")
      guard a <= b, b - a < 10_000 else { throw DartsGenotype.ParseError(message: "bad range(\(a), \(b))", column: i) }
      return Array(a..<b)
    }
    try expect("[")
    var out: [Int] = []
    skip()
    if peek() == "]" { i += 1; return out }
    while true {
      out.append(try int())
      skip()
      if peek() == "," { i += 1; continue }
      try expect("]")
      return out
    }
  }
}
