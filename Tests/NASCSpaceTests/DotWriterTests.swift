import Foundation
import Testing

@testable import NASCSpace

/// `nasc compile --dot`: the network skeleton and DARTS-style cells of every space family, checked
/// by structure (no Graphviz needed) and, where `dot` is installed, by Graphviz itself.
@Suite struct DotWriterTests {
  /// A parsed DOT text: node declarations (id → label) and edges (from, to, label).
  struct Graph {
    var nodes = [String: String]()
    var edges = [(from: String, to: String, label: String?)]()
    var clusters = [String]()

    init(_ dot: String) {
      for raw in dot.split(separator: "\n") {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.hasPrefix("subgraph ") { clusters.append(Self.quoted(line).first ?? "") }
        guard line.hasPrefix("\"") else { continue }
        let q = Self.quoted(line)
        let label = line.range(of: "label=").map { Self.quoted(String(line[$0.upperBound...])).first ?? "" }
        if line.contains("\" -> \"") {
          edges.append((q[0], q[1], label))
        } else {
          nodes[q[0]] = label ?? q[0]
        }
      }
    }

    /// The quoted strings of a line, unescaped.
    static func quoted(_ line: String) -> [String] {
      var out = [String](), current = "", inside = false, escaped = false
      for ch in line {
        if inside {
          if escaped {
            current.append(ch == "n" ? "\n" : ch)
            escaped = false
          } else if ch == "\\" {
            escaped = true
          } else if ch == "\"" {
            out.append(current)
            current = ""
            inside = false
          } else {
            current.append(ch)
          }
        } else if ch == "\"" {
          inside = true
        }
      }
      return out
    }

    /// The edges between nodes whose ids start with `prefix`.
    func edges(within prefix: String) -> [(from: String, to: String, label: String?)] {
      edges.filter { $0.from.hasPrefix(prefix) && $0.to.hasPrefix(prefix) }
    }
  }

  static func compile(_ rel: String, arch: String? = nil) throws -> SpaceIR {
    let result = Compiler.compile(path: repo(rel), options: CompileOptions(arch: arch))
    for d in result.diagnostics where d.severity == .error { Issue.record("\(rel): \(d.message)") }
    return try #require(result.ir)
  }

  /// Every space and example that compiles (the broken examples are meant not to).
  static let files: [String] = {
    let fm = FileManager.default
    var out = [String]()
    for folder in ["spaces", "examples", "examples/published"] {
      for f in (try? fm.contentsOfDirectory(atPath: repo(folder))) ?? [] where f.hasSuffix(".yaml") {
        out.append(folder + "/" + f)
      }
    }
    // Decided architectures given as an arch argument (`FILE@ARCH`): a genotype, an NB201 string.
    return out.sorted() + [
      "spaces/darts-cnn.yaml@DARTS_V2",
      "spaces/nas-bench-201.yaml@|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|none~1|avg_pool_3x3~2|",
    ]
  }()

  /// `FILE` or `FILE@ARCH` compiled.
  static func compileEntry(_ entry: String) throws -> SpaceIR {
    let parts = entry.split(separator: "@", maxSplits: 1).map(String.init)
    return try compile(parts[0], arch: parts.count > 1 ? parts[1] : nil)
  }

