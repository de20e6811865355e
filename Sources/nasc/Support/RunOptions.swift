import ArgumentParser
import Foundation
import NASCSearch
import NASCSpace

/// Options shared by `search` and `train`: the data set, the seed and the machine.
struct RunOptions: ParsableArguments {
  @Option(
    help:
      "The data set: digits (bundled), fashion-mnist[:DIR], cifar10:DIR or idx:DIR for image spaces; kjv (bundled) or ptb:DIR for token spaces. Default: digits, or kjv for a token space."
  )
  var data: String?

  @Option(help: "The seed of every random draw.")
  var seed: UInt64 = 1

  @Option(help: "Engine threads.")
  var threads = 2

  @Option(help: "Use only the first N training images.")
  var limit: Int?

  @Option(help: "Average-pool the images by this factor first (2: Fashion-MNIST 28×28 → 14×14).")
  var downsample: Int?

  func validate() throws {
    if threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
    if let limit, limit < 4 { throw ValidationError("--limit must be at least 4") }
    if let downsample, downsample < 1 || downsample > 16 {
      throw ValidationError("--downsample must be between 1 and 16")
    }
  }
}

/// Compiles `path`, printing any diagnostics on stderr; exits 1 when there is no IR.
func compileOrExit(_ path: String, _ options: CompileOptions) throws -> (ir: SpaceIR, sources: [String: String]) {
  let result = Compiler.compile(path: path, options: options)
  if !result.diagnostics.isEmpty {
    Terminal.err(TextRenderer(colour: Terminal.stderrColour, sources: result.sources).render(result.diagnostics))
  }
  guard let ir = result.ir else { throw ExitCode(1) }
  return (ir, result.sources)
}

/// Runs `body`, turning run errors into `error[CODE]: …` on stderr and exit status 1.
func reportingRunErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let e as RunError {
    Terminal.err(TextRenderer(colour: Terminal.stderrColour).render(e.diagnostic))
    throw ExitCode(1)
  } catch let e as ExitCode {
    throw e
  } catch {
    Terminal.err("error: \(error)\n")
    throw ExitCode(1)
  }
}

/// `options` at the image shape and class count of the data `settings` name (`--fit-data`), said on
/// stderr; a data error is reported and exits 1.
func fittingData(_ options: CompileOptions, _ settings: TrainSettings) throws -> CompileOptions {
  var shape: (input: Shape, classes: Int)?
  try reportingRunErrors { shape = try TrainDriver.dataShape(of: settings) }
  guard let shape else { throw ExitCode(1) }
  Terminal.err("--fit-data: building the network for \(shape.input) images and \(shape.classes) classes\n")
  return CompileOptions(eval: options.eval, arch: options.arch, input: shape.input, classes: shape.classes)
}
