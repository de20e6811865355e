/// A hyperparameter value in a `search:` block.
public enum HyperValue: Sendable, Equatable, CustomStringConvertible {
  /// An integer.
  case int(Int)
  /// A real number.
  case real(Double)
  /// A boolean.
  case bool(Bool)
  /// A word.
  case string(String)
  /// A list of numbers.
  case list([Double])

  /// The kind name used in messages and the schema.
  public var kind: String {
    switch self {
    case .int: return "integer"
    case .real: return "number"
    case .bool: return "boolean"
    case .string: return "string"
    case .list: return "list of numbers"
    }
  }

  /// The value as written in YAML.
  public var description: String {
    switch self {
    case .int(let i): return String(i)
    case .real(let d): return String(d)
    case .bool(let b): return b ? "true" : "false"
    case .string(let s): return s
    case .list(let l):
      return "[" + l.map { $0 == $0.rounded() && abs($0) < 1e9 ? String(Int($0)) : String($0) }.joined(separator: ", ")
        + "]"
    }
  }

  /// As JSON.
  public var json: JSONValue {
    switch self {
    case .int(let i): return .int(i)
    case .real(let d): return .double(d)
    case .bool(let b): return .bool(b)
    case .string(let s): return .string(s)
    case .list(let l): return .array(l.map { $0 == $0.rounded() && abs($0) < 1e9 ? .int(Int($0)) : .double($0) })
    }
  }
}

/// A hyperparameter of a method with its paper default (METHODS.md).
public struct HyperSpec: Sendable {
  /// The key in `search:`.
  public var name: String
  /// The paper default.
  public var value: HyperValue
  /// What it means.
  public var help: String
  /// Allowed words for string hyperparameters.
  public var words: [String]?
  /// The value this hyperparameter takes when another one (`key`) is given and it is not
  /// (`arch_lr_scale` turns to `paper` when `arch_lr` is set).
  public var whenGiven: (key: String, value: HyperValue)? = nil
}

/// How a derivation rule reads the architecture out (data that the search code executes later).
public enum DeriveRuleKind: String, Sendable, CaseIterable {
  /// Per node keep the top-k input edges (by best non-excluded op weight), argmax op on each (DARTS).
  case topKEdges = "top_k_edges"
  /// Per node keep the top-k (input, op) pairs over all incoming edges; repeats of an input allowed (GDAS).
  case topKPairs = "top_k_pairs"
  /// Argmax op on every edge or layer, all edges kept (NAS-Bench-201, layer-wise spaces).
  case argmax
  /// Viterbi path through a routing graph (DenseNAS).
  case viterbi
  /// Threshold read-out of superkernel indicators (Single-Path NAS).
  case threshold
  /// Best of a sampled or evolved population (SPOS, FairNAS, ENAS, SMASH, random search).
  case bestOfPopulation = "best_of_population"
}

/// A search method: its relaxation, hyperparameters with paper defaults, and its derivation rule.
public struct MethodSpec: Sendable {
  /// The name used in `search.method`.
  public var name: String
  /// How the method treats choice points (DESIGN.md's relaxations).
  public var relaxation: String
  /// The hyperparameters with their defaults.
  public var hyperparameters: [HyperSpec]
  /// The default derivation rule.
  public var derive: DeriveRuleKind
  /// The hyperparameter that sets PC-DARTS partial channels (ops built on C/K channels), if any.
  public var partialChannelsKey: String?
}

/// All methods nasc knows, with the defaults of METHODS.md.
public enum MethodCatalog {
  static func h(
    _ n: String, _ v: HyperValue, _ help: String, words: [String]? = nil,
    whenGiven: (key: String, value: HyperValue)? = nil
  ) -> HyperSpec {
    HyperSpec(name: n, value: v, help: help, words: words, whenGiven: whenGiven)
  }

