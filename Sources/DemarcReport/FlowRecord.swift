import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// One flow as every report format shows it: the single value all formats render.
public struct FlowRecord: Sendable {
    public struct Endpoint: Sendable {
        public var address: IPAddress
        public var port: UInt16?
        public var zone: String
        public var node: String?
        /// The address as text (RFC 5952 for IPv6); the JSON writer formats it in place.
        public var ip: String { address.description }

        /// Not inlined: the endpoint is made in place in the record (inlined, it was
        /// built apart and copied there).
        @inline(never)
        public init(address: IPAddress, port: UInt16?, zone: String, node: String?) {
            self.address = address; self.port = port; self.zone = zone; self.node = node
        }
    }

    public struct Encryption: Sendable {
        public var state: EncryptionState
        public var protocolName: String?
        public var version: String?
        public var basis: VerdictBasis
        public var sni: String?
        public var certificate: CertificateInfo?
        /// The flow began in cleartext and upgraded (STARTTLS and its kin).
        public var upgraded: Bool
        public var weak: String?
        /// Key exchange, cipher and JA4 as the handshake showed them (docs/crypto.md).
        public var negotiated: Negotiated? = nil
        /// For a heuristic verdict, how often its rule was right (`Heuristic.confidence`).
        public var confidence: Double? = nil
    }

    public var id: UInt64
    public var transport: String
    public var ipVersion: Int
    public var client: Endpoint
    public var server: Endpoint
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var packetsToServer: UInt64
    public var packetsToClient: UInt64
    public var bytesToServer: UInt64
    public var bytesToClient: UInt64
    /// Later IP fragments of the flow's datagrams (not in packets/bytes).
    public var fragmentPackets: UInt64 = 0
    public var fragmentBytes: UInt64 = 0
    public var application: String?
    public var encryption: Encryption
    public var segment: Segment
    /// Where a transit flow enters and leaves the provider's nodes; nil on other segments.
    public var path: TransitPath? = nil
    public var responsible: Party
    public var rule: RuleMatch?
    public var findings: [Finding]
    /// What the application layer showed (HTTP host, method, path…), for people.
    public var http: (host: String?, method: String?, path: String?)?
    public var banner: String?
    /// Reusable secrets seen in cleartext: kind and user name, never the secret; nil for
    /// none.
    public var credentials: [Credential]? = nil
    /// Live metrics: packets and bytes already counted while the flow was open (never
    /// in a report).
    public var exportedPackets: UInt64 = 0
    public var exportedBytes: UInt64 = 0
    /// Community ID v1 (seed 0): joins the flow to Zeek's, Suricata's and Elastic's
    /// records of the same connection; nil for orphan fragments.
    public var communityID: CommunityID? = nil
    /// The IP protocol number (ECS's network.iana_number, OCSF's protocol_num).
    public var ipProtocol: UInt8 = 0
    /// `--sensor`: where the traffic was seen; nil when not given (then written nowhere).
    public var sensor: String? = nil
    /// The TCP flags the tracker records over both directions (SYN, FIN, RST), for
    /// IPFIX's tcpControlBits; 0 for other transports.
    public var tcpFlags: UInt8 = 0
    /// Why the tracker finished the flow (IPFIX's flowEndReason); reports show only
    /// `.evicted` (`"end": "evicted"`).
    public var finish: FinishReason

    public var packets: UInt64 { packetsToServer + packetsToClient }
    public var bytes: UInt64 { bytesToServer + bytesToClient }
    public var worstSeverity: Severity? { findings.map(\.severity).max() }
}

/// One capture file or interface read.
public struct InputStats: Sendable {
    public var kind: String            // "file" or "interface"
    public var name: String
    public var linkType: String
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var undecoded: UInt64 = 0
    /// Well-formed frames that carry no IP (ARP, LLDP…).
    public var nonIP: UInt64 = 0
    /// Frames encrypted at the link layer (MACsec, protected 802.11): their flows cannot
    /// be seen.
    public var linkEncrypted: UInt64 = 0
    public var truncated = false
    public var dropped: UInt64?
    /// Live capture: packets demarc itself had no room for because analysis fell behind
    /// (the capture ring was full). Kept apart from the kernel's `dropped`.
    public var queueDropped: UInt64?
    /// What stopped reading early, if anything did.
    public var error: String?
    /// `--sensor`: where the input was read; nil when not given.
    public var sensor: String? = nil

