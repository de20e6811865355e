/// A NAS-Bench-201 architecture string: `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`. Node i (1-based,
/// after the input node 0) lists `op~j` for each of its inputs j.
public struct NB201Arch: Sendable, Equatable {
  /// For nodes 1, 2, 3…: the (op, input) pairs in the order written.
  public var nodes: [[(op: String, from: Int)]]

  /// Creates an architecture.
  public init(nodes: [[(op: String, from: Int)]]) { self.nodes = nodes }

  /// Equality over all pairs.
  public static func == (a: NB201Arch, b: NB201Arch) -> Bool {
    a.nodes.count == b.nodes.count
      && zip(a.nodes, b.nodes).allSatisfy { x, y in
        x.count == y.count && zip(x, y).allSatisfy { $0.op == $1.op && $0.from == $1.from }
      }
  }

  /// A parse error.
  public struct ParseError: Error, Sendable {
    /// What went wrong.
    public var message: String
  }

  /// Parses: split on `+`, then on `|` (dropping empty pieces), then each piece on `~`.
  public static func parse(_ text: String) throws(ParseError) -> NB201Arch {
    guard text.utf8.count <= DartsGenotype.maxLength else {
      throw ParseError(
        message:
          "an NB201 string of \(text.utf8.count) bytes is longer than the \(DartsGenotype.maxLength) any cell needs")
    }
    let t = text.trimmingSpaces
    guard t.hasPrefix("|"), t.hasSuffix("|") else {
      throw ParseError(message: "an NB201 string starts and ends with '|'")
    }
    var nodes: [[(op: String, from: Int)]] = []
    for (ni, part) in t.split(separator: "+", omittingEmptySubsequences: false).enumerated() {
      var node: [(op: String, from: Int)] = []
      for piece in part.split(separator: "|") where !piece.isEmpty {
        let bits = piece.split(separator: "~", omittingEmptySubsequences: false)
        guard bits.count == 2, let j = Int(bits[1]), !bits[0].isEmpty else {
          throw ParseError(message: "'\(piece)' is not 'op~input'")
        }
        guard j >= 0, j <= ni else { throw ParseError(message: "node \(ni + 1) cannot read node \(j)") }
        node.append((String(bits[0]), j))
      }
      if node.isEmpty { throw ParseError(message: "node \(ni + 1) has no inputs") }
      nodes.append(node)
    }
    return NB201Arch(nodes: nodes)
  }

  /// The canonical string.
  public var description: String {
    nodes.map { "|" + $0.map { "\($0.op)~\($0.from)" }.joined(separator: "|") + "|" }.joined(separator: "+")
  }
}

extension String {
  /// The string without leading and trailing spaces and newlines.
  var trimmingSpaces: String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
  }
}
