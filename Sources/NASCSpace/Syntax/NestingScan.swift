/// A conservative pre-scan for nesting depth, run before the YAML parser so that hostile inputs
/// (10,000 nested lists) end in a diagnostic instead of deep recursion.
///
/// The estimate for a line is: the number of open block indentation levels, plus block indicators
/// (`- `, `? `) that open nested collections on the same line, plus open flow brackets (outside quotes
/// and comments). It never underestimates the depth of valid YAML.
enum NestingScan {
  /// The first position where the estimate exceeds `limit`: (line, column, depth), or nil.
  static func firstTooDeep(_ text: String, limit: Int) -> (Int, Int, Int)? {
    var indents: [Int] = []
    var flow = 0
    var lineNo = 0
    for rawLine in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNo += 1
      let line = Array(rawLine)
      var i = 0
      while i < line.count, line[i] == " " { i += 1 }
      if i >= line.count || line[i] == "#" || line[i] == "\r" { continue }
      if flow == 0 {
        while let last = indents.last, last > i { indents.removeLast() }
        if indents.last != i { indents.append(i) }
      }
      var depth = indents.count + flow
      if depth > limit { return (lineNo, i + 1, depth) }
      var quote: Unicode.Scalar? = nil
      var j = i
      var atStart = true
      while j < line.count {
        let c = line[j]
        if let q = quote {
          if c == q { quote = nil }
        } else if c == "\"" || c == "'" {
          if j == 0 || line[j - 1] == " " || line[j - 1] == "[" || line[j - 1] == "{" || line[j - 1] == ","
            || line[j - 1] == ":"
          {
            quote = c
          }
        } else if c == "#", j > 0, line[j - 1] == " " {
          break
        } else if c == "[" || c == "{" {
          flow += 1
          depth += 1
          if depth > limit { return (lineNo, j + 1, depth) }
        } else if c == "]" || c == "}" {
          flow = max(0, flow - 1)
          depth -= 1
        } else if atStart, c == "-" || c == "?" || c == ":", j + 1 < line.count, line[j + 1] == " " {
          depth += 1
          if depth > limit { return (lineNo, j + 1, depth) }
          j += 1
        } else if c != " " {
          atStart = false
        }
        j += 1
      }
    }
    return nil
  }
}
