import Crypto

/// SHA-256 fingerprints (through swift-crypto) of space files, settings and weights in run
/// manifests.
public enum Fingerprint {
  /// The SHA-256 digest of `bytes` as 64 lowercase hex digits.
  public static func sha256(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(64)
    for b in SHA256.hash(data: bytes) {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
