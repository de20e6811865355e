import Foundation

/// A space file with its `extends:` chain resolved and merged into one syntax tree.
public struct LoadedSpace: Sendable {
  /// The top-level file's path.
  public var path: String
  /// The merged root (top-level sections merged entry by entry; an entry replaces the extended one).
  public var root: SyntaxNode
  /// Texts of every file read, by path (for caret snippets).
  public var sources: [String: String]
}

/// Reads a space file and the files it extends.
public enum SpaceLoader {
  /// The project root for `path`: the nearest ancestor holding `Package.swift`, `.git` or
  /// `.nasc-root` (the marker of a run directory's copy of its space), else the file's own directory.
  public static func projectRoot(for path: String) -> String {
    let abs = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
    var dir = abs.deletingLastPathComponent()
    while true {
      for marker in ["Package.swift", ".git", ".nasc-root"]
      where FileManager.default.fileExists(atPath: dir.appendingPathComponent(marker).path) {
        return dir.path
      }
      let parent = dir.deletingLastPathComponent()
      if parent.path == dir.path || dir.path == "/" { break }
      dir = parent
    }
    return abs.deletingLastPathComponent().path
  }

  /// Loads `path` and its `extends:` chain. Returns nil when the top file could not be parsed.
  public static func load(path: String, diags: inout DiagnosticBag) -> LoadedSpace? {
    var sources: [String: String] = [:]
    let root = projectRoot(for: path)
    var stack: [String] = []
    guard let node = loadFile(path: path, projectRoot: root, stack: &stack, sources: &sources, diags: &diags) else {
      return nil
    }
    return LoadedSpace(path: path, root: node, sources: sources)
  }

  static func realPath(_ p: String) -> String {
    URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path
  }

  static func loadFile(
    path: String, projectRoot: String, stack: inout [String], sources: inout [String: String],
    diags: inout DiagnosticBag
  ) -> SyntaxNode? {
    let file = SourceLoader.load(path: path, diags: &diags)
    sources[path] = file.text
    guard let root = file.root else { return nil }
    guard root.pairs != nil else {
      diags.add(
        Diagnostic(
          .wrongType, "a space file is a mapping of keys ('nasc: 1', 'network:', ...), found \(root.typeName)",
          at: root.location, length: root.length, help: "start the file with 'nasc: 1'"))
      return nil
    }
    stack.append(realPath(path))
    defer { stack.removeLast() }
    guard let ext = root["extends"] else { return root }
    let entries: [SyntaxNode] = ext.items ?? [ext]
    var merged: SyntaxNode? = nil
    for entry in entries {
      guard let rel = entry.scalar, !entry.isNull else { continue }
      if rel.hasPrefix("/") {
        diags.add(
          Diagnostic(
            .extendsEscapes, "'extends' path '\(rel)' is absolute", at: entry.location, length: entry.length,
            help: "write the path relative to this file, e.g. lib/darts-ops.yaml"))
        continue
      }
      let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
      let target = dir.appendingPathComponent(rel).path
      let real = realPath(target)
      if !(real == projectRoot || real.hasPrefix(projectRoot.hasSuffix("/") ? projectRoot : projectRoot + "/")) {
        diags.add(
          Diagnostic(
            .extendsEscapes, "'extends' path '\(rel)' leaves the project root \(projectRoot)",
            at: entry.location, length: entry.length, help: "files meant to be extended live in spaces/lib/"))
        continue
      }
      if stack.contains(real) {
        diags.add(
          Diagnostic(
            .extendsCycle, "'extends' cycle: '\(rel)' is already being loaded",
            at: entry.location, length: entry.length, help: "remove one of the 'extends' links"))
        continue
      }
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: target, isDirectory: &isDir), !isDir.boolValue else {
        let base = URL(fileURLWithPath: target).deletingLastPathComponent()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        // The suggestion keeps the folder as written (`lib/bse.yaml` → `lib/base.yaml`).
        let folder = rel.lastIndex(of: "/").map { String(rel[...$0]) } ?? ""
        diags.add(
          Diagnostic(
            .extendsNotFound, "'extends' file '\(rel)' not found", at: entry.location, length: entry.length,
            help: DidYouMean.suggest(URL(fileURLWithPath: rel).lastPathComponent, in: names).map {
              "did you mean '\(folder)\($0)'?"
            }))
        continue
      }
      if let parent = loadFile(path: target, projectRoot: projectRoot, stack: &stack, sources: &sources, diags: &diags)
      {
        merged = merged.map { merge($0, over: parent) } ?? parent
      }
    }
    guard let base = merged else { return root }
    return merge(root, over: base)
  }

  /// Merges `child` over `parent`: top-level sections that are mappings in both are merged entry by
  /// entry (the child's entry replaces the parent's); every other key is replaced. A `search:` block
  /// naming another method replaces the parent's block. `extends` is not inherited.
  public static func merge(_ child: SyntaxNode, over parent: SyntaxNode) -> SyntaxNode {
    guard let cp = child.pairs, let pp = parent.pairs else { return child }
    var out: [(key: SyntaxNode, value: SyntaxNode)] = []
    for (k, v) in pp where k.scalar != "extends" {
      guard let name = k.scalar else { continue }
      if let cv = child[name] {
        let sameMethod = name != "search" || cv["method"]?.scalar == nil || cv["method"]?.scalar == v["method"]?.scalar
        if sameMethod, let cvp = cv.pairs, let pvp = v.pairs {
          var entries = pvp.filter { e in !cvp.contains { $0.key.scalar == e.key.scalar } }
          entries += cvp
          out.append((child.keyNode(name) ?? k, cv.located(.mapping(entries))))
        } else {
          out.append((child.keyNode(name) ?? k, cv))
        }
      } else {
        out.append((k, v))
      }
    }
    for (k, v) in cp where parent[k.scalar ?? ""] == nil || k.scalar == "extends" {
      out.append((k, v))
    }
    return child.located(.mapping(out))
  }
}