    public init(kind: String, name: String, linkType: String) {
        self.kind = kind; self.name = name; self.linkType = linkType
    }
}

public struct Counts: Sendable {
    public var flows: UInt64 = 0
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public init() {}
}

/// Totals over every flow reported.
public struct Summary: Sendable {
    public var total = Counts()
    /// Per segment and per party, in `allCases` order: counted per flow without hashing.
    private var segmentCounts = [Counts](repeating: Counts(), count: Segment.allCases.count)
    private var partyCounts = [Counts](repeating: Counts(), count: Party.allCases.count)
    public var segments: [Segment: Counts] {
        Dictionary(uniqueKeysWithValues: Segment.allCases.enumerated().map { ($1, segmentCounts[$0]) })
    }
    public var parties: [Party: Counts] {
        Dictionary(uniqueKeysWithValues: Party.allCases.enumerated().map { ($1, partyCounts[$0]) })
    }
    /// One segment's or party's totals (zero when nothing was counted there).
    public func counts(_ segment: Segment) -> Counts { segmentCounts[segment.ordinal] }
    public func counts(_ party: Party) -> Counts { partyCounts[party.ordinal] }
    public var findings: [Severity: UInt64] = [:]
    /// Findings by code, for people and for `expect`.
    public var findingCodes: [String: UInt64] = [:]
    /// Findings by party and severity.
    public var partyFindings: [Party: [Severity: UInt64]] = [:]
    /// The most flows open at one time (memory is sized by it, not by the total).
    public var peakActiveFlows: UInt64 = 0
    /// Flows evicted because the flow table was full (`--max-flows`); reported all the
    /// same, with what was seen of them.
    public var evicted: UInt64 = 0
    /// Fragmented datagrams the bounded fragment cache forgot before their last fragment
    /// came (their later fragments count in flows of orphan fragments).
    public var fragmentsForgotten: UInt64 = 0
    /// Flows whose handshake buffers were given up for the per-worker budget on them.
    public var handshakesGivenUp: UInt64 = 0
    /// Transit flows by the nodes they enter and leave at.
    public var transitPaths: [TransitPath: Counts] = [:]
    /// Findings an unexpired `accept` entry covers, by severity: reported, not counted in
    /// `findings`.
    public var accepted: [Severity: UInt64] = [:]
    /// The `accept` entries (by their index in the list) that matched a finding.
    public var usedAcceptances: Set<Int> = []

    /// How each filter rule was used, in file order (empty when the scenario has no
    /// filters), and where each segment's rules start in it, by `Segment.ordinal`: a flow's
    /// rule is found by its segment and position, without a lookup by name.
    public private(set) var rules: [RuleUsage] = []
    /// The rule entries' order in `rules`, by segment ordinal and position.
    private var ruleSlots: [[Int]] = Array(repeating: [], count: Segment.allCases.count)
    /// The scenario has filters (reports then show `rules` and `unused_rules`).
    public private(set) var hasFilters = false

    public init() {}

    /// A summary that also counts how the scenario's filter rules are used.
    public init(filters: [Segment: FilterSet]) {
        var all: [(seg: Segment, pos: Int, rule: Rule)] = []
        for (seg, set) in filters { for (i, r) in set.rules.enumerated() { all.append((seg, i, r)) } }
        // File order: by line; rules without a line keep segment, then list order.
        all.sort { ($0.rule.line, $0.seg.ordinal, $0.pos) < ($1.rule.line, $1.seg.ordinal, $1.pos) }
        hasFilters = !filters.isEmpty
        for (seg, set) in filters { ruleSlots[seg.ordinal] = [Int](repeating: 0, count: set.rules.count) }
        for (n, e) in all.enumerated() {
            ruleSlots[e.seg.ordinal][e.pos] = n
            rules.append(RuleUsage(segment: e.seg, name: e.rule.name, line: e.rule.line, action: e.rule.action,
                                   admitsSeveralServices: Self.admitsSeveralServices(e.rule.ports)))
        }
    }

    /// Several entries, `any`, or a port range of a transport with ports (`icmp`, `esp`
    /// are one service each).
    static func admitsSeveralServices(_ ports: [PortMatch]) -> Bool {
        ports.count > 1 || ports.contains { p in p.proto.map { IPProtocol.hasPorts($0) && p.low != p.high } ?? true }
    }

