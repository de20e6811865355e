import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// Scores an architecture with the weights it inherits from a trained supernet (random search with
/// weight sharing, SPOS, FairNAS): the supernet runs only the architecture's ops, its BN running
/// statistics are recalibrated on training batches first (SPOS' BN recalibration), and the signal is
/// the accuracy on held-out images. The supernet's own state is left as it was.
public final class SupernetEvaluator: Evaluator {
  /// The space's decisions.
  public let space: ArchSpace
  let ir: SpaceIR
  let model: SupernetModel
  let calibration: ImageDataset
  let validation: ImageDataset
  let calibrationBatches: Int
  let batchSize: Int
  let seed: UInt64
  /// Queries answered so far.
  public private(set) var queries = 0

  /// Scores with `model`'s weights; BN statistics from `calibrationBatches` batches of
  /// `calibration`, accuracy on `validation`.
  public init(
    ir: SpaceIR, model: SupernetModel, calibration: ImageDataset, validation: ImageDataset,
    calibrationBatches: Int = 20, batchSize: Int = 64, seed: UInt64 = 1
  ) {
    self.ir = ir
    space = ArchSpace(ir: ir)
    self.model = model
    self.calibration = calibration
    self.validation = validation
    self.calibrationBatches = calibrationBatches
    self.batchSize = batchSize
    self.seed = seed
  }

  /// What it does.
  public var description: String {
    "inherited supernet weights: BN recalibrated on \(calibrationBatches) batches, accuracy on \(validation.count) held-out images"
  }

  /// The figures' names.
  public var columns: (signal: String, reported: String) { ("supernet_val_acc", "supernet_val_acc") }

  /// The forward plan that runs exactly `a`'s ops: on a cell edge the ops its node keeps from that
  /// input (none of them: the `none` candidate, or the first scaled by 0), on an op unit its op.
  public func plan(_ a: Architecture) -> ForwardPlan {
    var plan = ForwardPlan()
    for cell in ir.cells {
      for node in cell.nodes {
        let key = "\(cell.template).node\(node.index)"
        let kept = a.pairs(key)
        for e in node.edges {
          guard let id = e.choice, plan.ops[id] == nil else { continue }
          let names = e.candidates.map(\.name)
          let chosen: [Int]
          if let kept {
            chosen = kept.filter { $0.input == e.from }.compactMap { names.firstIndex(of: $0.op) }
          } else {
            chosen = a.op(id).flatMap { names.firstIndex(of: $0) }.map { [$0] } ?? []
          }
          switch chosen.count {
          case 0:
            if let zero = e.candidates.firstIndex(where: { $0.graph.isZero }) {
              plan.ops[id] = .single(index: zero, weight: nil)
            } else {
              plan.ops[id] = .mixture(active: [0], weights: Tensor([0]))
            }
          case 1: plan.ops[id] = .single(index: chosen[0], weight: nil)
          default:
            plan.ops[id] = .mixture(active: chosen, weights: Tensor([Float](repeating: 1, count: chosen.count)))
          }
        }
      }
    }
    for layer in ir.layers {
      guard let id = layer.choice, let op = a.op(id), let i = layer.candidates.firstIndex(where: { $0.name == op })
      else { continue }
      plan.ops[id] = .single(index: i, weight: nil)
    }
    return plan
  }

  /// Recalibrates BN for `a`, measures its accuracy, and restores the supernet's statistics.
  public func score(_ a: Architecture) throws -> Score {
    queries += 1
    let p = plan(a)
    let stats = model.namedStats().map(\.stats)
    let saved = stats.map { ($0.mean, $0.variance, $0.batchesTracked) }
    defer { for (s, v) in zip(stats, saved) { (s.mean, s.variance, s.batchesTracked) = v } }
    for s in stats {
      s.mean = .zeros(s.mean.shape)
      s.variance = .ones(s.variance.shape)
      s.batchesTracked = 0
    }
    var sampler = BatchSampler(
      dataset: calibration, batchSize: batchSize,
      rng: RNG(seed: seed ^ StandaloneTrainingEvaluator.fingerprint(space.text(a))))
    model.train()
    withNoGrad {
      for _ in 0..<calibrationBatches {
        let b = sampler.next()
        let x = Tensor(
          shape: [b.count, calibration.channels, calibration.height, calibration.width], scalars: b.pixels)
        var ctx = ForwardContext(rng: RNG(seed: 0))
        _ = model(x, plan: p, context: &ctx)
      }
    }
    let (_, accuracy) = evaluateClassifier(model, on: validation) { (p, RNG(seed: 0)) }
    return Score(signal: 100 * accuracy, reported: nil)
  }
}