  @Test func dartsSupernetCellHasEveryEdgeWithItsCandidates() throws {
    let g = Graph(DotWriter.dot(try Self.compile("spaces/darts-digits.yaml")))
    for template in ["normal", "reduce"] {
      let nodes = g.nodes.filter { $0.key.hasPrefix(template + "_") }
      // c_{k-2}, c_{k-1}, nodes 0...3, c_{k}
      #expect(nodes.count == 7)
      #expect(Set(nodes.values) == ["c_{k-2}", "c_{k-1}", "0", "1", "2", "3", "c_{k}"])
      let edges = g.edges(within: template + "_")
      // 2 + 3 + 4 + 5 mixed edges, then the 4 nodes into the output.
      #expect(edges.count == 14 + 4)
      #expect(edges.filter { $0.label == "8 ops" }.count == 14)
      #expect(edges.filter { $0.to == template + "_out" }.count == 4)
    }
    #expect(g.clusters.contains("cluster_normal") && g.clusters.contains("cluster_reduce"))
    let title = try #require(
      DotWriter.dot(try Self.compile("spaces/darts-digits.yaml")).split(separator: "\n").first {
        $0.contains("label=\"normal cell:")
      })
    #expect(title.contains("each edge one of none, max_pool_3x3"))
    #expect(title.contains("each node keeps 2 of its inputs"))
  }

  @Test func decidedDartsCellsShowTheChosenOpOnEachEdge() throws {
    let ir = try Self.compile("spaces/darts-cnn.yaml", arch: "DARTS_V2")
    let g = Graph(DotWriter.dot(ir))
    let normal = g.edges(within: "normal_")
    #expect(normal.count == 8 + 4)
    // DARTS_V2's normal cell: node 0 reads sep_conv_3x3 of both inputs; node 3 dil_conv_3x3 of node 0.
    #expect(normal.contains { $0 == ("normal_0", "normal_2", "sep_conv_3x3") })
    #expect(normal.contains { $0 == ("normal_1", "normal_2", "sep_conv_3x3") })
    #expect(normal.contains { $0 == ("normal_2", "normal_5", "dil_conv_3x3") })
    #expect(normal.filter { $0.label == "skip_connect" }.count == 2)
    let reduce = g.edges(within: "reduce_")
    #expect(reduce.count == 8 + 4)
    #expect(reduce.filter { $0.label == "max_pool_3x3" }.count == 5)
    #expect(!g.edges.contains { $0.label?.hasSuffix(" ops") ?? false })
    // The skeleton: 8 cells, each reading the one before and (dashed) the one before that.
    let cells = g.nodes.filter { $0.key.hasPrefix("net:item") }
    #expect(cells.count == 8)
    #expect(g.nodes["net:item2"] == "reduction cell 2: reduce\n128x16x16")
    #expect(g.edges.contains { $0.from == "net:item0" && $0.to == "net:item2" })
    #expect(g.edges.contains { $0.from == "net:item7" && $0.to == "net:head" })
    // One graph per cell template too, as the paper's normal and reduction drawings.
    let cells2 = DotWriter.cells(ir)
    #expect(cells2.map(\.template) == ["normal", "reduce"])
    #expect(Graph(cells2[0].dot).edges.count == 12)
  }

  @Test func layerChainHasOneNodePerLayerInOrder() throws {
    let ir = try Self.compile("spaces/proxylessnas-digits.yaml")
    let g = Graph(DotWriter.dot(ir))
    let layers = ir.layers
    #expect(g.nodes.keys.filter { $0.hasPrefix("net:item") }.count == ir.network.items.count)
    for (i, item) in ir.network.items.enumerated() {
      let from = i == 0 ? "net:stem" : "net:item\(i - 1)"
      #expect(g.edges.contains { $0.from == from && $0.to == "net:item\(i)" }, "item \(i)")
      guard case .layer(let l) = item else { continue }
      let label = try #require(g.nodes["net:item\(i)"])
      #expect(label.hasPrefix("layer \(l.layerIndex): \(l.candidates.count) ops"))
      #expect(label.contains(l.shape.description))
      #expect(label.contains("stride 2") == (l.stride == 2))
    }
    #expect(g.edges.count == layers.count + 3)  // input → stem → items → head
    #expect(g.nodes.values.contains("feature_mix\n128x2x2"))
  }

  @Test func decidedLayerChainNamesTheChosenOps() throws {
    let ir = try Self.compile("examples/published/fbnet-a.yaml")
    let g = Graph(DotWriter.dot(ir))
    let labels = ir.layers.map { g.nodes["net:item\(ir.network.items.firstIndex(of: .layer($0))!)"] ?? "" }
    #expect(labels.count == ir.layers.count && !labels.isEmpty)
    for (l, label) in zip(ir.layers, labels) {
      #expect(label.hasPrefix("layer \(l.layerIndex): \(l.candidates[0].name)\n"), "\(label)")
    }
    #expect(!g.nodes.values.contains { $0.contains(" ops") })
  }

  @Test func recurrentCellReadsXAndHIntoNodeZero() throws {
    let g = Graph(DotWriter.dot(try Self.compile("spaces/darts-rnn.yaml")))
    #expect(g.nodes["rnn_x"] == "x_{t}")
    #expect(g.nodes["rnn_h"] == "h_{t-1}")
    #expect(g.nodes["rnn_out"] == "h_{t} (mean)")
    let edges = g.edges(within: "rnn_")
    // x_t, h_{t-1} → 0; node i reads nodes 0..<i (36 edges); nodes 1...8 into the mean.
    #expect(edges.count == 2 + 36 + 8)
    #expect(edges.filter { $0.label == "5 ops" }.count == 36)
  }

  @Test func memoryBlocksAndFixedBlocksAreNodesOfTheSkeleton() throws {
    let smash = Graph(DotWriter.dot(try Self.compile("spaces/smash.yaml")))
    #expect(smash.clusters.contains { $0.hasPrefix("cluster:memory") })
    #expect(smash.nodes.values.contains { $0.hasPrefix("reads ⊆ {0,1,2,3}\n") })
    let nb = Graph(DotWriter.dot(try Self.compile("spaces/nas-bench-201.yaml")))
    #expect(nb.nodes.values.contains { $0.hasPrefix("resnet_block\n") })
    // NB201's cell: one input, nodes 1...3, the last one is the output.
    #expect(nb.edges(within: "cell_").count == 6 + 1)
    #expect(nb.nodes["cell_0"] == "c_{k-1}")
  }

  @Test func textIsEscaped() {
    #expect(DotWriter.q("a\"b\\c\nd") == "\"a\\\"b\\\\c d\"")
    #expect(DotWriter.label(["x\"", "y"]) == "\"x\\\"\\ny\"")
  }

  /// Every endpoint of every edge is a declared node, clusters and braces balance: what Graphviz
  /// needs, checked for every file without it.
  @Test(arguments: files) func everyFileGivesAWellFormedGraph(_ file: String) throws {
    let ir = try Self.compileEntry(file)
    let dot = DotWriter.dot(ir)
    let g = Graph(dot)
    #expect(!g.nodes.isEmpty)
    for e in g.edges {
      #expect(g.nodes[e.from] != nil, "\(file): \(e.from) is not declared")
      #expect(g.nodes[e.to] != nil, "\(file): \(e.to) is not declared")
    }
    // Braces outside quoted strings balance.
    var depth = 0, inside = false, escaped = false
    for ch in dot {
      if inside {
        if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inside = false }
      } else if ch == "\"" {
        inside = true
      } else if ch == "{" {
        depth += 1
      } else if ch == "}" {
        depth -= 1
        #expect(depth >= 0, "\(file): unbalanced braces")
      }
    }
    #expect(depth == 0 && !inside, "\(file): unbalanced braces or quotes")
    #expect(Set(g.clusters).count == g.clusters.count, "\(file): two clusters share a name")
    #expect(dot.hasPrefix("digraph ") && dot.hasSuffix("}\n"))
  }

  /// Graphviz accepts every file's DOT, supernet and, for the arch documents, decided.
  @Test(.enabled(if: DotWriterTests.graphviz != nil, "needs Graphviz's dot on PATH"), arguments: files)
  func graphvizAcceptsEveryFile(_ file: String) throws {
    let ir = try Self.compileEntry(file)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: DotWriterTests.graphviz!)
    p.arguments = ["-Tsvg"]
    let input = Pipe(), out = Pipe(), err = Pipe()
    p.standardInput = input
    p.standardOutput = out
    p.standardError = err
    try p.run()
    input.fileHandleForWriting.write(Data(DotWriter.dot(ir).utf8))
    try input.fileHandleForWriting.close()
    let svg = out.fileHandleForReading.readDataToEndOfFile()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(file): \(message)")
    #expect(String(decoding: svg, as: UTF8.self).contains("<svg"))
  }

  /// `dot` on PATH, if installed.
  static let graphviz: String? = {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
      let p = "\(dir)/dot"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
  }()
}
