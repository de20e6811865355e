/// Writes a `SchemaNode` as JSON Schema draft-07 (`additionalProperties: false` on every object).
public enum JSONSchemaWriter {
  /// The DSL's JSON Schema, exactly what `nasc schema` prints and `schema/nasc.schema.json` holds.
  public static func dslSchema() -> String {
    var top: [(String, JSONValue)] = [
      ("$schema", .string("http://json-schema.org/draft-07/schema#")),
      ("$id", .string("https://nasc.dev/schema/nasc.schema.json")),
      ("title", .string("nasc search space")),
    ]
    if case .object(let o) = json(DSLSchema.root) {
      top += o.filter { $0.0 != "description" }
      top.insert(("description", .string("A nasc search space, architecture or op library (see Grammar.md).")), at: 3)
    }
    top.append(("definitions", .object(DSLSchema.definitions.map { ($0.0, json($0.1)) })))
    return JSONValue.object(top).serialized() + "\n"
  }

  static func withDescription(_ o: [(String, JSONValue)], _ d: String) -> JSONValue {
    d.isEmpty ? .object(o) : .object([("description", .string(d))] + o)
  }

  /// One schema node as JSON.
  public static func json(_ n: SchemaNode) -> JSONValue {
    switch n {
    case .object(let o):
      var out: [(String, JSONValue)] = [("type", .string("object"))]
      out.append(("properties", .object(o.properties.map { ($0.name, json($0.schema)) })))
      if !o.required.isEmpty { out.append(("required", .array(o.required.map(JSONValue.string)))) }
      if o.minProperties > 0 { out.append(("minProperties", .int(o.minProperties))) }
      out.append(("additionalProperties", .bool(false)))
      return withDescription(out, o.description)
    case .map(let pattern, let value, let d):
      return withDescription(
        [
          ("type", .string("object")), ("patternProperties", .object([(pattern, json(value))])),
          ("additionalProperties", .bool(false)),
        ], d)
    case .array(let item, let minItems, let d):
      var out: [(String, JSONValue)] = [("type", .string("array")), ("items", json(item))]
      if minItems > 0 { out.append(("minItems", .int(minItems))) }
      return withDescription(out, d)
    case .string(let words, let d):
      var out: [(String, JSONValue)] = [("type", .string("string"))]
      if let w = words { out.append(("enum", .array(w.map(JSONValue.string)))) }
      return withDescription(out, d)
    case .integer(let lo, let hi, let d):
      var out: [(String, JSONValue)] = [("type", .string("integer"))]
      if let lo { out.append(("minimum", .int(lo))) }
      if let hi { out.append(("maximum", .int(hi))) }
      return withDescription(out, d)
    case .number(let lo, let hi, let d):
      var out: [(String, JSONValue)] = [("type", .string("number"))]
      if let lo { out.append(("minimum", .double(lo))) }
      if let hi { out.append(("maximum", .double(hi))) }
      return withDescription(out, d)
    case .boolean(let d): return withDescription([("type", .string("boolean"))], d)
    case .null: return .object([("type", .string("null"))])
    case .anyOf(let alts, let d):
      if alts.count == 1 { return withDescription([("allOf", .array([json(alts[0])]))], d) }
      return withDescription([("anyOf", .array(alts.map(json)))], d)
    case .ref(let name): return .object([("$ref", .string("#/definitions/\(name)"))])
    case .any(let d): return withDescription([], d)
    }
  }
}
