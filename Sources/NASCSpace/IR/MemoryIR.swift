/// One layer of a memory block: it reads a subset of banks (concatenated), applies its op (output:
/// one bank's width) and adds the result into a subset of banks.
public struct MemoryLayer: Sendable, Hashable {
  /// The read choice point id (`memory[0].layer[3].read`), or nil when decided.
  public var readChoice: String?
  /// The write choice point id, or nil when decided.
  public var writeChoice: String?
  /// The banks it reads (all candidates in a supernet).
  public var reads: [Int]
  /// The banks it writes (all candidates in a supernet).
  public var writes: [Int]
  /// The layer's op; in a supernet built on every bank (`banks × width` input channels), the
  /// lowering slices the weights to the banks a sample reads (SMASH's largest-size weights).
  public var layer: LayerIR
}

/// A block of memory banks (SMASH): the input initialises `banks` banks of `width` channels each;
/// the block output concatenates every bank.
public struct MemoryBlockIR: Sendable, Hashable {
  /// Number of banks.
  public var banks: Int
  /// Channels per bank.
  public var width: Int
  /// The layers in order.
  public var layers: [MemoryLayer]
  /// The input shape (`banks × width` channels).
  public var inputShape: Shape
  /// The output shape (`banks × width` channels).
  public var shape: Shape
  /// How many banks a layer reads at most (exactly, with `readExact`).
  public var readK: Int = 1
  /// Whether a layer reads exactly `readK` banks.
  public var readExact = true
  /// How many banks a layer writes at most (exactly, with `writeExact`).
  public var writeK: Int = 1
  /// Whether a layer writes exactly `writeK` banks.
  public var writeExact = true
}
