import Foundation
import NASCExport
import NASCSpace
import Testing

@testable import NASCSearch

/// `nasc report`: the page of a DARTS run built here file by file (manifest, space copy, metrics,
/// arch.yaml) as a search writes them, the page of a real training run, and every bad input a
/// coded error that leaves no file behind.
@Suite struct ReportTests {
  static let choices = """
    normal.node2: [[avg_pool_3x3, 0], [sep_conv_3x3, 1]]
    normal.node3: [[sep_conv_5x5, 1], [sep_conv_5x5, 2]]
    normal.node4: [[max_pool_3x3, 0], [skip_connect, 1]]
    normal.node5: [[sep_conv_3x3, 1], [dil_conv_5x5, 2]]
    reduce.node2: [[dil_conv_3x3, 0], [sep_conv_3x3, 1]]
    reduce.node3: [[sep_conv_5x5, 0], [dil_conv_3x3, 1]]
    reduce.node4: [[sep_conv_3x3, 2], [skip_connect, 3]]
    reduce.node5: [[sep_conv_5x5, 0], [sep_conv_5x5, 4]]
    """

  /// A finished 3-epoch DARTS run of a tiny space named `name`, in a fresh directory; returns the
  /// run directory and the compiled supernet.
  static func dartsRun(in tmp: TempDir, name: String = "tiny <&> \"digits\"") throws -> (dir: String, ir: SpaceIR) {
    let project = tmp.path + "/project"
    try FileManager.default.createDirectory(atPath: project + "/lib", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: project + "/.git", withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: repoRoot + "/spaces/lib/darts-cells.yaml", toPath: project + "/lib/darts-cells.yaml")
    let escapedName = name.replacingOccurrences(of: "\"", with: "\\\"")
    let spaceText = """
      nasc: 1
      name: "\(escapedName)"
      extends: lib/darts-cells.yaml
      input: {channels: 1, size: 8, classes: 10}
      network:
        C: 4
        stem: [{conv: {out: 2 * C, kernel: 3}}, {bn: {affine: true}}]
        cells: 3
        reductions: [1, 2]
        head: [global_avg_pool, linear]
      search: {method: darts, epochs: 3, batch_size: 8, arch_lr: 6e-4}

      """
    try spaceText.write(toFile: project + "/tiny.yaml", atomically: true, encoding: .utf8)
    let compiled = Compiler.compile(path: project + "/tiny.yaml")
    let ir = try #require(compiled.ir, "\(compiled.diagnostics.map(\.message))")
    let dir = tmp.path + "/run"
    let run = RunDirectory(path: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let copy = try SpaceSnapshot.write(sources: compiled.sources, top: project + "/tiny.yaml", into: run)
    let config = try #require(ir.method)
    var manifest = RunManifest(
      space: project + "/tiny.yaml", spaceCopy: copy, spaceName: ir.name,
      spaceHash: SearchDriver.spaceHash(sources: compiled.sources), method: "darts",
      hyperparameters: MethodRegistry.settings(of: config),
      run: RunSettings(seed: 7, threads: 2, data: "digits", trainLimit: 400), notes: ["a note <b>"],
      normalization: nil, trainImages: 400)
    manifest.result = .init(genotype: nil, arch: "arch.yaml", valAccuracy: 0.83, signal: nil, reported: nil, units: 3)
    try manifest.write(to: run.manifest)
    // Three epochs in which skip_connect (column 3) gains weight on every edge.
    var history = [Metrics]()
    for epoch in 0..<3 {
      var alpha = [String: MetricValue]()
      for cp in ir.choicePoints where cp.kind == .op {
        var row = [Double](repeating: 1, count: cp.candidates.count)
        row[3] += Double(epoch)
        let sum = row.reduce(0, +)
        alpha[cp.id] = .numbers(row.map { $0 / sum })
      }
      history.append([
        "epoch": .int(epoch), "lr": .number(0.025 - 0.01 * Double(epoch)), "seconds": .number(50),
        "train_loss": .number(2 - 0.5 * Double(epoch)), "val_loss": .number(2.2 - 0.4 * Double(epoch)),
        "train_acc": .number(0.5 + 0.1 * Double(epoch)), "val_acc": .number(0.4 + 0.1 * Double(epoch)),
        "arch_steps": .bool(true), "alpha": .map(alpha),
        "alpha_entropy": .map(["normal": .number(2.07 - 0.1 * Double(epoch)), "reduce": .number(2.0)]),
        "parameter_free_share": .map(["normal": .number(0.5 + 0.1 * Double(epoch)), "reduce": .number(0.43)]),
      ])
    }
    try MetricsFile.write(history, to: run.metrics)
    let arch =
      "nasc: 1\narch:\n  space: \(copy)\n  choices:\n"
      + choices.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
    try arch.write(toFile: run.arch, atomically: true, encoding: .utf8)
    return (dir, ir)
  }

  @Test func dartsRunPageHasCellsCurvesSignalsAndSettings() throws {
    let tmp = try TempDir()
    let (dir, ir) = try Self.dartsRun(in: tmp)
    let path = try RunReport.write(runDirectory: dir)
    #expect(path == dir + "/report.html")
    let html = try String(contentsOfFile: path, encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    // Both derived cells, drawn, with the ops arch.yaml keeps.
    #expect(html.contains("<text x=\"12\" y=\"20\" font-size=\"13\" font-weight=\"bold\">normal cell</text>"))
    #expect(html.contains(">reduce cell (reduction)</text>"))
    #expect(html.contains(">dil_conv_5x5</text>"))
    // Parameters and MACs of the derived architecture, as compiling arch.yaml counts them.
    let derived = try #require(Compiler.compile(path: dir + "/arch.yaml").ir)
    #expect(html.contains("<th>parameters</th><td>\(grouped(derived.cost.params))</td>"))
    #expect(html.contains("<th>MACs per image</th><td>\(grouped(derived.cost.macs))</td>"))
    // A curve per metric: the loss and accuracy lines in their charts, the others in their own.
    for key in ["train_loss", "val_loss", "train_acc", "val_acc"] { #expect(html.contains(">\(key)</text>"), "\(key)") }
    for title in ["loss", "accuracy (%)", "lr", "seconds"] {
      #expect(html.contains("font-weight=\"bold\">\(title)</text>"))
    }
    #expect(!html.contains(">arch_steps</text>"))
    // Accuracies in percent: 0.6 at epoch 2 reads 60.
    #expect(html.contains("font-weight=\"bold\">accuracy (%)</text>"))
    // The collapse signals, with their uniform references.
    #expect(html.contains(">mean entropy of softmax(α) per edge</text>"))
    #expect(html.contains(">weight share of parameter-free ops</text>"))
    #expect(html.contains(">top-op: largest softmax(α) of any op</text>"))
    #expect(html.contains(">uniform (1/8)</text>") && html.contains(">uniform (ln 8)</text>"))
    // At the last epoch skip_connect is strongest on every edge of both cells.
    #expect(html.contains("<td>normal</td><td>skip_connect ×14</td>"))
    // softmax(α) per edge: one panel per edge of each template.
    let edges = ir.opChoices(ofTemplate: "normal").count
    #expect(html.contains("softmax(α) of the normal cell per edge"))
    #expect(html.components(separatedBy: ">edge ").count - 1 == 2 * edges)
    // The settings: seed, data, every hyperparameter as resolved, the notes.
    #expect(html.contains("<th>seed</th><td>7</td>"))
    #expect(html.contains("<td>arch_lr</td><td>0.0006</td>"))
    #expect(html.contains("<th>method</th><td>darts (softmax mixture)</td>"))
    #expect(html.contains("note: a note &lt;b&gt;"))
    // Self-contained: no scripts, no external files, every element id once.
    #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"))
    #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
    let ids = html.components(separatedBy: " id=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
    #expect(Set(ids).count == ids.count, "duplicate ids")
    #expect(ids.count >= 2)
  }

  @Test func userTextIsEscaped() throws {
    let tmp = try TempDir()
    let (dir, _) = try Self.dartsRun(in: tmp)
    let html = RunReport.html(try RunRecord.read(dir))
    #expect(html.contains("<title>nasc report: tiny &lt;&amp;&gt; &quot;digits&quot; (darts)</title>"))
    #expect(!html.contains("tiny <&>"))
    // In the SVG titles too.
    #expect(html.contains("tiny &lt;&amp;&gt; &quot;digits&quot;: softmax(α) of the normal cell per edge"))
  }

  @Test func oneShotRankingIsDrawnFromRankPairs() throws {
    let tmp = try TempDir()
    let (dir, _) = try Self.dartsRun(in: tmp)
    try FileManager.default.createDirectory(atPath: dir + "/rank", withIntermediateDirectories: true)
    let pairs = (0..<4).map { i in
      "{\"arch\":\"a\(i)\",\"seed\":1,\"standalone\":\(80 + i),\"standaloneHeldOut\":\(79 + i),\"supernet\":\(60 + 2 * i),\"trainEpochs\":5}"
    }
    try (pairs.joined(separator: "\n") + "\n").write(
      toFile: dir + "/rank/pairs.jsonl", atomically: true, encoding: .utf8)
    try "{\"count\":4,\"k\":2,\"kendallTau\":1,\"spearmanRho\":\"undefined\",\"topKOverlap\":1}\n".write(
      toFile: dir + "/rank/summary.json", atomically: true, encoding: .utf8)
    let html = RunReport.html(try RunRecord.read(dir))
    #expect(html.contains("supernet vs stand-alone ranking"))
    #expect(html.contains(">architectures (4)</text>"))
    #expect(html.components(separatedBy: "fill-opacity=\"0.75\"").count - 1 == 4)
    #expect(html.contains("<th>Kendall τ</th><td>1.000</td>"))
    #expect(html.contains("<th>Spearman ρ</th><td>undefined</td>"))
  }

  @Test(.timeLimit(.minutes(3))) func trainingRunPageHasItsSettingsAndCurves() throws {
    let tmp = try TempDir()
    let out = tmp.path + "/train"
    let train = try runNasc([
      "train", repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml", "--arch", "DARTS_V2", "--epochs", "2",
      "--limit", "64", "--out", out,
    ])
    #expect(train.status == 0, "\(train.stderr)")
    let r = try runNasc(["report", out, "--out", tmp.path + "/page.html"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("report written to \(tmp.path)/page.html"))
    let html = try String(contentsOfFile: tmp.path + "/page.html", encoding: .utf8)
    #expect(html.contains("<title>nasc report: training run train</title>"))
    #expect(html.contains("<th>epochs</th><td>2</td>") && html.contains("<th>limit</th><td>64</td>"))
    for key in ["train_loss", "test_loss", "train_acc", "test_acc"] { #expect(html.contains(">\(key)</text>")) }
    #expect(!html.contains("Collapse signals"))
    #expect(!FileManager.default.fileExists(atPath: out + "/report.html"))
  }

  /// `nasc report` on `dir`: its exit status and stderr.
  func report(_ dir: String) throws -> (status: Int32, stderr: String) {
    let r = try runNasc(["report", dir])
    return (r.status, r.stderr)
  }

  @Test func badInputIsACodedErrorThatWritesNothing() throws {
    let tmp = try TempDir()
    // Not there, a file, an empty directory.
    var r = try report(tmp.path + "/missing")
    #expect(r.status == 1 && r.stderr.contains("error[E302]: no run directory"), "\(r.stderr)")
    try "x".write(toFile: tmp.path + "/file", atomically: true, encoding: .utf8)
    r = try report(tmp.path + "/file")
    #expect(r.status == 1 && r.stderr.contains("error[E302]") && r.stderr.contains("not a run directory"))
    try FileManager.default.createDirectory(atPath: tmp.path + "/empty", withIntermediateDirectories: true)
    r = try report(tmp.path + "/empty")
    #expect(r.status == 1 && r.stderr.contains("error[E302]") && r.stderr.contains("help: pass the --out directory"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path + "/empty").isEmpty)

    let (dir, _) = try Self.dartsRun(in: tmp)
    let manifest = try String(contentsOfFile: dir + "/manifest.json", encoding: .utf8)
    let metrics = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8)
    func expectNothingWritten() throws {
      let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
        $0.hasPrefix("report") || $0.hasPrefix(".report")
      }
      #expect(left.isEmpty, "\(left)")
    }
    // A damaged manifest.
    try String(manifest.prefix(40)).write(toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
    r = try report(dir)
    #expect(r.status == 1 && r.stderr.contains("error[E303]: manifest.json is damaged"), "\(r.stderr)")
    try expectNothingWritten()
    try manifest.write(toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
    // Metrics missing, then with a damaged second line, then empty.
    try FileManager.default.removeItem(atPath: dir + "/metrics.jsonl")
    r = try report(dir)
    #expect(r.status == 1 && r.stderr.contains("error[E302]: no metrics.jsonl in the run"), "\(r.stderr)")
    let lines = metrics.split(separator: "\n")
    try ([String(lines[0]), String(lines[1].prefix(30)), String(lines[2])].joined(separator: "\n")).write(
      toFile: dir + "/metrics.jsonl", atomically: true, encoding: .utf8)
    r = try report(dir)
    #expect(r.status == 1 && r.stderr.contains("error[E303]: metrics.jsonl line 2 is not a JSON object"), "\(r.stderr)")
    try "\n".write(toFile: dir + "/metrics.jsonl", atomically: true, encoding: .utf8)
    r = try report(dir)
    #expect(r.status == 1 && r.stderr.contains("error[E303]: metrics.jsonl is empty"), "\(r.stderr)")
    try expectNothingWritten()
    // A space copy that no longer compiles.
    try metrics.write(toFile: dir + "/metrics.jsonl", atomically: true, encoding: .utf8)
    let copy = try #require(try RunManifest.read(from: dir + "/manifest.json").spaceCopy)
    try "nasc: 1\nname: [".write(toFile: dir + "/" + copy, atomically: true, encoding: .utf8)
    r = try report(dir)
    #expect(r.status == 1 && r.stderr.contains("error[E305]"), "\(r.stderr)")
    try expectNothingWritten()
    // An output directory that does not exist: E301, and nothing written.
    let bad = try runNasc(["report", dir, "--out", tmp.path + "/no/such/dir/page.html"])
    #expect(bad.status == 1 && bad.stderr.contains("error[E30"), "\(bad.stderr)")
  }

  @Test func aSearchRunWithoutItsManifestSaysHowToRewriteIt() throws {
    let tmp = try TempDir()
    let (dir, _) = try Self.dartsRun(in: tmp)
    try FileManager.default.removeItem(atPath: dir + "/manifest.json")
    let r = try report(dir)
    #expect(r.status == 1 && r.stderr.contains("error[E302]"), "\(r.stderr)")
  }

  func grouped(_ n: Int) -> String {
    let f = NumberFormatter()
    f.numberStyle = .decimal
    f.groupingSeparator = ","
    f.usesGroupingSeparator = true
    return f.string(from: NSNumber(value: n)) ?? String(n)
  }
}