    /// The rules that matched no flow.
    public var unusedRules: [RuleUsage] { rules.filter { $0.flows == 0 } }

    /// The flow's deciding rule and what is counted of it, or nil where it has none
    /// that this summary counts.
    public func tally(_ r: FlowRecord) -> RuleTally? {
        guard hasFilters, let m = r.rule else { return nil }
        let slots = ruleSlots[m.segment.ordinal]
        guard m.index < slots.count else { return nil }
        return RuleTally(slot: Int32(slots[m.index]), serviceKey: RuleUsage.serviceKey(r), bytes: r.bytes,
                         firstSeen: r.firstSeen, lastSeen: r.lastSeen)
    }

    /// A flow's rule counted (`tally`), in report order: a rule's services are counted
    /// up to a limit, first come first counted.
    public mutating func add(_ t: RuleTally) {
        rules[Int(t.slot)].add(t)
    }

    /// The flow's deciding rule, counted by its segment and position.
    @inline(never)
    private mutating func addRule(_ r: FlowRecord) {
        if let t = tally(r) { add(t) }
    }

    /// A transit flow's path, counted apart from `add`'s other totals (most flows are
    /// not transit).
    @inline(never)
    private mutating func addPath(_ r: FlowRecord) {
        guard let p = r.path else { return }
        transitPaths[p, default: Counts()].flows += 1
        transitPaths[p, default: Counts()].packets += r.packets
        transitPaths[p, default: Counts()].bytes += r.bytes
    }

    public mutating func add(_ r: FlowRecord) {
        addCounts(r)
        if r.rule != nil && hasFilters { addRule(r) }
    }

    /// Everything `add` counts of a flow but its rule: totals that do not depend on the
    /// order flows are counted in, so each worker can count its own and `merge` them.
    public mutating func addCounts(_ r: FlowRecord) {
        total.flows += 1
        total.packets += r.packets
        total.bytes += r.bytes
        let seg = r.segment.ordinal, party = r.responsible.ordinal
        segmentCounts[seg].flows += 1
        segmentCounts[seg].packets += r.packets
        segmentCounts[seg].bytes += r.bytes
        partyCounts[party].flows += 1
        partyCounts[party].packets += r.packets
        partyCounts[party].bytes += r.bytes
        if r.segment == .transit { addPath(r) }
        if r.finish == .evicted { evicted += 1 }
        for f in r.findings {
            if let a = f.accepted {
                usedAcceptances.insert(a.entry)
                if !a.expired {
                    accepted[f.severity, default: 0] += 1
                    continue
                }
            }
            findings[f.severity, default: 0] += 1
            findingCodes[f.code, default: 0] += 1
            partyFindings[f.party, default: [:]][f.severity, default: 0] += 1
        }
    }
}

extension Summary {
    /// Adds what another summary counted with `addCounts` (a worker's share).
    public mutating func mergeCounts(_ o: Summary) {
        func sum(_ a: inout Counts, _ b: Counts) { a.flows += b.flows; a.packets += b.packets; a.bytes += b.bytes }
        sum(&total, o.total)
        for i in segmentCounts.indices { sum(&segmentCounts[i], o.segmentCounts[i]) }
        for i in partyCounts.indices { sum(&partyCounts[i], o.partyCounts[i]) }
        for (p, c) in o.transitPaths { sum(&transitPaths[p, default: Counts()], c) }
        evicted += o.evicted
        for (k, v) in o.findings { findings[k, default: 0] += v }
        for (k, v) in o.findingCodes { findingCodes[k, default: 0] += v }
        for (p, bySeverity) in o.partyFindings {
            for (k, v) in bySeverity { partyFindings[p, default: [:]][k, default: 0] += v }
        }
        for (k, v) in o.accepted { accepted[k, default: 0] += v }
        usedAcceptances.formUnion(o.usedAcceptances)
    }
}

/// What a rule's use counts of one flow (`Summary.tally`), apart from the flow.
public struct RuleTally: Sendable {
    /// The rule's place in `Summary.rules`.
    public var slot: Int32
    public var serviceKey: UInt32
    public var bytes: UInt64
    public var firstSeen: Int64
    public var lastSeen: Int64
}

