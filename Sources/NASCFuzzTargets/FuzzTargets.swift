import Foundation
import NASCData
import NASCSearch
import NASCSpace
import NASCTensor

/// The parsers that read user bytes, each as one fuzz target: `run(bytes)` feeds the bytes through
/// the same path a user's file takes and must return (any error is a thrown, coded error); a trap,
/// a hang or a memory blow-up is a bug. libFuzzer drives them (`scripts/fuzz TARGET SECONDS`), and
/// the test suite replays the committed corpus (`fuzz/corpus/TARGET/`) through them.
public enum FuzzTargets {
  /// The target names, as `scripts/fuzz` and the corpus folders spell them.
  public static let names = ["space", "genotype", "nb201", "arch", "checkpoint", "idx", "cifar", "manifest", "ptb"]

  /// Runs target `name` on `bytes`; false for an unknown name.
  @discardableResult
  public static func run(_ name: String, _ bytes: [UInt8]) -> Bool {
    switch name {
    case "space": space(bytes)
    case "genotype": genotype(bytes)
    case "nb201": nb201(bytes)
    case "arch": arch(bytes)
    case "checkpoint": checkpoint(bytes)
    case "idx": idx(bytes)
    case "cifar": cifar(bytes)
    case "manifest": manifest(bytes)
    case "ptb": ptb(bytes)
    default: return false
    }
    return true
  }

  /// The repository root (spaces/ and Tests/ are read from it), from this file's path.
  static let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// A scratch project in memory where the system has one (`/dev/shm`), else the temporary
  /// directory: a copy of `spaces/` (so `extends: lib/...` and arch documents' `space:` resolve) and
  /// a `.git` marker that makes it its own project root.
  static let scratch: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
    let dir = base + "nasc-fuzz-\(getpid())"
    let fm = FileManager.default
    try? fm.removeItem(atPath: dir)
    try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try? fm.copyItem(atPath: repoRoot + "/spaces", toPath: dir + "/spaces")
    fm.createFile(atPath: dir + "/.git", contents: Data())
    for folder in ["data", "run"] {
      try? fm.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true)
    }
    atexit { try? FileManager.default.removeItem(atPath: FuzzTargets.scratch) }
    return dir
  }()

  static func write(_ bytes: [UInt8], _ relative: String) -> String {
    let path = scratch + "/" + relative
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
  }

  static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

  /// A space file's bytes, compiled as `nasc compile` does (its `extends:` reach the copied
  /// `spaces/lib/`).
  static func space(_ bytes: [UInt8]) {
    _ = Compiler.compile(path: write(bytes, "spaces/fuzz.yaml"))
  }

  /// A DARTS genotype string; when it parses, applied to the DARTS digits space.
  static func genotype(_ bytes: [UInt8]) {
    let s = text(bytes)
    guard (try? DartsGenotype.parse(s)) != nil else { return }
    _ = Compiler.compile(path: scratch + "/spaces/darts-digits.yaml", options: CompileOptions(arch: s))
  }

  /// An NB201 string; when it parses, applied to the NAS-Bench-201 space.
  static func nb201(_ bytes: [UInt8]) {
    let s = text(bytes)
    guard (try? NB201Arch.parse(s)) != nil else { return }
    _ = Compiler.compile(path: scratch + "/spaces/nas-bench-201.yaml", options: CompileOptions(arch: s))
  }

  /// An arch document compiled on its own (its `space:` confined to the project) and with a space.
  static func arch(_ bytes: [UInt8]) {
    let path = write(bytes, "spaces/fuzz-arch.yaml")
    _ = Compiler.compile(path: path)
    _ = Compiler.compile(path: scratch + "/spaces/darts-digits.yaml", options: CompileOptions(arch: path))
  }

  /// A training run of DARTS_V2 on the tiny digits space, to restore checkpoints into.
  nonisolated(unsafe) static var trainRun: (run: TrainRun, network: String)? = {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    guard let ir = Compiler.compile(path: space, options: CompileOptions(eval: true, arch: "DARTS_V2")).ir,
      let data = try? SearchDriver.loadData(.digits, limit: 32)
    else { return nil }
    let settings = TrainSettings(epochs: 1, batchSize: 16, threads: 1, trainLimit: 32)
    guard let run = try? TrainRun(ir: ir, settings: settings, train: data.train, test: data.test, augmentation: .none)
    else { return nil }
    return (run, TrainDriver.fingerprint(ir))
  }()

  /// A checkpoint file: the safetensors header and body, a search checkpoint's info and weights,
  /// and a training checkpoint restored into a real network.
  static func checkpoint(_ bytes: [UInt8]) {
    _ = try? Safetensors.decode(Data(bytes))
    let url = URL(fileURLWithPath: write(bytes, "run/checkpoint.safetensors"))
    _ = try? LoopCheckpoint.info(at: url)
    _ = try? LoopCheckpoint.tensors(of: "arch", at: url)
    _ = try? TrainRun.checkpointSettings(at: url)
    if let (run, network) = trainRun { try? run.restore(from: url, network: network) }
  }

  /// An IDX pair: the bytes split at the first two bytes' big-endian length into an images and a
  /// labels file (gzip-named when they start with gzip's magic), read as train and test sets.
  static func idx(_ bytes: [UInt8]) {
    guard bytes.count >= 2 else { return }
    let n = min(bytes.count - 2, Int(bytes[0]) << 8 | Int(bytes[1]))
    let images = Array(bytes[2..<(2 + n)]), labels = Array(bytes[(2 + n)...])
    let dir = scratch + "/data/idx"
    try? FileManager.default.removeItem(atPath: dir)
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for split in ["train", "t10k"] {
      for (part, body) in [("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)] {
        let gz = body.starts(with: [0x1F, 0x8B]) ? ".gz" : ""
        FileManager.default.createFile(atPath: "\(dir)/\(split)-\(part)\(gz)", contents: Data(body))
      }
    }
    _ = try? IDXLoader.load(directory: dir, name: "fuzz")
  }

  /// A CIFAR-10 binary batch.
  static func cifar(_ bytes: [UInt8]) {
    _ = try? CIFAR10Loader.load(files: [write(bytes, "data/data_batch_1.bin")])
  }

  /// A PTB-layout corpus: the bytes split at the first two 0x1E bytes into the training,
  /// validation and test files (gzip-named when they start with gzip's magic), loaded and cut into
  /// streams as `nasc train --data ptb:DIR` does.
  static func ptb(_ bytes: [UInt8]) {
    var parts = bytes.split(separator: 0x1E, maxSplits: 2, omittingEmptySubsequences: false).map(Array.init)
    while parts.count < 3 { parts.append([]) }
    let dir = scratch + "/data/ptb"
    try? FileManager.default.removeItem(atPath: dir)
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (file, body) in zip(TokenCorpus.ptbFiles, parts) {
      let gz = body.starts(with: [0x1F, 0x8B]) ? ".gz" : ""
      FileManager.default.createFile(atPath: "\(dir)/\(file)\(gz)", contents: Data(body))
    }
    guard let corpus = try? TokenCorpus.loadPTB(directory: dir) else { return }
    _ = corpus.unigramCrossEntropy(on: corpus.test)
    if let s = TokenStreams(corpus.train, columns: 3) { _ = s.window(at: 0, steps: 5) }
  }

  /// A run directory's `manifest.json`.
  static func manifest(_ bytes: [UInt8]) {
    _ = try? RunManifest.read(from: write(bytes, "run/manifest.json"))
  }
}
