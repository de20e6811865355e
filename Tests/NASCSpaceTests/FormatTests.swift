import Testing

@testable import NASCSpace

@Suite("Genotypes, NB201 strings and arch documents")
struct FormatTests {
  @Test(arguments: ["DARTS_V1", "DARTS_V2", "PC_DARTS_cifar", "PDARTS", "GDAS_V1"])
  func genotypeRoundTrip(name: String) throws {
    let g = try DartsGenotype.parse(DartsGenotype.published[name]!)
    #expect(g.normal.count == 8)
    #expect(try DartsGenotype.parse(g.description) == g)
  }

  @Test func genotypeRangeConcat() throws {
    let g = try DartsGenotype.parse(DartsGenotype.published["PDARTS"]!)
    #expect(g.normalConcat == [2, 3, 4, 5])
    #expect(g.normal[7] == .init("dil_conv_5x5", 4))
  }

  @Test func genotypeErrorsHaveColumns() {
    #expect(throws: DartsGenotype.ParseError.self) { try DartsGenotype.parse("Genotype(normal=[('sep_conv_3x3', 0)") }
    do {
      _ = try DartsGenotype.parse("Genotype(normal=[('a', x)])")
    } catch {
      #expect(error.column == 24)
    }
  }

  @Test func nb201RoundTrip() throws {
    let s = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    let a = try NB201Arch.parse(s)
    #expect(a.nodes.count == 3)
    #expect(a.nodes[1][1].op == "avg_pool_3x3")
    #expect(a.description == s)
    #expect(throws: NB201Arch.ParseError.self) { try NB201Arch.parse("|nor_conv_3x3-0|") }
  }

  @Test func compiledGenotypeExportsBack() throws {
    let text = DartsGenotype.published["DARTS_V2"]!
    let r = Compiler.compile(path: repo("spaces/darts-cnn.yaml"), options: CompileOptions(arch: text))
    let ir = try #require(r.ir)
    #expect(ArchExport.genotype(ir)?.description == (try DartsGenotype.parse(text)).description)
  }

  @Test func misspeltPublishedNameGetsASuggestion() throws {
    let r = Compiler.compile(path: repo("spaces/darts-cnn.yaml"), options: CompileOptions(arch: "PDART"))
    #expect(r.ir == nil)
    let d = try #require(r.diagnostics.first { $0.severity == .error })
    #expect(d.code == .unreadable)
    #expect(d.message.contains("neither an arch file nor a published architecture"))
    #expect(d.help == "did you mean 'PDARTS'?")
  }

  @Test func compiledNB201ExportsBack() throws {
    let s = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    let r = Compiler.compile(path: repo("spaces/nas-bench-201.yaml"), options: CompileOptions(arch: s))
    let ir = try #require(r.ir, "\(r.diagnostics)")
    #expect(ArchExport.nb201(ir)?.description == s)
  }

