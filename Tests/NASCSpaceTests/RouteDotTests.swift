import Foundation
import NASCSpace
import Testing

@Suite struct RouteDotTests {
  /// The node declarations and the edge lines of a DOT text.
  static func parts(_ dot: String) -> (nodes: [String], edges: [String]) {
    let lines = dot.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    // Connections between blocks (the skeleton's stem → route → head edges aside).
    let edges = lines.filter { $0.hasPrefix("\"b") && $0.contains(" -> \"b") }
    let nodes = lines.filter { $0.hasPrefix("\"b") && !$0.contains(" -> ") }
    return (nodes, edges)
  }

  static func compile(_ rel: String) throws -> SpaceIR {
    let result = Compiler.compile(path: repo(rel))
    for d in result.diagnostics where d.severity == .error { Issue.record("\(d.message)") }
    return try #require(result.ir)
  }

  @Test func supernetRouteHasEveryBlockAndConnection() throws {
    let ir = try Self.compile("spaces/densenas.yaml")
    let dot = DotWriter.dot(ir)
    let (nodes, edges) = Self.parts(dot)
    #expect(nodes.count == 18)
    #expect(edges.count == 54)
    #expect(dot.hasPrefix("digraph \"densenas\" {"))
    #expect(nodes.contains("\"b4\" [label=\"4\\n48@28x28\\nstage 2\\n3 layers\"];"))
    #expect(nodes.contains("\"b0\" [label=\"0\\n16@112x112\\nstage 0\\n0 layers\"];"))
    // Stride 2 where the resolution halves, nothing else on a supernet's edges.
    #expect(edges.contains("\"b1\" -> \"b4\" [label=\"stride 2\"];"))
    #expect(edges.contains("\"b2\" -> \"b3\";"))
    let route = try #require(ir.network.route)
    #expect(edges.filter { $0.contains("stride 2") }.count == route.edges.filter { $0.stride == 2 }.count)
    #expect(dot.components(separatedBy: "subgraph \"cluster_stage").count - 1 == 8)
    // The route sits in the network skeleton: stem → first block, final block → head.
    #expect(dot.contains("\"net:stem\" -> \"b0\";"))
    #expect(dot.contains("\"b17\" -> \"net:head\";"))
    #expect(dot.hasSuffix("}\n"))
  }

  @Test func decidedRouteHasThePathWithHeadOps() throws {
    let ir = try Self.compile("examples/published/densenas-c.yaml")
    let (nodes, edges) = Self.parts(DotWriter.dot(ir))
    #expect(nodes.count == 9)
    #expect(edges.count == 8)
    #expect(edges.contains("\"b0\" -> \"b1\" [label=\"k3_e6\\nstride 2\"];"))
    #expect(edges.contains("\"b1\" -> \"b4\" [label=\"k7_e6\\nstride 2\"];"))
    #expect(edges.contains("\"b11\" -> \"b12\" [label=\"k3_e3\"];"))
    #expect(edges.contains { $0.hasPrefix("\"b16\" -> \"b17\" [label=\"") })
  }

  @Test func cellsAreDrawnAsBefore() throws {
    let dot = DotWriter.dot(try Self.compile("spaces/darts-cnn.yaml"))
    #expect(dot.contains("subgraph \"cluster_normal\""))
    #expect(!dot.contains("cluster_stage"))
  }
}
