import Foundation

/// An integer argument of generated Python code: a constant, or a constructor parameter, possibly
/// times or divided by a constant (`c_in * 6`, `c_out // 2`). Found from the values it takes in
/// every instance a generated class stands for, so the class reproduces each of them exactly.
struct PyExpression: Equatable {
  /// The constructor parameter it reads, or nil for a constant.
  var variable: String?
  /// The constant, or the factor or divisor applied to the variable.
  var number: Int
  /// Whether `number` multiplies (true) or divides the variable; unused for constants.
  var multiplies = true

  /// A constant.
  static func constant(_ n: Int) -> PyExpression { PyExpression(variable: nil, number: n) }

  /// The Python text; `prefix` goes before the variable (`self.` inside `forward`).
  func text(prefix: String = "") -> String {
    guard let variable else { return String(number) }
    if number == 1 { return prefix + variable }
    return "\(prefix)\(variable) \(multiplies ? "*" : "//") \(number)"
  }

  /// A constructor parameter and its value in each instance.
  struct Variable {
    /// Its Python name.
    var name: String
    /// Its value per instance.
    var values: [Int]
  }

  /// The first expression that gives `values` in every instance: a variable equal to them, a
  /// variable times an integer (trying `multiplied`, default `variables`, in order), a variable
  /// divided by one (`divided`), and last the constant when every instance agrees (first when
  /// `constantFirst`). Nil when nothing fits.
  static func fit(
    _ values: [Int], over variables: [Variable], multiplied: [Variable]? = nil, divided: [Variable]? = nil,
    constantFirst: Bool = false
  ) -> PyExpression? {
    precondition(!values.isEmpty)
    let constant = values.allSatisfy { $0 == values[0] } ? PyExpression.constant(values[0]) : nil
    if constantFirst, let constant { return constant }
    for v in variables where v.values == values { return PyExpression(variable: v.name, number: 1) }
    for v in multiplied ?? variables where v.values[0] > 0 && values[0] % v.values[0] == 0 {
      let k = values[0] / v.values[0]
      if k > 1 && zip(v.values, values).allSatisfy({ $0 * k == $1 }) {
        return PyExpression(variable: v.name, number: k)
      }
    }
    for v in divided ?? variables where values[0] > 0 && v.values[0] % values[0] == 0 {
      let k = v.values[0] / values[0]
      if k > 1 && zip(v.values, values).allSatisfy({ $0 % k == 0 && $0 / k == $1 }) {
        return PyExpression(variable: v.name, number: k, multiplies: false)
      }
    }
    return constant
  }
}

/// Python spellings of nasc names.
enum PyName {
  /// Words a class name must not be (Python keywords, builtins the generated code uses, and the
  /// names it defines itself).
  static let reserved: Set<String> = [
    "False", "None", "True", "Network", "Stem", "Head", "Module", "Identity", "OPS", "Tensor",
  ]

  /// An op name as a class name: `sep_conv_3x3` → `SepConv3x3`, `none` → `NoneOp`.
  static func className(_ name: String) -> String {
    var out = ""
    // `.` as in nasc's module names (`scale1.2` is `scale1p2`).
    for word in name.replacingOccurrences(of: ".", with: "p").split(whereSeparator: {
      !($0.isASCII && ($0.isLetter || $0.isNumber))
    }) {
      out += word.prefix(1).uppercased() + word.dropFirst()
    }
    if out.isEmpty || out.first!.isNumber { out = "Op" + out }
    return reserved.contains(out) ? out + "Op" : out
  }

  /// A Python string literal.
  static func literal(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
      switch ch {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      case _ where ch.value < 0x20 || ch.value == 0x7f: out += String(format: "\\x%02x", ch.value)
      default: out.unicodeScalars.append(ch)
      }
    }
    return out + "\""
  }

  /// Text safe inside a `#` comment or a docstring: one line, no triple quotes or backslashes.
  static func comment(_ s: String) -> String {
    s.replacingOccurrences(of: "\\", with: "/").replacingOccurrences(of: "\"\"\"", with: "'''")
      .split(whereSeparator: \.isNewline).joined(separator: " ")
  }
}
