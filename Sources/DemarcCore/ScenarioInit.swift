import DemarcBase
import DemarcDecode
import DemarcScenario
import DemarcReport

/// `demarc scenario init`: a starting scenario for the captured network. The captures
/// are replayed against the built-in scenario with the given nodes added (so every flow
/// gets the segment it will have under the written scenario), and the flows are summed
/// by segment, place pair and service. The result allows what was seen, so replaying
/// the same captures against it gives no `unfiltered-*` finding.
public enum ScenarioInit {
    /// At most this many rules per segment; past it, the smallest place pairs share one
    /// last rule.
    public static let maxRules = 30
    /// At most this many port entries per rule; past it, ports merge into ranges.
    public static let maxPorts = 12
    /// Candidate provider nodes listed when no `--node` is given.
    static let maxCandidates = 5

    /// What a set of flows amounts to, for the comment beside what they produced.
    struct Tally {
        var flows = 0
        var bytes: UInt64 = 0
        var first = Int64.max
        var last = Int64.min
        mutating func add(_ r: FlowRecord) {
            flows += 1
            bytes += r.bytesToServer + r.bytesToClient
            first = min(first, r.firstSeen)
            last = max(last, r.lastSeen)
        }
        mutating func add(_ t: Tally) {
            flows += t.flows; bytes += t.bytes; first = min(first, t.first); last = max(last, t.last)
        }
        var comment: String {
            "\(flows) flow\(flows == 1 ? "" : "s"), \(Fmt.bytes(bytes)), "
                + "\(Timestamps.iso8601(micros: first)) to \(Timestamps.iso8601(micros: last))"
        }
    }

    /// A rule's service: a transport and a port range (the whole range where the
    /// transport has no ports).
    struct Service: Hashable, Comparable {
        var transport: String
        var low: Int
        var high: Int
        static func < (a: Service, b: Service) -> Bool { (a.transport, a.low, a.high) < (b.transport, b.low, b.high) }
        var text: String {
            if transport == "any" { return "any" }
            if !ScenarioInit.portedTransports.contains(transport) { return transport }
            return low == high ? "\(transport)/\(low)" : "\(transport)/\(low)-\(high)"
        }
    }
    static let portedTransports: Set<String> = ["tcp", "udp", "sctp"]
    static let portlessTransports: Set<String> = ["icmp", "icmpv6", "esp", "gre", "ah"]

    struct PairKey: Hashable { var segment: Segment; var from: String; var to: String }
    struct Pair { var tally = Tally(); var services: [Service: Tally] = [:] }

    /// Sums the flows as the report delivers them.
    final class Collector: ReportWriter {
        let nodeOf: [IPAddress: String]
        var addresses: [IPAddress: Tally] = [:]
        var pairs: [PairKey: Pair] = [:]
        var peers: [IPAddress: Set<IPAddress>] = [:]
        var peerTally: [IPAddress: Tally] = [:]
        var linkFlows = Tally()
        init(nodeOf: [IPAddress: String]) { self.nodeOf = nodeOf }
        func begin(_ header: ReportHeader) {}
        func finish(_ header: ReportHeader) {}
        func flow(_ r: FlowRecord) {
            if r.segment == .link { linkFlows.add(r); return }
            for a in [r.client.address, r.server.address] { addresses[a, default: Tally()].add(r) }
            if nodeOf.isEmpty {
                peers[r.client.address, default: []].insert(r.server.address)
                peers[r.server.address, default: []].insert(r.client.address)
                peerTally[r.client.address, default: Tally()].add(r)
                peerTally[r.server.address, default: Tally()].add(r)
            }
            let key = PairKey(segment: r.segment, from: r.client.node ?? "@" + r.client.ip, to: r.server.node ?? "@" + r.server.ip)
            var service: Service
            if ScenarioInit.portedTransports.contains(r.transport), let port = r.server.port {
                service = Service(transport: r.transport, low: Int(port), high: Int(port))
            } else if ScenarioInit.portlessTransports.contains(r.transport) {
                service = Service(transport: r.transport, low: 0, high: 65535)
            } else {
                service = Service(transport: "any", low: 0, high: 65535)
            }
            pairs[key, default: Pair()].tally.add(r)
            pairs[key]!.services[service, default: Tally()].add(r)
        }
    }