  @Test func archDocumentWithChoices() throws {
    let dir = tempProject()
    write(readRepo("spaces/nas-bench-201.yaml"), "spaces/nb.yaml", in: dir)
    var doc = "nasc: 1\narch:\n  space: ../spaces/nb.yaml\n  choices:\n"
    for (j, i) in [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)] {
      doc += "    cell.edge[\(j)→\(i)].op: nor_conv_3x3\n"
    }
    let r = Compiler.compile(path: write(doc, "archs/a.yaml", in: dir))
    let ir = try #require(r.ir, "\(r.diagnostics)")
    #expect(ir.cost.params == 1_531_546)
  }

  @Test func archDocumentWithValueChoices() throws {
    let dir = tempProject()
    write(readRepo("examples/value-choices.yaml"), "v.yaml", in: dir)
    var doc = "nasc: 1\narch:\n  space: v.yaml\n  choices:\n"
    for i in 0..<4 { doc += "    layer[\(i)].k: 3\n    layer[\(i)].e: 6\n" }
    let r = Compiler.compile(path: write(doc, "a.yaml", in: dir))
    let ir = try #require(r.ir, "\(r.diagnostics)")
    #expect(ir.layers.allSatisfy { $0.candidates.map(\.name) == ["mbconv_k3_e6"] })
    let bad = Compiler.compile(path: write(doc.replacingAll("layer[3].e: 6", "layer[3].e: 4"), "b.yaml", in: dir))
    #expect(bad.diagnostics.contains { $0.code == .archMismatch })
  }

  @Test func enasLooseEndsInADecidedCell() throws {
    let dir = tempProject()
    write(readRepo("spaces/enas-micro.yaml"), "e.yaml", in: dir)
    var doc = "nasc: 1\narch:\n  space: e.yaml\n  choices:\n"
    for cell in ["normal", "reduce"] {
      doc += "    \(cell).node2: [[sep_conv_3x3, 0], [max_pool_3x3, 0]]\n"  // the same input twice
      doc += "    \(cell).node3: [[skip_connect, 2], [sep_conv_5x5, 1]]\n"
      doc += "    \(cell).node4: [[avg_pool_3x3, 1], [sep_conv_3x3, 1]]\n"
      doc += "    \(cell).node5: [[sep_conv_3x3, 4], [skip_connect, 0]]\n"
      doc += "    \(cell).node6: [[sep_conv_5x5, 4], [max_pool_3x3, 1]]\n"
    }
    let r = Compiler.compile(path: write(doc, "a.yaml", in: dir))
    let ir = try #require(r.ir, "\(r.diagnostics)")
    let c = ir.cells[0]
    #expect(c.nodes[0].edges.map(\.from) == [0, 0])
    #expect(c.outputNodes == [3, 5, 6])  // nodes no kept edge reads
    #expect(c.postprocess?.inputShapeChannels == 60)
    #expect(c.shape.channels == 20)
  }

  @Test func denseNASPath() throws {
    let dir = tempProject()
    write(readRepo("spaces/densenas.yaml"), "d.yaml", in: dir)
    let path = [0, 1, 2, 5, 8, 11, 14, 17]
    var doc =
      "nasc: 1\narch:\n  space: d.yaml\n  choices:\n    route.path: [\(path.map(String.init).joined(separator: ", "))]\n"
    for (a, b) in zip(path, path.dropFirst()) where b != 17 { doc += "    route.edge[\(a)→\(b)].op: k3_e6\n" }
    for b in [1, 2, 5, 8, 11] {
      for l in 0..<3 { doc += "    route.block[\(b)].layer[\(l)].op: \(l == 2 ? "skip_connect" : "k5_e3")\n" }
    }
    let r = Compiler.compile(path: write(doc, "a.yaml", in: dir))
    let ir = try #require(r.ir, "\(r.diagnostics)")
    guard case .route(let route)? = ir.network.items.first else { Issue.record("expected a route"); return }
    #expect(route.blocks.map(\.index) == path)
    #expect(route.edges.count == 7 && route.edges.allSatisfy { $0.head.candidates.count == 1 })
    #expect(route.shape == Shape(1984, 7, 7))
    let bad = Compiler.compile(
      path: write(doc.replacingAll("route.path: [0, 1, 2, 5,", "route.path: [0, 2, 5,"), "b.yaml", in: dir))
    #expect(bad.diagnostics.contains { $0.code == .archMismatch })
  }

  @Test func smashDecidedBlock() throws {
    let dir = tempProject()
    write(readRepo("spaces/smash.yaml"), "s.yaml", in: dir)
    var doc = "nasc: 1\narch:\n  space: s.yaml\n  choices:\n"
    for (m, banks) in [(0, 4), (1, 4), (2, 2)] {
      for l in 0..<4 {
        let p = "memory[\(m)].layer[\(l)]"
        doc += "    \(p).read: [0\(banks > 2 && l > 0 ? ", 2" : "")]\n    \(p).write: [1]\n"
        doc += "    \(p).k: 5\n    \(p).d: 2\n    \(p).g: 1\n"
      }
    }
    let r = Compiler.compile(path: write(doc, "a.yaml", in: dir))
    let ir = try #require(r.ir, "\(r.diagnostics)")
    guard case .memory(let m)? = ir.network.items.first else { Issue.record("expected a memory block"); return }
    #expect(m.layers[1].reads == [0, 2] && m.layers[1].writes == [1])
    #expect(m.layers[1].layer.inputShape.channels == 32 && m.layers[0].layer.inputShape.channels == 16)
    #expect(m.layers[1].layer.candidates.map(\.name) == ["smash_layer_k5_d2_g1"])
  }

  @Test func archWithAnUnknownOpIsReported() {
    let g = DartsGenotype.published["DARTS_V2"]!.replacingAll("dil_conv_3x3", "dil_conv_4x4")
    let r = Compiler.compile(path: repo("spaces/darts-cnn.yaml"), options: CompileOptions(arch: g))
    #expect(r.diagnostics.contains { $0.code == .archMismatch && $0.help == "did you mean 'dil_conv_3x3'?" })
  }

  @Test func dumpAndDotMentionEveryCell() throws {
    let ir = try #require(Compiler.compile(path: repo("spaces/darts-digits.yaml")).ir)
    let dump = IRDump.dump(ir)
    #expect(dump.contains("edge 0→2 stride 1  [normal.edge[0→2].op]"))
    #expect(dump.contains("reduction"))
    #expect(DotWriter.dot(ir).contains("cluster_reduce"))
  }

  /// `reduction_prev` labels only a cell after a reduction cell; a cell after a downsampling op says
  /// so; one-input cells show no `C_prev_prev`.
  @Test func dumpLabelsWhatPrecedesACell() throws {
    let nb = try #require(Compiler.compile(path: repo("spaces/nas-bench-201.yaml")).ir)
    let lines = IRDump.dump(nb).split(separator: "\n").filter { $0.hasPrefix("item ") }
    #expect(lines[5] == "item 5: resnet_block -> 32x16x16")
    #expect(lines[6] == "item 6: cell 5 template=cell after_downsampling(item 5) C_prev=32 C=32 -> 32x16x16")
    #expect(lines[7] == "item 7: cell 6 template=cell C_prev=32 C=32 -> 32x16x16")
    #expect(!lines.contains { $0.contains("reduction_prev") || $0.contains("C_prev_prev") })
    let darts = try #require(Compiler.compile(path: repo("spaces/darts-digits.yaml")).ir)
    let dl = IRDump.dump(darts).split(separator: "\n").filter { $0.hasPrefix("item ") }
    #expect(dl[2] == "item 2: cell 2 template=normal reduction_prev C_prev_prev=32 C_prev=64 C=16 -> 64x4x4")
    #expect(dl[1].hasPrefix("item 1: cell 1 template=reduce reduction C_prev_prev=24 "))
  }

  /// A layer after a reduction cell sets `reduction_prev` by its own stride, not the cell's: after a
  /// stride-1 layer a two-input cell reads two inputs of one size, and DARTS' preprocessing fits.
  @Test func reductionPrevFollowsTheItemBefore() throws {
    let text = """
      nasc: 1
      extends: lib/darts-cells.yaml
      input: {channels: 1, size: 8, classes: 10}
      network:
        C: 8
        stem: [{conv: {out: 24, kernel: 3}}, bn]
        body:
          - {cell: reduce}
          - {layer: nor_conv_1x1}
          - {cell: normal}
          - {layer: nor_conv_1x1, stride: 2}
          - {cell: normal}

      """
    let dir = tempProject()
    write(readRepo("spaces/lib/darts-cells.yaml"), "lib/darts-cells.yaml", in: dir)
    let r = Compiler.compile(path: write(text, "space.yaml", in: dir))
    #expect(r.diagnostics.isEmpty, "\(r.diagnostics.map(\.message))")
    let ir = try #require(r.ir)
    #expect(ir.cells.map(\.reductionPrev) == [false, false, true])
    let items = IRDump.dump(ir).split(separator: "\n").filter { $0.hasPrefix("item ") }
    #expect(items[2].hasPrefix("item 2: cell 1 template=normal C_prev_prev=64 "))
    #expect(items[4].hasPrefix("item 4: cell 2 template=normal after_downsampling(item 3) C_prev_prev=256 "))
  }
}

