import DemarcBase
import DemarcDecode
import DemarcInspect
/// What classification needs to know of a finished flow.
public struct FlowFacts: Sendable {
    public var client: IPAddress
    public var server: IPAddress
    public var clientPort: UInt16?
    public var serverPort: UInt16?
    public var proto: UInt8
    public var state: EncryptionState
    /// Display name of the protocol that decided the state ("HTTP", "TLS"…), if any.
    public var protocolName: String?
    public var weak: Bool
    public var weakReason: String?
    /// TLS was seen; its version, and whether the server certificate was seen.
    public var isTLS: Bool
    public var tlsVersion: String?
    public var certificateHidden: Bool
    public var certificate: CertificateInfo?
    /// Reusable secrets seen crossing in cleartext (kind and user only); nil for none
    /// (most flows: nothing to copy).
    public var credentials: [Credential]? = nil
    /// TLS whose handshake was given up (over demarc's bounds, or a gap in the capture)
    /// before the server's certificate was read.
    public var certificateUnread = false
    /// The flow's first packet went to a link-layer group address (broadcast or
    /// multicast), where the capture records a link-layer destination.
    public var linkGroup = false
    /// The key exchange the handshake negotiated, and whether it is post-quantum (nil
    /// where none was seen).
    public var keyExchange: String? = nil
    public var postQuantum: Bool? = nil

    /// Not inlined: the facts are made in place where the caller keeps them (inlined,
    /// they were built apart and copied there).
    @inline(never)
    public init(client: IPAddress, server: IPAddress, clientPort: UInt16?, serverPort: UInt16?, proto: UInt8,
                state: EncryptionState, protocolName: String? = nil, weak: Bool = false, weakReason: String? = nil,
                isTLS: Bool = false, tlsVersion: String? = nil, certificateHidden: Bool = false,
                certificate: CertificateInfo? = nil, credentials: [Credential]? = nil, certificateUnread: Bool = false,
                linkGroup: Bool = false, keyExchange: String? = nil, postQuantum: Bool? = nil) {
        self.client = client; self.server = server; self.clientPort = clientPort; self.serverPort = serverPort
        self.proto = proto; self.state = state; self.protocolName = protocolName; self.weak = weak
        self.weakReason = weakReason; self.isTLS = isTLS; self.tlsVersion = tlsVersion
        self.certificateHidden = certificateHidden; self.certificate = certificate
        self.credentials = credentials; self.certificateUnread = certificateUnread; self.linkGroup = linkGroup
        self.keyExchange = keyExchange; self.postQuantum = postQuantum
    }
}

public struct Finding: Sendable, Equatable {
    public var code: String
    public var severity: Severity
    public var party: Party
    public var message: String
    /// The `accept` entry that matched it, if one did.
    public var accepted: AcceptedRisk? = nil

    /// Counted by `--fail-on`, `expect` and `summary.findings`: not accepted, or accepted
    /// past its end date.
    public var counts: Bool { accepted.map { $0.expired } ?? true }

    /// How reports other than json say the finding was accepted.
    public var acceptanceNote: String? {
        accepted.map { a in a.expired ? "acceptance by \(a.owner) expired \(a.until)" : "accepted by \(a.owner) until \(a.until)" }
    }
}

public struct RuleMatch: Sendable, Equatable {
    public var segment: Segment
    public var name: String
    public var action: RuleAction
    /// The rule's own `responsible`, where it sets one.
    public var responsible: Party? = nil
    /// The rule's position in its segment's list (the summary counts rule use by it).
    public var index = 0

    /// The same rule by what reports show (segment, name, action, responsible): a rule
    /// that only moved in its list is the same rule to `diff`.
    public static func == (a: RuleMatch, b: RuleMatch) -> Bool {
        a.segment == b.segment && a.name == b.name && a.action == b.action && a.responsible == b.responsible
    }
}

