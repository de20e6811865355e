import ArgumentParser
import Foundation
import NASCSearch
import NASCSpace

/// `nasc methods [--json]`: every method with its family, paper, whether it runs, and its
/// hyperparameters with their paper defaults.
struct MethodsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "methods", abstract: "List the search methods and their hyperparameters with paper defaults.")

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let methods = MethodRegistry.catalog
    if json {
      let enc = JSONEncoder()
      enc.outputFormatting = [.prettyPrinted, .sortedKeys]
      Terminal.out(String(decoding: try enc.encode(methods), as: UTF8.self) + "\n")
      return
    }
    var out = ""
    for m in methods {
      out += "\(m.name)  [\(m.runs ? "runs" : "not runnable yet")]  \(m.family); \(m.relaxation); derive \(m.derive)\n"
      out += "  \(m.paper)\n"
      let width = m.hyperparameters.map(\.name.count).max() ?? 0
      let values = m.hyperparameters.map(\.value.count).max() ?? 0
      for h in m.hyperparameters {
        out +=
          "    " + h.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
          + h.value.padding(toLength: values, withPad: " ", startingAt: 0) + "  \(h.help)\n"
      }
      out += "\n"
    }
    Terminal.out(out)
  }
}
