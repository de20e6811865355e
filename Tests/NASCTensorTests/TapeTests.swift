import Foundation
import Testing

@testable import NASCTensor

@Suite("Tape behaviour")
struct TapeTests {
  @Test func deepGraphsAreReleasedWithoutRecursion() {
    // A 300,000-op chain dropped without backward must not overflow the stack in deinit.
    let p = Parameter(Tensor([1]))
    do {
      var y = p.value
      for _ in 0..<300_000 { y = y * 1.0 }
      #expect(y.requiresGrad)
    }
    #expect(p.grad == nil)
  }

  @Test func gradientsAccumulateAcrossBackwardPassesUntilZeroed() {
    let p = Parameter(Tensor([2, 3]))
    (p.value * p.value).sum().backward()
    (p.value * 3).sum().backward()
    #expect(p.grad?.scalars == [7, 9])
    p.zeroGrad()
    #expect(p.grad == nil)
  }

  @Test func reusedTensorsSumTheirGradients() {
    let p = Parameter(Tensor([1.5]))
    let x = p.value.tanh()
    let y = x * x + x  // x used three times
    y.backward()
    let t = Float(tanh(1.5))
    #expect(abs(p.grad!.scalar - (2 * t + 1) * (1 - t * t)) < 1e-5)
  }

  @Test func noGradScopeRecordsNothing() {
    let p = Parameter(Tensor([1, 2]))
    let y = withNoGrad { (p.value * 2).relu() }
    #expect(!y.requiresGrad)
    #expect(GradMode.isEnabled)
    let z = p.value * 2
    #expect(z.requiresGrad)
  }

  @Test func graphIsReleasedAfterBackward() {
    let p = Parameter(Tensor([1, 2, 3]))
    let y = (p.value.relu() * 2).sum()
    y.backward()
    if case .released = y.node!.op {} else { Issue.record("root node kept its op after backward") }
    #expect(y.node!.inputs.isEmpty)
    // A second backward on a released graph is a no-op.
    y.backward()
    #expect(p.grad?.scalars == [2, 2, 2])
  }

  @Test func overwritingAParameterDoesNotDisturbASavedActivation() {
    let p = Parameter(Tensor([1, 2]))
    let y = (p.value * p.value).sum()
    p.update { b in b[0] = 100 }  // copy-on-write: the tape keeps the old value
    y.backward()
    #expect(p.grad?.scalars == [2, 4])
    #expect(p.value.scalars == [100, 2])
  }
}
