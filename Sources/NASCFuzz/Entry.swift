import Foundation
import NASCFuzzTargets

// Built two ways. With `-D NASC_FUZZING` and `--sanitize=fuzzer` (scripts/fuzz), libFuzzer supplies
// `main` and calls `LLVMFuzzerTestOneInput` with each input for the target `NASC_FUZZ_TARGET`
// names. Otherwise it is a replayer: `nasc-fuzz TARGET FILE_OR_DIR...` runs each file once (a crash
// reproducer, or a whole corpus).

#if NASC_FUZZING
  /// The target of this fuzzing process, from `NASC_FUZZ_TARGET`.
  let fuzzTarget: String = {
    let name = ProcessInfo.processInfo.environment["NASC_FUZZ_TARGET"] ?? ""
    guard FuzzTargets.names.contains(name) else {
      FileHandle.standardError.write(
        Data("set NASC_FUZZ_TARGET to one of: \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
      exit(2)
    }
    return name
  }()

  /// libFuzzer's entry point: one input.
  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTargets.run(fuzzTarget, bytes)
    return 0
  }
#else
  /// The replayer.
  @main struct FuzzReplay {
    static func main() {
      let args = Array(CommandLine.arguments.dropFirst())
      guard let target = args.first, FuzzTargets.names.contains(target), args.count >= 2 else {
        FileHandle.standardError.write(
          Data("usage: nasc-fuzz TARGET FILE_OR_DIR...  (targets: \(FuzzTargets.names.joined(separator: ", ")))\n".utf8)
        )
        exit(2)
      }
      var count = 0
      for path in args.dropFirst() {
        for file in FuzzReplay.files(path) {
          guard let data = FileManager.default.contents(atPath: file) else { continue }
          FuzzTargets.run(target, [UInt8](data))
          count += 1
        }
      }
      print("\(target): \(count) inputs, no crash")
    }

    /// `path` itself, or the files directly in it when it is a directory.
    static func files(_ path: String) -> [String] {
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
      guard isDir.boolValue else { return [path] }
      let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
      return names.sorted().map { (path as NSString).appendingPathComponent($0) }
    }
  }
#endif
