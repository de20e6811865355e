import Foundation
import SwiftProtobuf

/// A TensorBoard event file built in memory: scalars and histograms by tag and step, written as
/// TFRecord-framed `Event` messages that `tensorboard --logdir` reads.
public struct EventFile: Sendable {
  private var bytes = Data()

  /// An event file whose first record states its version, as TensorBoard expects.
  public init(wallTime: Double) {
    var e = Tensorboard_Event()
    e.wallTime = wallTime
    e.fileVersion = "brain.Event:2"
    append(e)
  }

  /// The file's bytes.
  public var data: Data { bytes }

  /// Records `value` under `tag` at `step`.
  public mutating func scalar(_ tag: String, _ value: Double, step: Int, wallTime: Double) {
    var v = Tensorboard_Summary.Value()
    v.tag = tag
    v.simpleValue = Float(value)
    summary([v], step: step, wallTime: wallTime)
  }

  /// Records the distribution of `values` under `tag` at `step`, in `buckets` equal-width buckets
  /// between their least and largest value.
  public mutating func histogram(_ tag: String, _ values: [Double], step: Int, wallTime: Double, buckets: Int = 20) {
    guard let lo = values.min(), let hi = values.max() else { return }
    var h = Tensorboard_HistogramProto()
    h.min = lo
    h.max = hi
    h.num = Double(values.count)
    h.sum = values.reduce(0, +)
    h.sumSquares = values.reduce(0) { $0 + $1 * $1 }
    if hi > lo {
      let width = (hi - lo) / Double(buckets)
      h.bucketLimit = (1...buckets).map { lo + width * Double($0) }
      h.bucketLimit[buckets - 1] = hi
      h.bucket = [Double](repeating: 0, count: buckets)
      for x in values { h.bucket[min(buckets - 1, Int((x - lo) / width))] += 1 }
    } else {
      h.bucketLimit = [hi]
      h.bucket = [Double(values.count)]
    }
    var v = Tensorboard_Summary.Value()
    v.tag = tag
    v.histo = h
    summary([v], step: step, wallTime: wallTime)
  }

  private mutating func summary(_ values: [Tensorboard_Summary.Value], step: Int, wallTime: Double) {
    var s = Tensorboard_Summary()
    s.value = values
    var e = Tensorboard_Event()
    e.wallTime = wallTime
    e.step = Int64(step)
    e.summary = s
    append(e)
  }

  private mutating func append(_ event: Tensorboard_Event) {
    // Serialising a message built from plain fields cannot fail.
    guard let record = try? event.serializedData() else { preconditionFailure("an Event did not serialise") }
    TFRecord.append(record, to: &bytes)
  }
}
