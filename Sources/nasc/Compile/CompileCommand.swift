import ArgumentParser
import Foundation
import NASCSpace

/// What `--dump` prints.
enum DumpKind: String, ExpressibleByArgument, CaseIterable {
  case ir
}

/// `nasc compile SPACE [--arch ARCH] [--eval] [--json] [--dot FILE] [--dump ir]`.
struct CompileCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compile",
    abstract: "Check a space and print its summary: choice points, architectures, params and FLOPs.")

  @Argument(help: "The space file (or an arch document naming its space).")
  var space: String

  @Option(
    help: "A fixed architecture: an arch file, a DARTS genotype string, an NB201 string or a published name (DARTS_V2)."
  )
  var arch: String?

  @Flag(help: "Use the space's evaluation skeleton (cells, C, auxiliary head).")
  var eval = false

  @Flag(help: "Print one JSON object on stdout.")
  var json = false

  @Option(help: "Write a Graphviz DOT drawing of the network and its cells (chosen ops with --arch) to this file.")
  var dot: String?

  @Option(help: "Print the fully expanded IR.")
  var dump: DumpKind?

  func run() throws {
    let result = Compiler.compile(path: space, options: CompileOptions(eval: eval, arch: arch))
    if !result.diagnostics.isEmpty {
      Terminal.err(TextRenderer(colour: Terminal.stderrColour, sources: result.sources).render(result.diagnostics))
    }
    guard let ir = result.ir else { throw ExitCode(1) }
    if let dot {
      do { try DotWriter.dot(ir).write(toFile: dot, atomically: true, encoding: .utf8) } catch {
        Terminal.err("error: cannot write '\(dot)': \(error.localizedDescription)\n")
        throw ExitCode(1)
      }
    }
    if dump == .ir {
      Terminal.out(IRDump.dump(ir))
    } else if json {
      Terminal.out(CompileReport.json(ir).serialized() + "\n")
    } else {
      Terminal.out(CompileReport.text(ir))
    }
  }
}
