/// The schema of the nasc DSL: every key, its type and meaning. Grammar.md documents the same keys;
/// `scripts/check_schema.py` checks that every key Grammar.md documents is here.
public enum DSLSchema {
  static func s(_ d: String, _ words: [String]? = nil) -> SchemaNode { .string(words: words, description: d) }
  static func i(_ d: String, min: Int? = nil, max: Int? = nil) -> SchemaNode {
    .integer(min: min, max: max, description: d)
  }
  static func b(_ d: String) -> SchemaNode { .boolean(description: d) }
  static func e(_ d: String) -> SchemaNode { .anyOf([.ref("expr")], description: d) }
  static func obj(_ d: String, minProperties: Int = 0, _ p: [SchemaProperty]) -> SchemaNode {
    .object(ObjectSchema(d, minProperties: minProperties, p))
  }
  static func p(_ n: String, _ s: SchemaNode, required: Bool = false) -> SchemaProperty {
    SchemaProperty(n, s, required: required)
  }
  static let namePattern = "^[A-Za-z_][A-Za-z0-9_.-]*$"

  /// Primitive names accepted as steps (see Grammar.md "Primitives").
  public static let primitives = [
    "conv", "bn", "relu", "relu6", "tanh", "sigmoid", "identity", "zero", "max_pool", "avg_pool",
    "global_avg_pool", "linear", "dropout", "shift", "channel_shuffle", "slice", "add", "mul", "sub", "concat",
    "embedding",
  ]

  static var noArgs: SchemaNode {
    .anyOf([.null, obj("no arguments", [])], description: "a primitive without arguments")
  }

