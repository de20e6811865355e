import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import NASCExport
import NASCSpace
import Testing

/// The `<path>` elements of an SVG document with their attributes and `<title>` text, read by
/// Foundation's XML parser (which also proves the document well-formed).
private final class PathCollector: NSObject, XMLParserDelegate {
  struct Element {
    var attributes: [String: String]
    var title = ""
  }
  var paths = [Element]()
  var texts = [String]()
  private var inPath = false, inTitle = false, inText = false

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    switch name {
    case "path":
      paths.append(Element(attributes: attributes))
      inPath = true
    case "title": inTitle = true
    case "text":
      texts.append("")
      inText = true
    default: break
    }
  }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    switch name {
    case "path": inPath = false
    case "title": inTitle = false
    case "text": inText = false
    default: break
    }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if inPath && inTitle { paths[paths.count - 1].title += string }
    if inText { texts[texts.count - 1] += string }
  }

  static func parse(_ svg: String) throws -> PathCollector {
    let collector = PathCollector()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = collector
    let ok = parser.parse()
    #expect(ok, "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
    return collector
  }
}

@Suite struct RouteDiagramTests {
  /// DenseNAS-C's path.
  static let path = [0, 1, 4, 7, 10, 11, 12, 16, 17]

  /// A made-up table: softmax of β where the path's next block gets 2 and the others -0.3 · rank.
  static func probabilities(_ route: RouteIR) -> [Int: [Double]] {
    var table = [Int: [Double]]()
    for b in route.blocks where !b.targets.isEmpty {
      let next = path.firstIndex(of: b.index).flatMap { $0 + 1 < path.count ? path[$0 + 1] : nil }
      let beta = b.targets.enumerated().map { i, t in t == next ? 2.0 : -0.3 * Double(i) }
      let z = beta.map { exp($0) }.reduce(0, +)
      table[b.index] = beta.map { exp($0) / z }
    }
    return table
  }

  /// The head ops of DenseNAS-C, per path block.
  static func headOps() throws -> [Int: String] {
    let ir = try #require(Compiler.compile(path: repoRoot + "/examples/published/densenas-c.yaml").ir)
    let route = try #require(ir.network.route)
    return Dictionary(uniqueKeysWithValues: route.edges.map { ($0.to, $0.head.candidates.first?.name ?? "?") })
  }

  static func drawing() throws -> (route: RouteIR, probabilities: [Int: [Double]], svg: String) {
    let route = try #require(try compileSpace("densenas.yaml").network.route)
    let table = probabilities(route)
    let svg = SVGRouteDiagram.svg(
      route, probabilities: table, path: path, headOps: try headOps(), title: "densenas: softmax(β) & <path>")
    return (route, table, svg)
  }

  @Test func drawsOneCurvePerConnectionWithWidthByProbability() throws {
    let (route, table, svg) = try Self.drawing()
    if let out = ProcessInfo.processInfo.environment["NASC_ROUTE_SVG"] {
      try svg.write(toFile: out, atomically: true, encoding: .utf8)
    }
    #expect(route.edges.count == 54)
    let parsed = try PathCollector.parse(svg)
    let edges = parsed.paths.filter { ($0.attributes["class"] ?? "").hasPrefix("edge") }
    #expect(edges.count == route.edges.count)
    // Every connection exactly once, named by its title.
    let titled = edges.map { String($0.title.prefix { $0 != "," }) }
    #expect(titled.sorted() == route.edges.map { "\($0.from)→\($0.to)" }.sorted())
    // Stroke width ∝ probability (with a visible minimum) off the path.
    var widths = [(p: Double, w: Double)]()
    for e in route.edges {
      let el = try #require(edges.first { $0.title.hasPrefix("\(e.from)→\(e.to),") || $0.title == "\(e.from)→\(e.to)" })
      let k = try #require(route.block(e.from)?.targets.firstIndex(of: e.to))
      let p = try #require(table[e.from])[k]
      #expect(el.title.contains("p = "))
      #expect(el.title.contains("stride 2") == (e.stride == 2))
      let w = try #require(el.attributes["stroke-width"].flatMap(Double.init))
      if el.attributes["class"] == "edge" {
        #expect(abs(w - max(p * 9, 0.4)) < 0.006, "\(e.from)→\(e.to): p \(p) width \(w)")
        widths.append((p, w))
      }
    }
    let ordered = widths.sorted { $0.p < $1.p }
    #expect(zip(ordered, ordered.dropFirst()).allSatisfy { $0.w <= $1.w })
    #expect(svg.contains("densenas: softmax(β) &amp; &lt;path&gt;"))
    // One box per block.
    #expect(svg.components(separatedBy: "<g class=\"block\">").count - 1 == 18)
    #expect(parsed.texts.contains("48@28x28"))
  }

