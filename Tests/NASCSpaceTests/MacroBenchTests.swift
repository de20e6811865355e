import Foundation
import Testing

@testable import NASCSpace

/// The NAS-Bench-Macro table (../shared/data) lists params and FLOPs of 6,561 networks; our cost
/// model must give exactly the same numbers for spaces/nas-bench-macro.yaml.
@Suite("NAS-Bench-Macro cross-check")
struct MacroBenchTests {
  static let table = repoRoot + "/../shared/data/nas-bench-macro/nas-bench-macro-cifar10.csv"

  @Test(.enabled(if: FileManager.default.fileExists(atPath: table)))
  func paramsAndFlopsMatchTheTable() throws {
    let text = try String(contentsOfFile: Self.table, encoding: .utf8)
    let rows = text.split(whereSeparator: \.isNewline).dropFirst().map { $0.split(separator: ",") }
    #expect(rows.count == 6561)
    let names = ["id", "ir_3x3_t3", "ir_5x5_t6"]
    let dir = tempProject()
    for (n, row) in rows.enumerated() where n % 41 == 0 {
      let arch = Array(row[0])
      var doc = "nasc: 1\narch:\n  space: \(repo("spaces/nas-bench-macro.yaml"))\n  choices:\n"
      for (i, c) in arch.enumerated() { doc += "    layer[\(i)].op: \(names[Int(String(c))!])\n" }
      let r = Compiler.compile(
        path: repo("spaces/nas-bench-macro.yaml"), options: CompileOptions(arch: write(doc, "a\(n).yaml", in: dir)))
      let ir = try #require(r.ir, "\(r.diagnostics)")
      #expect(ir.cost.params == Int(row[6])!, "\(row[0])")
      #expect(ir.cost.macs == Int(row[7])!, "\(row[0])")
    }
  }

  @Test func count() throws {
    let ir = try #require(Compiler.compile(path: repo("spaces/nas-bench-macro.yaml")).ir)
    #expect(ir.architectures.description == "6561")
  }
}
