/// A split of a corpus cut into `columns` parallel streams, as language models are trained
/// (DARTS' and AWD-LSTM's `batchify`): stream j is the j-th consecutive piece of the split, the
/// tail that does not fill a column is dropped, and time step t of every stream is one batch row.
public struct TokenStreams: Sendable, Equatable {
  /// Parallel streams (the batch size).
  public let columns: Int
  /// Tokens per stream.
  public let length: Int
  /// Token ids, time-major: `ids[t * columns + j]` is token t of stream j.
  public let ids: [Int32]

  /// Cuts `tokens` into `columns` streams; nil when a stream would have fewer than two tokens.
  public init?(_ tokens: [Int32], columns: Int) {
    guard columns >= 1, tokens.count / columns >= 2 else { return nil }
    self.columns = columns
    length = tokens.count / columns
    var ids = [Int32](repeating: 0, count: length * columns)
    for j in 0..<columns {
      for t in 0..<length { ids[t * columns + j] = tokens[j * length + t] }
    }
    self.ids = ids
  }

  /// The window starting at time `start` of at most `steps` steps (fewer at the end): per step,
  /// the input token of every stream and the token that follows it (the target).
  public func window(at start: Int, steps: Int) -> (inputs: [[Int]], targets: [[Int]]) {
    let n = Swift.max(0, Swift.min(steps, length - 1 - start))
    var inputs = [[Int]](), targets = [[Int]]()
    inputs.reserveCapacity(n)
    targets.reserveCapacity(n)
    for t in start..<(start + n) {
      inputs.append((0..<columns).map { Int(ids[t * columns + $0]) })
      targets.append((0..<columns).map { Int(ids[(t + 1) * columns + $0]) })
    }
    return (inputs, targets)
  }

  /// The windows of one pass with windows of `steps` steps: their start times.
  public func windowStarts(steps: Int) -> [Int] { Array(stride(from: 0, to: length - 1, by: Swift.max(steps, 1))) }

  /// Predicted tokens in one pass (every token but the first of each stream).
  public var predictions: Int { (length - 1) * columns }
}
