/// One node of the DSL's schema. A single Swift value drives both the structural checker
/// (unknown keys with did-you-mean, wrong types, missing keys) and the JSON Schema that
/// `nasc schema` prints, so the two cannot drift apart.
public indirect enum SchemaNode: Sendable {
  /// A mapping with fixed keys; `additionalProperties: false`.
  case object(ObjectSchema)
  /// A mapping from user-chosen names (matching `keyPattern`) to values.
  case map(keyPattern: String, value: SchemaNode, description: String)
  /// A list.
  case array(SchemaNode, minItems: Int, description: String)
  /// A string, optionally one of fixed words.
  case string(words: [String]?, description: String)
  /// An integer in a closed range.
  case integer(min: Int?, max: Int?, description: String)
  /// A number.
  case number(min: Double?, max: Double?, description: String)
  /// `true` or `false`.
  case boolean(description: String)
  /// `null` (used for argument-less primitives written as `relu:`).
  case null
  /// Any of several shapes (chosen by the node's YAML kind, then by required keys).
  case anyOf([SchemaNode], description: String)
  /// A reference to a named definition.
  case ref(String)
  /// Anything (for values checked later, e.g. hyperparameters).
  case any(description: String)

  /// The description shown on hover by editors.
  public var description: String {
    switch self {
    case .object(let o): return o.description
    case .map(_, _, let d), .array(_, _, let d), .string(_, let d), .integer(_, _, let d), .number(_, _, let d),
      .boolean(let d), .anyOf(_, let d), .any(let d):
      return d
    case .null, .ref: return ""
    }
  }
}

/// A property of an object schema.
public struct SchemaProperty: Sendable {
  /// The key.
  public var name: String
  /// Its value's schema.
  public var schema: SchemaNode
  /// Whether it must be present.
  public var required: Bool

  /// Creates a property.
  public init(_ name: String, _ schema: SchemaNode, required: Bool = false) {
    self.name = name
    self.schema = schema
    self.required = required
  }
}

/// A mapping with a fixed set of keys.
public struct ObjectSchema: Sendable {
  /// What the mapping means.
  public var description: String
  /// Its keys in documentation order.
  public var properties: [SchemaProperty]
  /// At least this many keys must be present.
  public var minProperties: Int

  /// Creates an object schema.
  public init(_ description: String, minProperties: Int = 0, _ properties: [SchemaProperty]) {
    self.description = description
    self.properties = properties
    self.minProperties = minProperties
  }

  /// The names of the required keys.
  public var required: [String] { properties.filter(\.required).map(\.name) }
}