  /// Named definitions (`#/definitions/NAME`).
  public static var definitions: [(String, SchemaNode)] {
    [
      (
        "expr",
        .anyOf(
          [
            .integer(min: nil, max: nil, description: "a number"), .number(min: nil, max: nil, description: "a number"),
            .boolean(description: "a boolean"),
            .string(words: nil, description: "an expression such as 3*C or stride == 1"),
          ],
          description: "a number or an expression over variables (C, C_in, C_out, stride, ...)")
      ),
      (
        "pair",
        .anyOf(
          [.ref("expr"), .array(.ref("expr"), minItems: 2, description: "[height, width]")],
          description: "one value for both axes or [height, width]")
      ),
      (
        "widthchoice",
        obj(
          "a width choice: the layer's output channels chosen among widths or multipliers of a base width",
          [
            p(
              "choice",
              .anyOf(
                [
                  s(
                    "a list of numbers under candidates: (one decision here) or a name under tied: (one decision everywhere)"
                  ),
                  .array(.ref("expr"), minItems: 1, description: "widths, or multipliers with of:"),
                ],
                description: "the widths or multipliers"), required: true),
            p("of", e("the base width the values multiply (then rounded: see divisor)")),
            p("divisor", e("multiplied widths round to a multiple of this (default 8; 1 = nearest integer)")),
          ])
      ),
      (
        "args",
        .map(
          keyPattern: namePattern,
          value: .anyOf([.ref("expr"), .ref("choice")], description: "an argument value or a value choice"),
          description: "arguments of an op template call")
      ),
      (
        "step",
        .anyOf(
          [
            s("a primitive or op without arguments, e.g. relu, bn, skip_connect"),
            obj(
              "one step of an op body: exactly one primitive key (or op:), optionally when:", minProperties: 1,
              [
                p(
                  "conv",
                  obj(
                    "convolution (bias-free unless bias: true)",
                    [
                      p("out", e("output channels (default C_out)")), p("kernel", .ref("pair")),
                      p("stride", .ref("pair")),
                      p("pad", .ref("pair")), p("dilation", e("dilation (default 1)")),
                      p("groups", e("groups (default 1; C_in for depthwise)")),
                      p("bias", b("add a bias (default false)")),
                    ])),
                p(
                  "bn",
                  .anyOf(
                    [
                      .null,
                      obj("batch norm", [p("affine", e("learnable scale and shift (default: the `affine` variable)"))]),
                    ],
                    description: "batch norm over the current channels")),
                p("relu", noArgs), p("relu6", noArgs), p("tanh", noArgs), p("sigmoid", noArgs), p("identity", noArgs),
                p(
                  "zero",
                  .anyOf(
                    [.null, obj("zeros", [p("stride", e("subsampling stride (default 1)"))])],
                    description: "zero tensor")),
                p(
                  "max_pool",
                  obj("max pooling", [p("kernel", .ref("pair")), p("stride", .ref("pair")), p("pad", .ref("pair"))])),
                p(
                  "avg_pool",
                  obj(
                    "average pooling",
                    [
                      p("kernel", .ref("pair")), p("stride", .ref("pair")), p("pad", .ref("pair")),
                      p("count_include_pad", b("count padding in the average (default false)")),
                    ])),
                p("global_avg_pool", noArgs),
                p(
                  "linear",
                  obj(
                    "fully connected layer on the flattened input",
                    [
                      p("out", e("outputs (default classes)")), p("bias", b("bias (default true)")),
                      p("tied", b("share the weight with the embedding (a tied decoder; default false)")),
                    ])),
                p(
                  "embedding",
                  obj(
                    "token embedding table",
                    [
                      p("tokens", e("vocabulary size (default input.tokens)")),
                      p("out", e("embedding width (default C_out)")),
                    ])),
                p("add", noArgs), p("mul", noArgs), p("sub", noArgs), p("concat", noArgs),
                p("as", s("name this step's output for later 'from:'")),
                p(
                  "from",
                  .anyOf(
                    [
                      s("a named value ('input' is the op's input)"),
                      .array(s("a named value"), minItems: 1, description: "named values"),
                    ],
                    description: "the value(s) this step reads (default: the previous step's output)")),
                p("dropout", obj("element-wise dropout", [p("p", e("drop probability"))])),
                p("shift", noArgs),
                p("channel_shuffle", obj("ShuffleNet channel shuffle", [p("groups", e("groups"))])),
                p(
                  "slice",
                  obj(
                    "channel slice",
                    [
                      p("start", e("first channel")), p("count", e("number of channels")),
                      p("step", e("channel step (default 1)")),
                    ])),
                p(
                  "parallel",
                  obj(
                    "branches applied to the same input, merged",
                    [
                      p(
                        "branches", .array(.ref("steps"), minItems: 1, description: "one step list per branch"),
                        required: true),
                      p("merge", s("how branch outputs are merged", ["concat", "add"]), required: true),
                    ])),
                p("op", s("an op template to call")),
                p("with", .ref("args")),
                p("when", e("apply this step only when the condition holds")),
              ]),
          ], description: "a step")
      ),
      ("steps", .array(.ref("step"), minItems: 0, description: "steps applied in order")),
      (
        "choice",
        obj(
          "a choice point: the candidates and how many to keep",
          [
            p(
              "choice",
              .anyOf(
                [
                  s("a candidate list name, or 'all' for inputs"),
                  .array(.ref("candidate"), minItems: 1, description: "inline candidates"),
                ],
                description: "the candidates"), required: true),
            p("k", i("how many to keep (default 1)", min: 1)),
            p("exact", b("keep exactly k (default true) or at most k")),
            p("repeats", b("the same candidate may be kept more than once (default false)")),
            p("with", .ref("args")),
          ])
      ),
      (
        "candidate",
        .anyOf(
          [
            s("an op name"),
            .number(min: nil, max: nil, description: "a value"),
            obj(
              "an op with arguments",
              [
                p("op", s("op template"), required: true), p("with", .ref("args")),
                p("name", s("the candidate's name in genotypes and arch files")),
                p("when", e("keep the candidate only where the condition holds (e.g. stride == 1 and C_in == C_out)")),
              ]),
          ], description: "a candidate")
      ),
      (
        "opref",
        .anyOf(
          [
            s("an op name"),
            obj("an op with arguments", [p("op", s("op template"), required: true), p("with", .ref("args"))]),
            .ref("choice"),
          ], description: "a fixed op or an op choice")
      ),
      (
        "optemplate",
        obj(
          "an op template built from primitives",
          [
            p("description", s("what the op is")),
            p(
              "params",
              .map(keyPattern: namePattern, value: .ref("expr"), description: "parameters with default values")),
            p("body", .ref("steps")),
            p(
              "cases",
              .array(
                obj("a case", [p("when", e("condition")), p("body", .ref("steps"), required: true)]), minItems: 1,
                description: "alternatives; the first whose when: holds is used")),
            p(
              "residual",
              .anyOf(
                [b("always or never"), s("add the input when stride 1 and C_in == C_out", ["auto"])],
                description: "identity shortcut around the body")),
          ])
      ),
      (
        "node",
        obj(
          "an intermediate node of a cell",
          [
            p(
              "from",
              .anyOf(
                [
                  s("every earlier node, or every earlier intermediate node", ["all", "intermediate"]),
                  .array(i("node index", min: 0), minItems: 1, description: "node indices"),
                ],
                description: "the nodes it reads (supernet edges)")),
            p("select", .ref("choice")),
            p("op", .ref("opref")),
            p("ops", .array(.ref("opref"), minItems: 1, description: "one op per entry of from")),
            p("project", .ref("opref")),
            p("edge_project", .ref("opref")),
          ])
      ),
      (
        "cell",
        obj(
          "a cell template: a DAG of nodes",
          [
            p("description", s("what the cell is")),
            p(
              "inputs", i("number of cell inputs: 1 (previous output) or 2 (the two previous outputs)", min: 1, max: 2)),
            p("reduction", b("edges leaving the cell inputs have stride 2; C doubles (default false)")),
            p(
              "preprocess",
              .array(.ref("opref"), minItems: 1, description: "one op per cell input mapping it to C channels")),
            p(
              "nodes",
              .anyOf(
                [
                  i("number of intermediate nodes", min: 1),
                  .array(.ref("node"), minItems: 1, description: "node specs"),
                ],
                description: "the intermediate nodes")),
            p(
              "from",
              .anyOf(
                [
                  s("every earlier node, or every earlier intermediate node", ["all", "intermediate"]),
                  .array(i("node index", min: 0), minItems: 1, description: "node indices"),
                ],
                description: "default `from` of every node")),
            p("select", .ref("choice")),
            p("op", .ref("opref")),
            p("combine", s("how a node combines its edges", ["sum", "mean"])),
            p("postprocess", .ref("opref")),
            p("project", .ref("opref")),
            p("edge_project", .ref("opref")),
            p(
              "output",
              .anyOf(
                [
                  s("the cell output", ["concat", "last", "mean", "loose_ends", "mean_loose_ends"]),
                  .array(i("node index", min: 0), minItems: 1, description: "nodes to concatenate"),
                ],
                description: "the cell output")),
          ])
      ),
      (
        "bodyitem",
        obj(
          "one entry of a network body",
          [
            p("name", s("a name for the item (used in choice point ids)")),
            p("cell", s("a cell template")),
            p("repeat", i("how many times (default 1)", min: 1)),
            p("C", e("cell width for this item (default: the running C)")),
            p("op", s("a fixed op template")),
            p("with", .ref("args")),
            p("layer", .ref("opref")),
            p(
              "out",
              .anyOf(
                [.ref("expr"), .ref("widthchoice")],
                description: "output channels, or a width choice (one decision for all of a repeated item's layers)")),
            p("stride", e("stride of the first repetition (default 1)")),
            p(
              "residual",
              .anyOf(
                [b("always or never"), s("identity shortcut when stride 1 and C_in == C_out", ["auto"])],
                description: "layer shortcut (default auto)")),
            p("recurrent", b("a recurrent cell: it reads concat(x_t, h_{t-1}) (default false)")),
            p("steps", .ref("steps")),
            p(
              "memory",
              obj(
                "a block of memory banks (SMASH): layers read and write subsets of banks",
                [
                  p("banks", i("number of banks", min: 1, max: 64), required: true),
                  p("width", e("channels per bank"), required: true),
                  p("layers", i("number of layers", min: 1, max: 1000), required: true),
                  p("read", .ref("choice")),
                  p("write", .ref("choice")),
                  p("op", .ref("opref"), required: true),
                ])),
            p(
              "route",
              obj(
                "a routing graph of candidate blocks (DenseNAS)",
                [
                  p(
                    "blocks",
                    .array(
                      obj(
                        "a candidate block",
                        [
                          p("out", e("the block's width"), required: true),
                          p(
                            "scale", i("downsampling relative to the network input (4 = 56x56 at 224)", min: 1),
                            required: true),
                          p("stage", i("its stage", min: 0), required: true),
                          p("layers", i("stacked layers (default 0)", min: 0)),
                        ]), minItems: 1, description: "candidate blocks in order; the last is the final block"),
                    required: true),
                  p("fan_out", i("connections per block to the following blocks (default 4)", min: 1)),
                  p("max_stage_step", i("a connection may advance at most this many stages (default 1)", min: 0)),
                  p("head", .ref("opref")),
                  p("stack", .ref("opref")),
                  p("final", .ref("opref")),
                ])),
          ])
      ),
      (
        "skeleton",
        obj(
          "a macro skeleton",
          [
            p("C", e("base width C")),
            p("affine", b("BN inside cells and layers is affine during search (default false)")),
            p("stem", .ref("steps")),
            p("cells", i("number of cells (shorthand for body)", min: 1)),
            p(
              "reductions",
              .anyOf(
                [
                  s("reduction cells at cells//3 and 2*cells//3", ["thirds"]),
                  .array(i("cell index", min: 0), minItems: 0, description: "reduction cell indices"),
                ],
                description: "positions of reduction cells")),
            p("normal", s("normal cell template (default 'normal')")),
            p("reduce", s("reduction cell template (default 'reduce')")),
            p("body", .array(.ref("bodyitem"), minItems: 1, description: "the network body")),
            p("head", .ref("steps")),
            p(
              "auxiliary",
              obj(
                "auxiliary head (evaluation)",
                [
                  p("after", e("index of the cell whose output feeds the head (default 2*cells//3)")),
                  p("body", .ref("steps"), required: true),
                  p("weight", .number(min: 0, max: nil, description: "loss weight (default 0.4)")),
                ])),
            p("drop_path", .number(min: 0, max: 1, description: "drop path probability (evaluation)")),
          ])
      ),
    ]
  }