    /// Reads the captures and writes the scenario's text. `nodes` are the `--node` values,
    /// in the order given. `inputError` says a capture was corrupt part way.
    public static func run(captures: [String], nodes: [Node], workers: Int, progress: Bool, output: String? = nil,
                           warn: (String) -> Void) throws -> (text: String, inputError: String?) {
        var options = RunOptions()
        var scenario = Scenario.builtIn
        scenario.nodes = nodes
        options.scenario = scenario
        options.workers = workers
        options.outputPath = output
        let (planned, filter) = try Replay.prepare(captures: captures, options: options)
        var nodeOf: [IPAddress: String] = [:]
        for n in nodes { for a in n.addresses { nodeOf[a] = n.name } }
        let collector = Collector(nodeOf: nodeOf)
        let analysis = Analysis(scenario: scenario, writer: collector, timeouts: options.timeouts, asOfDay: 0)
        // A capture corrupt part way is used as far as it reads, as replay reports it.
        let inputError = Replay.read(planned, filter: filter, into: analysis, workers: workers, progress: progress, warn: warn)
        _ = analysis.finish()
        return (render(collector, captures: captures, nodes: nodes), inputError)
    }

    /// The customer's ranges: private, loopback, link-local and unique local addresses,
    /// as the built-in scenario's `local` zone holds them.
    static let localBlocks: [CIDR] = Scenario.builtIn.zones.first { $0.owner == .customer }?.cidrs ?? []

    struct ZonePlan { var name: String; var cidr: CIDR; var tally: Tally; var addresses: Int; var via: String? }

    /// One zone per local block seen: the smallest prefix covering its addresses, at
    /// least a /24 (IPv4) or /64 (IPv6), never wider than the block.
    static func zones(_ c: Collector, nodes: [Node]) -> [ZonePlan] {
        var byBlock: [CIDR: (lo: IPAddress, hi: IPAddress, tally: Tally, count: Int)] = [:]
        for (a, t) in c.addresses where c.nodeOf[a] == nil {
            guard let block = localBlocks.first(where: { $0.contains(a) }) else { continue }
            if var e = byBlock[block] {
                e.lo = min(e.lo, a); e.hi = max(e.hi, a); e.tally.add(t); e.count += 1
                byBlock[block] = e
            } else {
                byBlock[block] = (a, a, t, 1)
            }
        }
        var out: [ZonePlan] = []
        for (block, e) in byBlock {
            let width = block.isV4 ? 32 : 128
            var len = min(width - (block.isV4 ? 8 : 64), width)
            while len > block.length && e.lo.masked(len) != e.hi.masked(len) { len -= 1 }
            len = max(len, block.length)
            let cidr = CIDR(address: e.lo, length: len)
            let name = "lan-" + cidr.description.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
                .split(separator: "-", omittingEmptySubsequences: true).joined(separator: "-")
            let inside = nodes.filter { n in n.addresses.contains { cidr.contains($0) } }
            out.append(ZonePlan(name: name, cidr: cidr, tally: e.tally, addresses: e.count,
                                via: inside.count == 1 ? inside[0].name : nil))
        }
        return out.sorted { ($0.cidr.isV4 ? 0 : 1, $0.cidr.address) < ($1.cidr.isV4 ? 0 : 1, $1.cidr.address) }
    }

