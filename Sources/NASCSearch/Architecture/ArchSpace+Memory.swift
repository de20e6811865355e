import Foundation
import NASCSpace

/// Memory-bank decisions (SMASH) as op units: a layer's read (write) subset is one op unit whose
/// candidates are the bank subsets it may pick, named as arch files write them (`[0,2]`); the
/// layer's op (with its value choices) is an ordinary composite op unit.
extension ArchSpace {
  /// The units of `ir`'s memory blocks, layer by layer: read, write, op.
  static func memoryUnits(_ ir: SpaceIR, excluded: Set<String>) -> [Unit] {
    var units = [Unit]()
    let zero = ChoiceCosts(params: 0, macs: 0)
    for case .memory(let m) in ir.network.items {
      for layer in m.layers {
        for (id, k, exact) in [
          (layer.readChoice, m.readK, m.readExact), (layer.writeChoice, m.writeK, m.writeExact),
        ] {
          guard let id else { continue }
          let names = bankSubsets(banks: m.banks, k: k, exact: exact).map(bankSubsetName)
          units.append(.op(OpUnit(key: id, candidates: names, costs: names.map { _ in zero })))
        }
        guard let id = layer.layer.choice else { continue }
        let kept = layer.layer.candidates.filter { !excluded.contains($0.opName) }
        var unit = OpUnit(key: id, candidates: kept.map(\.name), costs: kept.map { Self.cost($0) })
        for c in kept where !c.decisions.isEmpty { unit.decisions[c.name] = c.decisions }
        units.append(.op(unit))
      }
    }
    return units
  }

  /// Every subset of `0..<banks` with exactly `k` members (`exact`) or 1 to `k`, ascending, in
  /// order of size and then lexicographically.
  public static func bankSubsets(banks: Int, k: Int, exact: Bool) -> [[Int]] {
    var out = [[Int]]()
    func extend(_ prefix: [Int], from: Int, size: Int) {
      if prefix.count == size {
        out.append(prefix)
        return
      }
      guard from < banks else { return }
      for b in from..<banks { extend(prefix + [b], from: b + 1, size: size) }
    }
    for size in (exact ? k : 1)...k { extend([], from: 0, size: size) }
    return out
  }

  /// `[0,2]`: a bank subset as a candidate name (and a YAML flow list).
  public static func bankSubsetName(_ banks: [Int]) -> String {
    "[" + banks.map(String.init).joined(separator: ",") + "]"
  }

  /// The banks a subset candidate name lists, or nil when it is not one.
  public static func bankSubset(_ name: String) -> [Int]? {
    guard name.hasPrefix("["), name.hasSuffix("]") else { return nil }
    let inner = name.dropFirst().dropLast()
    let parts = inner.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
    return parts.map { $0! }
  }
}
