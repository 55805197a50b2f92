import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// What the formats written for people (table, markdown, html) keep of a run: bounded
/// however many flows there are. A 300k-flow replay keeps its findings by code with a few
/// example flows each, the accepted findings by entry, the flows themselves while there
/// are at most `rowLimit` of them and then only the top `rowLimit` by bytes, and, for
/// html, the flows with findings (always listed one by one) and the clean flows summed by
/// zone pair and service.
package struct ReportDigest {
    /// Flows listed one by one; nil lists every flow (`--all-flows`).
    package let rowLimit: Int?
    /// Example flows shown per finding code.
    package static let examples = 5
    package private(set) var flowCount = 0

    package struct GroupKey: Hashable, Comparable {
        package var severity: Severity
        package var party: Party
        package var code: String
        /// Most severe first, then party, then code.
        package static func < (a: GroupKey, b: GroupKey) -> Bool {
            if a.severity != b.severity { return a.severity > b.severity }
            if a.party != b.party { return a.party.ordinal < b.party.ordinal }
            return a.code < b.code
        }
    }

    package struct Example {
        package var id: UInt64
        package var message: String
    }

    package struct Group {
        package var count = 0
        /// The lowest ids, in id order.
        package var examples: [Example] = []
    }

    /// Counted findings (not under an unexpired acceptance) by severity, party and code.
    package private(set) var groups: [GroupKey: Group] = [:]
    package private(set) var findingCount = 0
    /// Every counted finding with its flow, while there are at most `rowLimit` (markdown
    /// and html list them one by one while they fit).
    package private(set) var findingList: [(id: UInt64, finding: Finding)]? = []
    /// Unexpired accepted findings by `accept` entry.
    package private(set) var acceptedByEntry: [Int: Int] = [:]

    /// Every flow while they fit (or always without a limit); nil once they do not.
    package private(set) var rows: [FlowRecord]? = []
    /// Once they do not: the `rowLimit` flows with the most bytes (a min-heap).
    private var top: [FlowRecord] = []

    /// html: flows with findings, one by one, with their rendered row; and the rest
    /// summed by zone pair and service.
    package let keepsAggregates: Bool
    package private(set) var flagged: [(rank: Int, bytes: UInt64, id: UInt64, row: String)] = []
    package struct ServiceKey: Hashable {
        package var clientZone: String
        package var serverZone: String
        package var transport: String
        package var service: String
        package var encryption: String
    }
    package struct ServiceTotals {
        package var flows = 0
        package var packets: UInt64 = 0
        package var bytes: UInt64 = 0
    }
    package private(set) var services: [ServiceKey: ServiceTotals] = [:]
    /// Distinct services kept; past it, a zone pair's other flows are one "other" row.
    package static let serviceLimit = 1000

    /// The boundary picture's edges: flows summed by client place, server place and
    /// service, with their worst counted finding.
    /// The flows between places, for the boundary picture.
    package private(set) var boundary = BoundaryTotals()
    package var edges: [BoundaryTotals.EdgeKey: BoundaryTotals.EdgeTotals] { boundary.edges }
    package var link: [String: BoundaryTotals.EdgeTotals] { boundary.link }

    package init(rowLimit: Int?, aggregates: Bool = false) {
        self.rowLimit = rowLimit
        self.keepsAggregates = aggregates
    }

    package mutating func add(_ r: FlowRecord, row: (FlowRecord) -> String = { _ in "" }) {
        flowCount += 1
        for f in r.findings {
            if let a = f.accepted, !a.expired { acceptedByEntry[a.entry, default: 0] += 1 }
            guard f.counts else { continue }
            findingCount += 1
            let key = GroupKey(severity: f.severity, party: f.party, code: f.code)
            var g = groups[key] ?? Group()
            g.count += 1
            let note = f.acceptanceNote.map { " (\($0))" } ?? ""
            if g.examples.count < ReportDigest.examples {
                g.examples.append(Example(id: r.id, message: f.message + note))
                g.examples.sort { $0.id < $1.id }
            } else if let last = g.examples.last, r.id < last.id {
                // Replay writes in id order; monitor in the order flows end.
                g.examples[g.examples.count - 1] = Example(id: r.id, message: f.message + note)
                g.examples.sort { $0.id < $1.id }
            }
            groups[key] = g
            if findingList != nil {
                if let limit = rowLimit, findingCount > limit { findingList = nil } else { findingList!.append((r.id, f)) }
            }
        }
        if rows != nil {
            if let limit = rowLimit, flowCount > limit {
                top = rows!
                rows = nil
                heapify()
            } else {
                rows!.append(r)
            }
        }
        if rows == nil, let limit = rowLimit { offerTop(r, limit: limit) }
        if keepsAggregates {
            boundary.add(r)
            if r.findings.contains(where: \.counts) {
                flagged.append((r.worstSeverity?.rank ?? -1, r.bytes, r.id, row(r)))
            } else {
                var key = ServiceKey(clientZone: r.client.zone, serverZone: r.server.zone, transport: r.transport,
                                     service: r.application ?? r.server.port.map { "port \($0)" } ?? "-",
                                     encryption: r.encryption.state.name)
                if services[key] == nil && services.count >= ReportDigest.serviceLimit { key.service = "other" }
                var t = services[key] ?? ServiceTotals()
                t.flows += 1
                t.packets += r.packets
                t.bytes += r.bytes
                services[key] = t
            }
        }
    }

    /// The flows to list: all of them in the order people read (worst finding, then
    /// bytes), or, past the limit, the top ones by bytes; and whether that is all.
    package var listed: (flows: [FlowRecord], complete: Bool) {
        if let rows { return (rows.sorted(by: humanOrder), true) }
        return (top.sorted { ($0.bytes, $1.id) > ($1.bytes, $0.id) }, false)
    }

    // MARK: top flows by bytes (min-heap on bytes, then newest id first out)

    private static func less(_ a: FlowRecord, _ b: FlowRecord) -> Bool {
        a.bytes != b.bytes ? a.bytes < b.bytes : a.id > b.id
    }

    private mutating func heapify() {
        var i = top.count / 2 - 1
        while i >= 0 { siftDown(i); i -= 1 }
    }

    private mutating func offerTop(_ r: FlowRecord, limit: Int) {
        guard limit > 0 else { return }
        if top.count < limit {
            top.append(r)
            var i = top.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                guard ReportDigest.less(top[i], top[p]) else { break }
                top.swapAt(i, p)
                i = p
            }
        } else if ReportDigest.less(top[0], r) {
            top[0] = r
            siftDown(0)
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < top.count && ReportDigest.less(top[l], top[m]) { m = l }
            if r < top.count && ReportDigest.less(top[r], top[m]) { m = r }
            if m == i { return }
            top.swapAt(i, m)
            i = m
        }
    }
}