    static func render(_ c: Collector, captures: [String], nodes: [Node]) -> String {
        let zones = zones(c, nodes: nodes)
        func place(_ key: String) -> String {
            guard key.hasPrefix("@"), let a = IPAddress(String(key.dropFirst())) else { return key }
            return zones.first { $0.cidr.contains(a) }?.name ?? "internet"
        }
        var total = Tally()
        for t in c.pairs.values { total.add(t.tally) }
        /// The flows with an end that `inside` holds, each counted once.
        func touching(_ inside: (IPAddress) -> Bool) -> Tally {
            var t = Tally()
            for (k, p) in c.pairs {
                let ends = [k.from, k.to].compactMap { $0.hasPrefix("@") ? IPAddress(String($0.dropFirst())) : nil }
                if ends.contains(where: inside) { t.add(p.tally) }
            }
            return t
        }
        // Editors find the schema beside the file: `demarc scenario schema > scenario.schema.json`.
        var y: [String] = ["# yaml-language-server: $schema=scenario.schema.json"]
        let base = captures.first.map { String($0.split(separator: "/").last ?? "capture") } ?? "capture"
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        let name = stem.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? String($0) : "-" }.joined()
        y.append("# A starting scenario written by `demarc scenario init` from \(captures.count) capture\(captures.count == 1 ? "" : "s"): \(total.comment).")
        y.append("# It allows what was seen. Confirm every owner and `via`, narrow the rules, then")
        y.append("# check it (demarc scenario check FILE) and replay against it (demarc replay ... --scenario FILE).")
        y.append("scenario: \(name.isEmpty ? "captured" : name)-init")
        y.append("description: >")
        y.append("  Written by demarc scenario init from the traffic seen; to be confirmed.")
        y.append("")
        if nodes.isEmpty {
            y.append("# No --node given, so no nodes: every flow is external unless link. The provider's")
            y.append("# nodes (gateways, managed routers) are most likely among these addresses, those")
            y.append("# with the most peers first; add them as")
            y.append("# nodes: {NAME: {addresses: [ADDRESS]}} or rerun with --node NAME=ADDRESS.")
            let ranked = c.peers.map { ($0.key, $0.value.count) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            for (a, n) in ranked.prefix(maxCandidates) {
                y.append("#   \(a): \(n) peer\(n == 1 ? "" : "s") (\(c.peerTally[a]?.comment ?? ""))")
            }
            y.append("nodes: {}")
        } else {
            y.append("nodes:")
            for n in nodes {
                var t = Tally()
                for a in n.addresses { if let x = c.addresses[a] { t.add(x) } }
                y.append("  # given with --node; \(t.flows == 0 ? "no flows seen" : t.comment)")
                y.append("  \(n.name): {addresses: [\(n.addresses.map(quoted).joined(separator: ", "))]}")
            }
        }
        y.append("")
        y.append("zones:")
        for z in zones {
            y.append("  # \(z.addresses) address\(z.addresses == 1 ? "" : "es") seen in this local range (private, loopback, link-local or ULA); \(touching { z.cidr.contains($0) }.comment).")
            y.append("  # Proposed as the customer's: confirm the owner.")
            y.append("  \(z.name):")
            y.append("    owner: customer")
            y.append("    cidrs: [\(quoted(z.cidr))]")
            if let via = z.via {
                y.append("    # via: \(via)   # \(via) is the only node with an address in this range: confirm, then uncomment")
            }
        }
        let outside = touching { a in c.nodeOf[a] == nil && !zones.contains { $0.cidr.contains(a) } }
        y.append("  # Every other address: \(outside.flows == 0 ? "none seen" : outside.comment).")
        y.append("  internet: {owner: external, cidrs: [0.0.0.0/0, \"::/0\"]}")
        y.append("")
        y.append("encryption:   # the spec's defaults")
        y.append("  internal: required")
        y.append("  egress: required")
        y.append("  transit: required")
        y.append("  ingress: optional")
        y.append("  external: optional")
        y.append("")
        var bySegment: [Segment: [(from: String, to: String, pair: Pair)]] = [:]
        for (k, p) in c.pairs where Segment.filtered.contains(k.segment) {
            bySegment[k.segment, default: []].append((place(k.from), place(k.to), p))
        }
        if c.linkFlows.flows > 0 {
            y.append("# Link traffic (broadcast, multicast, link-local) gets no rules: \(c.linkFlows.comment).")
        }
        if bySegment.isEmpty {
            y.append("# No flow of a filtered segment (egress, ingress, transit, external) was seen.")
        } else {
            y.append("filters:")
        }
        for segment in Segment.filtered where bySegment[segment] != nil {
            y.append("  \(segment.rawValue):")
            y.append("    default: deny")
            y.append("    rules:")
            for (i, r) in rules(bySegment[segment]!).enumerated() {
                y.append("      # \(r.tally.comment)")
                let from = r.from.count == 1 ? r.from[0] : "[\(r.from.joined(separator: ", "))]"
                let to = r.to.count == 1 ? r.to[0] : "[\(r.to.joined(separator: ", "))]"
                y.append("      - {name: \(segment.rawValue)-\(i + 1), from: \(from), to: \(to), ports: [\(r.ports.joined(separator: ", "))]}")
            }
        }
        return y.joined(separator: "\n") + "\n"
    }