@Suite("The IR's structure for lowering")
struct IRStructureTests {
  @Test func dartsSearchSkeleton() throws {
    let ir = try #require(Compiler.compile(path: repo("spaces/darts-cnn.yaml")).ir)
    #expect(ir.cells.count == 8)
    #expect(ir.cells.map(\.reduction) == [false, false, true, false, false, true, false, false])
    let c3 = ir.cells[3]
    #expect(c3.reductionPrev && c3.cPrevPrev == 64 && c3.cPrev == 128 && c3.c == 32)
    #expect(c3.inputs[0].preprocess.nodes.contains { $0.op == .shift })  // FactorizedReduce
    #expect(c3.nodes.map { $0.edges.count } == [2, 3, 4, 5])
    let e = c3.nodes[0].edges[0]
    #expect(e.choice == "normal.edge[0→2].op")
    #expect(
      e.candidates.map(\.name) == [
        "none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
        "dil_conv_5x5",
      ])
    #expect(c3.nodes[0].inputsChoice == "normal.node2.inputs")
    #expect(ir.cells[2].nodes[0].edges[0].stride == 2)
    #expect(ir.cells[2].nodes[1].edges[2].stride == 1)
    #expect(c3.outputNodes == [2, 3, 4, 5] && c3.shape == Shape(128, 16, 16))
    #expect(ir.choicePoints.count == 36)
    let cp = try #require(ir.choicePoint("reduce.node5.inputs"))
    #expect(cp.kind == .inputs && cp.k == 2 && cp.candidates == ["0", "1", "2", "3", "4"])
    #expect(cp.location.line == 32)
    #expect(ir.network.head.nodes.map(\.op.name) == ["global_avg_pool", "linear"])
    #expect(ir.derive.kind == .topKEdges && ir.derive.exclude == ["none"])
    #expect(ir.method?.name == "darts")
    #expect(ir.method?["w_lr"] == .real(0.025))
  }

  @Test func alphaRows() throws {
    let ir = try #require(Compiler.compile(path: repo("spaces/darts-cnn.yaml")).ir)
    let rows = ir.opChoices(ofTemplate: "normal")
    #expect(rows.count == 14 && rows.allSatisfy { $0.candidates.count == 8 })
    #expect(rows.map(\.id).prefix(3) == ["normal.edge[0→2].op", "normal.edge[1→2].op", "normal.edge[0→3].op"])
    #expect(ir.opChoices(ofTemplate: "reduce").count == 14)
    #expect(ir.cells[0].edges.count == 14)
  }

  @Test func sepConvIsTwoDepthwiseBlocks() throws {
    let ir = try #require(Compiler.compile(path: repo("spaces/darts-cnn.yaml")).ir)
    let sep = ir.cells[0].nodes[0].edges[0].candidates[4].graph
    #expect(sep.nodes.map(\.op.name) == ["relu", "conv", "conv", "bn", "relu", "conv", "conv", "bn"])
    if case .conv(let dw) = sep.nodes[1].op {
      #expect(dw.groups == 16 && dw.kh == 3 && dw.ph == 1)
    } else {
      Issue.record("expected a depthwise conv")
    }
    if case .batchNorm(_, let affine) = sep.nodes[3].op { #expect(!affine) }
    let pool = ir.cells[0].nodes[0].edges[0].candidates[1].graph
    #expect(pool.nodes.map(\.op.name) == ["max_pool", "bn"])
  }

  @Test func layerwiseSpace() throws {
    let ir = try #require(Compiler.compile(path: repo("spaces/proxylessnas.yaml")).ir)
    #expect(ir.layers.count == 22)
    #expect(ir.layers[0].choice == nil)
    #expect(ir.layers[1].choice == "layer[1].op" && ir.layers[1].candidates.count == 6)
    #expect(ir.layers[2].candidates.count == 7 && ir.layers[2].residual)
    #expect(ir.layers[21].shape == Shape(320, 7, 7))
  }

  @Test func methodDefaultsAndOverrides() throws {
    let ir = try #require(Compiler.compile(path: repo("spaces/pc-darts.yaml")).ir)
    #expect(ir.method?["k"] == .int(4))
    #expect(ir.method?["arch_lr"] == .real(6e-4))
    #expect(ir.method?["warmup_epochs"] == .int(15))
  }
}
