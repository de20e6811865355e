/// The primitives: argument defaults, shape inference and checks.
extension Expander {
  func outSize(_ h: Int, k: Int, s: Int, p: Int, d: Int) -> Int {
    let num = h + 2 * p - d * (k - 1) - 1
    return num < 0 ? 0 : num / s + 1
  }

  /// Applies one primitive.
  func primitive(_ name: String, args: SyntaxNode?, site: SyntaxNode, _ b: inout GraphBuilder, _ x: Int, _ env: Env)
    -> Int?
  {
    let sh = b.shape(x)
    let a = args?.pairs == nil ? nil : args
    switch name {
    case "relu": return b.add(.relu, [x], sh)
    case "relu6": return b.add(.relu6, [x], sh)
    case "tanh": return b.add(.tanh, [x], sh)
    case "sigmoid": return b.add(.sigmoid, [x], sh)
    case "identity": return b.add(.identity, [x], sh)
    case "shift": return b.add(.shift, [x], sh)
    case "global_avg_pool": return b.add(.globalAvgPool, [x], Shape(sh.channels, 1, 1))
    case "bn":
      var aff = false
      if case .bool(let v)? = env["affine"] { aff = v }
      guard let affine = bool(a?["affine"], env, default: aff) else { return nil }
      return b.add(.batchNorm(channels: sh.channels, affine: affine), [x], sh)
    case "zero":
      guard let s = int(a?["stride"], env, default: 1, what: "stride") else { return nil }
      let c = envInt(env, "C_out", sh.channels)
      return b.add(.zero(stride: s), [x], Shape(c, (sh.height + s - 1) / s, (sh.width + s - 1) / s))
    case "dropout":
      var p = 0.0
      if let n = a?["p"] {
        guard let v = value(n, env)?.number, v >= 0, v < 1 else {
          error(.outOfRange, "dropout probability must be in [0, 1)", n)
          return nil
        }
        p = v
      }
      return b.add(.dropout(p: p), [x], sh)
    case "channel_shuffle":
      guard let g = int(a?["groups"], env, default: 2, what: "groups") else { return nil }
      if sh.channels % g != 0 {
        error(
          .channelDivisibility, "channel_shuffle with \(g) groups needs channels divisible by \(g), got \(sh.channels)",
          site)
        return nil
      }
      return b.add(.channelShuffle(groups: g), [x], sh)
    case "slice":
      guard let start = int(a?["start"], env, default: 0, what: "start", min: 0),
        let step = int(a?["step"], env, default: 1, what: "step"),
        let count = int(a?["count"], env, default: (sh.channels - start + step - 1) / step, what: "count")
      else { return nil }
      if start + (count - 1) * step >= sh.channels {
        error(
          .channelMismatch, "slice reads channel \(start + (count - 1) * step) but the input has \(sh.channels)", site)
        return nil
      }
      return b.add(.slice(start: start, count: count, step: step), [x], Shape(count, sh.height, sh.width))
    case "linear":
      guard let out = int(a?["out"], env, default: envInt(env, "classes", 10), what: "out") else { return nil }
      guard let bias = bool(a?["bias"], env, default: true), let tied = bool(a?["tied"], env, default: false) else {
        return nil
      }
      if tied {
        return b.add(.tiedLinear(inFeatures: sh.elements, outFeatures: out, bias: bias), [x], Shape(out, 1, 1))
      }
      return b.add(.linear(inFeatures: sh.elements, outFeatures: out, bias: bias), [x], Shape(out, 1, 1))
    case "embedding":
      guard let tokens = int(a?["tokens"], env, default: envInt(env, "tokens", 0), what: "tokens"),
        let out = int(a?["out"], env, default: envInt(env, "C_out", 0), what: "out")
      else { return nil }
      return b.add(.embedding(tokens: tokens, dim: out), [x], Shape(out, 1, 1))
    case "max_pool", "avg_pool":
      guard let k = pair(a?["kernel"], env, default: nil, what: "kernel", min: 1) else {
        if a?["kernel"] == nil {
          error(.missingKey, "\(name) needs a 'kernel'", site, help: "e.g. {\(name): {kernel: 3, stride: 1, pad: 1}}")
        }
        return nil
      }
      guard let s = pair(a?["stride"], env, default: k, what: "stride", min: 1),
        let p = pair(a?["pad"], env, default: (0, 0), what: "pad", min: 0)
      else { return nil }
      guard let cip = bool(a?["count_include_pad"], env, default: false) else { return nil }
      let oh = outSize(sh.height, k: k.0, s: s.0, p: p.0, d: 1)
      let ow = outSize(sh.width, k: k.1, s: s.1, p: p.1, d: 1)
      if oh < 1 || ow < 1 {
        error(
          .resolutionTooSmall, "\(name) with kernel \(k.0)x\(k.1) does not fit the \(sh.height)x\(sh.width) input",
          site,
          help: "the input is too small here; use fewer reductions or a larger input size")
        return nil
      }
      let pool = Pool2d(kh: k.0, kw: k.1, sh: s.0, sw: s.1, ph: p.0, pw: p.1, countIncludePad: cip)
      return b.add(name == "max_pool" ? .maxPool(pool) : .avgPool(pool), [x], Shape(sh.channels, oh, ow))
    case "conv":
      guard
        let cout = int(
          a?["out"], env, default: envInt(env, "C_out", sh.channels), what: "output channels", divisibility: true),
        let k = pair(a?["kernel"], env, default: (1, 1), what: "kernel", min: 1),
        let s = pair(a?["stride"], env, default: (1, 1), what: "stride", min: 1),
        let d = int(a?["dilation"], env, default: 1, what: "dilation"),
        let p = pair(a?["pad"], env, default: (d * (k.0 - 1) / 2, d * (k.1 - 1) / 2), what: "pad", min: 0),
        let g = int(a?["groups"], env, default: 1, what: "groups", divisibility: true),
        let bias = bool(a?["bias"], env, default: false)
      else { return nil }
      if sh.channels % g != 0 || cout % g != 0 {
        error(
          .channelDivisibility,
          "conv with \(g) groups needs input (\(sh.channels)) and output (\(cout)) channels divisible by \(g)", site)
        return nil
      }
      let oh = outSize(sh.height, k: k.0, s: s.0, p: p.0, d: d)
      let ow = outSize(sh.width, k: k.1, s: s.1, p: p.1, d: d)
      if oh < 1 || ow < 1 {
        error(
          .resolutionTooSmall,
          "conv \(k.0)x\(k.1) (dilation \(d), pad \(p.0)) does not fit the \(sh.height)x\(sh.width) input", site,
          help: "the feature map is too small here; use fewer reductions or a larger input size")
        return nil
      }
      let conv = Conv2d(
        cin: sh.channels, cout: cout, kh: k.0, kw: k.1, sh: s.0, sw: s.1, ph: p.0, pw: p.1, dh: d, dw: d, groups: g,
        bias: bias)
      return b.add(.conv(conv), [x], Shape(cout, oh, ow))
    default:
      error(.unknownOp, "unknown primitive '\(name)'", site)
      return nil
    }
  }
}
