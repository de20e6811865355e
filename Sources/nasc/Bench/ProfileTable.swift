import Foundation
import NASCTensor

/// The text table of a `Profiler.Report`: one row per op kind, largest first.
enum ProfileTable {
  static func render(_ p: Profiler.Report, steps: Int) -> String {
    let kinds = Set(p.forward.keys).union(p.backward.keys)
    let perStep = 1000 / Double(max(steps, 1))
    let total = p.seconds * perStep
    func seconds(_ k: String) -> Double { (p.forward[k]?.seconds ?? 0) + (p.backward[k]?.seconds ?? 0) }
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    var out = pad("op kind", 40) + "    fwd ms    bwd ms  share   calls  rate (fwd / bwd)\n"
    var attributed = 0.0
    for k in kinds.sorted(by: { seconds($0) > seconds($1) }) {
      let f = p.forward[k] ?? Profiler.Entry(), b = p.backward[k] ?? Profiler.Entry()
      attributed += (f.seconds + b.seconds) * perStep
      func rate(_ e: Profiler.Entry) -> String {
        guard e.seconds > 0 else { return "-" }
        if e.flops > 0 { return String(format: "%.1f GFLOPS", e.flops / e.seconds / 1e9) }
        return e.bytes > 0 ? String(format: "%.1f GB/s", e.bytes / e.seconds / 1e9) : "-"
      }
      out += pad(k, 40)
      out += String(
        format: " %9.1f %9.1f %5.1f%% %7d  %@ / %@\n", f.seconds * perStep, b.seconds * perStep,
        100 * (f.seconds + b.seconds) * perStep / total, (f.calls + b.calls) / max(steps, 1), rate(f) as NSString,
        rate(b) as NSString)
    }
    out += pad("other (optimizers, data, glue)", 40)
    out += String(
      format: " %9.1f %9@ %5.1f%%\n", total - attributed, "" as NSString, 100 * (total - attributed) / total)
    out += pad("total", 40) + String(format: " %9.1f ms per step (profiled)\n", total)
    return out
  }
}
