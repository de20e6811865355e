import NASCSpace
import NASCTensor

/// The memory layers of a network in order, and SMASH's architecture encoding of them (METHODS.md
/// §13.2): a tensor `c` of shape `[1, channels, maxBanks, layers]` whose entry at (bank r, layer j)
/// describes layer j's connection to bank r. Channels, each +1 when true and −1 otherwise (SMASH
/// fills c with −1 first): r is read by j; r's position (one-hot); the banks j writes; j's block
/// (one-hot); one one-hot group per value choice of the op (`k`, `d`, `g` …) with every value any
/// layer can take. Positions beyond a block's banks stay −1 everywhere.
public struct MemoryBankLayout: Sendable {
  /// One memory layer.
  public struct Layer: Sendable {
    /// `memory[i].layer[l]`.
    public var key: String
    /// Its block's index.
    public var block: Int
    /// Banks in its block.
    public var banks: Int
    /// Channels per bank.
    public var width: Int
    /// Output channels of its reading 1×1 conv.
    public var readOut: Int
    /// The read, write and op choice ids (nil when fixed).
    public var readChoice, writeChoice, opChoice: String?
    /// The banks the IR lists (every bank in a supernet).
    public var reads, writes: [Int]
    /// Per op candidate name, its value-choice decisions.
    public var decisions: [String: [ChoiceDecision]]
  }

  /// The layers in network order.
  public let layers: [Layer]
  /// Memory blocks.
  public let blocks: Int
  /// The most banks of any block (the encoding's height).
  public let maxBanks: Int
  /// Per value-choice argument (`k`), the values it takes, as written.
  public let slots: [(argument: String, values: [String])]

  /// The memory layers of `model`; empty when it has none.
  init(_ model: SupernetModel) {
    var layers = [Layer]()
    var blocks = 0
    var values = [String: [String]]()
    var order = [String]()
    for case .memory(let m) in model.items {
      for l in m.layers {
        var decisions = [String: [ChoiceDecision]]()
        for c in l.layer.layer.candidates where !c.decisions.isEmpty {
          decisions[c.name] = c.decisions
          for d in c.decisions {
            let arg = Self.argument(d.id)
            if values[arg] == nil { order.append(arg) }
            if !(values[arg] ?? []).contains(d.value) { values[arg, default: []].append(d.value) }
          }
        }
        layers.append(
          Layer(
            key: l.key, block: blocks, banks: m.block.banks, width: l.width, readOut: l.readOut,
            readChoice: l.layer.readChoice, writeChoice: l.layer.writeChoice, opChoice: l.layer.layer.choice,
            reads: l.layer.reads, writes: l.layer.writes, decisions: decisions))
      }
      blocks += 1
    }
    self.layers = layers
    self.blocks = blocks
    maxBanks = layers.map(\.banks).max() ?? 0
    slots = order.map { arg in
      let v = values[arg]!
      let numeric = v.compactMap(Double.init)
      return (arg, numeric.count == v.count ? v.sorted { Double($0)! < Double($1)! } : v)
    }
  }

  /// `k` of `memory[0].layer[2].k`.
  static func argument(_ id: String) -> String { id.split(separator: ".").last.map(String.init) ?? id }

  /// Encoding channels.
  public var channels: Int { 1 + 2 * maxBanks + blocks + slots.reduce(0) { $0 + $1.values.count } }

  /// The banks layer `l` reads and writes under `a` (the IR's lists where `a` does not decide).
  public func banks(_ l: Layer, _ a: Architecture) -> (reads: [Int], writes: [Int]) {
    (
      l.readChoice.flatMap { a.op($0) }.flatMap(ArchSpace.bankSubset) ?? l.reads,
      l.writeChoice.flatMap { a.op($0) }.flatMap(ArchSpace.bankSubset) ?? l.writes
    )
  }

  /// The encoding `c` of `a`.
  public func encode(_ a: Architecture) -> Tensor {
    let h = maxBanks, w = layers.count
    var c = [Float](repeating: -1, count: channels * h * w)
    func set(_ ch: Int, _ r: Int, _ j: Int) { c[(ch * h + r) * w + j] = 1 }
    let slotBase = 1 + 2 * maxBanks + blocks
    for (j, l) in layers.enumerated() {
      let (reads, writes) = banks(l, a)
      let chosen = l.opChoice.flatMap { a.op($0) }.flatMap { l.decisions[$0] } ?? []
      for r in 0..<l.banks {
        if reads.contains(r) { set(0, r, j) }
        set(1 + r, r, j)
        for b in writes { set(1 + maxBanks + b, r, j) }
        set(1 + 2 * maxBanks + l.block, r, j)
        var offset = slotBase
        for slot in slots {
          if let d = chosen.first(where: { Self.argument($0.id) == slot.argument }),
            let v = slot.values.firstIndex(of: d.value)
          {
            set(offset + v, r, j)
          }
          offset += slot.values.count
        }
      }
    }
    return Tensor(shape: [1, channels, h, w], scalars: c)
  }
}