  static let dartsCommon: [HyperSpec] = [
    h("epochs", .int(50), "search epochs"),
    h("batch_size", .int(64), "minibatch size for weights and architecture"),
    h(
      "train_portion", .real(0.5), "fraction of the training set that trains weights; the rest trains the architecture"),
    h("w_lr", .real(0.025), "weight SGD learning rate (cosine annealed)"),
    h("w_lr_min", .real(0.001), "final weight learning rate"),
    h("w_momentum", .real(0.9), "weight SGD momentum"),
    h("w_weight_decay", .real(3e-4), "weight decay of the weights"),
    h("grad_clip", .real(5), "gradient norm clip for the weights"),
    h("arch_lr", .real(3e-4), "architecture Adam learning rate"),
    h(
      "arch_lr_scale", .string("budget"),
      "budget: unless arch_lr is set, scale it by the paper's 19,550 architecture steps / this run's (1x to 100x); paper: arch_lr as given (nasc default, not the paper's)",
      words: ["budget", "paper"], whenGiven: ("arch_lr", .string("paper"))),
    h("arch_betas", .list([0.5, 0.999]), "architecture Adam betas"),
    h("arch_weight_decay", .real(1e-3), "architecture Adam weight decay"),
    h("alpha_init", .real(1e-3), "architecture parameters are initialised to alpha_init * N(0, 1)"),
  ]