    struct RulePlan { var from: [String]; var to: [String]; var ports: [String]; var tally: Tally }

    /// A segment's rules: one per place pair, largest first (bytes, then flows, then
    /// names); past `maxRules`, the rest share the last rule.
    static func rules(_ items: [(from: String, to: String, pair: Pair)]) -> [RulePlan] {
        var merged: [String: (from: String, to: String, pair: Pair)] = [:]
        for i in items {
            let k = i.from + " " + i.to
            if var m = merged[k] {
                m.pair.tally.add(i.pair.tally)
                for (s, t) in i.pair.services { m.pair.services[s, default: Tally()].add(t) }
                merged[k] = m
            } else {
                merged[k] = i
            }
        }
        let sorted = merged.values.sorted {
            ($0.pair.tally.bytes, $0.pair.tally.flows) != ($1.pair.tally.bytes, $1.pair.tally.flows)
                ? ($0.pair.tally.bytes, $0.pair.tally.flows) > ($1.pair.tally.bytes, $1.pair.tally.flows)
                : ($0.from, $0.to) < ($1.from, $1.to)
        }
        var out: [RulePlan] = []
        for (i, p) in sorted.enumerated() {
            if i < maxRules - 1 || sorted.count == maxRules {
                out.append(RulePlan(from: [p.from], to: [p.to], ports: ports(Set(p.pair.services.keys)), tally: p.pair.tally))
                continue
            }
            if out.count < maxRules {
                out.append(RulePlan(from: [], to: [], ports: [], tally: Tally()))
            }
            var last = out[maxRules - 1]
            if !last.from.contains(p.from) { last.from.append(p.from) }
            if !last.to.contains(p.to) { last.to.append(p.to) }
            last.tally.add(p.pair.tally)
            out[maxRules - 1] = last
        }
        if sorted.count > maxRules {
            var services = Set<Service>()
            for p in sorted.dropFirst(maxRules - 1) { services.formUnion(p.pair.services.keys) }
            out[maxRules - 1].ports = ports(services)
            out[maxRules - 1].from.sort()
            out[maxRules - 1].to.sort()
        }
        return out
    }

    /// The services as port entries: `any` alone when a flow had no recognised
    /// transport; otherwise per transport, ports merged into ranges across the
    /// smallest gaps until at most `maxPorts` entries remain.
    static func ports(_ services: Set<Service>) -> [String] {
        if services.contains(where: { $0.transport == "any" }) { return ["any"] }
        var entries: [Service] = []
        for t in Set(services.map(\.transport)).sorted() {
            var ranges: [Service] = []
            for s in services.filter({ $0.transport == t }).sorted() {
                if let l = ranges.last, l.high + 1 >= s.low { ranges[ranges.count - 1].high = max(l.high, s.high) } else { ranges.append(s) }
            }
            entries.append(contentsOf: ranges)
        }
        while entries.count > maxPorts {
            // The two neighbouring ranges of one transport with the smallest gap merge.
            var best: (Int, Int)?
            for i in 1..<entries.count where entries[i].transport == entries[i - 1].transport {
                let gap = entries[i].low - entries[i - 1].high
                if best == nil || gap < best!.1 { best = (i, gap) }
            }
            guard let (i, _) = best else { break }
            entries[i - 1].high = entries[i].high
            entries.remove(at: i)
        }
        return entries.map(\.text)
    }

    static func quoted(_ a: CustomStringConvertible) -> String {
        let t = a.description
        return t.contains(":") ? "\"\(t)\"" : t
    }
}
