/// A cost constraint on a whole network, as `--target` gives it: `macs<=300M`, `params<=4.5M`
/// (suffixes k, M, G for 10^3, 10^6, 10^9). A multi-objective search reports the most accurate
/// architecture that meets each target.
public struct CostTarget: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
  /// What is limited.
  public enum Metric: String, Codable, Sendable {
    /// Multiply-accumulates per image.
    case macs
    /// Parameters.
    case params
  }

  /// What is limited.
  public var metric: Metric
  /// The largest value allowed.
  public var limit: Double
  /// The target as written.
  public var description: String

  /// Parses `macs<=300M` or `params<=4.5M`; nil when the text is not a target.
  public init?(parsing text: String) {
    let t = text.replacingOccurrences(of: " ", with: "").lowercased()
    guard let r = t.range(of: "<=") else { return nil }
    guard let metric = Metric(rawValue: String(t[..<r.lowerBound])) else { return nil }
    var number = String(t[r.upperBound...])
    var scale = 1.0
    if let last = number.last, let s = ["k": 1e3, "m": 1e6, "g": 1e9][String(last)] {
      scale = s
      number.removeLast()
    }
    // Above 10^15 MACs or parameters a target admits every network and its file name would not print.
    guard let v = Double(number), v.isFinite, v > 0, v * scale <= 1e15 else { return nil }
    self.metric = metric
    limit = v * scale
    description = text
  }

  /// Whether `costs` meets the target.
  public func admits(_ costs: ChoiceCosts) -> Bool {
    Double(metric == .macs ? costs.macs : costs.params) <= limit
  }

  /// A file-name form: `macs-le-300M`.
  public var slug: String {
    let v = limit
    let text =
      v >= 1e9 && v.truncatingRemainder(dividingBy: 1e7) == 0
      ? "\(fmt(v / 1e9))G" : v >= 1e6 ? "\(fmt(v / 1e6))M" : v >= 1e3 ? "\(fmt(v / 1e3))k" : fmt(v)
    return "\(metric.rawValue)-le-\(text)"
  }

  private func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}