  /// The method table.
  public static let methods: [MethodSpec] = [
    MethodSpec(
      name: "darts", relaxation: "softmax mixture",
      hyperparameters: dartsCommon + [
        h("order", .string("first"), "first- or second-order architecture gradient", words: ["first", "second"]),
        h(
          "rnn_dropouts", .list([0.75, 0.25, 0.75, 0.2, 0]),
          "recurrent cells: dropouts of the output, hidden, x, input and embedding (DARTS' RNN search)"),
        h("tar", .real(1e-3), "recurrent cells: temporal activation regularisation beta of the weight loss"),
      ], derive: .topKEdges),
    MethodSpec(
      name: "gdas", relaxation: "hard Gumbel softmax, straight-through",
      hyperparameters: [
        h("epochs", .int(250), "search epochs"),
        h("batch_size", .int(256), "minibatch size (64 on NAS-Bench-201)"),
        h("train_portion", .real(0.5), "fraction of the training set that trains weights"),
        h("w_lr", .real(0.025), "weight SGD (nesterov) learning rate, on a cosine per iteration"),
        h("w_lr_min", .real(0.001), "final weight learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(5e-4), "weight decay"),
        h("grad_clip", .real(5), "gradient norm clip"),
        h("arch_lr", .real(3e-4), "architecture Adam learning rate"),
        h(
          "arch_lr_scale", .string("budget"),
          "budget: unless arch_lr is set, scale it by the paper's 24,500 architecture steps / this run's (1x to 100x); paper: arch_lr as given (nasc default, not the paper's)",
          words: ["budget", "paper"], whenGiven: ("arch_lr", .string("paper"))),
        h("arch_betas", .list([0.5, 0.999]), "architecture Adam betas"),
        h("arch_weight_decay", .real(1e-3), "architecture weight decay"),
        h("alpha_init", .real(1e-3), "alpha init scale"),
        h("tau_max", .real(10), "initial Gumbel temperature"),
        h("tau_min", .real(0.1), "final Gumbel temperature (linear decay)"),
      ], derive: .topKPairs),
    MethodSpec(
      name: "pc-darts", relaxation: "softmax mixture on C/K channels with edge normalisation",
      hyperparameters: [
        h("epochs", .int(50), "search epochs"),
        h("batch_size", .int(256), "minibatch size"),
        h("train_portion", .real(0.5), "fraction of the training set that trains weights"),
        h("w_lr", .real(0.1), "weight SGD learning rate"),
        h("w_lr_min", .real(0), "final weight learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(3e-4), "weight decay"),
        h("grad_clip", .real(5), "gradient norm clip"),
        h("arch_lr", .real(6e-4), "architecture (alpha and beta) Adam learning rate"),
        h(
          "arch_lr_scale", .string("budget"),
          "budget: unless arch_lr is set, scale it by the paper's 3,430 architecture steps / this run's (1x to 100x); paper: arch_lr as given (nasc default, not the paper's)",
          words: ["budget", "paper"], whenGiven: ("arch_lr", .string("paper"))),
        h("arch_betas", .list([0.5, 0.999]), "architecture Adam betas"),
        h("arch_weight_decay", .real(1e-3), "architecture weight decay"),
        h("alpha_init", .real(1e-3), "alpha and beta init scale"),
        h("k", .int(4), "partial-channel factor K: ops see C/K channels"),
        h("warmup_epochs", .int(15), "epochs of weight-only training before architecture steps"),
      ], derive: .topKEdges, partialChannelsKey: "k"),
    MethodSpec(
      name: "p-darts", relaxation: "softmax mixture with progressive depth and op pruning",
      hyperparameters: [
        h("epochs", .int(25), "epochs per stage"),
        h("batch_size", .int(96), "minibatch size"),
        h("train_portion", .real(0.5), "fraction of the training set that trains weights"),
        h("w_lr", .real(0.025), "weight SGD learning rate"),
        h("w_lr_min", .real(0), "final weight learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(3e-4), "weight decay"),
        h("grad_clip", .real(5), "gradient norm clip (weights and alphas)"),
        h("arch_lr", .real(6e-4), "architecture Adam learning rate"),
        h(
          "arch_lr_scale", .string("budget"),
          "budget: unless arch_lr is set, scale it by the paper's 3,915 per stage architecture steps / this run's (1x to 100x); paper: arch_lr as given (nasc default, not the paper's)",
          words: ["budget", "paper"], whenGiven: ("arch_lr", .string("paper"))),
        h("arch_betas", .list([0.5, 0.999]), "architecture Adam betas"),
        h("arch_weight_decay", .real(1e-3), "architecture weight decay"),
        h("alpha_init", .real(1e-3), "alpha init scale"),
        h("add_layers", .list([0, 6, 12]), "cells added to the network at each stage"),
        h("num_to_keep", .list([5, 3, 1]), "ops kept per edge after each stage"),
        h("dropout_rate", .list([0.0, 0.4, 0.7]), "skip-connect dropout base rate per stage"),
        h("warmup_epochs", .int(10), "weight-only epochs at the start of each stage"),
        h("skip_cap", .int(2), "at most this many skip_connect in the normal cell"),
      ], derive: .topKEdges),
    MethodSpec(
      name: "proxylessnas", relaxation: "binary gates, two-path sampling",
      hyperparameters: [
        h("warmup_epochs", .int(40), "weight-only warm-up epochs with random single paths"),
        h("warmup_lr", .real(0.05), "warm-up learning rate, on a cosine to 0 over the warm-up's iterations"),
        h("epochs", .int(120), "joint training epochs"),
        h("batch_size", .int(256), "minibatch size"),
        h("train_portion", .real(0.96), "fraction of the data that trains weights (ImageNet: all but 50,000 images)"),
        h("w_lr", .real(0.025), "weight SGD (nesterov) learning rate, on a cosine per iteration"),
        h("w_lr_min", .real(0), "cosine floor of the weight learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(4e-5), "weight decay"),
        h("grad_clip", .real(5), "weight gradient norm clip"),
        h("label_smoothing", .real(0.1), "label smoothing of the weight and architecture losses"),
        h("alpha_init", .real(1e-3), "alpha initial scale: N(0, alpha_init)"),
        h("arch_lr", .real(1e-3), "architecture Adam learning rate"),
        h("arch_betas", .list([0, 0.999]), "architecture Adam betas"),
        h("arch_weight_decay", .real(0), "architecture weight decay"),
        h("arch_update_every", .int(5), "weight steps between architecture steps"),
        h("mode", .string("two"), "gate gradient mode", words: ["two", "full", "full_v2"]),
        h(
          "gradient", .string("gates"), "architecture gradient: binary gates or REINFORCE (§6.5)",
          words: ["gates", "reinforce"]),
        h("rl_samples", .int(10), "architectures sampled per REINFORCE update"),
        h("latency_loss", .string("mul#log"), "latency loss form", words: ["mul#log", "add#linear", "none"]),
        h("latency_table", .string(""), "a latency table (nasc latency); empty: expected MMACs stand in for ms"),
        h("latency_alpha", .real(0.2), "a in a * CE * (log LAT / log ref)^b; lambda in add#linear"),
        h("latency_beta", .real(0.3), "b in a * CE * (log LAT / log ref)^b"),
        h("latency_ref", .real(80), "reference latency in ms"),
        h(
          "latency_conditions", .string("same"),
          "search against a table measured on another processor or build (any) or refuse it (same)",
          words: ["same", "any"]),
      ], derive: .argmax),
    MethodSpec(
      name: "fbnet", relaxation: "soft Gumbel softmax",
      hyperparameters: [
        h("warmup_epochs", .int(10), "weight-only epochs before theta is trained (count unverified)"),
        h("epochs", .int(90), "search epochs"),
        h("batch_size", .int(64), "minibatch size"),
        h("train_portion", .real(0.8), "fraction of the data that trains weights; the rest trains theta"),
        h("w_lr", .real(0.1), "weight SGD learning rate (cosine over the search epochs)"),
        h("w_lr_min", .real(0), "cosine floor of the weight learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(1e-4), "weight decay"),
        h("grad_clip", .real(5), "weight gradient norm clip (unverified)"),
        h("alpha_init", .real(1e-3), "theta initial scale: N(0, alpha_init)"),
        h("arch_lr", .real(0.01), "theta Adam learning rate"),
        h("arch_betas", .list([0.9, 0.999]), "theta Adam betas"),
        h("arch_weight_decay", .real(5e-4), "theta weight decay"),
        h("tau", .real(5.0), "initial Gumbel temperature"),
        h("tau_decay", .real(0.956), "temperature factor per epoch"),
        h("latency_table", .string(""), "a latency table (nasc latency); empty: expected kMACs stand in for ms"),
        h(
          "latency_conditions", .string("same"),
          "search against a table measured on another processor or build (any) or refuse it (same)",
          words: ["same", "any"]),
        h(
          "latency_unit", .string("ms"),
          "the unit of a table's LAT in log LAT (the paper's ms; us where paths take under 1 ms)",
          words: ["ms", "us"]),
        h("latency_alpha", .real(0.2), "a in CE * a * (log LAT)^b"),
        h("latency_beta", .real(0.6), "b in CE * a * (log LAT)^b"),
        h("latency_target", .real(0), "derive the most probable architecture with LAT at most this (0: argmax)"),
        h(
          "derive_samples", .int(0),
          "derive by sampling this many architectures from P_theta and keeping the one the supernet scores best on the theta split (the paper's way, which trains each; 0: argmax)"
        ),
        h("bn_recalibration_batches", .int(10), "training batches that recalibrate BN before a sample is scored"),
        h("bn_batch_size", .int(64), "images per recalibration batch"),
      ], derive: .argmax),
    MethodSpec(
      name: "spos", relaxation: "uniform single-path sampling",
      hyperparameters: [
        h("iterations", .int(150_000), "supernet training iterations (rounded up to whole epochs)"),
        h("batch_size", .int(1024), "minibatch size"),
        h(
          "train_portion", .real(0.96),
          "fraction of the training set that trains the supernet (ImageNet: all but 50,000 images); the rest scores architectures"
        ),
        h("w_lr", .real(0.5), "weight SGD learning rate, decayed linearly to 0 per iteration"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(4e-5), "weight decay on conv/linear weights only"),
        h("label_smoothing", .real(0.1), "label smoothing"),
        h(
          "sampler", .string("flops_bins"),
          "path sampler: uniform, or a uniformly drawn FLOPs bin then uniform paths in it",
          words: ["uniform", "flops_bins"]),
        h("flops_min", .real(290), "lowest FLOPs bin edge (MMACs); flops_min = flops_max = 0: the space's own range"),
        h("flops_max", .real(360), "highest FLOPs bin edge (MMACs)"),
        h("flops_bins", .int(7), "number of FLOPs bins between flops_min and flops_max"),
        h("population", .int(50), "evolution population"),
        h("select_k", .int(10), "parents kept per iteration"),
        h("generations", .int(20), "evolution iterations"),
        h("mutation_num", .int(25), "mutants per iteration"),
        h("crossover_num", .int(25), "crossovers per iteration"),
        h("mutation_prob", .real(0.1), "per-layer mutation probability"),
        h("flops_limit", .real(330), "FLOPs limit (MMACs) of legal candidates; 0 = none"),
        h("params_limit", .real(0), "parameter limit (millions) of legal candidates; 0 = none"),
        h("bn_recalibration_batches", .int(200), "training batches that recalibrate BN before scoring"),
        h("bn_batch_size", .int(128), "images per recalibration batch"),
      ], derive: .bestOfPopulation),
    MethodSpec(
      name: "fairnas", relaxation: "strictly fair single-path sampling",
      hyperparameters: [
        h("epochs", .int(150), "supernet epochs (unverified)"),
        h("batch_size", .int(256), "minibatch size (unverified)"),
        h(
          "train_portion", .real(0.96),
          "fraction of the training set that trains the supernet; the rest scores architectures"),
        h("w_lr", .real(0.045), "weight SGD learning rate, cosine annealed (unverified)"),
        h("w_lr_min", .real(0), "final learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(4e-5), "weight decay (unverified)"),
        h(
          "fairness", .string("strict"), "strict (every candidate once per step) or expectation (uniform paths)",
          words: ["strict", "expectation"]),
        h("population", .int(70), "NSGA-II population (unverified)"),
        h("generations", .int(120), "NSGA-II generations (unverified)"),
        h("mutation_prob", .real(0.1), "per-layer mutation probability of an offspring (unverified)"),
        h("bn_recalibration_batches", .int(200), "training batches that recalibrate BN before scoring"),
        h("bn_batch_size", .int(128), "images per recalibration batch"),
      ], derive: .bestOfPopulation),
    MethodSpec(
      name: "densenas", relaxation: "two-path sampling with path weights",
      hyperparameters: [
        h("epochs", .int(150), "search epochs, the weight-only ones included"),
        h("arch_update_epoch", .int(50), "first epoch with architecture steps (before it: weights only, uniform ops)"),
        h("batch_size", .int(352), "minibatch size"),
        h(
          "train_portion", .real(0.8),
          "fraction of the training set that trains weights; the rest trains alpha and beta"),
        h("w_lr", .real(0.2), "weight SGD learning rate, cosine annealed per iteration over all epochs"),
        h("w_lr_min", .real(1e-4), "final weight learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(4e-5), "weight decay"),
        h("grad_clip", .real(0), "weight gradient norm clip (0: none, as the reference's search)"),
        h("arch_lr", .real(3e-4), "alpha and beta Adam learning rate"),
        h("arch_betas", .list([0.5, 0.999]), "Adam betas"),
        h("arch_weight_decay", .real(1e-3), "architecture weight decay"),
        h("alpha_init", .real(1e-3), "alpha and beta are initialised to alpha_init * N(0, 1)"),
        h("latency_lambda", .real(0.15), "lambda in CE + lambda * log(LAT) / log(tau)"),
        h("latency_log_base", .real(15), "tau in CE + lambda * log(LAT) / log(tau)"),
        h("softmax_temp", .real(1), "T of the path weights softmax(beta / T)"),
        h("latency_table", .string(""), "a latency table (nasc latency); empty: MMACs stand in for ms"),
        h(
          "latency_conditions", .string("same"),
          "search against a table measured on another processor or build (any) or refuse it (same)",
          words: ["same", "any"]),
        h(
          "latency_target", .real(0),
          "derive the most probable architecture with LAT at most this when the Viterbi one exceeds it (0: Viterbi)"),
      ], derive: .viterbi),
    MethodSpec(
      name: "single-path-nas", relaxation: "superkernel thresholds",
      hyperparameters: [
        h("steps", .int(10_008), "training steps (rounded up to whole epochs)"),
        h("warmup_steps", .int(6255), "steps without the runtime loss and with dropout on the indicators"),
        h("batch_size", .int(1024), "minibatch size"),
        h("train_portion", .real(0.9), "fraction of the data that trains; the rest reports accuracy"),
        h("lr", .real(0.064), "RMSProp learning rate (0.016 * batch / 256)"),
        h("lr_decay", .real(0.97), "learning-rate factor every lr_decay_epochs (staircase)"),
        h("lr_decay_epochs", .real(2.4), "epochs between learning-rate decays"),
        h("rms_decay", .real(0.9), "RMSProp decay of the squared gradients"),
        h("rms_momentum", .real(0.9), "RMSProp momentum"),
        h("rms_eps", .real(1e-3), "RMSProp epsilon"),
        h("w_weight_decay", .real(1e-5), "L2 factor on conv and linear weights, in the loss"),
        h("label_smoothing", .real(0.1), "label smoothing"),
        h("runtime_lambda", .real(0.02), "runtime loss weight: lambda * 1e3 * log(R)"),
        h("indicator_keep", .real(0.6), "keep probability of the indicator dropout during the warm-up"),
        h(
          "latency_target", .real(0), "the runtime loss acts only while the network takes longer than this (0: always)"),
        h("latency_table", .string(""), "a latency table (nasc latency); empty: MMACs stand in for ms"),
        h(
          "latency_conditions", .string("same"),
          "search against a table measured on another processor or build (any) or refuse it (same)",
          words: ["same", "any"]),
      ], derive: .threshold),
    MethodSpec(
      name: "enas", relaxation: "controller sampling with REINFORCE",
      hyperparameters: [
        h("epochs", .int(150), "epochs of alternating child and controller training"),
        h("batch_size", .int(160), "child minibatch size (also the validation minibatch of a reward)"),
        h("train_portion", .real(0.9), "fraction of the training set that trains the child; the rest gives rewards"),
        h("w_lr", .real(0.05), "child SGD (Nesterov) learning rate, cosine with warm restarts"),
        h("w_lr_min", .real(0.0005), "child learning rate at the end of each cosine period"),
        h("lr_restart_epochs", .int(10), "first cosine period in epochs, each next one twice as long (0: one period)"),
        h("w_momentum", .real(0.9), "child Nesterov momentum"),
        h("w_weight_decay", .real(1e-4), "child L2"),
        h("grad_clip", .real(5), "child gradient norm bound"),
        h("drop_path_keep", .real(0.6), "child drop-path keep probability, reached linearly over the run (1: off)"),
        h("controller_lr", .real(0.0035), "controller Adam learning rate (beta1 0, eps 1e-3)"),
        h("controller_hidden", .int(64), "controller LSTM width"),
        h("controller_samples", .int(300), "controller samples per epoch"),
        h("controller_aggregate", .int(10), "samples whose gradients are averaged into one controller update"),
        h("entropy_weight", .real(1e-4), "entropy bonus in the reward"),
        h("baseline_decay", .real(0.99), "reward baseline decay"),
        h("tanh_constant", .real(1.10), "c of c·tanh(logits) for input picks (0: no tanh)"),
        h("op_tanh_reduce", .real(2.5), "op picks use tanh_constant / op_tanh_reduce"),
        h("temperature", .real(0), "logits are divided by it before the tanh (0: none)"),
        h("op_bias", .real(10), "initial op-logit bias of the ops with weights (ENAS: 10 on the convolutions)"),
        h("first_cell_bias", .real(0.25), "constant +c on the first cell type's ops with weights, -c on the others"),
        h("reward_constant", .real(80), "recurrent cells: reward = reward_constant / validation perplexity"),
        h(
          "max_hidden_norm", .real(25),
          "recurrent cells: each stream's state rescaled to at most this norm per step (carpedm20's guard; 0: off)"),
        h(
          "rnn_dropouts", .list([0.4, 0.1, 0.1, 0.65, 0.1]),
          "recurrent cells: dropout on outputs, hidden state, cell input, embedded input and embedding rows (carpedm20's output 0.4, input 0.65, embedding 0.1)"
        ),
        h(
          "derive_samples", .int(100),
          "architectures sampled from the trained controller; the best on a validation batch wins"),
      ], derive: .bestOfPopulation),
    MethodSpec(
      name: "oneshot", relaxation: "path dropout over an always-on one-shot model",
      hyperparameters: [
        h("epochs", .int(100), "epochs (unverified)"),
        h("batch_size", .int(64), "minibatch size (unverified)"),
        h(
          "train_portion", .real(0.8),
          "fraction of the training set that trains the one-shot model; the rest ranks architectures"),
        h("w_lr", .real(0.025), "weight SGD learning rate, cosine annealed (unverified)"),
        h("w_lr_min", .real(0.001), "final learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(3e-4), "L2 on the ops that ran (unverified)"),
        h("grad_clip", .real(5), "gradient norm clip"),
        h(
          "path_dropout", .real(0.5),
          "target path dropout rate r: all inputs of a node dropped with probability r (unverified)"),
        h("ghost_batch", .int(32), "ghost batch size: BN statistics and dropout patterns per ghost batch (unverified)"),
        h("samples", .int(1000), "architectures sampled for ranking"),
        h("bn_recalibration_batches", .int(10), "training batches that recalibrate BN before scoring (unverified)"),
        h("bn_batch_size", .int(64), "images per recalibration batch"),
      ], derive: .bestOfPopulation),
    MethodSpec(
      name: "random-ws", relaxation: "uniform random architecture per minibatch on a shared supernet",
      hyperparameters: [
        h("epochs", .int(100), "supernet epochs"),
        h("batch_size", .int(64), "minibatch size"),
        h(
          "train_portion", .real(0.5),
          "fraction of the training set that trains the supernet; the rest scores architectures"),
        h("w_lr", .real(0.025), "weight SGD learning rate (cosine annealed)"),
        h("w_lr_min", .real(0.001), "final learning rate"),
        h("w_momentum", .real(0.9), "weight momentum"),
        h("w_weight_decay", .real(3e-4), "weight decay"),
        h("grad_clip", .real(0.25), "gradient norm clip"),
        h("samples", .int(1000), "random architectures scored per selection round"),
        h("eval_batches", .int(10), "held-out minibatches of a round's quick score"),
        h("top", .int(10), "architectures of a round re-scored on all held-out data"),
        h("round_steps", .int(10_000), "one selection round per this many supernet steps (at least one)"),
        h(
          "bn_recalibration_batches", .int(0),
          "training batches that recalibrate BN before scoring (the paper's option; 0 = none)"),
        h("bn_batch_size", .int(64), "images per recalibration batch"),
      ], derive: .bestOfPopulation),
    MethodSpec(
      name: "smash", relaxation: "hypernetwork-generated weights",
      hyperparameters: [
        h("epochs", .int(100), "epochs"),
        h("batch_size", .int(50), "minibatch size"),
        h("train_portion", .real(0.9), "fraction of the training split that trains; the rest ranks architectures"),
        h("lr", .real(1e-3), "Adam learning rate (betas 0.5, 0.999, eps 1e-4), cosine per iteration"),
        h("w_weight_decay", .real(1e-4), "weight decay of the free weights (none on the hypernetwork)"),
        h("min_budget", .real(0.3), "least per-block read budget (share of a layer's read k)"),
        h("ramp_fraction", .real(0.5), "share of training over which max budget 0.5 -> 1 and max kernel 3 -> largest"),
        h("hyper_growth", .int(10), "growth rate of the hypernetwork's dense stages"),
        h("hyper_depths", .list([8, 10, 4]), "layers of each dense stage of the hypernetwork"),
        h("samples", .int(500), "random architectures scored in the ranking"),
        h("perturbations", .int(100), "random perturbations of the best random architecture"),
        h("markov_steps", .int(100), "Markov-chain steps that keep a perturbation only if it scores higher"),
        h("perturb_prob", .real(0.05), "probability that a perturbation redraws each decision"),
        h("eval_batches", .int(10), "validation minibatches each ranked architecture is scored on"),
      ], derive: .bestOfPopulation),
    MethodSpec(
      name: "random", relaxation: "uniform sampling of whole architectures, scored by an evaluator",
      hyperparameters: [
        h("budget", .int(100), "architectures evaluated (distinct; queries of a table)"),
        h("train_epochs", .int(2), "epochs of stand-alone training per architecture (without a table)"),
      ], derive: .bestOfPopulation),
    MethodSpec(
      name: "evolution", relaxation: "regularized (aging) evolution",
      hyperparameters: [
        h("population", .int(10), "population size P"),
        h("sample_size", .int(3), "tournament size S (drawn with replacement)"),
        h("budget", .int(100), "evaluations in all, the initial population included (queries of a table)"),
        h("train_epochs", .int(2), "epochs of stand-alone training per architecture (without a table)"),
      ], derive: .bestOfPopulation),
  ]

  /// Per method: its family and its paper.
  public static let provenance: [String: (family: String, paper: String)] = [
    "darts": ("gradient, cell", "Liu, Simonyan & Yang: DARTS: Differentiable Architecture Search (ICLR 2019)"),
    "gdas": ("gradient, cell", "Dong & Yang: Searching for A Robust Neural Architecture in Four GPU Hours (CVPR 2019)"),
    "pc-darts": (
      "gradient, cell",
      "Xu et al.: PC-DARTS: Partial Channel Connections for Memory-Efficient Architecture Search (ICLR 2020)"
    ),
    "p-darts": ("gradient, cell", "Chen et al.: Progressive Differentiable Architecture Search (ICCV 2019)"),
    "proxylessnas": ("gradient, layer-wise, hardware-aware", "Cai, Zhu & Han: ProxylessNAS (ICLR 2019)"),
    "fbnet": ("gradient, layer-wise, hardware-aware", "Wu et al.: FBNet (CVPR 2019)"),
    "densenas": (
      "gradient, routing",
      "Fang et al.: Densely Connected Search Space for More Flexible Neural Architecture Search (CVPR 2020)"
    ),
    "single-path-nas": ("gradient, superkernel", "Stamoulis et al.: Single-Path NAS (ECML-PKDD 2019)"),
    "spos": (
      "one-shot", "Guo et al.: Single Path One-Shot Neural Architecture Search with Uniform Sampling (ECCV 2020)"
    ),
    "fairnas": ("one-shot", "Chu et al.: FairNAS: Rethinking Evaluation Fairness of Weight Sharing NAS (ICCV 2021)"),
    "oneshot": ("one-shot", "Bender et al.: Understanding and Simplifying One-Shot Architecture Search (ICML 2018)"),
    "random-ws": (
      "one-shot, baseline",
      "Li & Talwalkar: Random Search and Reproducibility for Neural Architecture Search (UAI 2019)"
    ),
    "enas": (
      "controller, REINFORCE", "Pham et al.: Efficient Neural Architecture Search via Parameter Sharing (ICML 2018)"
    ),
    "smash": (
      "hypernetwork", "Brock et al.: SMASH: One-Shot Model Architecture Search through HyperNetworks (ICLR 2018)"
    ),
    "random": (
      "baseline", "Li & Talwalkar: Random Search and Reproducibility for NAS (UAI 2019); Bergstra & Bengio (JMLR 2012)"
    ),
    "evolution": (
      "baseline", "Real et al.: Regularized Evolution for Image Classifier Architecture Search (AAAI 2019)"
    ),
  ]

  /// The method called `name`, or nil.
  public static func method(_ name: String) -> MethodSpec? { methods.first { $0.name == name } }

  /// Every hyperparameter name of any method (the schema lists their union).
  public static var allHyperparameters: [HyperSpec] {
    var seen = Set<String>()
    var out: [HyperSpec] = []
    for m in methods { for h in m.hyperparameters where !seen.contains(h.name) { seen.insert(h.name); out.append(h) } }
    return out
  }
}
