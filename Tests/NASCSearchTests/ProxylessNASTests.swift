import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// ProxylessNAS' binary gates: the two-path α gradient and the rescale, against a hand computation
/// on 3 candidates.
@Suite("ProxylessNAS binary gates")
struct ProxylessNASTests {
  /// ∂L/∂α_i = Σ_{j ∈ pair} ∂L/∂g_j · q_j (δ_ij − q_i), with ∂L/∂g_j = Σ out_j ⊙ ∂L/∂y, and no
  /// gradient for the candidate outside the pair.
  @Test func twoPathGradientMatchesTheFormula() throws {
    let alphaValues: [Float] = [0.3, -0.2, 0.5]
    let alpha = Parameter(Tensor(alphaValues))
    let pair = [0, 2], active = 1  // candidates 0 and 2; the active one is candidate 2
    let outs: [[Float]] = [[1, 2], [5, 5], [-1, 3]]  // each candidate's output on the input
    let c: [Float] = [0.7, -0.4]  // ∂L/∂y
    let q = alpha.value.gathered(pair).softmax()
    let g = BinaryGates.gates(q, active: active)
    #expect(g.scalars == [0, 1])
    let y =
      Tensor(outs[pair[0]]).scaled(by: g.slice(axis: 0, start: 0, end: 1))
      + Tensor(outs[pair[1]]).scaled(by: g.slice(axis: 0, start: 1, end: 2))
    (y * Tensor(c)).sum().backward()
    let grad = try #require(alpha.grad).scalars
    // By hand.
    let e0 = exp(Double(alphaValues[0])), e2 = exp(Double(alphaValues[2]))
    let qh = [e0 / (e0 + e2), e2 / (e0 + e2)]
    let dg = pair.map { j in zip(outs[j], c).reduce(0.0) { $0 + Double($1.0 * $1.1) } }
    for (a, i) in pair.enumerated() {
      let want = (0..<2).reduce(0.0) { s, b in s + dg[b] * qh[b] * ((a == b ? 1 : 0) - qh[a]) }
      #expect(abs(Double(grad[i]) - want) < 1e-6, "α_\(i): \(grad[i]) vs \(want)")
    }
    #expect(grad[1] == 0)
  }

  /// After the step the pair keeps its total probability mass; the third candidate's α is untouched.
  @Test func rescaleKeepsThePairsMass() {
    let old: [Float] = [0.3, -0.2, 0.5]
    let stepped: [Float] = [0.35, -0.2, 0.41]
    let r = BinaryGates.rescale(stepped, old: old, pair: [0, 2])
    let mass = { (a: [Float]) in exp(Double(a[0])) + exp(Double(a[2])) }
    #expect(abs(mass(r) - mass(old)) < 1e-6)
    #expect(r[1] == old[1])
    // The split moves as the step moved it: the difference α_0 − α_2 is the stepped one.
    #expect(abs((r[0] - r[2]) - (stepped[0] - stepped[2])) < 1e-6)
    // Softmax over all three: the outside candidate's probability is unchanged.
    let p = { (a: [Float]) in exp(Double(a[1])) / a.reduce(0.0) { $0 + exp(Double($1)) } }
    #expect(abs(p(r) - p(old)) < 1e-6)
  }

  /// A pass of binary gates on a layer-wise space: weight passes run one op per layer, gated passes
  /// two (or one when the active op is zero), each pair drawn without replacement.
  @Test func gatedPlans() throws {
    let ir = try compileSpace("proxylessnas-digits.yaml")
    var rng = RNG(seed: 3)
    let arch = ArchitectureParameters(ir: ir, inputs: false, scale: 1e-3, rng: &rng)
    let gates = BinaryGates(layout: ChoiceLayout(ir), twoPath: true)
    gates.pass = .sampled
    for (_, p) in gates.plan(arch, epoch: 0, rng: &rng).ops {
      guard case .single(_, nil) = p else { Issue.record("a weight pass must run one op"); continue }
    }
    gates.pass = .gates
    for _ in 0..<20 {
      let plan = gates.plan(arch, epoch: 0, rng: &rng)
      for (id, p) in plan.ops {
        if case .mixture(let active, let w) = p {
          #expect(active.count == 2 && Set(active).count == 2 && w.scalars.sorted() == [0, 1])
          #expect(gates.lastGates[id]?.candidates == active)
        } else {
          #expect(gates.lastGates[id] == nil)
        }
      }
    }
  }

  /// REINFORCE on a toy bandit (one layer, 3 arms, reward 1 for arm 2 only), with the moving
  /// baseline and Adam: the probability of the best arm grows towards 1.
  @Test func reinforceMovesProbabilityToTheBestArm() {
    let alpha = Parameter(Tensor([0, 0, 0] as [Float]))
    let adam = Adam([alpha], learningRate: 0.05, beta1: 0, beta2: 0.999)
    var rng = RNG(seed: 4)
    var baseline: Double? = nil
    for _ in 0..<200 {
      let p = alpha.value.detached().softmax().scalars
      let picks = (0..<10).map { _ in [BinaryGates.draw(p, rng: &rng)] }
      let rewards = picks.map { $0[0] == 2 ? 1.0 : 0.0 }
      let mean = rewards.reduce(0, +) / 10
      let b = baseline.map { $0 + 0.99 * (mean - $0) } ?? mean
      baseline = b
      alpha.zeroGrad()
      ProxylessNAS.reinforceLoss(logits: [alpha.value], choices: picks, advantages: rewards.map { $0 - b }).backward()
      adam.step()
    }
    let p = alpha.value.softmax().scalars
    #expect(p[2] > 0.9, "p = \(p)")
  }

  /// The REINFORCE gradient of one sample is A · (one_hot(choice) − p) per layer, descended.
  @Test func reinforceGradientIsTheScoreFunction() throws {
    let alpha = Parameter(Tensor([0.2, -0.1, 0.4] as [Float]))
    ProxylessNAS.reinforceLoss(logits: [alpha.value], choices: [[1]], advantages: [0.5]).backward()
    let p = alpha.value.detached().softmax().scalars
    let g = try #require(alpha.grad).scalars
    for i in 0..<3 { #expect(abs(Double(g[i]) - (-0.5) * ((i == 1 ? 1 : 0) - Double(p[i]))) < 1e-6) }
  }
}
