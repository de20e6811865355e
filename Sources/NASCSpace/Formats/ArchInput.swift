import Foundation

/// Reading decided architectures (arch documents, DARTS genotypes, NB201 strings) into decisions.
extension Compiler {
  static let archLocation = SourceLocation(file: "<arch>", line: 1, column: 1)

  /// Parses `--arch`: a genotype string, an NB201 string or an arch file.
  static func parseArchArgument(_ text: String, _ bag: inout DiagnosticBag, sources: inout [String: String])
    -> ArchSpec?
  {
    let t = text.trimmingSpaces
    if t.hasPrefix("Genotype") {
      do { return .genotype(try DartsGenotype.parse(t), archLocation) } catch {
        sources["<arch>"] = t
        bag.add(
          Diagnostic(
            .badArchSyntax, "bad DARTS genotype: \(error.message)",
            at: SourceLocation(file: "<arch>", line: 1, column: error.column)))
        return nil
      }
    }
    if t.hasPrefix("|") {
      do { return .nb201(try NB201Arch.parse(t), archLocation) } catch {
        sources["<arch>"] = t
        bag.add(Diagnostic(.badArchSyntax, "bad NAS-Bench-201 string: \(error.message)", at: archLocation))
        return nil
      }
    }
    if let name = DartsGenotype.published[t], let g = try? DartsGenotype.parse(name) {
      return .genotype(g, archLocation)
    }
    // A bare word that is no file: a misspelt published name rather than a missing file.
    if !t.contains("/"), !t.hasSuffix(".yaml"), !t.hasSuffix(".yml"), !FileManager.default.fileExists(atPath: t) {
      sources["<arch>"] = t
      let names = DartsGenotype.published.keys.sorted()
      bag.add(
        Diagnostic(
          .unreadable, "'\(t)' is neither an arch file nor a published architecture", at: archLocation,
          length: t.count,
          help: DidYouMean.suggest(t, in: names).map { "did you mean '\($0)'?" }
            ?? "published names: \(names.joined(separator: ", ")); or pass an arch file, a genotype or an NB201 string")
      )
      return nil
    }
    guard let loaded = SpaceLoader.load(path: t, diags: &bag) else { return nil }
    sources.merge(loaded.sources) { a, _ in a }
    checkSchema(loaded.root, &bag)
    guard let a = loaded.root["arch"] else {
      bag.add(
        Diagnostic(
          .missingKey, "'\(t)' is not an arch document (it has no 'arch:')", at: loaded.root.location,
          help:
            "--arch takes an arch file, a DARTS genotype string, an NB201 string or a published name such as DARTS_V2"))
      return nil
    }
    return archSpec(from: a, &bag)
  }

  /// The decisions of an `arch:` mapping.
  static func archSpec(from a: SyntaxNode, _ bag: inout DiagnosticBag) -> ArchSpec? {
    if let g = a["genotype"], let text = g.scalar {
      do { return .genotype(try DartsGenotype.parse(text), g.location) } catch {
        bag.add(Diagnostic(.badArchSyntax, "bad DARTS genotype: \(error.message)", at: g.location, length: g.length))
        return nil
      }
    }
    if let n = a["nb201"], let text = n.scalar {
      do { return .nb201(try NB201Arch.parse(text), n.location) } catch {
        bag.add(
          Diagnostic(.badArchSyntax, "bad NAS-Bench-201 string: \(error.message)", at: n.location, length: n.length))
        return nil
      }
    }
    if let c = a["choices"] { return .choices(c) }
    bag.add(Diagnostic(.missingKey, "the arch document has none of 'genotype', 'nb201', 'choices'", at: a.location))
    return nil
  }

  /// Cell template names a skeleton uses, in order of first use.
  static func cellTemplates(_ sk: SyntaxNode) -> [String] {
    if let body = sk["body"]?.items {
      var out: [String] = []
      for it in body { if let c = it["cell"]?.scalar, !out.contains(c) { out.append(c) } }
      return out
    }
    return [sk["normal"]?.scalar ?? "normal", sk["reduce"]?.scalar ?? "reduce"]
  }

