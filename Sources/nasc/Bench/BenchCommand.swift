import ArgumentParser

/// `nasc bench`: performance measurements (`engine` for kernels; `search` for whole search steps).
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure nasc's performance on this machine.",
    subcommands: [EngineBenchCommand.self, SearchBenchCommand.self]
  )
}
