/// The stable codes of every diagnostic nasc reports. The raw value is what users see and search for;
/// a code is never renumbered or reused. Grammar.md lists them all.
public enum DiagnosticCode: String, Sendable, Codable, CaseIterable {
  // Files and YAML
  /// The file is empty (or only comments and blank lines).
  case emptyFile = "E001"
  /// The file is not UTF-8 text (binary data or invalid UTF-8).
  case notText = "E002"
  /// Nesting deeper than the front end accepts.
  case nestingTooDeep = "E003"
  /// The document expands to too many nodes (an alias bomb or a huge file).
  case documentTooLarge = "E004"
  /// YAML syntax error reported by the parser.
  case yamlSyntax = "E005"
  /// The file cannot be read.
  case unreadable = "E006"
  /// A mapping key appears twice.
  case duplicateKey = "E007"
  /// More than one YAML document in the file.
  case multipleDocuments = "E008"
  // Structure
  /// A key that the DSL does not define at this place.
  case unknownKey = "E010"
  /// A value of the wrong type.
  case wrongType = "E011"
  /// A required key is missing.
  case missingKey = "E012"
  /// A number outside its allowed range.
  case outOfRange = "E013"
  /// A string that is not one of the allowed words.
  case invalidValue = "E014"
  /// An unsupported `nasc:` version.
  case unsupportedVersion = "E015"
  // Names
  /// An op or primitive name that is not defined.
  case unknownOp = "E020"
  /// A candidate list name that is not defined.
  case unknownCandidates = "E021"
  /// A cell template name that is not defined.
  case unknownCell = "E022"
  /// A name defined twice in the same place.
  case duplicateName = "E023"
  /// A candidate set that is empty (possibly after `when:` filters).
  case emptyCandidates = "E024"
  /// The searched edges of one cell template decide among different candidates (after `when:`).
  case candidatesDifferAcrossEdges = "E025"
  /// An argument that the op template does not declare.
  case unknownArgument = "E026"
  /// An op template that (indirectly) uses itself.
  case opCycle = "E027"
  // Expressions
  /// An expression that cannot be parsed.
  case expressionSyntax = "E030"
  /// An expression names a variable that is not defined here.
  case unknownVariable = "E031"
  /// An expression value that is not allowed (division by zero, non-integer, not positive).
  case badValue = "E032"
  /// A channel count that does not divide (e.g. odd channels for FactorizedReduce).
  case channelDivisibility = "E033"
  // Graphs and shapes
  /// A node reads a node that does not exist or comes later (dangling edge or cycle).
  case badNodeReference = "E040"
  /// An inputs choice keeps more inputs than the node has.
  case kTooLarge = "E041"
  /// No route of a routing graph reaches the output.
  case noRoute = "E042"
  /// Tensors combined at a node or by concat/add have different spatial sizes.
  case resolutionMismatch = "E043"
  /// Channel counts do not match where they must.
  case channelMismatch = "E044"
  /// The spatial size shrinks to zero or below.
  case resolutionTooSmall = "E045"
  /// A cell's `preprocess` list does not match its number of inputs.
  case preprocessCount = "E046"
  /// A count too large to expand (layers, repeats, cells).
  case tooLarge = "E047"
  /// The network has no body.
  case emptyNetwork = "E048"
  /// An item after a width choice cannot share one set of weights across the widths it may see
  /// (a cell, a routing block, or an op whose structure changes with the width).
  case widthNotShared = "E049"
  // Methods
  /// `search.method` names no known method.
  case unknownMethod = "E050"
  /// A hyperparameter the method does not have.
  case unknownHyperparameter = "E051"
  /// A hyperparameter value of the wrong type or range.
  case badHyperparameter = "E052"
  /// An invalid `derive:` rule.
  case badDeriveRule = "E053"
  // Files
  /// An `extends:` file does not exist.
  case extendsNotFound = "E060"
  /// `extends:` files include each other.
  case extendsCycle = "E061"
  /// An `extends:` path is absolute or leaves the project root.
  case extendsEscapes = "E062"
  // Architectures
  /// A DARTS genotype, NB201 string or arch document that cannot be parsed.
  case badArchSyntax = "E070"
  /// A decision that does not fit the space (unknown choice point, op not among candidates).
  case archMismatch = "E071"
  /// A choice point that the architecture leaves undecided.
  case archIncomplete = "E072"
  // Run time: data sets and benchmark tables
  /// A data file or directory cannot be found or read.
  case dataUnreadable = "E201"
  /// A data file is malformed (bad header, truncated, wrong record size).
  case dataMalformed = "E202"
  /// Images and labels of a data set do not agree.
  case dataInconsistent = "E203"
  /// An unknown `--data` name.
  case unknownDataSet = "E204"
  /// Too few images, or a table where a method needs images.
  case dataUnsuitable = "E205"
  /// The images do not have the shape the space's `input:` declares.
  case inputShapeMismatch = "E206"
  /// A downsampling factor that does not divide the image size.
  case badDownsample = "E207"
  /// An unknown `--benchmark` name.
  case unknownBenchmark = "E208"
  /// A benchmark table cannot be found or read.
  case benchmarkUnreadable = "E209"
  /// A malformed benchmark table.
  case benchmarkMalformed = "E210"
  /// A benchmark table that does not describe the space.
  case benchmarkMismatch = "E211"
  /// An architecture the benchmark table does not hold.
  case notInBenchmark = "E212"
  /// A data file larger than nasc reads: a gzip file that inflates past its limit (a gzip bomb), or
  /// a header that declares more than 2 GiB.
  case dataTooLarge = "E213"
  /// Data of the wrong kind: images for a token-sequence space, or a text corpus for an image space.
  case dataKindMismatch = "E214"
  // Run time: run directories and checkpoints
  /// A run file cannot be written.
  case cannotWrite = "E301"
  /// A run directory that cannot be used (not empty, nothing to resume, no manifest).
  case badRunDirectory = "E302"
  /// A damaged checkpoint, manifest or metrics file, or one of another kind or layout.
  case damagedCheckpoint = "E303"
  /// A checkpoint of another space, method or network.
  case checkpointMismatch = "E304"
  /// A run's space that no longer compiles.
  case runSpaceUnavailable = "E305"
  // Run time: methods
  /// A method that cannot run this search (not runnable yet, bad settings).
  case methodCannotRun = "E310"
  /// A derivation rule the method cannot execute.
  case unsupportedDerivation = "E311"
  /// A space the engine cannot lower (routes, memory banks).
  case cannotLower = "E312"
  /// An architecture that is not decided, or does not build.
  case notDecided = "E313"
  /// A method that scores architectures but has no evaluator.
  case noEvaluator = "E314"
  /// A BN recalibration that asks for more batches than the training split holds.
  case calibrationTooLarge = "E315"
  /// A `--target` constraint that no evaluated architecture meets.
  case targetUnmet = "E316"
  /// A run whose method kept no shared weights to rank with (`nasc rank`).
  case nothingToRank = "E317"
  /// A latency table that cannot be read or is not a table of this layout.
  case latencyTableUnreadable = "E318"
  /// A latency table without an entry for a block the network runs.
  case latencyTableIncomplete = "E319"
  /// A latency table measured under other conditions (threads, batch, processor).
  case latencyConditionsDiffer = "E320"
  /// A decided network with a part or an op that an exporter (ONNX, PyTorch) has no equivalent for.
  case cannotExport = "E330"
  /// Runs that `nasc compare` cannot compare (fewer than two, or of different spaces).
  case cannotCompare = "E331"
  /// A loss that became NaN or infinite.
  case nonFiniteLoss = "E401"
  // Warnings
  /// A candidate appears twice in a list.
  case duplicateCandidate = "W001"
  /// An intermediate node whose value is never used.
  case unusedNode = "W002"
  /// A cell template or op that is defined but never used.
  case unusedDefinition = "W003"
  /// A legal but suspicious space (e.g. its derivation rule can produce no architecture).
  case suspicious = "W004"
  /// A cell that matches a well-known space (NAS-Bench-201, DARTS) but for a node count one off:
  /// `nodes:` counts only the intermediate nodes, not the cell inputs.
  case nodeCountOffByOne = "W005"
  /// Diagnostics were dropped after the per-file limit.
  case tooManyDiagnostics = "N001"

  /// The severity this code has unless the reporter overrides it.
  public var severity: Severity {
    switch rawValue.first {
    case "W": return .warning
    case "N": return .note
    default: return .error
    }
  }

  /// A short title (used by SARIF rules and JUnit test names).
  public var title: String {
    String(describing: self).reduce(into: "") { out, ch in
      if ch.isUppercase { out += " " + ch.lowercased() } else { out.append(ch) }
    }
  }
}