  /// Matches an architecture to the skeleton's cell templates.
  static func decisions(_ arch: ArchSpec, skeleton sk: SyntaxNode, root: SyntaxNode, _ bag: inout DiagnosticBag)
    -> Decisions?
  {
    // A recurrent genotype decides a recurrent cell only, and a convolutional one only the others.
    if case .genotype(let g, let loc) = arch {
      let recurrentCells = (sk["body"]?.items ?? []).filter { $0["recurrent"]?.bool == true }.compactMap {
        $0["cell"]?.scalar
      }
      if g.recurrent != nil && recurrentCells.isEmpty {
        bag.add(
          Diagnostic(
            .archMismatch, "a recurrent genotype (Genotype(recurrent=…)) for a space without a recurrent cell",
            at: loc, help: "give a genotype with normal= and reduce= lists (DARTS_V2), or use a recurrent space"))
        return nil
      }
      if g.recurrent == nil, let name = recurrentCells.first {
        bag.add(
          Diagnostic(
            .archMismatch, "a convolutional genotype (normal/reduce lists) cannot decide the recurrent cell '\(name)'",
            at: loc,
            help:
              "give a recurrent genotype: Genotype(recurrent=[('sigmoid', 0), ...], concat=range(1, 9)), or DARTS_RNN_V1 / DARTS_RNN_V2"
          ))
        return nil
      }
    }
    switch arch {
    case .genotype(let g, let loc) where g.recurrent != nil:
      var d = Decisions(location: loc)
      guard let name = cellTemplates(sk).first else { return nil }
      let nIn = root["cells"]?[name]?["inputs"]?.int ?? 1
      for (i, p) in (g.recurrent ?? []).enumerated() { d.nodes["\(name).node\(nIn + i)"] = [(p.op, p.input)] }
      d.outputs["\(name).output"] = g.concat ?? []
      return d
    case .genotype(let g, let loc):
      var d = Decisions(location: loc)
      let normal = sk["normal"]?.scalar ?? "normal"
      let reduce = sk["reduce"]?.scalar ?? "reduce"
      let templates = root["cells"]
      func add(_ name: String, _ pairs: [DartsGenotype.Pair], _ concat: [Int]) {
        guard let t = templates?[name] else { return }
        if t["select"] == nil, t["op"]?["choice"] == nil,
          !(t["nodes"]?.items?.contains { $0["select"] != nil || $0["op"]?["choice"] != nil } ?? false)
        {
          if !pairs.isEmpty {
            bag.add(
              Diagnostic(
                .archMismatch,
                "cell '\(name)' is fixed in this space; the genotype's '\(name == reduce ? "reduce" : "normal")' list cannot apply",
                at: loc, help: "leave the list empty (reduce=[]) for spaces with a fixed \(name) cell"))
          }
          return
        }
        // `reduce=[], reduce_concat=[]`: the genotype decides nothing here (a space without
        // reduction cells); a cell the network uses is then reported undecided (E072).
        if pairs.isEmpty && concat.isEmpty { return }
        let nIn = t["inputs"]?.int ?? 2
        guard pairs.count % 2 == 0 else {
          bag.add(
            Diagnostic(
              .badArchSyntax, "a genotype lists two (op, input) pairs per node; '\(name)' has \(pairs.count)", at: loc))
          return
        }
        for i in 0..<(pairs.count / 2) {
          d.nodes["\(name).node\(nIn + i)"] = [
            (pairs[2 * i].op, pairs[2 * i].input), (pairs[2 * i + 1].op, pairs[2 * i + 1].input),
          ]
        }
        d.outputs["\(name).output"] = concat
      }
      add(normal, g.normal, g.normalConcat)
      add(reduce, g.reduce, g.reduceConcat)
      return d
    case .nb201(let a, let loc):
      var d = Decisions(location: loc)
      guard let name = cellTemplates(sk).first else { return nil }
      let nIn = root["cells"]?[name]?["inputs"]?.int ?? 1
      for (i, node) in a.nodes.enumerated() {
        for (op, j) in node { d.ops["\(name).edge[\(j)→\(nIn + i)].op"] = op }
      }
      return d
    case .choices(let c):
      var d = Decisions(location: c.location)
      for (k, v) in c.pairs ?? [] {
        guard let id = k.scalar else { continue }
        d.valueLocations[id] = v.location
        if let op = v.scalar, !v.isNull {
          d.ops[id] = op
        } else if let items = v.items {
          if id.hasSuffix(".output") || id.hasSuffix(".path") || id.hasSuffix(".read") || id.hasSuffix(".write") {
            // A list of node or block indices: every entry must be an integer.
            if let bad = items.first(where: { $0.int == nil }) {
              bag.add(
                Diagnostic(
                  .badArchSyntax, "'\(id)' is a list of integers; '\(bad.scalar ?? "?")' is not one", at: bad.location,
                  length: bad.length, help: "e.g. \(id): [0, 1, 4]"))
              return nil
            }
            let ints = items.compactMap(\.int)
            if id.hasSuffix(".output") {
              d.outputs[id] = ints
            } else if id.hasSuffix(".path") {
              d.paths[id] = ints
            } else {
              d.subsets[id] = ints
            }
          } else {
            var pairs: [(op: String, from: Int)] = []
            for it in items {
              guard let p = it.items, p.count == 2, let op = p[0].scalar, let j = p[1].int else {
                bag.add(
                  Diagnostic(
                    .badArchSyntax, "a node decision is a list of [op, input] pairs", at: it.location, length: it.length
                  ))
                return nil
              }
              pairs.append((op, j))
            }
            d.nodes[id] = pairs
          }
        } else {
          bag.add(
            Diagnostic(
              .badArchSyntax, "a decision is an op name, a list of [op, input] pairs or a list of node indices",
              at: v.location, length: v.length))
        }
      }
      return d
    }
  }
}

extension Compiler {
  /// The decisions written in an arch document's `choices:` (ops by choice id, node pairs by node
  /// key), read without compiling its space; nil with diagnostics when the text is no such
  /// document.
  public static func archChoices(text: String, path: String = "<arch>") -> (
    decisions: Decisions?, diagnostics: [Diagnostic]
  ) {
    var bag = DiagnosticBag()
    guard let root = YAMLReader.read(text: text, path: path, maxNodes: 200_000, diags: &bag) else {
      return (nil, bag.all)
    }
    guard let a = root["arch"], let c = a["choices"] else {
      bag.add(
        Diagnostic(
          .missingKey, "not an arch document with 'arch: {choices: ...}'", at: root.location,
          help: "see Grammar.md, 'Decided architectures'"))
      return (nil, bag.all)
    }
    let d = decisions(.choices(c), skeleton: root, root: root, &bag)
    return (bag.all.contains { $0.severity == .error } ? nil : d, bag.all)
  }
}
