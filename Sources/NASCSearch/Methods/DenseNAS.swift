import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// DenseNAS (Fang et al., CVPR 2020; METHODS.md §5).
///
/// ```
/// path weights: p_b = softmax(β_b / T) per block over its outgoing connections
/// head of block j = Σ_{i ∈ in(j)} p_i[j] · head_{i→j}(x_i),  then its stacked layers
/// epochs 0 … arch_update_epoch − 1: weight steps only, one op per mixed op drawn uniformly
/// each later epoch:
///   1. a full pass of architecture steps over the α split (1 − train_portion):
///      per mixed op two distinct ops ~ softmax(α), mixed by softmax(α_pair)
///      LAT = fixed + D(0),  D(b) = Σ_j p_b[j] (LAT_head(b→j) + LAT_stack(j) + D(j)),  D(final) = 0
///      L = CE + λ · log(LAT) / log(τ);  Adam on α and β;  then shift each pair back to its mass
///   2. a full pass of weight steps over the weight split, one op per mixed op ~ softmax(α)
///      (SGD, cosine stepped per iteration over all epochs)
/// derive: Viterbi path over the products of p, argmax α per head and stacked layer on it;
///   with latency_target T, the most probable decision (Σ log p + Σ log softmax α) within T
/// ```
public final class DenseNAS: SupernetMethod {
  /// The registry name.
  public static let name = "densenas"
  let ir: SpaceIR
  let net: BilevelSupernet
  let sampling: TwoPathSampling
  /// Where this run departs from the paper's values.
  public let notes: [String]
  let warmupEpochs: Int
  /// λ and τ of CE + λ · log(LAT) / log(τ).
  let lambda: Double, logBase: Double
  let temperature: Float
  /// The derivation's latency bound (0: none), in the costs' unit.
  let target: Double
  /// Every head's and stacked layer's cost, and the fixed parts'.
  let costs: RouteCosts
  let unit: ArchSpace.RouteUnit

