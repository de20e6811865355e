import Foundation
import NASCSpace
import Testing

@testable import NASCSearch

@Suite struct OneShotCommandTests {
  @Test func sposAndFairnasResumeBitIdenticallyInBothPhases() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-layers.yaml"
    let dir = try TempDir()
    for (method, extra) in [
      ("spos", [String]()), ("fairnas", ["--set", "epochs=2", "--set", "population=4", "--set", "generations=2"]),
    ] {
      let args = ["search", space, "--method", method, "--limit", "64", "--seed", "5"] + extra
      let full = dir.path + "/\(method)-full"
      let a = try runNasc(args + ["--out", full])
      #expect(a.status == 0, "\(a.stderr)")
      #expect(a.stderr.contains("supernet: epoch 2/2"), "\(a.stderr)")
      for file in ["arch.yaml", "scores.svg", "supernet.svg"] {
        #expect(FileManager.default.fileExists(atPath: full + "/" + file), "\(method): no \(file)")
      }
      if method == "fairnas" {
        let front = try text(full + "/pareto.jsonl").split(separator: "\n")
        #expect(!front.isEmpty && front.allSatisfy { $0.contains("\"macs\":") && $0.contains("\"supernet_val_acc\":") })
      }
      // Killed after a supernet epoch, and after the first generation of the search.
      for unit in [1, 3] {
        let cut = dir.path + "/\(method)-cut\(unit)"
        #expect(try killAndResume(args, out: cut, unit: unit) == 0)
        #expect(try text(full + "/arch.yaml") == text(cut + "/arch.yaml"), "\(method) after unit \(unit)")
        #expect(try metrics(full) == metrics(cut), "\(method) after unit \(unit)")
      }
    }
  }

  /// ProxylessNAS on a layer-wise space: warm-up then joint steps, both latency-loss forms, a
  /// derived arch, and a run killed after the warm-up and after a joint epoch resumes bit-identically.
  @Test func proxylessnasRunsAndResumes() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-layers.yaml"
    let dir = try TempDir()
    for form in ["add#linear", "mul#log", "reinforce"] {
      let args =
        [
          "search", space, "--method", "proxylessnas", "--limit", "64", "--seed", "3", "--set", "warmup_epochs=1",
          "--set", "epochs=3", "--set", "batch_size=8", "--set", "arch_update_every=2", "--set", "train_portion=0.75",
          "--set", "latency_loss=\(form == "reinforce" ? "add#linear" : form)",
          "--set", "latency_ref=\(form == "mul#log" ? 2 : 0.1)",
        ] + (form == "reinforce" ? ["--set", "gradient=reinforce", "--set", "rl_samples=3"] : [])
      let full = dir.path + "/px-\(form.replacingOccurrences(of: "#", with: "-"))-full"
      let a = try runNasc(args + ["--out", full])
      if form == "add#linear" {
        // A reference no architecture can reach (the tiny space's cheapest costs more than 0.001 MMACs).
        let low = try runNasc(
          args.map { $0 == "latency_ref=0.1" ? "latency_ref=0.001" : $0 } + ["--out", full + "-low"])
        #expect(low.status == 1 && low.stderr.contains("E316") && low.stderr.contains("cheapest"), "\(low.stderr)")
      }
      if form == "mul#log" {
        // The tiny space costs well under 1 MMAC: mul#log's log would be negative.
        #expect(a.status == 1 && a.stderr.contains("E310") && a.stderr.contains("cheapest path"), "\(a.stderr)")
        continue
      }
      #expect(a.status == 0, "\(a.stderr)")
      #expect(a.stderr.contains("warmup: epoch 1/1") && a.stderr.contains("search: epoch 3/3"), "\(a.stderr)")
      #expect(try text(full + "/arch.yaml").contains("layer[1].op:"))
      #expect(try metrics(full).last?.contains("\"expected_mmacs\":") == true)
      // softmax(α) per layer over the epochs: one panel per choice layer, one line per candidate.
      let picture = try text(full + "/alpha-layers.svg")
      #expect(picture.components(separatedBy: "<polyline").count - 1 == 2 + 3 + 2, "\(picture.prefix(200))")
      for unit in [1, 2] {
        let cut = dir.path + "/px-\(form.replacingOccurrences(of: "#", with: "-"))-cut\(unit)"
        #expect(try killAndResume(args, out: cut, unit: unit) == 0)
        #expect(try text(full + "/arch.yaml") == text(cut + "/arch.yaml"), "after unit \(unit)")
        #expect(try metrics(full) == metrics(cut), "after unit \(unit)")
      }
    }
  }

  @Test func oneshotAndRandomWSRunOnACellSpaceAndResume() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    let dir = try TempDir()
    for (method, extra) in [
      (
        "oneshot",
        [
          "--set", "samples=4", "--set", "ghost_batch=4", "--set", "bn_recalibration_batches=2", "--set",
          "bn_batch_size=4",
        ]
      ),
      ("random-ws", ["--set", "samples=4", "--set", "top=2", "--set", "eval_batches=1"]),
    ] {
      let args = ["search", space, "--method", method, "--limit", "48", "--seed", "2", "--epochs", "2"] + extra
      let full = dir.path + "/\(method)-full"
      let a = try runNasc(args + ["--out", full])
      #expect(a.status == 0, "\(a.stderr)")
      #expect(try text(full + "/arch.yaml").contains("normal"), "\(method)")
      #expect(FileManager.default.fileExists(atPath: full + "/genotype.txt"))
      let cut = dir.path + "/\(method)-cut"
      #expect(try killAndResume(args, out: cut, unit: 2) == 0)
      #expect(try text(full + "/arch.yaml") == text(cut + "/arch.yaml"), "\(method)")
      #expect(try metrics(full) == metrics(cut), "\(method)")
    }
  }

  @Test func rankComparesInheritedWeightsWithStandaloneTrainingAndReusesItsPairs() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-layers.yaml"
    let dir = try TempDir()
    let run = dir.path + "/spos"
    let s = try runNasc(["search", space, "--limit", "64", "--out", run])
    #expect(s.status == 0, "\(s.stderr)")
    let rank = ["rank", run, "--archs", "4", "--train-epochs", "1", "--top", "2"]
    let a = try runNasc(rank)
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stdout.contains("Kendall tau") && a.stdout.contains("(4 architectures)"), "\(a.stdout)")
    let pairs = try text(run + "/rank/pairs.jsonl").split(separator: "\n")
    #expect(pairs.count == 4)
    for file in ["summary.json", "rank.svg"] {
      #expect(FileManager.default.fileExists(atPath: run + "/rank/" + file), "no \(file)")
    }
    // A second call finds every pair in pairs.jsonl: the same figures, and no training.
    let b = try runNasc(rank)
    #expect(b.status == 0 && b.stdout == a.stdout && !b.stderr.contains("rank 1/4"), "\(b.stderr)")
    // A run without shared weights, and a run directory that is not one.
    let darts = dir.path + "/darts"
    let d = try runNasc([
      "search", repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml", "--epochs", "1", "--limit", "32",
      "--out", darts,
    ])
    #expect(d.status == 0, "\(d.stderr)")
    let r = try runNasc(["rank", darts])
    #expect(r.status == 1 && r.stderr.contains("error[E317]") && r.stderr.contains("spos"), "\(r.stderr)")
    let none = try runNasc(["rank", dir.path + "/nothing"])
    #expect(none.status == 1 && none.stderr.contains("error[E"), "\(none.stderr)")
  }

  @Test func badOneShotSettingsAreCodedErrors() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-layers.yaml"
    let dir = try TempDir()
    let big = try runNasc([
      "search", space, "--limit", "64", "--set", "bn_recalibration_batches=100", "--out", dir.path + "/a",
    ])
    #expect(big.status == 1 && big.stderr.contains("error[E315]"), "\(big.stderr)")
    let limit = try runNasc([
      "search", space, "--limit", "64", "--set", "flops_limit=0.00001", "--out", dir.path + "/b",
    ])
    #expect(limit.status == 1 && limit.stderr.contains("error[E316]"), "\(limit.stderr)")
    // Targets: met ones get their own arch file, impossible ones fail before any training.
    let fair = ["search", space, "--method", "fairnas", "--limit", "64", "--set", "epochs=1", "--set", "population=4"]
    let met = try runNasc(fair + ["--target", "params<=1M", "--target", "macs<=60k", "--out", dir.path + "/c"])
    #expect(met.status == 0, "\(met.stderr)")
    for name in ["arch-params-le-1M.yaml", "arch-macs-le-60k.yaml"] {
      #expect(FileManager.default.fileExists(atPath: dir.path + "/c/" + name), "no \(name)")
    }
    let never = try runNasc(fair + ["--target", "macs<=10", "--out", dir.path + "/d"])
    #expect(never.status == 1 && never.stderr.contains("error[E316]") && !never.stderr.contains("epoch 1/"))
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/d"))
    let other = try runNasc(["search", space, "--limit", "64", "--target", "macs<=1M", "--out", dir.path + "/e"])
    #expect(other.status == 1 && other.stderr.contains("error[E310]") && other.stderr.contains("fairnas"))
    let bad = try runNasc(["search", space, "--target", "flops<300M"])
    #expect(bad.status == 2 && bad.stderr.contains("macs<=300M"), "\(bad.stderr)")
  }
}
