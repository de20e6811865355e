import ArgumentParser
import Foundation
import NASCSpace
import NASCTensor

/// The `nasc` root command: one subcommand per user task.
@main
struct NascCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nasc",
    abstract: "A neural-architecture-search compiler: YAML search spaces in, searched architectures out.",
    version: nascVersion + "\nkernels: " + Engine.kernelsDescription,
    subcommands: [
      CompileCommand.self, ValidateCommand.self, SchemaCommand.self, SearchCommand.self, DeriveCommand.self,
      TrainCommand.self, ExportCommand.self, ReportCommand.self, RankCommand.self, LatencyCommand.self,
      BenchCommand.self, CompareCommand.self,
      MethodsCommand.self,
    ]
  )

  /// Runs the command line; usage errors exit 2 (ArgumentParser's default would be 64).
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      if exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      }
      exit(withError: error)
    }
  }
}
