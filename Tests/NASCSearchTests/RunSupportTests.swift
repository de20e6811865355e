import NASCSpace
import Foundation
import Testing

@testable import NASCSearch

@Suite struct RunSupportTests {
  @Test func sha256KnownVectors() {
    #expect(Fingerprint.sha256([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(Fingerprint.sha256(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
    #expect(Fingerprint.sha256(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  @Test func atomicWriteReplacesAndLeavesNoTemporaryFiles() throws {
    let dir = try TempDir()
    let path = dir.path + "/f.json"
    try AtomicFile.write("one", to: path)
    try AtomicFile.write("two", to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["f.json"])
    #expect(throws: RunError.self) { try AtomicFile.write("x", to: dir.path + "/missing/dir/f") }
  }
}