  /// The search-block schema: method plus the union of all methods' hyperparameters.
  static var searchSchema: SchemaNode {
    var props = [p("method", s("the search method", MethodCatalog.methods.map(\.name)), required: true)]
    for h in MethodCatalog.allHyperparameters {
      let node: SchemaNode
      switch h.value {
      case .int: node = .anyOf([i(h.help), .number(min: nil, max: nil, description: h.help)], description: h.help)
      case .real: node = .number(min: nil, max: nil, description: h.help)
      case .bool: node = b(h.help)
      case .string: node = s(h.help)
      case .list: node = .array(.number(min: nil, max: nil, description: "a number"), minItems: 1, description: h.help)
      }
      props.append(p(h.name, node))
    }
    return obj("the search method and its hyperparameters (paper defaults)", props)
  }

  /// The root schema of a space or arch file.
  public static var root: SchemaNode {
    obj(
      "a nasc search space or architecture",
      [
        p("nasc", i("language version", min: 1, max: 1), required: true),
        p("name", s("the space's name")),
        p("description", s("free text")),
        p(
          "extends",
          .anyOf(
            [
              s("a file to extend (relative path)"),
              .array(s("a file"), minItems: 1, description: "files to extend, in order"),
            ],
            description: "files whose keys this file extends and overrides")),
        p(
          "input",
          obj(
            "the input",
            [
              p("channels", i("image channels", min: 1, max: 65536)),
              p(
                "size",
                .anyOf(
                  [
                    i("height = width", min: 1, max: 65536),
                    .array(i("pixels", min: 1, max: 65536), minItems: 2, description: "[height, width]"),
                  ],
                  description: "image size")),
              p("classes", i("number of classes (default: tokens for token input)", min: 1, max: 1_000_000)),
              p("tokens", i("vocabulary size of a token-sequence input (recurrent spaces)", min: 1, max: 10_000_000)),
              p("sequence", i("tokens per training sequence (bptt)", min: 1, max: 1_000_000)),
            ])),
        p(
          "ops",
          .map(
            keyPattern: namePattern, value: .ref("optemplate"),
            description: "op templates (override built-ins of the same name)")),
        p(
          "candidates",
          .map(
            keyPattern: namePattern, value: .array(.ref("candidate"), minItems: 0, description: "candidates"),
            description: "named candidate lists")),
        p(
          "tied",
          .map(
            keyPattern: namePattern,
            value: .array(.ref("expr"), minItems: 1, description: "widths or multipliers"),
            description: "named width decisions: every out: {choice: NAME} takes the same one")),
        p("cells", .map(keyPattern: namePattern, value: .ref("cell"), description: "cell templates")),
        p("network", .ref("skeleton")),
        p("eval", .ref("skeleton")),
        p("search", searchSchema),
        p(
          "derive",
          obj(
            "the derivation rule",
            [
              p("rule", s("how the architecture is read out", DeriveRuleKind.allCases.map(\.rawValue))),
              p("k", i("inputs or pairs kept per node", min: 1)),
              p(
                "exclude",
                .array(s("op name"), minItems: 0, description: "ops never derived (default [none] for top_k rules)")),
              p("skip_cap", i("at most this many skip_connect in the normal cell", min: 0)),
            ])),
        p(
          "arch",
          obj(
            "a decided architecture",
            [
              p("space", s("the space file (relative path)")),
              p("genotype", s("a DARTS genotype string")),
              p("nb201", s("a NAS-Bench-201 architecture string")),
              p(
                "choices",
                .map(
                  keyPattern: "^\\S+$", value: .any(description: "a decision"),
                  description: "decisions by choice point id")),
            ])),
      ])
  }
}