/// Flows summed between places (by service) and `link` flows by place: what the boundary
/// picture draws. Bounded: at most `edgeKeyLimit` edges.
package struct BoundaryTotals: Sendable {
    package struct EdgeKey: Hashable {
        package var from: String
        package var to: String
        package var service: String
    }
    package struct EdgeTotals {
        package var flows = 0
        package var bytes: UInt64 = 0
        package var worst: Severity?
    }
    package private(set) var edges: [EdgeKey: EdgeTotals] = [:]
    /// `link` flows, which cross no boundary: summed apart by the place of the end that is
    /// not a group or unspecified address (the client's where both or neither are).
    package private(set) var link: [String: EdgeTotals] = [:]
    /// Distinct edges kept; past it, a place pair's other services are one `other` edge.
    package static let edgeKeyLimit = 5000

    package init() {}

    package mutating func add(_ r: FlowRecord) {
        let worst = r.findings.filter(\.counts).map(\.severity).max()
        func tally(_ e: inout EdgeTotals) {
            e.flows += 1
            e.bytes += r.bytes
            if let w = worst, (e.worst?.rank ?? -1) < w.rank { e.worst = w }
        }
        if r.segment == .link {
            let serverEnd = r.client.address.isGroupOrUnspecified && !r.server.address.isGroupOrUnspecified
            tally(&link[serverEnd ? r.server.zone : r.client.zone, default: EdgeTotals()])
        } else {
            let service = r.application ?? (r.server.port.map { "\(r.transport)/\($0)" } ?? r.transport)
            // A transit flow is drawn through the nodes it enters and leaves.
            var hops = [r.client.zone]
            if let p = r.path {
                hops.append(p.enters)
                if p.leaves != p.enters { hops.append(p.leaves) }
            }
            hops.append(r.server.zone)
            for i in 1..<hops.count {
                var key = EdgeKey(from: hops[i - 1], to: hops[i], service: service)
                if edges[key] == nil && edges.count >= BoundaryTotals.edgeKeyLimit { key.service = "other" }
                tally(&edges[key, default: EdgeTotals()])
            }
        }
    }
}