/// Where a transit flow enters the provider's nodes and where it leaves them (node
/// names; the two may be the same node).
public struct TransitPath: Sendable, Hashable {
    public var enters: String
    public var leaves: String
    public init(enters: String, leaves: String) { self.enters = enters; self.leaves = leaves }
}

/// An endpoint's place in the scenario, as a report names it.
public struct EndpointPlace: Sendable, Equatable {
    /// The node's name for a node's address, else the zone's name.
    public var zone: String
    public var node: String?
    public var owner: Owner
    public var providerOperated: Bool
    public var sensitive: Bool
}

public struct Classification: Sendable {
    public var segment: Segment
    /// A transit flow's path through the provider's nodes; nil on other segments.
    public var path: TransitPath?
    public var responsible: Party
    public var client: EndpointPlace
    public var server: EndpointPlace
    public var rule: RuleMatch?
    public var findings: [Finding]
}

/// Flow facts → segment, responsible party, filter rule and findings, exactly as
/// SCENARIO.md defines them. Holds the scenario's address plan; pure otherwise (a class:
/// shared, never copied, by the record making of every flow).
public final class Classifier: Sendable {
    public let scenario: Scenario
    private let plan: AddressPlan
    /// The scenario's per-segment settings, by `Segment.ordinal`: read for every flow,
    /// so kept in arrays rather than hashed out of dictionaries each time.
    private let partyBySegment: [Party?]
    private let filtersBySegment: [SegmentFilters?]
    private let requiredBySegment: [Bool]
    /// Each `accept` entry's from and to, indexed.
    private let acceptEndpoints: [Endpoints]
    /// Each zone's `via` node index, -1 for none, and -1 once more at the end for
    /// `unknown`: read for every flow between two places that are not provider-operated,
    /// so a fixed buffer indexed without bounds checks (zone indices come from the plan).
    nonisolated(unsafe) private let viaByZone: UnsafeMutableBufferPointer<Int32>
    private let hasAcceptances: Bool

    /// The day (UTC day number) against which `accept` entries expire; nil: the day each
    /// flow is classified on (live monitoring, which may run past midnight).
    public let asOfDay: Int?

    public init(scenario: Scenario, asOfDay: Int? = nil) {
        self.scenario = scenario
        self.asOfDay = asOfDay
        self.plan = AddressPlan(nodes: scenario.nodes, zones: scenario.zones)
        partyBySegment = Segment.allCases.map { scenario.responsibility[$0] ?? Scenario.defaultResponsibility[$0] }
        filtersBySegment = Segment.allCases.map { seg in
            scenario.filters[seg].map(SegmentFilters.init)
        }
        acceptEndpoints = scenario.acceptances.map { Endpoints($0.from, $0.to) }
        requiredBySegment = Segment.allCases.map { (scenario.encryption[$0] ?? .optional) == .required }
        viaByZone = .allocate(capacity: scenario.zones.count + 1)
        _ = viaByZone.initialize(from: scenario.zones.map { Int32($0.via ?? -1) } + [-1])
        hasAcceptances = !scenario.acceptances.isEmpty
    }

    deinit { viaByZone.deallocate() }

    /// A classifier of the same scenario that shares no storage with this one
    /// (`Scenario.unshared`), for one worker's thread.
    public func unshared() -> Classifier { Classifier(scenario: scenario.unshared(), asOfDay: asOfDay) }

    public func place(_ ip: IPAddress) -> (Placement, EndpointPlace) {
        let p = plan.place(ip)
        if let n = p.node {
            let name = scenario.nodes[n].name
            return (p, EndpointPlace(zone: name, node: name, owner: .provider, providerOperated: true, sensitive: false))
        }
        if let z = p.zone {
            let zone = scenario.zones[z]
            return (p, EndpointPlace(zone: zone.name, node: nil, owner: zone.owner,
                                     providerOperated: zone.owner == .provider, sensitive: zone.sensitive))
        }
        return (p, EndpointPlace(zone: "unknown", node: nil, owner: .external, providerOperated: false, sensitive: false))
    }

