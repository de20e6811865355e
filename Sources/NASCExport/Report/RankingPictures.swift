import Foundation
import NASCSearch
import NASCSpace

/// The ranking pictures of a one-shot run: supernet against stand-alone accuracy of the
/// architectures `nasc rank` trained, and the Pareto front of a multi-objective search.
public enum RankingPictures {
  /// Supernet accuracy against stand-alone accuracy, one point per ranked architecture; nil without pairs.
  public static func rankScatter(_ record: RunRecord) -> String? {
    guard !record.rankPairs.isEmpty else { return nil }
    let epochs = Set(record.rankPairs.map(\.trainEpochs)).sorted().map(String.init).joined(separator: ", ")
    return SVGScatter(
      title: "\(record.name) (\(record.method)): supernet vs stand-alone ranking",
      xLabel: "stand-alone test acc (%), \(epochs) epochs", yLabel: "supernet val acc (%)",
      groups: [.init(name: "architectures", points: record.rankPairs.map { ($0.standalone, $0.supernet) })]
    ).render(width: 560, height: 360)
  }

  /// Supernet accuracy against MMACs of the front's architectures, joined; nil without a front.
  public static func frontScatter(_ record: RunRecord) -> String? {
    guard !record.front.isEmpty else { return nil }
    return SVGScatter(
      title: "\(record.name): Pareto front", xLabel: "MMACs", yLabel: "supernet val acc (%)",
      groups: [.init(name: "front", points: record.front.map { (Double($0.macs) / 1e6, $0.accuracy) }, joined: true)]
    ).render(width: 560, height: 360)
  }

  /// An `<img>` of the run's own `scores.svg` as a data URL: a picture nasc wrote, shown as an
  /// image so that nothing in the file can run or restyle the page.
  public static func scoresImage(_ svg: String) -> String {
    "<img alt=\"architectures scored with inherited weights\" src=\"data:image/svg+xml;base64,"
      + Data(svg.utf8).base64EncodedString() + "\">"
  }
}