  @Test func highlightsThePathOnTopWithItsHeadOps() throws {
    let (_, _, svg) = try Self.drawing()
    let parsed = try PathCollector.parse(svg)
    let edges = parsed.paths.filter { ($0.attributes["class"] ?? "").hasPrefix("edge") }
    let onPath = edges.filter { $0.attributes["class"] == "edge path" }
    let pairs = zip(Self.path, Self.path.dropFirst()).map { "\($0)→\($1)" }
    // The path's connections, in path order, after every other connection (drawn on top).
    #expect(onPath.map { String($0.title.prefix { $0 != "," }) } == pairs)
    #expect(
      Array(edges.suffix(pairs.count).map { $0.attributes["class"] })
        == Array(repeating: "edge path", count: pairs.count))
    #expect(onPath.allSatisfy { $0.attributes["stroke"] == "#D55E00" })
    #expect(edges.filter { $0.attributes["class"] == "edge" }.allSatisfy { $0.attributes["stroke"] != "#D55E00" })
    #expect(onPath.allSatisfy { (Double($0.attributes["stroke-width"] ?? "") ?? 0) >= 2.5 })
    // DenseNAS-C's head ops, each with its probability.
    for op in ["k3_e6 (", "k7_e6 (", "k5_e6 (", "k3_e3 (", "conv_bn_relu6"] {
      #expect(parsed.texts.contains { $0.hasPrefix(op) }, "\(op)")
    }
    #expect(parsed.texts.filter { $0.contains(" (") && $0.hasSuffix(")") }.count == pairs.count)
    #expect(parsed.texts.contains("k3_e6 (1)"))  // block 0 has one connection
    #expect(parsed.texts.contains("k7_e6 (0.81)"))
  }

  @Test func isDeterministic() throws {
    let (route, table, svg) = try Self.drawing()
    // The same table built in another order gives the same bytes.
    var shuffled = [Int: [Double]]()
    for k in table.keys.sorted(by: >) { shuffled[k] = table[k] }
    let again = SVGRouteDiagram.svg(
      route, probabilities: shuffled, path: Self.path, headOps: try Self.headOps(),
      title: "densenas: softmax(β) & <path>")
    #expect(again == svg)
  }

  @Test func drawsADecidedRouteWithoutProbabilities() throws {
    let ir = try #require(Compiler.compile(path: repoRoot + "/examples/published/densenas-c.yaml").ir)
    let route = try #require(ir.network.route)
    let svg = SVGRouteDiagram.svg(route, probabilities: [:], path: route.blocks.map(\.index), title: "DenseNAS-C")
    let parsed = try PathCollector.parse(svg)
    let edges = parsed.paths.filter { ($0.attributes["class"] ?? "").hasPrefix("edge") }
    #expect(edges.count == 8)
    #expect(edges.allSatisfy { $0.attributes["class"] == "edge path" && !$0.title.contains("p =") })
    #expect(svg.components(separatedBy: "<g class=\"block\">").count - 1 == 9)
    // No path: nothing highlighted, neutral widths.
    let plain = try PathCollector.parse(SVGRouteDiagram.svg(route, probabilities: [:], path: nil, title: "t"))
    #expect(plain.paths.allSatisfy { $0.attributes["class"] == "edge" && $0.attributes["stroke-width"] == "1.2" })
  }
}