    public func classify(_ f: FlowFacts) -> Classification {
        // SCENARIO.md's order: link, then internal/egress/ingress, then transit, then
        // external. Link is decided on the addresses alone, before they are placed.
        if f.linkGroup || IPAddress.staysOnLink(f.client, f.server) {
            return classifyLink(f)
        }
        let (cp, client) = place(f.client)
        let (sp, server) = place(f.server)
        var segment: Segment
        var transit: (enters: Int, leaves: Int)?
        switch (client.providerOperated, server.providerOperated) {
        case (true, true): segment = .internal
        case (true, false): segment = .egress
        case (false, true): segment = .ingress
        case (false, false):
            segment = .external
            // Neither end is a node here, so each place is a zone or `unknown`.
            if cp.zone != sp.zone {
                let unknown = viaByZone.count - 1
                let cv = Int(viaByZone.baseAddress![cp.zone ?? unknown]), sv = Int(viaByZone.baseAddress![sp.zone ?? unknown])
                if cv & sv >= 0 {   // either is a node (both -1 has the sign bit)
                    segment = .transit
                    transit = (cv >= 0 ? cv : sv, sv >= 0 ? sv : cv)
                }
            }
        }
        // Filters: first match wins; the default decides the rest.
        var rule: RuleMatch?
        var cleartextAccepted = false
        var unfilteredByDefault = false
        if let sf = filtersBySegment[segment.ordinal] {
            let rules = sf.set.rules
            if let i = sf.index.first(proto: f.proto, port: f.serverPort,
                                      where: { within(sf.endpoints[$0], rules[$0].ports, f, cp, sp, transit) }) {
                rule = RuleMatch(segment: segment, name: rules[i].name, action: rules[i].action,
                                 responsible: rules[i].responsible, index: i)
                cleartextAccepted = rules[i].cleartextAccepted
            } else if sf.set.defaultAction == .deny {
                unfilteredByDefault = true
            }
        }
        // A `let`, not mutated once findings are made: the closures below capture it.
        let party = rule?.responsible ?? partyBySegment[segment.ordinal]!
        let path = transit.map { TransitPath(enters: scenario.nodes[$0.enters].name, leaves: scenario.nodes[$0.leaves].name) }

        var findings: [Finding] = []
        // Messages are built only for findings that are added: most flows carry none.
        func add(_ code: String, _ sev: Severity, _ message: @autoclosure () -> String, party p: Party? = nil) {
            guard !findings.contains(where: { $0.code == code }) else { return }
            findings.append(Finding(code: code, severity: sev, party: p ?? party, message: message()))
        }
        var what: String { f.protocolName ?? IPProtocol.name(f.proto).uppercased() }
        var route: String { describe(segment, client, server, path) }
        var service: String { serviceText(f) }

        if let r = rule, r.action == .deny {
            add("denied-traffic-observed", .critical,
                "\(route) on \(service) matched \(segment.rawValue) rule '\(r.name)' (deny), yet it is in the traffic: the filter is not enforced")
        }
        if unfilteredByDefault {
            switch segment {
            case .ingress:
                add("unfiltered-ingress", .high, "no ingress rule allows \(client.zone) to reach \(server.zone) on \(service): restrict who may reach the node")
            case .egress:
                add("unfiltered-egress", .medium, "no egress rule allows \(client.zone) to reach \(server.zone) on \(service): filter what leaves the node")
            case .transit:
                add("unfiltered-transit", .medium, "no transit rule allows \(client.zone) to reach \(server.zone) through \(path!.enters) → \(path!.leaves) on \(service)")
            case .external:
                add("unfiltered-external", .medium, "no external rule allows \(client.zone) to reach \(server.zone) on \(service)")
            case .internal, .link:
                break
            }
        }

        let sensitiveZone = client.sensitive ? client.zone : (server.sensitive ? server.zone : nil)
        let required = requiredBySegment[segment.ordinal] || sensitiveZone != nil
        let accepted = rule.map { $0.action == .allow && cleartextAccepted } ?? false
        var because: String {
            sensitiveZone.map { "sensitive zone \($0) requires encryption" } ?? "encryption.\(segment.rawValue) is required"
        }
        if required && !accepted {
            switch f.state {
            case .cleartext:
                let sev: Severity = segment == .internal ? .critical : .high
                add(Classifier.unencryptedCodes[segment.ordinal], sev, "\(what) \(route) in cleartext on \(service); \(because)")
            case .unknown:
                add("unverified-encryption", .low, "\(route) on \(service): \(because), but the payload did not show whether it is encrypted")
            case .encrypted:
                break
            }
        }
        if f.state == .encrypted, f.postQuantum == false, let why = postQuantumRequirement(segment, cp, sp) {
            add("quantum-vulnerable-key-exchange", .low,
                "\(what) \(route) on \(service) negotiated \(f.keyExchange ?? "a classical key exchange"), which a quantum computer can break; \(why)")
        }
        if f.weak {
            add("weak-encryption", .medium, "\(route) on \(service) uses \(f.weakReason ?? "weak encryption"): require TLS 1.2 or later with a strong cipher suite")
        }
        if let ca = scenario.customerCA, segment == .internal, client.node != nil, server.node != nil, f.isTLS {
            if let cert = f.certificate {
                if !certificateMatches(cert, ca) {
                    add("customer-ca-not-used", .medium,
                        "data plane \(client.zone) → \(server.zone) presents a certificate issued by '\(cert.issuer)', not the customer's CA",
                        party: .shared)
                }
            } else if f.certificateHidden {
                add("certificate-not-visible", .info,
                    "data plane \(client.zone) → \(server.zone) uses \(f.tlsVersion ?? "TLS 1.3"), which encrypts the certificate: the customer CA cannot be verified from traffic")
            } else {
                // Never silent: a certificate that was not seen is said so, with why.
                let why = f.certificateUnread
                    ? "its handshake was not read to the end (too long for demarc's bounds, or a gap in the capture)"
                    : "no certificate was captured (the handshake was not captured, or the session was resumed)"
                add("certificate-not-visible", .info,
                    "data plane \(client.zone) → \(server.zone) uses TLS, but \(why): the customer CA cannot be verified from traffic")
            }
        }
        if let credentials = f.credentials {
            add("cleartext-credentials", .critical, credentialText(credentials, route, service))
        }
        if hasAcceptances && !findings.isEmpty { accept(&findings, f, cp, sp, transit) }
        return Classification(segment: segment, path: path, responsible: party, client: client, server: server,
                              rule: rule, findings: findings)
    }

