import Foundation
import Testing

@testable import NASCTensor

/// Forward values (and some gradients) compared with PyTorch 2.13 on fixed inputs. The fixture file
/// is written by scripts/fixtures/make_tensor_fixtures.py (committed; CI needs no Python).
@Suite("Forward outputs match PyTorch")
struct TorchReferenceTests {
  static let fixtures: [String: Tensor] = {
    guard
      let url = Bundle.module.url(
        forResource: "torch_reference", withExtension: "safetensors", subdirectory: "Fixtures"),
      let decoded = try? Safetensors.read(from: url)
    else { return [:] }
    return decoded.tensors
  }()

  func t(_ name: String) throws -> Tensor {
    try #require(Self.fixtures[name], "fixture tensor \(name) missing")
  }

  func expectClose(
    _ a: Tensor, _ b: Tensor, tol: Float = 1e-4, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(
      a.shape == b.shape, "\(what): shape \(a.shape) vs torch \(b.shape)", sourceLocation: sourceLocation)
    guard a.shape == b.shape else { return }
    let scale = max(1, b.scalars.map(abs).max() ?? 0)
    let err = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(err <= tol * scale, "\(what): max abs error \(err)", sourceLocation: sourceLocation)
  }

  @Test func fixturesLoad() {
    #expect(Self.fixtures.count == 86)
  }

  @Test(arguments: [
    ("conv_dense", 1, 1, 1, 1), ("conv_s2", 2, 1, 1, 1), ("conv_dil2", 1, 2, 2, 1),
    ("conv_groups2", 2, 0, 1, 2), ("conv_1x1", 1, 0, 1, 1), ("conv_dw3", 1, 1, 1, 4),
    ("conv_dw3_s2", 2, 1, 1, 4), ("conv_dw5_d2", 1, 4, 2, 3), ("conv_dw3_d2_s2", 2, 2, 2, 3),
  ])
  func convolution(_ c: (String, Int, Int, Int, Int)) throws {
    let (name, s, p, d, g) = c
    let x = try t("\(name).x"), w = try t("\(name).w")
    let y = conv2d(x, weight: w, stride: s, padding: p, dilation: d, groups: g)
    expectClose(y, try t("\(name).y"), name)
    if let r = Self.fixtures["\(name).r"] {
      let px = Parameter(x), pw = Parameter(w)
      let y = conv2d(px.value, weight: pw.value, stride: s, padding: p, dilation: d, groups: g)
      (y * r).sum().backward()
      expectClose(px.grad!, try t("\(name).dx"), "\(name) dx")
      expectClose(pw.grad!, try t("\(name).dw"), "\(name) dw")
    }
  }

  @Test func pooling() throws {
    let x = try t("maxpool_k3s1p1.x")
    expectClose(
      maxPool2d(x, Pool2DConfig(kernel: 3, stride: 1, padding: 1)), try t("maxpool_k3s1p1.y"), "max k3s1p1")
    expectClose(
      maxPool2d(x, Pool2DConfig(kernel: 3, stride: 2, padding: 1)), try t("maxpool_k3s2p1.y"), "max k3s2p1")
    expectClose(maxPool2d(x, Pool2DConfig(kernel: 2)), try t("maxpool_k2s2.y"), "max k2s2")
    expectClose(
      avgPool2d(x, Pool2DConfig(kernel: 3, stride: 1, padding: 1)), try t("avgpool_k3s1p1.y"), "avg k3s1p1")
    expectClose(
      avgPool2d(x, Pool2DConfig(kernel: 3, stride: 2, padding: 1)), try t("avgpool_k3s2p1.y"), "avg k3s2p1")
    expectClose(avgPool2d(x, Pool2DConfig(kernel: 5, stride: 3)), try t("avgpool_k5s3.y"), "avg k5s3")
    expectClose(globalAvgPool(x), try t("gap.y"), "global avg pool")
  }

  @Test func batchNorm() throws {
    let bn = BatchNorm2d(4)
    bn.weight!.value = try t("bn.weight")
    bn.bias!.value = try t("bn.bias")
    let x = Parameter(try t("bn.x"))
    let y = bn(x.value)
    expectClose(y, try t("bn.y"), "bn train y")
    expectClose(bn.stats.mean, try t("bn.running_mean"), "bn running mean")
    expectClose(bn.stats.variance, try t("bn.running_var"), "bn running var (unbiased)")
    (y * (try t("bn.r"))).sum().backward()
    expectClose(x.grad!, try t("bn.dx"), "bn dx")
    expectClose(bn.weight!.grad!, try t("bn.dweight"), "bn dweight")
    expectClose(bn.bias!.grad!, try t("bn.dbias"), "bn dbias")
    bn.eval()
    expectClose(bn(try t("bn_eval.x")), try t("bn_eval.y"), "bn eval")
    expectClose(BatchNorm2d(4, affine: false)(try t("bn.x")), try t("bn_noaffine.y"), "bn non-affine")
  }

  @Test func factorizedReduceAndSubsampling() throws {
    let x = try t("factorized_reduce.x").relu()
    let y1 = conv2d(x, weight: try t("factorized_reduce.w1"), stride: 2)
    let y2 = conv2d(
      x.slice(axis: 2, start: 1).slice(axis: 3, start: 1), weight: try t("factorized_reduce.w2"), stride: 2)
    expectClose(concat([y1, y2], axis: 1), try t("factorized_reduce.y"), "FactorizedReduce")
    let xn = try t("subsample2.x")
    expectClose(
      xn.slice(axis: 2, start: 0, step: 2).slice(axis: 3, start: 0, step: 2), try t("subsample2.y"),
      "x[:, :, ::2, ::2]")
    expectClose(
      (try t("channel_shuffle4.x")).channelShuffle(groups: 4), try t("channel_shuffle4.y"), "channel shuffle")
  }

  @Test func softmaxAndCrossEntropy() throws {
    let x = try t("softmax.x")
    expectClose(x.softmax(), try t("softmax.y"), "softmax")
    expectClose(x.logSoftmax(), try t("softmax.logy"), "log_softmax")
    let labels = (try t("ce_smooth.labels")).scalars.map { Int($0) }
    let p = Parameter(x)
    let ce = crossEntropy(logits: p.value, labels: labels, labelSmoothing: 0.1)
    expectClose(ce, try t("ce_smooth.y"), "CE label smoothing 0.1")
    ce.backward()
    expectClose(p.grad!, try t("ce_smooth.dx"), "CE gradient")
    expectClose(crossEntropy(logits: x, labels: labels), try t("ce_plain.y"), "CE")
  }

  @Test func linearLayer() throws {
    expectClose(
      linear(try t("linear.x"), weight: try t("linear.w"), bias: try t("linear.b")), try t("linear.y"),
      "linear")
  }
}
