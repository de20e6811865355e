import ArgumentParser
import Foundation
import NASCSpace

extension ReportFormat: ExpressibleByArgument {}

/// `nasc validate FILE... [--format text|json|github|sarif|junit] [--strict]`.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check space files; exit 0 when clean, 1 on errors (or warnings with --strict).")

  @Argument(help: "Space, arch or library files.")
  var files: [String]

  @Option(help: "Output format: text, json, github, sarif or junit.")
  var format: ReportFormat = .text

  @Flag(help: "Treat warnings as errors for the exit status.")
  var strict = false

  func validate() throws {
    if files.isEmpty { throw ValidationError("give at least one file") }
  }

  func run() throws {
    var all: [Diagnostic] = []
    var sources: [String: String] = [:]
    for f in files {
      let r = Compiler.validate(path: f)
      all += r.diagnostics
      sources.merge(r.sources) { a, _ in a }
    }
    let text = Reporter.render(
      format, files: files, diagnostics: all, sources: sources,
      colour: format == .text && Terminal.stderrColour)
    if format == .text { Terminal.err(text) } else { Terminal.out(text) }
    let errors = all.contains { $0.severity == .error }
    let warnings = all.contains { $0.severity == .warning }
    if errors || (strict && warnings) { throw ExitCode(1) }
  }
}