    /// A `link` flow: its party, and no finding but `cleartext-credentials` (neither
    /// `encryption` nor `filters` judge it). The party is `responsibility.link`'s, else
    /// that of the owner of the place of the end that is not a group or unspecified
    /// address (`serverEnd`: only the client's is), the client's where both or neither are.
    @inline(never)
    private func classifyLink(_ f: FlowFacts) -> Classification {
        let (cp, client) = place(f.client)
        let (sp, server) = place(f.server)
        let serverEnd = f.client.isGroupOrUnspecified && !f.server.isGroupOrUnspecified
        let party = partyBySegment[Segment.link.ordinal]
            ?? ((serverEnd ? server : client).providerOperated ? .provider : .customer)
        var findings: [Finding] = []
        if let credentials = f.credentials {
            findings.append(Finding(code: "cleartext-credentials", severity: .critical, party: party,
                                    message: credentialText(credentials, describe(.link, client, server, nil), serviceText(f))))
            if hasAcceptances { accept(&findings, f, cp, sp, nil) }
        }
        return Classification(segment: .link, path: nil, responsible: party, client: client, server: server,
                              rule: nil, findings: findings)
    }

    private func credentialText(_ credentials: [Credential], _ route: String, _ service: String) -> String {
        let what = credentials.map { cr in cr.kind.rawValue + (cr.user.map { " (user \($0))" } ?? "") }.joined(separator: ", ")
        return "\(route) on \(service) carries reusable credentials in cleartext: \(what); anyone on the path can replay them"
    }