/// One filter rule's use: the flows it decided, their bytes and times, and their services.
public struct RuleUsage: Sendable {
    public var segment: Segment
    public var name: String
    public var line: Int
    public var action: RuleAction
    /// Its ports admit more than one transport-and-port (several entries, a range, `any`).
    public var admitsSeveralServices: Bool
    public var flows: UInt64 = 0
    public var bytes: UInt64 = 0
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    /// Flows by service (`Self.serviceKey`), at most `serviceLimit` distinct; flows of
    /// further services are counted in `otherServiceFlows`.
    public private(set) var serviceFlows: [UInt32: UInt64] = [:]
    public private(set) var otherServiceFlows: UInt64 = 0
    public static let serviceLimit = 64

    init(segment: Segment, name: String, line: Int, action: RuleAction, admitsSeveralServices: Bool) {
        self.segment = segment; self.name = name; self.line = line; self.action = action
        self.admitsSeveralServices = admitsSeveralServices
    }

    /// Transport and server port in one number: bit 24 set when the flow has a port.
    static func serviceKey(_ r: FlowRecord) -> UInt32 {
        UInt32(r.ipProtocol) << 16 | (r.server.port.map { 1 << 24 | UInt32($0) } ?? 0)
    }

    static func serviceText(_ key: UInt32) -> String {
        let proto = IPProtocol.name(UInt8(truncatingIfNeeded: key >> 16))
        return key & (1 << 24) != 0 ? "\(proto)/\(key & 0xffff)" : proto
    }

    mutating func add(_ t: RuleTally) {
        flows += 1
        bytes += t.bytes
        firstSeen = min(firstSeen ?? t.firstSeen, t.firstSeen)
        lastSeen = max(lastSeen ?? t.lastSeen, t.lastSeen)
        let key = t.serviceKey
        if serviceFlows[key] != nil || serviceFlows.count < Self.serviceLimit {
            serviceFlows[key, default: 0] += 1
        } else {
            otherServiceFlows += 1
        }
    }

    /// Up to `limit` services seen, most flows first; ties by text.
    public func services(limit: Int = 5) -> [String] {
        serviceFlows.map { (text: Self.serviceText($0.key), flows: $0.value) }
            .sorted { ($1.flows, $0.text) < ($0.flows, $1.text) }
            .prefix(limit).map(\.text)
    }

    /// An allow rule that admits several services but whose flows all used one: that one.
    public var narrowingCandidate: String? {
        guard action == .allow, admitsSeveralServices, flows > 0, otherServiceFlows == 0,
              serviceFlows.count == 1, let only = serviceFlows.keys.first else { return nil }
        return Self.serviceText(only)
    }
}

public struct ExpectationResult: Sendable {
    public var expectation: Expectation
    public var passed: Bool
    public var detail: String
}

/// Everything in a report but the flows.
public struct ReportHeader: Sendable {
    public var toolName = "demarc"
    public var toolVersion = DemarcVersion.string
    public var scenarioName: String
    public var scenarioSource: String
    public var inputs: [InputStats] = []
    public var summary = Summary()
    public var expectations: [ExpectationResult] = []
    /// The scenario's `accept` list when it has one (reports then show what was accepted
    /// and which entries nothing used); nil when it has none.
    public var acceptances: [Acceptance]?
    /// Where each node and zone sits (owner, inside the provider's boundary or not), for
    /// the boundary picture.
    public var places = PlaceMap()
    /// `--sensor`: where the traffic was seen, known from `begin` on; nil when not given.
    public var sensor: String? = nil

    /// The entries of the `accept` list that matched no finding.
    public var unusedAcceptances: [Acceptance] {
        (acceptances ?? []).enumerated().filter { !summary.usedAcceptances.contains($0.offset) }.map(\.element)
    }

    public init(scenarioName: String, scenarioSource: String) {
        self.scenarioName = scenarioName; self.scenarioSource = scenarioSource
    }
}

public enum DemarcVersion {
    public static let string = "0.1.0"
}

/// `expect` entries against a summary.
public enum Expectations {
    public static func evaluate(_ list: [Expectation], _ s: Summary) -> [ExpectationResult] {
        list.map { e in
            switch e {
            case .none(let code):
                let n = s.findingCodes[code] ?? 0
                return ExpectationResult(expectation: e, passed: n == 0,
                                         detail: n == 0 ? "no \(code) finding" : "\(n) flows carry \(code)")
            case .max(let sev, let count):
                let n = s.findings.filter { $0.key >= sev }.reduce(0) { $0 + Int($1.value) }
                return ExpectationResult(expectation: e, passed: n <= count,
                                         detail: "\(n) findings at \(sev.rawValue) or above (at most \(count) expected)")
            }
        }
    }
}

