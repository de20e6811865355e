import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

@Suite struct LoweringTests {
  func weightCount(_ m: SupernetModel) -> Int { m.weights.reduce(0) { $0 + $1.shape.reduce(1, *) } }

  @Test func dartsSupernetHasThePyTorchReferenceParameterCount() throws {
    let ir = try compileSpace("darts-cnn.yaml")
    var rng = RNG(seed: 1)
    let model = try SupernetModel(ir.network, rng: &rng)
    #expect(weightCount(model) == 1_930_618)
    #expect(weightCount(model) == ir.cost.params)
    let arch = ArchitectureParameters(ir: ir, inputs: false, rng: &rng)
    #expect(arch.entries.count == 28)
    #expect(arch.parameters.allSatisfy { $0.shape == [8] })
  }

  @Test func pcDartsSupernetHasThePyTorchReferenceParameterCount() throws {
    let ir = try compileSpace("pc-darts.yaml")
    var rng = RNG(seed: 1)
    let model = try SupernetModel(ir.network, rng: &rng)
    #expect(weightCount(model) == 299_578)
    let arch = ArchitectureParameters(ir: ir, inputs: true, rng: &rng)
    #expect(arch.entries.count == 28 + 8)
  }

  @Test func digitsSupernetRunsForward() throws {
    let ir = try compileSpace("darts-digits.yaml")
    var rng = RNG(seed: 3)
    let model = try SupernetModel(ir.network, rng: &rng)
    #expect(weightCount(model) == ir.cost.params)
    let arch = ArchitectureParameters(ir: ir, inputs: false, rng: &rng)
    var plan = ForwardPlan()
    for (id, p) in arch.entries { plan.ops[id] = .mixture(active: Array(0..<8), weights: p.value.softmax()) }
    var ctx = ForwardContext(rng: RNG(seed: 4))
    let x = Tensor.randn([4, 1, 8, 8], rng: &rng)
    let (logits, aux) = model(x, plan: plan, context: &ctx)
    #expect(logits.shape == [4, 10])
    #expect(aux == nil)
    let loss = crossEntropy(logits: logits, labels: [0, 1, 2, 3])
    loss.backward()
    #expect(arch.parameters.allSatisfy { $0.grad != nil })
    #expect(model.weights.filter { $0.grad == nil }.isEmpty)
  }
}

@Suite struct EverySpaceLowersTests {
  /// The ready spaces the engine cannot lower yet (SMASH's memory bank): each is rejected with a
  /// lowering error. Every other space must lower, so a regression fails by name.
  static let notLowered: Set<String> = []

  /// Every ready space either lowers to engine modules whose weight count equals the IR cost model's
  /// (and, for small inputs, runs forward and backward) or is one of `notLowered`.
  @Test func everySpaceLowersOrIsRejectedClearly() throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/spaces").filter {
      $0.hasSuffix(".yaml")
    }.sorted()
    #expect(names.count >= 20)
    var rejected = Set<String>()
    for name in names {
      let ir = try compileSpace(name)
      var rng = RNG(seed: 1)
      if ir.network.tokens != nil {
        // Token spaces lower to a language model (the search supernet's mixed edges included).
        do {
          let lm = try LanguageModel(ir.network, rng: &rng)
          #expect(lm.parameters().reduce(0) { $0 + $1.value.count } == ir.cost.params, "\(name)")
        } catch let e as LoweringError {
          #expect(!e.description.isEmpty)
          rejected.insert(name)
        }
        continue
      }
      let model: SupernetModel
      do { model = try SupernetModel(ir.network, rng: &rng) } catch let e as LoweringError {
        #expect(!e.description.isEmpty)
        rejected.insert(name)
        continue
      }
      let count = model.weights.reduce(0) { $0 + $1.shape.reduce(1, *) }
      #expect(count == ir.cost.params + (ir.auxiliaryCost?.params ?? 0), "\(name)")
      let s = ir.network.input
      guard s.height * s.width <= 16 * 16, s.height > 1 else { continue }
      let arch = ArchitectureParameters(ir: ir, inputs: true, rng: &rng)
      let plan = SoftmaxMixture(layout: ChoiceLayout(ir), edgeNormalization: true).plan(arch, epoch: 0, rng: &rng)
      var ctx = ForwardContext(rng: RNG(seed: 2))
      let x = Tensor.randn([2, s.channels, s.height, s.width], rng: &rng)
      let (logits, _) = model(x, plan: plan, context: &ctx)
      #expect(logits.shape == [2, ir.network.classes], "\(name)")
      crossEntropy(logits: logits, labels: [0, 1]).backward()
    }
    #expect(rejected == Self.notLowered)
  }
}
