/// The built-in op library, written in the DSL itself (so `--dump ir` can explain every op and a
/// space may override any of them by defining an op of the same name). Sources: DARTS
/// `cnn/operations.py`, NAS-Bench-201 `cell_operations.py`, MobileNetV2 / ProxylessNAS MBConv.
public enum BuiltinOps {
  /// The pseudo file name of the built-in library in diagnostics.
  public static let fileName = "<builtin>"

  /// The names of the built-in ops.
  public static let names: Set<String> = {
    var bag = DiagnosticBag()
    let root = SourceLoader.parse(bytes: Array(yaml.utf8), path: fileName, diags: &bag).root
    return Set(root?["ops"]?.pairs?.compactMap { $0.key.scalar } ?? [])
  }()

  /// The library text.
  public static let yaml = """
    nasc: 1
    name: builtin
    ops:
      none:
        description: "DARTS 'none': zeros of the output shape; subsamples x[:, :, ::s, ::s] when stride s > 1"
        body: [{zero: {stride: stride}}]
      max_pool_3x3:
        description: "max pool 3x3, pad 1; in a search supernet followed by BN(affine=false) as DARTS' MixedOp does"
        body:
          - {max_pool: {kernel: 3, stride: stride, pad: 1}}
          - {bn: {affine: false}, when: search}
      avg_pool_3x3:
        description: "average pool 3x3, pad 1, padding not counted; in a search supernet followed by BN(affine=false)"
        body:
          - {avg_pool: {kernel: 3, stride: stride, pad: 1, count_include_pad: false}}
          - {bn: {affine: false}, when: search}
      skip_connect:
        description: "identity when stride 1 and C_in == C_out, else FactorizedReduce"
        cases:
          - {when: stride == 1 and C_in == C_out, body: [identity]}
          - {body: [{op: factorized_reduce}]}
      factorized_reduce:
        description: "ReLU; two 1x1 stride-2 convs (C_out/2 each), the second on x shifted by one pixel; concat; BN"
        body:
          - relu
          - parallel:
              merge: concat
              branches:
                - [{conv: {out: C_out / 2, kernel: 1, stride: 2}}]
                - [shift, {conv: {out: C_out / 2, kernel: 1, stride: 2}}]
          - bn
      relu_conv_bn:
        description: "ReLU -> conv k x k (pad k//2) -> BN"
        params: {k: 1}
        body: [relu, {conv: {kernel: k, stride: stride}}, bn]
      dw_pw_bn:
        description: "ReLU -> depthwise k x k (dilation d) -> pointwise 1x1 -> BN"
        params: {k: 3, d: 1}
        body:
          - relu
          - {conv: {out: C_in, kernel: k, stride: stride, dilation: d, groups: C_in}}
          - {conv: {kernel: 1}}
          - bn
      sep_conv:
        description: "two stacked ReLU-dw-pw-BN blocks; the first has the stride and keeps C_in channels"
        params: {k: 3}
        body:
          - {op: dw_pw_bn, with: {k: k, out: C_in}}
          - {op: dw_pw_bn, with: {k: k, stride: 1}}
      sep_conv_3x3: {body: [{op: sep_conv, with: {k: 3}}]}
      sep_conv_5x5: {body: [{op: sep_conv, with: {k: 5}}]}
      sep_conv_7x7: {body: [{op: sep_conv, with: {k: 7}}]}
      dil_conv:
        description: "ReLU -> depthwise k x k dilation 2 -> pointwise -> BN"
        params: {k: 3}
        body: [{op: dw_pw_bn, with: {k: k, d: 2}}]
      dil_conv_3x3: {body: [{op: dil_conv, with: {k: 3}}]}
      dil_conv_5x5: {body: [{op: dil_conv, with: {k: 5}}]}
      conv_7x1_1x7:
        description: "ReLU -> conv 1x7 stride (1,s) -> conv 7x1 stride (s,1) -> BN"
        body:
          - relu
          - {conv: {kernel: [1, 7], stride: [1, stride], pad: [0, 3]}}
          - {conv: {kernel: [7, 1], stride: [stride, 1], pad: [3, 0]}}
          - bn
      nor_conv_1x1:
        description: "NAS-Bench-201: ReLU -> conv 1x1 -> BN"
        body: [relu, {conv: {kernel: 1, stride: stride}}, bn]
      nor_conv_3x3:
        description: "NAS-Bench-201: ReLU -> conv 3x3 pad 1 -> BN"
        body: [relu, {conv: {kernel: 3, stride: stride}}, bn]
      resnet_block:
        description: "NAS-Bench-201 ResNet basic block: two ReLUConvBN 3x3; shortcut avg pool 2 + conv 1x1 when stride 2"
        cases:
          - when: stride == 1 and C_in == C_out
            body:
              - parallel:
                  merge: add
                  branches:
                    - [{op: relu_conv_bn, with: {k: 3}}, {op: relu_conv_bn, with: {k: 3}}]
                    - [identity]
          - body:
              - parallel:
                  merge: add
                  branches:
                    - [{op: relu_conv_bn, with: {k: 3}}, {op: relu_conv_bn, with: {k: 3, stride: 1}}]
                    - [{avg_pool: {kernel: 2, stride: 2}}, {conv: {kernel: 1}}]
      mbconv:
        description: "inverted residual: [1x1 expand -> BN -> ReLU6] (skipped when e = 1) -> depthwise k x k -> BN -> ReLU6 -> 1x1 project -> BN"
        params: {k: 3, e: 6}
        body:
          - {conv: {out: e * C_in, kernel: 1}, when: e != 1}
          - {bn: null, when: e != 1}
          - {relu6: null, when: e != 1}
          - {conv: {out: e * C_in, kernel: k, stride: stride, groups: e * C_in}}
          - bn
          - relu6
          - {conv: {kernel: 1}}
          - bn
      dw_sep:
        description: "MobileNet separable block: depthwise 3x3 -> BN -> ReLU6 -> pointwise 1x1 -> BN"
        params: {k: 3}
        body:
          - {conv: {out: C_in, kernel: k, stride: stride, groups: C_in}}
          - bn
          - relu6
          - {conv: {kernel: 1}}
          - bn
      conv_bn_relu:
        description: "conv k x k -> BN -> ReLU"
        params: {k: 3}
        body: [{conv: {kernel: k, stride: stride}}, bn, relu]
      conv_bn_relu6:
        description: "conv k x k -> BN -> ReLU6"
        params: {k: 3}
        body: [{conv: {kernel: k, stride: stride}}, bn, relu6]
    """
}
