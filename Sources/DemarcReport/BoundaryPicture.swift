import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// Where each name a report shows sits: the scenario's nodes (provider-operated), its
/// zones with their owners, and `unknown` (external). What the boundary picture groups by.
public struct PlaceMap: Sendable {
    public struct Place: Sendable {
        public var owner: Owner
        public var isNode: Bool
        public var providerOperated: Bool { isNode || owner == .provider }
    }
    public var places: [String: Place] = [:]
    public var provider: String?

    public init(scenario: Scenario) {
        provider = scenario.provider
        for z in scenario.zones { places[z.name] = Place(owner: z.owner, isNode: false) }
        for n in scenario.nodes { places[n.name] = Place(owner: .provider, isNode: true) }
        if places["unknown"] == nil { places["unknown"] = Place(owner: .external, isNode: false) }
    }

    public init() {}

    func place(_ name: String) -> Place { places[name] ?? Place(owner: .external, isNode: false) }
}

/// The boundary as a picture (REPORT.md): nodes and zones grouped by owner, the provider's
/// boundary around what it operates, and the flows between them summed by service,
/// coloured by their worst counted finding. Built from the report digest's edges, so it
/// is bounded like the rest of the report: at most `edgeLimit` edges (the most severe,
/// then the largest), the others summed per place pair as `other`.
package struct BoundaryPicture {
    package struct Edge {
        package var from: String
        package var to: String
        package var service: String
        package var flows: Int
        package var bytes: UInt64
        package var worst: Severity?
    }

    package static let edgeLimit = 40

    /// Places by group, in drawing order: inside the provider's boundary, the customer's,
    /// the rest (external).
    package var groups: [(title: String, key: String, places: [String])] = []
    package var edges: [Edge] = []
    /// `link` traffic by place, summed apart: it stays on its link, so it is no arrow
    /// (most of it goes to broadcast and multicast addresses, which are no place).
    package var link: [(place: String, flows: Int, bytes: UInt64, worst: Severity?)] = []

    package init(digest: ReportDigest, map: PlaceMap) {
        self.init(boundary: digest.boundary, map: map)
    }

    package init(boundary digest: BoundaryTotals, map: PlaceMap) {
        link = digest.link.map { ($0.key, $0.value.flows, $0.value.bytes, $0.value.worst) }
            .sorted { ($0.bytes, $1.place) > ($1.bytes, $0.place) }
        var all = digest.edges.map { k, t in
            Edge(from: k.from, to: k.to, service: k.service, flows: t.flows, bytes: t.bytes, worst: t.worst)
        }
        all.sort { a, b in
            let ra = a.worst?.rank ?? -1, rb = b.worst?.rank ?? -1
            if ra != rb { return ra > rb }
            if a.bytes != b.bytes { return a.bytes > b.bytes }
            return (a.from, a.to, a.service) < (b.from, b.to, b.service)
        }
        if all.count > BoundaryPicture.edgeLimit {
            var kept = Array(all.prefix(BoundaryPicture.edgeLimit - 1))
            var rest: [String: Edge] = [:]
            for e in all.dropFirst(BoundaryPicture.edgeLimit - 1) {
                let key = e.from + "\u{0}" + e.to
                var r = rest[key] ?? Edge(from: e.from, to: e.to, service: "other", flows: 0, bytes: 0, worst: nil)
                r.flows += e.flows
                r.bytes += e.bytes
                if let w = e.worst, (r.worst?.rank ?? -1) < w.rank { r.worst = w }
                rest[key] = r
            }
            // Each pair's rest is one edge; if even those are too many, the largest stay.
            let others = rest.values.sorted { ($0.bytes, $1.from, $1.to) > ($1.bytes, $0.from, $0.to) }
            kept.append(contentsOf: others.prefix(BoundaryPicture.edgeLimit))
            all = kept
        }
        edges = all
        var seen = Set<String>()
        for e in edges { seen.insert(e.from); seen.insert(e.to) }
        // Every node is drawn (the provider's boundary is what it operates), zones where
        // traffic touched them.
        for (name, p) in map.places where p.isNode { seen.insert(name) }
        let provider = seen.filter { map.place($0).providerOperated }.sorted()
        let customer = seen.filter { !map.place($0).providerOperated && map.place($0).owner == .customer }.sorted()
        let external = seen.filter { !map.place($0).providerOperated && map.place($0).owner == .external }.sorted()
        groups = [("Customer", "customer", customer),
                  ("Provider boundary" + (map.provider.map { " (\($0))" } ?? ""), "provider", provider),
                  ("External", "external", external)]
    }

    /// How far apart the middles of a pair's `n` edges are drawn, in pixels.
    static func spread(_ n: Int) -> Double { Double(min(32, 160 / max(n, 1))) }

    package static func colour(_ s: Severity?) -> String {
        switch s {
        case .critical: return "#9b1c1c"
        case .high: return "#d9480f"
        case .medium: return "#c28a00"
        case .low: return "#1971c2"
        case .info: return "#868e96"
        case nil: return "#2b8a3e"
        }
    }

    package func label(_ e: Edge) -> String {
        "\(e.service) ×\(e.flows)" + (e.worst.map { ", worst \($0.rawValue)" } ?? "")
    }

    /// One line per place of `link` traffic: `place: N flows, BYTES` (and its worst finding).
    package var linkLines: [String] {
        link.map { l in
            "\(l.place): \(l.flows) flows, \(Fmt.bytes(l.bytes))" + (l.worst.map { ", worst \($0.rawValue)" } ?? "")
        }
    }

    // MARK: Mermaid

    /// A Mermaid flowchart: one subgraph per group, the provider's titled as its boundary.
    package func mermaid() -> String {
        var ids: [String: String] = [:]
        var o = "```mermaid\nflowchart LR\n"
        var n = 0
        for g in groups where !g.places.isEmpty {
            o += "  subgraph \(g.key) [\"\(BoundaryPicture.mermaidText(g.title))\"]\n"
            for p in g.places {
                let id = "p\(n)"
                n += 1
                ids[p] = id
                o += "    \(id)[\"\(BoundaryPicture.mermaidText(p))\"]\n"
            }
            o += "  end\n"
        }
        for e in edges {
            guard let a = ids[e.from], let b = ids[e.to] else { continue }
            o += "  \(a) -->|\"\(BoundaryPicture.mermaidText(label(e)))\"| \(b)\n"
        }
        for (i, e) in edges.enumerated() where ids[e.from] != nil && ids[e.to] != nil {
            o += "  linkStyle \(i) stroke:\(BoundaryPicture.colour(e.worst)),stroke-width:2px\n"
        }
        return o + "```\n"
    }

    /// Text inside Mermaid's quotes: quotes and the characters Mermaid reads as markup
    /// become entity codes, line breaks spaces.
    package static func mermaidText(_ s: String) -> String {
        Escaping.replacing(s.visible()) { c in
            switch c {
            case "\"": return "#quot;"
            case "<": return "#lt;"
            case ">": return "#gt;"
            case "#": return "#35;"
            case "|": return "#124;"
            case "\n", "\r": return " "
            default: return nil
            }
        }
    }

    // MARK: SVG

    /// Inline SVG: three columns (customer, the provider's boundary, external), a box per
    /// place, a line per edge coloured by its worst finding and numbered; the numbers
    /// are explained in the list below it.
    package func svg(escape: (String) -> String) -> String {
        // Edges of one pair fan out by up to `fan` pixels each side: room is kept for them
        // above and below the boxes.
        var perPair: [String: Int] = [:]
        for e in edges { perPair[e.from < e.to ? e.from + "\u{0}" + e.to : e.to + "\u{0}" + e.from, default: 0] += 1 }
        let most = perPair.values.max() ?? 1
        let fan = Int(Double(most - 1) / 2 * BoundaryPicture.spread(most))
        // Lines between the customer's and the external column cross the provider's
        // column through the gaps between its boxes: those gaps are made wide enough. The
        // columns move apart as lines grow in number, so their numbers find room.
        let column = Dictionary(uniqueKeysWithValues: groups.enumerated().flatMap { i, g in g.places.map { ($0, i) } })
        let crossing = edges.contains { abs((column[$0.from] ?? 1) - (column[$0.to] ?? 1)) == 2 }
        let boxW = 200, boxH = 34, gapY = crossing ? 30 : 14, colGap = min(320, 140 + 4 * max(0, edges.count - 10))
        let top = 40 + fan, pad = 16
        // Room right of the last column for the arcs between two of its places.
        let arcRoom = colGap / 2
        let colX = [pad, pad + boxW + colGap, pad + 2 * (boxW + colGap)]
        var pos: [String: (x: Int, y: Int)] = [:]
        var rows = 0
        for (i, g) in groups.enumerated() {
            for (j, p) in g.places.enumerated() { pos[p] = (colX[i], top + j * (boxH + gapY)) }
            rows = max(rows, g.places.count)
        }
        let width = colX[2] + boxW + arcRoom + pad
        let height = top + max(1, rows) * (boxH + gapY) + pad + fan
        var o = "<svg id=\"boundary\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" style=\"max-width:100%;height:auto\" role=\"img\" aria-label=\"the provider's boundary and the flows across it\">"
        for (i, g) in groups.enumerated() {
            let x = colX[i] - 8, h = max(1, g.places.count) * (boxH + gapY) + 30
            let boundary = g.key == "provider"
            o += "<rect class=\"group\" data-group=\"\(g.key)\" x=\"\(x)\" y=\"\(top - 30)\" width=\"\(boxW + 16)\" height=\"\(h)\" rx=\"10\" fill=\"\(boundary ? "#eef4ff" : "#f8f9fa")\" stroke=\"\(boundary ? "#364fc7" : "#adb5bd")\" stroke-width=\"2\"\(boundary ? " stroke-dasharray=\"8 5\"" : "")/>"
            // The provider's name is in the page's text: the box title stays within its box.
            o += "<text class=\"group-title\" x=\"\(x + 8)\" y=\"\(top - 12)\" font-weight=\"600\">\(escape(boundary ? "Provider boundary" : g.title))</text>"
        }
        // The edges of one pair of places fan out side by side (each bent by its rank in
        // the pair), so none hides another; the worst are drawn last, on top; each
        // carries its number from the list below at its middle.
        var pairCount: [String: Int] = [:], pairRank: [Int] = []
        func pairKey(_ e: Edge) -> String { e.from < e.to ? e.from + "\u{0}" + e.to : e.to + "\u{0}" + e.from }
        for e in edges {
            let k = pairKey(e)
            pairRank.append(pairCount[k, default: 0])
            pairCount[k, default: 0] += 1
        }
        let order = edges.indices.sorted { (edges[$0].worst?.rank ?? -1, $0) < (edges[$1].worst?.rank ?? -1, $1) }
        var labels = ""
        var placed: [(x: Double, y: Double)] = []
        for i in order {
            let e = edges[i]
            guard let a = pos[e.from], let b = pos[e.to] else { continue }
            let c = BoundaryPicture.colour(e.worst)
            let n = pairCount[pairKey(e)] ?? 1
            let spread = BoundaryPicture.spread(n)
            let bend = (Double(pairRank[i]) - Double(n - 1) / 2) * spread
            // The curve's four Bézier points (a quadratic one has its control point twice);
            // a line across the provider's column is two curves joined by a straight run
            // through the gap between its boxes nearest to the line's middle.
            let p0, p1, p2, p3: (x: Double, y: Double)
            var through: (from: Double, to: Double, y: Double)?
            if abs(a.x - b.x) == 2 * (boxW + colGap) {
                let left = a.x < b.x ? a : b, right = a.x < b.x ? b : a
                let middle = Double(left.y + right.y + boxH) / 2
                // Gaps: below each box of the provider's column (the one above the first
                // holds the group's title).
                let gaps = (0..<max(1, groups[1].places.count)).map { Double(top + $0 * (boxH + gapY) + boxH) + Double(gapY) / 2 }
                let gy = (gaps.min { abs($0 - middle) < abs($1 - middle) } ?? middle) + max(-Double(gapY) / 2 + 4, min(Double(gapY) / 2 - 4, bend / 4))
                let (xa, xb) = (Double(colX[1] - 14), Double(colX[1] + boxW + 14))
                let (x1, y1) = (Double(left.x + boxW), Double(left.y + boxH / 2))
                let (x2, y2) = (Double(right.x), Double(right.y + boxH / 2))
                through = (xa, xb, gy)
                // Drawn left to right whatever the edge's direction; the number goes on the run.
                (p0, p1, p2, p3) = ((x1, y1), ((x1 + xa) / 2, y1), ((x1 + xa) / 2, gy), (xa, gy))
                let path = "M\(Int(p0.x)) \(Int(p0.y)) C\(Int(p1.x)) \(Int(p1.y)) \(Int(p2.x)) \(Int(p2.y)) \(Int(xa)) \(Int(gy)) "
                    + "L\(Int(xb)) \(Int(gy)) C\(Int((xb + x2) / 2)) \(Int(gy)) \(Int((xb + x2) / 2)) \(Int(y2)) \(Int(x2)) \(Int(y2))"
                o += "<path class=\"edge\" data-edge=\"\(i + 1)\" data-from=\"\(escape(e.from))\" data-to=\"\(escape(e.to))\" d=\"\(path)\" stroke=\"\(c)\" stroke-width=\"2\" fill=\"none\"><title>\(escape(e.from + " → " + e.to + ": " + label(e)))</title></path>"
            } else if a.x == b.x {
                // Same column: an arc out to the right and back, wider the further apart
                // the two places are, so arcs nest rather than cross.
                let (y1, y2) = (Double(a.y + boxH / 2), Double(b.y + boxH / 2))
                let x = Double(a.x + boxW)
                let apart = abs(Double(a.y - b.y)) / Double(boxH + gapY)
                let bulge = min(x + Double(arcRoom) - 8, x + 24 + 16 * apart + abs(bend))
                (p0, p1, p2, p3) = ((x, y1), (bulge, y1), (bulge, y2), (x, y2))
            } else {
                let x1 = Double(a.x + (b.x >= a.x ? boxW : 0)), y1 = Double(a.y + boxH / 2)
                let x2 = Double(b.x + (b.x >= a.x ? 0 : boxW)), y2 = Double(b.y + boxH / 2)
                // The control point sits off the straight line, along its normal (kept
                // the same for both directions of a pair, so they fan apart too).
                let flip: Double = e.from < e.to ? 1 : -1
                let (dx, dy) = (x2 - x1, y2 - y1)
                let len = max(1, (dx * dx + dy * dy).squareRoot())
                let (nx, ny) = (-dy / len * flip, dx / len * flip)
                let q = ((x1 + x2) / 2 + nx * bend * 2, (y1 + y2) / 2 + ny * bend * 2)
                // A quadratic curve as a cubic: control points two thirds of the way to q.
                (p0, p3) = ((x1, y1), (x2, y2))
                p1 = (x1 + 2 * (q.0 - x1) / 3, y1 + 2 * (q.1 - y1) / 3)
                p2 = (x2 + 2 * (q.0 - x2) / 3, y2 + 2 * (q.1 - y2) / 3)
            }
            func at(_ t: Double) -> (x: Double, y: Double) {
                let u = 1 - t
                return (u * u * u * p0.x + 3 * u * u * t * p1.x + 3 * u * t * t * p2.x + t * t * t * p3.x,
                        u * u * u * p0.y + 3 * u * u * t * p1.y + 3 * u * t * t * p2.y + t * t * t * p3.y)
            }
            let path = "M\(Int(p0.x)) \(Int(p0.y)) C\(Int(p1.x)) \(Int(p1.y)) \(Int(p2.x)) \(Int(p2.y)) \(Int(p3.x)) \(Int(p3.y))"
            if through == nil {
            o += "<path class=\"edge\" data-edge=\"\(i + 1)\" data-from=\"\(escape(e.from))\" data-to=\"\(escape(e.to))\" d=\"\(path)\" stroke=\"\(c)\" stroke-width=\"2\" fill=\"none\"><title>\(escape(e.from + " → " + e.to + ": " + label(e)))</title></path>"
            }
            // The number sits on its line, at the first point along it (from the middle
            // outwards) clear of the numbers already placed and of the place boxes.
            func free(_ m: (x: Double, y: Double)) -> Bool {
                for q in placed where (q.x - m.x) * (q.x - m.x) + (q.y - m.y) * (q.y - m.y) < 20 * 20 { return false }
                for (_, r) in pos where m.x > Double(r.x) - 9 && m.x < Double(r.x + boxW) + 9 && m.y > Double(r.y) - 9
                    && m.y < Double(r.y + boxH) + 9 { return false }
                // The groups' titles, and the picture's edges.
                for x in colX where m.x > Double(x) - 9 && m.x < Double(x + 150) && m.y > Double(top - 30) && m.y < Double(top) { return false }
                return m.x > 9 && m.x < Double(width - 9) && m.y > 9 && m.y < Double(height - 9)
            }
            // Along the line from its middle outwards; a line across the provider's column
            // first along its straight run through a gap.
            var run: [(x: Double, y: Double)] = []
            if let t = through {
                for k in 0...10 {
                    let d = Double(k) * 0.05
                    for f in [0.5 - d, 0.5 + d] { run.append((t.from + (t.to - t.from) * f, t.y)) }
                }
            }
            let tries = stride(from: 0.0, through: 0.45, by: 0.025).flatMap { [0.5 - $0, 0.5 + $0] }
            let candidates = run + tries.map(at)
            let mid = candidates.first(where: free) ?? run.first ?? at(0.5)
            placed.append(mid)
            labels += "<g class=\"edge-number\"><circle cx=\"\(Int(mid.x))\" cy=\"\(Int(mid.y))\" r=\"8\" fill=\"#fff\" stroke=\"\(c)\"/><text x=\"\(Int(mid.x))\" y=\"\(Int(mid.y) + 4)\" text-anchor=\"middle\" font-size=\"10\">\(i + 1)</text></g>"
        }
        for (p, at) in pos.sorted(by: { $0.key < $1.key }) {
            o += "<g class=\"place\" data-place=\"\(escape(p))\"><rect x=\"\(at.x)\" y=\"\(at.y)\" width=\"\(boxW)\" height=\"\(boxH)\" rx=\"6\" fill=\"#fff\" stroke=\"#495057\"/>"
            o += "<text x=\"\(at.x + 10)\" y=\"\(at.y + 22)\">\(escape(p.count > 26 ? String(p.prefix(25)) + "…" : p))</text></g>"
        }
        o += labels
        o += "</svg>\n<ol class=\"edges\">\n"
        for e in edges {
            o += "<li><span class=\"swatch\" style=\"background:\(BoundaryPicture.colour(e.worst))\"></span>\(escape(e.from)) → \(escape(e.to)): \(escape(label(e)))</li>\n"
        }
        o += "</ol>\n"
        if !link.isEmpty {
            o += "<p>Link traffic, which stays on the link it was sent on and crosses no boundary (broadcast, multicast, link-local), by place:</p>\n<ul class=\"link\">\n"
            for (l, line) in zip(link, linkLines) {
                o += "<li><span class=\"swatch\" style=\"background:\(BoundaryPicture.colour(l.worst))\"></span>\(escape(line))</li>\n"
            }
            o += "</ul>\n"
        }
        return o
    }
}
