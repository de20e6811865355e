import Foundation
import Testing

@testable import NASCTensor

/// Damaged checkpoint contents are errors, not traps: a shape whose element count overflows, a
/// step count or batch count that is not a whole number, an Adam step of the wrong shape.
@Suite struct DamagedCheckpointTests {
  /// A safetensors file of one header entry `name` with `shape` and no data.
  func file(shape: String) -> Data {
    let header = Data(#"{"x":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,0]}}"#.utf8)
    var d = Data()
    var n = UInt64(header.count).littleEndian
    withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
    return d + header
  }

  @Test func hugeShapesAreCorruptNotOverflows() {
    #expect(throws: CheckpointError.self) { try Safetensors.decode(file(shape: "[4294967296,4294967296]")) }
    #expect(throws: CheckpointError.self) { try Safetensors.decode(file(shape: "[9223372036854775807,2]")) }
    #expect((try? Safetensors.decode(file(shape: "[0]")))?.tensors["x"]?.shape == [0])
  }

  @Test func optimizerStepsMustBeWholeNumbers() throws {
    let p = Parameter(Tensor([1, 2]))
    let adam = Adam([p])
    var good = adam.stateDict()
    good["step.0"] = Tensor([3])
    try adam.load(stateDict: good)
    for bad in [Tensor([.nan]), Tensor([-1]), Tensor([1e30]), Tensor([1, 2])] {
      var d = good
      d["step.0"] = bad
      #expect(throws: CheckpointError.self) { try adam.load(stateDict: d) }
    }
  }
}
