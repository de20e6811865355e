import Foundation

/// A self-contained HTML page: inline CSS, inline SVG figures, no scripts and no external assets.
/// Every piece of text passes through `HTMLPage.escape`; only the builders here emit markup.
struct HTMLPage {
  /// The document title.
  var title: String
  /// Sections in order: anchor id, heading, markup.
  private(set) var sections: [(id: String, heading: String, html: String)] = []
  /// The line under the title.
  var subtitle = ""
  /// The footer text.
  var footer = ""
  /// Counts embedded SVGs, so that each one's element ids get a prefix of their own.
  private var figures = 0

  init(title: String) { self.title = title }

  /// Adds a section (skipped when `html` is empty).
  mutating func section(_ id: String, _ heading: String, _ html: String) {
    guard !html.isEmpty else { return }
    sections.append((id, heading, html))
  }

  /// A figure: the SVG inline, with its element ids made unique in the page, and a caption.
  mutating func figure(_ svg: String, caption: String? = nil, wide: Bool = false) -> String {
    figures += 1
    let body = Self.uniqueIDs(svg, prefix: "f\(figures)-")
    let cap = caption.map { "<figcaption>\(Self.escape($0))</figcaption>" } ?? ""
    return "<figure\(wide ? " class=\"wide\"" : "")>\(body)\(cap)</figure>\n"
  }

  /// The page.
  func render() -> String {
    var s = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(Self.escape(title))</title>
      <style>
      \(Self.css)
      </style>
      </head>
      <body>
      <header><h1>\(Self.escape(title))</h1><p class="sub">\(Self.escape(subtitle))</p></header>
      <nav>
      """
    s += sections.map { "<a href=\"#\($0.id)\">\(Self.escape($0.heading))</a>" }.joined(separator: " · ")
    s += "</nav>\n<main>\n"
    for sec in sections {
      s += "<section id=\"\(sec.id)\">\n<h2>\(Self.escape(sec.heading))</h2>\n\(sec.html)</section>\n"
    }
    s += "</main>\n<footer>\(Self.escape(footer))</footer>\n</body>\n</html>\n"
    return s
  }

  /// A two-column table of names and values.
  static func keyValues(_ rows: [(String, String)]) -> String {
    guard !rows.isEmpty else { return "" }
    var s = "<table class=\"kv\">\n"
    for (k, v) in rows { s += "<tr><th>\(escape(k))</th><td>\(escape(v))</td></tr>\n" }
    return s + "</table>\n"
  }

  /// A table with a header row; `numeric` columns are right-aligned.
  static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
    guard !rows.isEmpty else { return "" }
    func cell(_ tag: String, _ i: Int, _ v: String) -> String {
      "<\(tag)\(numeric.contains(i) ? " class=\"num\"" : "")>\(escape(v))</\(tag)>"
    }
    var s = "<table>\n<tr>" + header.enumerated().map { cell("th", $0, $1) }.joined() + "</tr>\n"
    for r in rows { s += "<tr>" + r.enumerated().map { cell("td", $0, $1) }.joined() + "</tr>\n" }
    return s + "</table>\n"
  }

  /// A paragraph of text.
  static func paragraph(_ text: String, note: Bool = false) -> String {
    "<p\(note ? " class=\"note\"" : "")>\(escape(text))</p>\n"
  }

  /// Preformatted text.
  static func code(_ text: String) -> String { "<pre>\(escape(text))</pre>\n" }

  /// Escapes text for HTML content and attribute values (as for XML, `'` included).
  static func escape(_ text: String) -> String { xmlEscaped(text) }

  /// `svg` with every `id="X"` and its references `url(#X)` / `href="#X"` renamed `prefix + X`
  /// (two inline SVGs with one marker id would otherwise share it).
  static func uniqueIDs(_ svg: String, prefix: String) -> String {
    var ids = [String]()
    var rest = svg[...]
    while let r = rest.range(of: " id=\"") {
      let tail = rest[r.upperBound...]
      guard let end = tail.firstIndex(of: "\"") else { break }
      ids.append(String(tail[..<end]))
      rest = tail[end...]
    }
    var s = svg
    for id in Set(ids) {
      s = s.replacingOccurrences(of: " id=\"\(id)\"", with: " id=\"\(prefix)\(id)\"")
      s = s.replacingOccurrences(of: "url(#\(id))", with: "url(#\(prefix)\(id))")
      s = s.replacingOccurrences(of: "href=\"#\(id)\"", with: "href=\"#\(prefix)\(id)\"")
    }
    return s
  }

  static let css = """
    body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0;
      color: #222; background: #fafafa; line-height: 1.4; }
    header { background: #1f3b57; color: white; padding: 14px 28px; }
    header h1 { margin: 0; font-size: 22px; }
    header .sub { margin: 4px 0 0; color: #cfe0f0; font-size: 14px; }
    nav { padding: 8px 28px; background: #e8eef4; font-size: 14px; border-bottom: 1px solid #cdd8e3; }
    nav a { color: #1f3b57; }
    main { padding: 6px 28px 28px; max-width: 1500px; }
    section { margin-top: 18px; }
    h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-bottom: 3px; }
    table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; background: white; }
    th, td { border: 1px solid #d6d6d6; padding: 3px 8px; text-align: left; vertical-align: top; }
    th { background: #f0f3f6; font-weight: 600; }
    table.kv th { width: 13em; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    figure { display: inline-block; margin: 6px 12px 12px 0; vertical-align: top; background: white;
      border: 1px solid #e2e2e2; padding: 4px; max-width: 100%; }
    figure.wide { display: block; }
    figure svg, figure img { max-width: 100%; height: auto; display: block; }
    figcaption { font-size: 12px; color: #555; padding: 2px 4px; max-width: 640px; }
    pre { background: white; border: 1px solid #e2e2e2; padding: 8px; font-size: 12px; white-space: pre-wrap;
      word-break: break-all; }
    p.note { color: #7a4b00; background: #fff6e0; border: 1px solid #f0d89a; padding: 6px 10px; }
    footer { color: #777; font-size: 12px; padding: 12px 28px 24px; }
    """
}
