import ArgumentParser
import NASCExport

/// `nasc report RUN [--out FILE]`: one self-contained HTML page of a search or training run.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write one self-contained HTML page of a run: settings, derived cells, curves, collapse signals.",
    discussion: """
      The page (inline CSS and SVG, no scripts, no external files) shows the space and method, the settings, the \
      derived cells with their parameters and MACs, loss and accuracy curves, the α entropy, parameter-free share and \
      top-op per cell type, softmax(α) per edge over the epochs and, for one-shot runs, the ranking of \
      `nasc rank`. A training run's page shows its settings and curves.
      """)

  @Argument(help: ArgumentHelp("The run directory of a nasc search or nasc train run.", valueName: "run-dir"))
  var runDirectory: String

  @Option(help: "The HTML file to write (default: RUN/report.html).")
  var out: String?

  func run() throws {
    try reportingRunErrors {
      let path = try RunReport.write(runDirectory: runDirectory, to: out)
      Terminal.out("report written to \(path)\n")
    }
  }
}