    /// Marks each finding the first matching `accept` entry covers.
    private func accept(_ findings: inout [Finding], _ f: FlowFacts, _ cp: Placement, _ sp: Placement,
                        _ transit: (enters: Int, leaves: Int)?) {
        let day = asOfDay ?? CalendarDay.today()
        for i in findings.indices {
            guard let j = scenario.acceptances.indices.first(where: {
                scenario.acceptances[$0].finding == findings[i].code
                    && within(acceptEndpoints[$0], scenario.acceptances[$0].ports, f, cp, sp, transit)
            }) else { continue }
            let a = scenario.acceptances[j]
            findings[i].accepted = AcceptedRisk(owner: a.owner, reason: a.reason, until: a.until,
                                                expired: day > a.untilDay, entry: j)
        }
    }

    /// The indices, in order, of `segment`'s rules whose `to` (`server`) or `from` holds
    /// the address, placed as a flow's end is, with `pathNode` the node a transit flow
    /// enters (from) or leaves (to) at; nil where the segment has no filters. The
    /// simulator tries a pair of places only against these, by `classify`'s own test.
    package func rules(_ segment: Segment, server: Bool, holding ip: IPAddress, pathNode: Int?) -> [Int]? {
        guard let sf = filtersBySegment[segment.ordinal] else { return nil }
        let p = plan.place(ip)
        return sf.set.rules.indices.filter {
            (server ? sf.endpoints[$0].to : sf.endpoints[$0].from).contains(ip, p, pathNode: pathNode)
        }
    }

    package static let unencryptedCodes = Segment.allCases.map { "unencrypted-\($0.rawValue)" }

    private func certificateMatches(_ cert: CertificateInfo, _ ca: CustomerCA) -> Bool {
        if let issuer = ca.issuer, !issuer.isEmpty, cert.issuer.contains(issuer) { return true }
        let fp = cert.sha256.lowercased().filter { $0 != ":" }
        return ca.sha256.contains { $0.lowercased().filter { $0 != ":" } == fp }
    }

    /// A segment's filters: its set, the set's index and each rule's endpoints. A class,
    /// so a flow's classification reads them without copying them.
    private final class SegmentFilters: Sendable {
        let set: FilterSet
        let index: RuleIndex
        let endpoints: [Endpoints]
        init(_ set: FilterSet) {
            self.set = set
            index = RuleIndex(set.rules)
            endpoints = set.rules.map { Endpoints($0.from, $0.to) }
        }
    }

    /// A rule's or an `accept` entry's `from` and `to`, indexed.
    struct Endpoints: Sendable {
        var from: AddressSet
        var to: AddressSet
        init(_ from: [AddressMatch], _ to: [AddressMatch]) { self.from = AddressSet(from); self.to = AddressSet(to) }
    }

    /// The flow, client → server, is within these from/to/ports (a rule's or an `accept`
    /// entry's). On a transit flow a node in `from` also matches the node it enters at,
    /// and in `to` the node it leaves at.
    private func within(_ sets: Endpoints, _ ports: [PortMatch], _ f: FlowFacts,
                        _ cp: Placement, _ sp: Placement, _ transit: (enters: Int, leaves: Int)?) -> Bool {
        guard sets.from.contains(f.client, cp, pathNode: transit?.enters),
              sets.to.contains(f.server, sp, pathNode: transit?.leaves) else { return false }
        return ports.contains { pm in
            if let proto = pm.proto, proto != f.proto { return false }
            guard pm.low != 0 || pm.high != 65535 else { return true }
            guard let port = f.serverPort else { return false }
            return port >= pm.low && port <= pm.high
        }
    }