extension FlowRecord {
    /// A flow laid out as reports show it: its encryption verdict mapped to the record,
    /// its place and findings from `classifier`, which the verdict stage (DemarcCore's
    /// `Verdict`) supplies. Lays out only; decides nothing.
    /// - Parameter reason: why the tracker finished it (`.endOfInput` for a flow still open).
    @inline(__always)
    package init(flow f: FlowState, details: FlowDetails?, reason: FinishReason = .endOfInput,
                 classifier: Classifier) {
        let k = f.key
        let (cIP, cPort, sIP, sPort) = f.clientIsA ? (k.a, k.portA, k.b, k.portB) : (k.b, k.portB, k.a, k.portA)
        let hasPorts = IPProtocol.hasPorts(k.proto) && !k.orphanFragments
        let d = details?.reported
        let (application, encryption, displayName, isTLS, certificateHidden, certificateUnread)
            = EncryptionReport.parts(f.inspect, d)
        let seen = d?.credentials
        let credentials = seen?.isEmpty ?? true ? nil : seen
        let facts = FlowFacts(client: cIP, server: sIP, clientPort: hasPorts ? cPort : nil, serverPort: hasPorts ? sPort : nil,
                              proto: k.proto, state: f.inspect.state, protocolName: displayName,
                              weak: f.inspect.weak, weakReason: encryption.weak,
                              isTLS: isTLS, tlsVersion: encryption.version,
                              certificateHidden: certificateHidden, certificate: encryption.certificate,
                              credentials: credentials, certificateUnread: certificateUnread, linkGroup: f.linkGroup,
                              keyExchange: encryption.negotiated?.keyExchange,
                              postQuantum: encryption.negotiated?.postQuantum)
        let httpHost = d?.httpHost, httpMethod = d?.httpMethod
        // The classification is dropped once laid out: its values are moved out of it
        // (swapped for empty ones), not copied.
        var c = classifier.classify(consume facts)
        var clientZone = "", serverZone = "", clientNode: String? = nil, serverNode: String? = nil
        var findings: [Finding] = []
        swap(&clientZone, &c.client.zone)
        swap(&clientNode, &c.client.node)
        swap(&serverZone, &c.server.zone)
        swap(&serverNode, &c.server.node)
        swap(&findings, &c.findings)
        self.init(
            id: f.id,
            transport: k.orphanFragments ? "fragment" : IPProtocol.name(k.proto),
            ipVersion: Int(k.ipVersion),
            client: .init(address: cIP, port: hasPorts ? cPort : nil, zone: consume clientZone, node: consume clientNode),
            server: .init(address: sIP, port: hasPorts ? sPort : nil, zone: consume serverZone, node: consume serverNode),
            firstSeen: f.firstSeen, lastSeen: f.lastSeen,
            packetsToServer: f.packetsToServer, packetsToClient: f.packetsToClient,
            bytesToServer: f.bytesToServer, bytesToClient: f.bytesToClient,
            fragmentPackets: f.fragmentPackets, fragmentBytes: f.fragmentBytes,
            application: application,
            encryption: encryption,
            segment: c.segment, path: c.path.take(), responsible: c.responsible, rule: c.rule.take(), findings: consume findings,
            http: httpHost != nil || httpMethod != nil ? (httpHost, httpMethod, d?.httpPath) : nil,
            banner: d?.banner,
            credentials: credentials,
            exportedPackets: d?.exportedPackets ?? 0,
            exportedBytes: d?.exportedBytes ?? 0,
            communityID: CommunityID(flow: f),
            ipProtocol: k.proto,
            tcpFlags: k.proto == IPProtocol.tcp ? Self.tcpFlags(f.tcp) : 0,
            finish: reason)
    }
}

extension FlowRecord {
    /// The TCP flags FlowState.TCPProgress keeps, as tcpControlBits (RFC 7011 IE 6): FIN
    /// 0x01 (either side), SYN 0x02, RST 0x04.
    static func tcpFlags(_ t: FlowState.TCPProgress) -> UInt8 {
        (t.contains(.finA) || t.contains(.finB) ? 0x01 : 0) | (t.contains(.synSeen) ? 0x02 : 0) | (t.contains(.rst) ? 0x04 : 0)
    }
}
