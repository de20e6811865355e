import ArgumentParser
import NASCSpace

/// `nasc schema`: the DSL's JSON Schema (draft-07), identical to schema/nasc.schema.json.
struct SchemaCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "schema", abstract: "Print the JSON Schema of the space language.")

  func run() throws {
    Terminal.out(JSONSchemaWriter.dslSchema())
  }
}