  /// Builds the supernet with two-path sampling, and the costs of the chained latency.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    ir = c.ir
    let settings = try BilevelSettings(h, nesterov: false)
    warmupEpochs = try h.int("arch_update_epoch")
    lambda = try h.double("latency_lambda")
    logBase = try h.double("latency_log_base")
    let temp = try h.double("softmax_temp")
    target = try h.double("latency_target")
    guard (0..<settings.epochs).contains(warmupEpochs), lambda.isFinite, lambda >= 0, logBase.isFinite, logBase > 1,
      temp.isFinite, temp > 0, target.isFinite, target >= 0
    else {
      throw RunError(
        "E310",
        "DenseNAS needs 0 ≤ arch_update_epoch < epochs (\(settings.epochs)), latency_lambda ≥ 0, latency_log_base > 1, softmax_temp > 0 and latency_target ≥ 0, all finite",
        help: "the paper: epochs=150 arch_update_epoch=50 latency_lambda=0.15 latency_log_base=15 softmax_temp=1")
    }
    temperature = Float(temp)
    let data = try c.requireData(Self.name)
    costs = try RouteCosts(
      ir: c.ir, tablePath: try h.string("latency_table"), anyConditions: try h.string("latency_conditions") == "any",
      macUnit: ("MMACs", 1e6), method: Self.name)
    let space = ArchSpace(ir: c.ir)
    guard let unit = space.routeUnit else {
      throw RunError("E310", "\(c.ir.name) has no searched route", help: "use a routing space with more than one path")
    }
    try space.checkSampleable()
    self.unit = unit
    // The cheapest decision the derivation can return (the derivation rule's exclusions applied).
    let names: (String) -> [String]? = { [ir = c.ir] id in ir.choicePoint(id)?.candidates }
    let routeCosts = costs
    let cheapest =
      ViterbiPath.cheapest(unit, names: names, costs: routeCosts).map { routeCosts.cost(of: $0) } ?? .infinity
    if target > 0 && target < cheapest {
      throw RunError(
        "E316",
        String(
          format:
            "latency_target %.4g %@ is below this space's cheapest architecture (%.4g %@): no architecture can meet it",
          target, costs.unit, cheapest, costs.unit),
        help: String(format: "set latency_target to at least %.4g, or 0 for none", cheapest))
    }
    let sampling = TwoPathSampling(layout: ChoiceLayout(c.ir), temperature: temperature)
    self.sampling = sampling
    net = try BilevelSupernet(
      ir: c.ir, settings: settings, data: data, augmentation: c.augmentation, seed: c.run.seed,
      threads: c.run.threads, edgeNormalization: false, recompute: .layerwise, routes: true
    ) { _ in sampling }
    // As the reference's search: validation batches are normalised with their own statistics.
    net.evaluatesWithBatchStatistics = true
    var notes = BilevelSupernet.notes(settings, data: data)
    if !costs.measured {
      notes.append(
        "no latency_table: LAT is the expected MMACs in place of milliseconds (log LAT has the same gradient in any unit); measure one with nasc latency"
      )
    }
    notes.append(
      String(
        format: "LAT ranges from %.4g %@ (the cheapest architecture) to %.4g %@ (the costliest)%@", cheapest,
        routeCosts.unit, routeCosts.extremes.largest, routeCosts.unit,
        target > 0 ? String(format: "; latency_target %.4g", target) : ""))
    self.notes = notes
  }

  /// Weight epochs before `arch_update_epoch`, then search epochs of a pass of architecture steps
  /// followed by a pass of weight steps.
  public var phases: [Phase] {
    (warmupEpochs > 0 ? [Phase("warmup", units: warmupEpochs, stepsPerUnit: net.stepsPerEpoch)] : [])
      + [
        Phase(
          "search", units: net.settings.epochs - warmupEpochs, stepsPerUnit: net.archStepsPerEpoch + net.stepsPerEpoch)
      ]
  }
  /// Weights, α and β.
  public var parameterSets: [ParameterSet] { net.parameterSets }

  func warm(_ p: LoopPosition) -> Bool { warmupEpochs > 0 && p.phase == 0 }
  func epoch(_ p: LoopPosition) -> Int { warm(p) ? p.unit : warmupEpochs + p.unit }

  /// An architecture step on the α split's next batch (the first `archStepsPerEpoch` steps of a
  /// search epoch), else a weight step on the weight split's.
  public func step(at p: LoopPosition) throws {
    let e = epoch(p)
    let archSteps = warm(p) ? 0 : net.archStepsPerEpoch
    if p.step < archSteps {
      sampling.pass = .pair
      let before = net.arch.tensors().mapValues(\.scalars)
      let val = net.nextValBatch()
      try net.archStep(val, train: val, epoch: e, secondOrder: false) { [unowned self] ce in self.objective(ce) }
      for (id, pair) in sampling.lastPairs {
        guard let alpha = net.arch[id], let old = before[id] else { continue }
        alpha.value = Tensor(BinaryGates.rescale(alpha.value.scalars, old: old, pair: pair.candidates))
      }
    } else {
      sampling.pass = warm(p) ? .uniform : .sampled
      let iterations = Double(net.stepsPerEpoch)
      net.setLearningRate(epochs: Double(e) + Double(p.step - archSteps) / iterations)
      // One op per mixed op: recomputing them in backward would cost a forward pass and save little.
      let recompute = net.recomputeEdges
      net.recomputeEdges = false
      defer { net.recomputeEdges = recompute }
      try net.weightStep(net.nextTrainBatch(), epoch: e)
    }
  }

  /// CE + λ · log(LAT) / log(τ), LAT chained over the last pass's pairs and path weights.
  func objective(_ ce: Tensor) -> Tensor {
    guard lambda > 0 else { return ce }
    let lat = chainedLatency()
    return ce + lat.log() * Float(lambda / Foundation.log(logBase))
  }

  /// The chained latency of the last pass (with gradient into its pair weights and path weights).
  func chainedLatency() -> Tensor {
    costs.chained(
      ops: { [sampling] id in sampling.lastPairs[id].map { ($0.candidates, $0.weights) } },
      paths: { [sampling, costs] k in costs.route.block(k)?.next.flatMap { sampling.lastPaths[$0] } })
  }

  /// Per block, softmax(β / T) over its connections.
  func pathProbabilities() -> [Int: [Double]] {
    var out = [Int: [Double]]()
    for b in costs.route.blocks {
      guard let id = b.next, let beta = net.arch[id] else { continue }
      out[b.index] = (beta.value.detached() * (1 / temperature)).softmax().scalars.map(Double.init)
    }
    return out
  }

  /// Losses, accuracies, α statistics, the expected latency, softmax(β / T) and its entropy per
  /// block, and the path Viterbi would derive now.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    sampling.pass = warm(p) ? .uniform : .sampled
    let expected = costs.expected(net.arch, temperature: temperature)
    guard expected.isFinite else {
      throw RunError(
        "E401", "α or β became NaN or infinite in epoch \(epoch(p) + 1)",
        help: "lower the learning rates (--set w_lr=... or --set arch_lr=...); the last checkpoint is kept")
    }
    let probabilities = pathProbabilities()
    var beta = [String: MetricValue](), entropy = [String: MetricValue]()
    for b in costs.route.blocks {
      guard let id = b.next, let q = probabilities[b.index] else { continue }
      beta[id] = .numbers(q)
      // 0 − Σ (not −Σ): a one-connection block's entropy is +0, which reads back from JSON the same.
      entropy[id] = .number(0 - q.reduce(0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) })
    }
    let now = try derive(bounded: false)
    var extra: Metrics = [
      "warmup": .bool(warm(p)), "beta": .map(beta), "beta_entropy": .map(entropy),
      "path": .text(now.path.map(String.init).joined(separator: "-")),
    ]
    extra["expected_\(costs.measured ? "latency_ms" : "mmacs")"] = .number(expected)
    extra["derived_\(costs.measured ? "latency_ms" : "mmacs")"] = .number(costs.cost(of: now))
    let m = try net.finishEpoch(epoch: epoch(p), archSteps: !warm(p), extra: extra)
    let blockEntropies = costs.route.blocks.compactMap { $0.next.flatMap { entropy[$0]?.number } }
    let meanEntropy = blockEntropies.reduce(0, +) / Double(max(1, blockEntropies.count))
    return (
      m,
      BilevelSupernet.summary(m)
        + String(
          format: "  E[LAT] %.4g %@  H(β) %.3f  path %@", expected, costs.unit, meanEntropy,
          now.path.map(String.init).joined(separator: "-"))
    )
  }

  /// The Viterbi decision, or with `bounded` and a latency target it exceeds, the most probable
  /// decision within the target.
  func derive(bounded: Bool) throws -> RouteDecision {
    let probabilities = pathProbabilities()
    let names: (String) -> [String]? = { [ir] id in ir.choicePoint(id)?.candidates }
    let logits: (String) -> [Float]? = { [net] id in net.arch[id]?.value.scalars }
    guard
      let d = ViterbiPath.derive(
        unit, probabilities: probabilities, logits: logits, names: names, costs: costs, target: bounded ? target : 0)
    else {
      throw RunError(
        "E316", String(format: "no architecture meets latency_target %.4g %@", target, costs.unit),
        help: "raise latency_target, or set it to 0 for the Viterbi route")
    }
    return d
  }

  /// The derived route (Viterbi, or the most probable within `latency_target`).
  public func result() throws -> SearchResult {
    let d = try derive(bounded: true)
    return SearchResult(architecture: Architecture(decisions: [unit.key: .route(d)]))
  }

  /// The supernet (for benchmarks and tests).
  public var supernet: BilevelSupernet { net }
}
