import ArgumentParser
import NASCSpace

/// The `nasc` root command: one subcommand per user task.
@main
struct NascCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nasc",
    abstract: "A neural-architecture-search compiler: YAML search spaces in, searched architectures out.",
    version: nascVersion,
    subcommands: [BenchCommand.self]
  )
}