    private func describe(_ segment: Segment, _ c: EndpointPlace, _ s: EndpointPlace, _ path: TransitPath?) -> String {
        let cn = c.node.map { "node \($0)" } ?? c.zone
        let sn = s.node.map { "node \($0)" } ?? s.zone
        switch segment {
        case .internal: return "runs from \(cn) to \(sn) inside the provider's boundary"
        case .egress: return "leaves \(cn) to \(sn)"
        case .ingress: return "enters \(sn) from \(cn)"
        case .transit:
            let through = path.map { $0.enters == $0.leaves ? "node \($0.enters)" : "nodes \($0.enters) → \($0.leaves)" } ?? ""
            return "runs from \(cn) to \(sn) through \(through)"
        case .external: return "runs from \(cn) to \(sn)"
        case .link: return "stays on the link from \(cn) to \(sn)"
        }
    }

    private func serviceText(_ f: FlowFacts) -> String {
        let t = IPProtocol.name(f.proto)
        if let p = f.serverPort { return "\(t)/\(p)" }
        return t
    }
}

/// A segment's rules arranged so a flow is tried only against those that could match
/// its transport and server port, still in the scenario's order (first match wins):
/// rules naming single ports are found by port; the rest (any port, ranges, transports
/// alone) are tried for every flow.
struct RuleIndex: Sendable {
    private var general: [Int] = []
    private var byPort: [UInt32: [Int]] = [:]

    init(_ rules: [Rule]) {
        for (i, r) in rules.enumerated() {
            let single = r.ports.allSatisfy { $0.proto != nil && $0.low == $0.high }
            if single && !r.ports.isEmpty {
                for pm in r.ports {
                    let key = UInt32(pm.proto!) << 16 | UInt32(pm.low)
                    if byPort[key]?.last != i { byPort[key, default: []].append(i) }
                }
            } else {
                general.append(i)
            }
        }
    }

    /// The first rule, in scenario order, among those that could match, that `test` accepts.
    func first(proto: UInt8, port: UInt16?, where test: (Int) -> Bool) -> Int? {
        let specific = port.flatMap { byPort[UInt32(proto) << 16 | UInt32($0)] } ?? []
        var g = 0, s = 0
        while g < general.count || s < specific.count {
            let i: Int
            if s >= specific.count || (g < general.count && general[g] < specific[s]) {
                i = general[g]; g += 1
            } else {
                i = specific[s]; s += 1
            }
            if test(i) { return i }
        }
        return nil
    }
}

extension IPAddress {
    /// Multicast (224.0.0.0/4, ff00::/8), the limited broadcast 255.255.255.255, or
    /// unspecified (0.0.0.0, ::): an end that makes a flow `link` (SCENARIO.md).
    @inline(__always) public var isGroupOrUnspecified: Bool {
        if isV4 {
            let a = v4
            return a >> 28 == 0xe || a == 0xffff_ffff || a == 0
        }
        return hi >> 56 == 0xff || (hi == 0 && lo == 0)
    }

    /// Link-local: 169.254.0.0/16, fe80::/10.
    @inline(__always) public var isLinkLocal: Bool {
        isV4 ? v4 >> 16 == 0xa9fe : hi >> 54 == 0x3fa
    }

    /// SCENARIO.md's address tests for `link`: either end group or unspecified, or both
    /// link-local. Read for every flow, so two IPv4 ends that are neither 0.0.0.0 nor at
    /// or above 224.0.0.0 (most flows) cost one comparison each before the link-local test.
    @inline(__always) static func staysOnLink(_ c: IPAddress, _ s: IPAddress) -> Bool {
        if c.isV4 && s.isV4 {
            let a = c.v4, b = s.v4
            let bothLinkLocal = a >> 16 == 0xa9fe && b >> 16 == 0xa9fe
            // 0.0.0.1 through 223.255.255.255, less one, are below 0xdfffffff; 0.0.0.0 wraps.
            if a &- 1 < 0xdfff_ffff && b &- 1 < 0xdfff_ffff { return bothLinkLocal }
            return c.isGroupOrUnspecified || s.isGroupOrUnspecified || bothLinkLocal
        }
        return c.isGroupOrUnspecified || s.isGroupOrUnspecified || (c.isLinkLocal && s.isLinkLocal)
    }
}
