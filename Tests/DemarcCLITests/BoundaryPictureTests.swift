import Foundation
import Testing

/// The boundary picture (REPORT.md): the markdown report's Mermaid source parsed by
/// Mermaid itself, and the html report's inline SVG laid out in Chromium, on the three
/// bundled deployments.
@Suite struct BoundaryPictureTests {
    static let deployments = Deployments.all

    /// Mermaid from PyPI: pymermaid 1.4.3 bundles mermaid.min.js 8.10.1 as a Python
    /// string. Pinned by the wheel's version and the script's SHA-256.
    static let mermaidPackage = "pymermaid==1.4.3"
    static let mermaidSHA256 = "3d7e4815f1c82c4531baeb86ceb5a6dc1348b7c619d0b26fe6e3072aaa0f7d74"

    /// mermaid.min.js and its SHA-256, fetched with pip once per run; nil where pip
    /// cannot reach PyPI.
    static let mermaidScript: (sha256: String, js: String)? = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-mermaid-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import glob, hashlib, importlib.util, subprocess, sys, zipfile
        d = sys.argv[1]
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", d, sys.argv[2]], check=True, timeout=120)
        whl = glob.glob(d + "/pymermaid-*.whl")[0]
        zipfile.ZipFile(whl).extract("pymermaid/mermaid_js.py", d)
        spec = importlib.util.spec_from_file_location("m", d + "/pymermaid/mermaid_js.py")
        m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
        sys.stdout.write(hashlib.sha256(m.mermaid_js.encode()).hexdigest() + "\\n" + m.mermaid_js)
        """
        guard let out = try? CLI.output(of: "/usr/bin/env", ["python3", "-c", script, dir, mermaidPackage]),
              let nl = out.firstIndex(of: "\n") else { return nil }
        return (String(out[..<nl]), String(out[out.index(after: nl)...]))
    }()

    static func report(_ name: String, _ format: String) throws -> String {
        try CLI.run(["replay", "captures/\(name).pcap", "--scenario", Deployments.scenario(name), "--format", format,
                     "--as-of", Deployments.asOf, "--no-progress"]).stdout
    }

    /// The Mermaid block of a markdown report.
    static func mermaidSource(_ markdown: String) -> String? {
        guard let start = markdown.range(of: "```mermaid\n") else { return nil }
        return markdown[start.upperBound...].components(separatedBy: "```").first
    }

    /// Mermaid's verdict on each source, in Chromium: "ok", or "error: …".
    static func parse(_ sources: [String], with mermaid: String) throws -> [String] {
        let encoded = String(decoding: try JSONSerialization.data(withJSONObject: sources), as: UTF8.self)
            .replacingOccurrences(of: "</", with: "<\\/")
        let page = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><script>\(mermaid)</script></head><body><pre id="out"></pre>
        <script>
        var out = [];
        \(encoded).forEach(function (src) {
          try { mermaid.parse(src); out.push("ok"); }
          catch (e) { out.push("error: " + (e && (e.str || e.message) || String(e)).replace(/\\n/g, " ")); }
        });
        document.getElementById("out").textContent = out.join("\\n");
        </script></body></html>
        """
        let dom = try HTMLRenderTests.render(page).dom
        let text = dom.components(separatedBy: "<pre id=\"out\">").last?.components(separatedBy: "</pre>").first ?? ""
        return text.components(separatedBy: "\n")
    }

    @Test(.enabled(if: HTMLRenderTests.browser != nil, "no Chromium (apt install chromium): Mermaid check skipped"))
    func mermaidParsesTheBoundaryOfEveryDeployment() throws {
        let fetched = try #require(Self.mermaidScript, "pip could not fetch \(Self.mermaidPackage) from PyPI")
        #expect(fetched.sha256 == Self.mermaidSHA256, "the pinned mermaid.min.js changed")
        let mermaid = fetched.js
        var sources = try Self.deployments.map { name in
            try #require(Self.mermaidSource(try Self.report(name, "markdown")), "no Mermaid block in \(name).md")
        }
        // The control: a syntax error must be caught, or an "ok" above would prove nothing.
        sources.append("flowchart LR\n  subgraph broken [\"x\"]\n    a -->|\"unclosed label| b\n")
        let verdicts = try Self.parse(sources, with: mermaid)
        #expect(verdicts.count == sources.count, "\(verdicts)")
        for (name, v) in zip(Self.deployments, verdicts) { #expect(v == "ok", "\(name): \(v)") }
        #expect(verdicts.last?.hasPrefix("error") == true, "a broken source parsed: \(verdicts)")
    }

    /// Structure, without Mermaid: every node declared once, subgraphs balanced, each
    /// arrow between declared nodes, one style per arrow.
    @Test(arguments: deployments)
    func mermaidSourceIsWellFormed(_ name: String) throws {
        let src = try #require(Self.mermaidSource(try Self.report(name, "markdown")))
        let lines = src.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "flowchart LR")
        #expect(lines.filter { $0.hasPrefix("subgraph ") }.count == lines.filter { $0 == "end" }.count)
        let declared = lines.compactMap { l -> String? in
            guard let b = l.firstIndex(of: "["), !l.hasPrefix("subgraph") else { return nil }
            return String(l[..<b])
        }
        #expect(Set(declared).count == declared.count)
        let arrows = lines.filter { $0.contains("-->") }
        for a in arrows {
            let ends = a.components(separatedBy: " -->|")
            let from = ends[0], to = ends[1].components(separatedBy: "| ").last ?? ""
            #expect(declared.contains(from) && declared.contains(to), "\(a)")
        }
        #expect(lines.filter { $0.hasPrefix("linkStyle ") }.count == arrows.count)
        #expect(!arrows.isEmpty)
        // The provider's boundary holds every node of the scenario.
        #expect(src.contains("subgraph provider [\"Provider boundary"))
    }

    @Test(.enabled(if: HTMLRenderTests.browser != nil, "no Chromium (apt install chromium): layout check skipped"),
          arguments: deployments)
    func svgPlacesAreVisibleAndApart(_ name: String) throws {
        let html = try Self.report(name, "html")
        // A probe appended to the page: each place's box as drawn, checked in the browser.
        let probe = """
        <script>
        (function(){
          var boxes = Array.prototype.map.call(document.querySelectorAll('#boundary g.place rect'), function (r) { return r.getBoundingClientRect(); });
          var svg = document.getElementById('boundary').getBoundingClientRect();
          var bad = [];
          boxes.forEach(function (a, i) {
            if (a.width < 20 || a.height < 10) bad.push('tiny ' + i);
            if (a.left < svg.left || a.right > svg.right + 0.5 || a.top < svg.top || a.bottom > svg.bottom + 0.5) bad.push('outside ' + i);
            boxes.forEach(function (b, j) {
              if (j > i && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) bad.push('overlap ' + i + '/' + j);
            });
          });
          // Each line's number, drawn at its middle: inside the picture, clear of the others.
          var numbers = Array.prototype.map.call(document.querySelectorAll('#boundary g.edge-number circle'), function (c) { return c.getBoundingClientRect(); });
          numbers.forEach(function (a, i) {
            if (a.left < svg.left || a.right > svg.right + 0.5 || a.top < svg.top || a.bottom > svg.bottom + 0.5) bad.push('number outside ' + i);
            numbers.forEach(function (b, j) {
              var dx = (a.left + a.right - b.left - b.right) / 2, dy = (a.top + a.bottom - b.top - b.bottom) / 2;
              if (j > i && Math.sqrt(dx * dx + dy * dy) < a.width * 0.9) bad.push('numbers overlap ' + i + '/' + j);
            });
          });
          var edges = document.querySelectorAll('#boundary path.edge').length;
          var items = document.querySelectorAll('ol.edges li').length;
          document.body.setAttribute('data-layout', (bad.length ? bad.join(',') : 'ok') + ' places=' + boxes.length + ' edges=' + edges + ' items=' + items + ' numbers=' + numbers.length);
        })();
        </script></body>
        """
        let page = try HTMLRenderTests.render(html.replacingOccurrences(of: "</body>", with: probe))
        let layout = page.dom.components(separatedBy: "data-layout=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
        #expect(layout.hasPrefix("ok "), "\(name): \(layout)")
        let counts = Dictionary(uniqueKeysWithValues: layout.split(separator: " ").dropFirst().compactMap { kv -> (String, Int)? in
            let p = kv.split(separator: "=")
            return p.count == 2 ? (String(p[0]), Int(p[1]) ?? -1) : nil
        })
        #expect((counts["places"] ?? 0) >= 2)
        #expect((counts["edges"] ?? 0) > 0 && counts["edges"] == counts["items"], "one list entry per line: \(layout)")
        #expect(counts["numbers"] == counts["edges"], "one number per line: \(layout)")
        #expect(page.dom.contains("data-group=\"provider\""))
    }

    /// A boundary of many places and lines (nodes, zones behind them, external parties;
    /// services between random pairs), for the picture's legibility check.
    static func manyLines() throws -> (capture: String, scenario: String) {
        let places: [(String, [UInt8])] = [
            ("edge-1", [10, 0, 0, 1]), ("edge-2", [10, 0, 0, 2]), ("edge-3", [10, 0, 0, 3]), ("gw-1", [10, 0, 1, 1]),
            ("gw-2", [10, 0, 1, 2]), ("branch-a", [172, 16, 1, 10]), ("branch-b", [172, 16, 2, 10]),
            ("branch-c", [172, 16, 3, 10]), ("branch-d", [172, 16, 4, 10]), ("app-1", [172, 17, 1, 10]),
            ("app-2", [172, 17, 2, 10]), ("portal", [35, 1, 1, 10]), ("internet", [8, 8, 8, 8]), ("partner", [203, 0, 113, 5])]
        let ports: [UInt16] = [443, 80, 22, 53, 8443, 3306, 5432, 25]
        var seed: UInt64 = 3
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) % n }
        var pairs = Set<String>(), frames: [[UInt8]] = []
        while pairs.count < 44 {
            let a = next(places.count), b = next(places.count), p = ports[next(ports.count)]
            guard a != b, pairs.insert("\(a) \(b) \(p)").inserted else { continue }
            frames.append(Frames.tcp(places[a].1, UInt16(40_000 + pairs.count), places[b].1, p, flags: 0x02, seq: 1))
        }
        let yaml = """
            scenario: many-lines
            nodes:
              edge-1: {role: edge, addresses: [10.0.0.1]}
              edge-2: {role: edge, addresses: [10.0.0.2]}
              edge-3: {role: edge, addresses: [10.0.0.3]}
              gw-1: {role: gateway, addresses: [10.0.1.1]}
              gw-2: {role: gateway, addresses: [10.0.1.2]}
            zones:
              branch-a: {owner: customer, cidrs: [172.16.1.0/24], via: edge-1}
              branch-b: {owner: customer, cidrs: [172.16.2.0/24], via: edge-2}
              branch-c: {owner: customer, cidrs: [172.16.3.0/24], via: edge-3}
              branch-d: {owner: customer, cidrs: [172.16.4.0/24]}
              app-1: {owner: customer, cidrs: [172.17.1.0/24], via: gw-1}
              app-2: {owner: customer, cidrs: [172.17.2.0/24], via: gw-2}
              portal: {owner: provider, cidrs: [35.1.1.0/24]}
              partner: {owner: external, cidrs: [203.0.113.0/24]}
              internet: {owner: external, cidrs: [0.0.0.0/0]}
            filters:
              egress: {default: deny, rules: [{name: web, ports: [tcp/443]}]}

            """
        return (try CLI.temp("many.pcap", Frames.pcap(frames)), try CLI.temp("many.yaml", text: yaml))
    }

    /// Legible however many lines: no line through a place it does not join or through a
    /// group's title, no number over a box or a title, nothing outside the picture.
    static let legibilityProbe = """
        <script>
        (function(){
          var svgEl = document.getElementById('boundary');
          var svg = svgEl.getBoundingClientRect();
          var places = Array.prototype.map.call(document.querySelectorAll('#boundary g.place'), function (g) {
            return {name: g.getAttribute('data-place'), r: g.querySelector('rect').getBoundingClientRect()};
          });
          var titles = Array.prototype.map.call(document.querySelectorAll('#boundary text.group-title'), function (t) { return t.getBoundingClientRect(); });
          var bad = [];
          function inside(p, r, m) { return p.x > r.left + m && p.x < r.right - m && p.y > r.top + m && p.y < r.bottom - m; }
          function overlaps(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }
          function within(r) { return r.left >= svg.left - 0.5 && r.right <= svg.right + 0.5 && r.top >= svg.top - 0.5 && r.bottom <= svg.bottom + 0.5; }
          var ctm = svgEl.getScreenCTM();
          Array.prototype.forEach.call(document.querySelectorAll('#boundary path.edge'), function (path) {
            var ends = [path.getAttribute('data-from'), path.getAttribute('data-to')];
            var n = path.getTotalLength();
            for (var s = 0; s <= n; s += 3) {
              var q = path.getPointAtLength(s).matrixTransform(ctm);
              if (q.x < svg.left - 0.5 || q.x > svg.right + 0.5 || q.y < svg.top - 0.5 || q.y > svg.bottom + 0.5) { bad.push('line clipped ' + path.getAttribute('data-edge')); break; }
              var hit = places.filter(function (p) { return ends.indexOf(p.name) < 0 && inside(q, p.r, 1); });
              if (hit.length) { bad.push('line ' + path.getAttribute('data-edge') + ' through ' + hit[0].name); break; }
              var th = titles.filter(function (t) { return inside(q, t, 0); });
              if (th.length) { bad.push('line ' + path.getAttribute('data-edge') + ' through a title'); break; }
            }
          });
          var numbers = Array.prototype.map.call(document.querySelectorAll('#boundary g.edge-number circle'), function (c) { return c.getBoundingClientRect(); });
          numbers.forEach(function (a, i) {
            if (!within(a)) bad.push('number clipped ' + i);
            places.forEach(function (p) { if (overlaps(a, p.r)) bad.push('number ' + i + ' over ' + p.name); });
            titles.forEach(function (t) { if (overlaps(a, t)) bad.push('number ' + i + ' over a title'); });
            numbers.forEach(function (b, j) {
              var dx = (a.left + a.right - b.left - b.right) / 2, dy = (a.top + a.bottom - b.top - b.bottom) / 2;
              if (j > i && Math.sqrt(dx * dx + dy * dy) < a.width * 0.9) bad.push('numbers overlap ' + i + '/' + j);
            });
          });
          places.forEach(function (p) { if (!within(p.r)) bad.push('box clipped ' + p.name); });
          titles.forEach(function (t, i) { if (!within(t)) bad.push('title clipped ' + i); });
          document.body.setAttribute('data-layout', (bad.length ? bad.join(',') : 'ok') + ' lines=' + document.querySelectorAll('#boundary path.edge').length + ' titles=' + titles.length);
        })();
        </script></body>

        """

    static func legibility(_ html: String) throws -> String {
        let page = try HTMLRenderTests.render(html.replacingOccurrences(of: "</body>", with: legibilityProbe))
        return page.dom.components(separatedBy: "data-layout=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
    }

    @Test(.enabled(if: HTMLRenderTests.browser != nil, "no Chromium (apt install chromium): layout check skipped"))
    func legibleAtFortyLines() throws {
        let (capture, scenario) = try Self.manyLines()
        let html = try CLI.run(["replay", capture, "--scenario", scenario, "--format", "html", "--no-progress"]).stdout
        let layout = try Self.legibility(html)
        #expect(layout.hasPrefix("ok "), "\(layout)")
        let lines = Int(layout.components(separatedBy: "lines=").last?.split(separator: " ").first ?? "") ?? 0
        #expect(lines >= 30, "\(layout)")
    }

    @Test(.enabled(if: HTMLRenderTests.browser != nil, "no Chromium (apt install chromium): layout check skipped"),
          arguments: deployments)
    func everyDeploymentIsLegible(_ name: String) throws {
        let layout = try Self.legibility(try Self.report(name, "html"))
        #expect(layout.hasPrefix("ok ") && layout.contains(" titles=3"), "\(name): \(layout)")
    }
}
