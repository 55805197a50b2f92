import DemarcBase
import DemarcDecode
import DemarcInspect

/// A rule as the simulator names it: its segment, name and line in the scenario file
/// (`default` with the line of the `default` key for a segment's default).
public struct RuleRef: Sendable, Hashable {
    public var segment: Segment
    public var name: String
    public var line: Int
}

/// A place of the simulation: a node, a zone (`unknown` among them), or a part of one
/// that a rule names apart (an address or CIDR inside it).
public struct SimulationPlace: Sendable {
    public enum Kind: String, Sendable { case node, zone, part }
    public var name: String
    public var kind: Kind
    public var owner: Owner
    public var cidrs: [String]
    /// The node or zone a part lies in.
    public var within: String?
    /// An address of the place in each family it holds: every address of the place is
    /// judged alike by every rule, so one stands for all.
    public var v4: IPAddress?
    public var v6: IPAddress?
    package var node: Int?
    package var zone: Int?
}

/// What the filters decide for one transport and port range of a pair.
public struct SimulatedService: Sendable, Hashable {
    public var transport: String
    /// `443`, `1-442`; nil for transports without ports.
    public var ports: String?
    /// `allow`, `deny`, or `unfiltered` (the segment has no filters).
    public var decision: String
    /// The deciding rule; nil where the default decides or nothing filters.
    public var rule: RuleRef?
    /// The deciding rule's own `responsible`, where it sets one.
    public var responsible: Party?
    public var cleartextAccepted: Bool
}

/// What holds for every ordered pair of places of a group.
public struct PairOutcome: Sendable, Hashable {
    public var segment: Segment
    public var responsible: Party
    public var path: TransitPath?
    public var encryptionRequired: Bool
    public var services: [SimulatedService]
    /// Equal for equal `services` (interned): outcomes compare and hash by it, not by
    /// the list, since every pair of classes is grouped by its outcome.
    package var servicesID = 0

    public static func == (l: PairOutcome, r: PairOutcome) -> Bool {
        l.servicesID == r.servicesID && l.segment == r.segment && l.responsible == r.responsible
            && l.path == r.path && l.encryptionRequired == r.encryptionRequired
    }

    public func hash(into h: inout Hasher) {
        h.combine(servicesID); h.combine(segment); h.combine(responsible); h.combine(path); h.combine(encryptionRequired)
    }
}

/// Which ordered pairs of `from` × `to` a group holds: all of them, only those whose two
/// places lie in different zones, or only those in one zone (a zone with `via` and its
/// parts are transit to other places but not among themselves).
public enum ZonePairs: String, Sendable, Hashable {
    case all, different, same
}

public struct SimulatedPair: Sendable {
    /// Place indices.
    public var from: [Int]
    public var to: [Int]
    public var zonePairs: ZonePairs
    public var outcome: PairOutcome
}

/// A finding on the scenario itself (SCENARIO.md, "What a scenario allows").
public struct ScenarioFinding: Sendable {
    public var code: String
    public var severity: Severity
    public var party: Party
    public var message: String
    public var segment: Segment?
    public var rule: RuleRef?
    public var place: String?
}

/// The scenario judged with no traffic: its places, what every ordered pair of them may
/// do, and what is wrong in it. Every decision comes from `Classifier.classify` on an
/// address standing for each place and a port standing for each range, where the places
/// and ranges are cut by every CIDR and port range the scenario names: exact, and equal
/// to what a replay decides for any flow between them.
public struct Simulation: Sendable {
    public var scenario: Scenario
    public var places: [SimulationPlace]
    public var pairs: [SimulatedPair]
    public var findings: [ScenarioFinding]
    /// The cut points of the address space, and the place of the piece each begins
    /// (-1: group and unspecified addresses, which are `link` whatever the scenario).
    var points: [IPAddress] = []
    var placeOfPiece: [Int32] = []

    /// The place holding the address; nil for group and unspecified addresses.
    public func place(of ip: IPAddress) -> Int? {
        var lo = 0, hi = points.count
        while lo < hi { let mid = (lo + hi) / 2; if points[mid] <= ip { lo = mid + 1 } else { hi = mid } }
        guard lo > 0 else { return nil }
        let p = placeOfPiece[lo - 1]
        return p < 0 ? nil : Int(p)
    }

    /// The group holding the ordered pair of places.
    public func pair(from a: Int, to b: Int) -> SimulatedPair? {
        let za = places[a].node == nil ? places[a].zone.flatMap { scenario.zones[$0].via != nil ? $0 : nil } : nil
        let zb = places[b].node == nil ? places[b].zone.flatMap { scenario.zones[$0].via != nil ? $0 : nil } : nil
        let same = za != nil && za == zb
        return pairs.first { p in
            (p.zonePairs == .all || (p.zonePairs == .same) == same) && p.from.contains(a) && p.to.contains(b)
        }
    }

    public static func run(_ scenario: Scenario) -> Simulation {
        var sim = Simulator(scenario)
        return sim.simulate()
    }

    /// The worst finding's severity at or above `failOn`.
    public func fails(at failOn: Severity) -> Bool { findings.contains { $0.severity >= failOn } }
}

/// One flow answered from the scenario alone (`simulate --flow`).
public struct FlowVerdict: Sendable {
    public var client: IPAddress
    public var server: IPAddress
    public var service: String
    public var segment: Segment
    public var responsible: Party
    public var path: TransitPath?
    public var rule: RuleMatch?
    /// The segment's default where no rule matched and the segment is filtered.
    public var defaultAction: RuleAction?
    public var encryptionRequired: Bool
    /// The flow's findings were it cleartext, encrypted, unknown.
    public var cleartext: [Finding]
    public var encrypted: [Finding]
    public var unknown: [Finding]

    /// FROM and TO are addresses, or node and zone names (a name stands for its addresses
    /// that no rule names apart); SERVICE is `tcp/443`, or `icmp`, `icmpv6`, `esp` alone.
    public static func verify(_ scenario: Scenario, from: String, to: String, service: String,
                              asOfDay: Int? = nil) throws -> FlowVerdict {
        guard let (proto, port) = parseService(service) else {
            throw DemarcError.badInput("invalid service '\(service)': use PROTO/PORT (tcp/443, udp/53) or icmp, icmpv6, esp")
        }
        let sim = Simulator(scenario, asOfDay: asOfDay)
        let fromAddr = IPAddress(from), toAddr = IPAddress(to)
        func resolve(_ text: String, _ addr: IPAddress?, wantV4: Bool?) throws -> IPAddress {
            if let addr { return addr }
            guard let p = sim.places.first(where: { $0.name == text && $0.kind != .part }) else {
                throw DemarcError.badInput("'\(text)' is neither an address nor a node or zone of scenario \(scenario.name)")
            }
            let pick = wantV4.map { $0 ? p.v4 : p.v6 } ?? (p.v4 ?? p.v6)
            guard let a = pick else {
                throw DemarcError.badInput("'\(text)' holds no IPv\(wantV4 == true ? 4 : 6) address that no rule names apart")
            }
            return a
        }
        var client: IPAddress, server: IPAddress
        if let fromAddr {
            client = fromAddr
            server = try resolve(to, toAddr, wantV4: client.isV4)
        } else if let toAddr {
            server = toAddr
            client = try resolve(from, nil, wantV4: server.isV4)
        } else {
            client = try resolve(from, nil, wantV4: nil)
            server = try resolve(to, nil, wantV4: client.isV4)
            if client.isV4 != server.isV4 { client = try resolve(from, nil, wantV4: server.isV4) }
        }
        guard client.isV4 == server.isV4 else {
            throw DemarcError.badInput("\(client) and \(server) are of different address families")
        }
        func facts(_ state: EncryptionState) -> FlowFacts {
            FlowFacts(client: client, server: server, clientPort: port == nil ? nil : 49152, serverPort: port,
                      proto: proto, state: state)
        }
        let c = sim.classifier.classify(facts(.cleartext))
        let e = sim.classifier.classify(facts(.encrypted))
        let u = sim.classifier.classify(facts(.unknown))
        let filtered = c.segment != .link ? scenario.filters[c.segment] : nil
        return FlowVerdict(client: client, server: server, service: service.lowercased(), segment: c.segment,
                           responsible: c.responsible, path: c.path, rule: c.rule,
                           defaultAction: c.rule == nil ? filtered?.defaultAction : nil,
                           encryptionRequired: sim.encryptionRequired(c),
                           cleartext: c.findings, encrypted: e.findings, unknown: u.findings)
    }

    /// `tcp/443` → (6, 443); `icmp` → (1, nil).
    package static func parseService(_ text: String) -> (UInt8, UInt16?)? {
        let t = text.lowercased()
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        guard let proto = Simulator.transports[String(parts[0])] else { return nil }
        let hasPorts = Simulator.portTransports.contains(proto)
        if parts.count == 1 { return hasPorts ? nil : (proto, nil) }
        guard parts.count == 2, hasPorts, let port = UInt16(parts[1]) else { return nil }
        return (proto, port)
    }
}

/// The simulation's working state.
struct Simulator {
    static let transports: [String: UInt8] = ["tcp": IPProtocol.tcp, "udp": IPProtocol.udp, "sctp": IPProtocol.sctp,
                                              "icmp": IPProtocol.icmp, "icmpv6": IPProtocol.icmpv6, "esp": IPProtocol.esp,
                                              "gre": IPProtocol.gre, "ah": IPProtocol.ah]
    static let portTransports: Set<UInt8> = [IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp]

    let scenario: Scenario
    let classifier: Classifier
    private(set) var places: [SimulationPlace] = []
    /// Per place: whether the addresses are link-local, and the class it falls in.
    private var classOf: [Int] = []
    private var classes: [[Int]] = []
    /// Per place, the zone whose `via` makes a same-zone pair differ from others (-1: none);
    /// per class, those zones of its places, ascending.
    private var placeVia: [Int] = []
    private var classVias: [[Int]] = []
    private let nodeIndex: [String: Int]
    private var points: [IPAddress] = []
    private var placeOfPiece: [Int32] = []
    private var servicesCache: [ServicesKey: (services: [SimulatedService], cleartextDeciders: [Int], id: Int)] = [:]
    private var servicesIDs: [[SimulatedService]: Int] = [:]
    private var candidateCache: [CandidateKey: [Int]?] = [:]
    /// (segment, name) → rule index.
    private var ruleIndex: [Segment: [String: Int]] = [:]

    init(_ scenario: Scenario, asOfDay: Int? = nil) {
        self.scenario = scenario
        classifier = Classifier(scenario: scenario, asOfDay: asOfDay ?? 0)
        nodeIndex = Dictionary(scenario.nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (seg, set) in scenario.filters {
            ruleIndex[seg] = Dictionary(set.rules.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
        buildPlaces()
    }

    func encryptionRequired(_ c: Classification) -> Bool {
        c.segment != .link && ((scenario.encryption[c.segment] ?? .optional) == .required || c.client.sensitive || c.server.sensitive)
    }

    // MARK: places

    private struct PlaceKey: Hashable {
        var node: Int
        var zone: Int
        var signature: [Int32]
        var linkLocal: Bool
    }

    /// Cuts the address space at every CIDR the scenario names (zones, node addresses,
    /// rule addresses) and at the ranges that make a flow `link`; each piece is judged
    /// alike throughout. Pieces in one node or zone that the same rule CIDRs hold form
    /// one place.
    private mutating func buildPlaces() {
        var ruleCIDRs: [CIDR] = []
        var seen = Set<CIDR>()
        for seg in Segment.allCases {
            for r in scenario.filters[seg]?.rules ?? [] {
                for m in r.from + r.to { if case .prefix(let c) = m, seen.insert(c).inserted { ruleCIDRs.append(c) } }
            }
        }
        var cuts: [(IPAddress, IPAddress)] = []
        for z in scenario.zones { for c in z.cidrs { cuts.append((c.address, c.last)) } }
        for n in scenario.nodes { for a in n.addresses { cuts.append((a, a)) } }
        for c in ruleCIDRs { cuts.append((c.address, c.last)) }
        for t in ["224.0.0.0/4", "255.255.255.255/32", "0.0.0.0/32", "169.254.0.0/16", "ff00::/8", "::/128", "fe80::/10"] {
            let c = CIDR(t)!
            cuts.append((c.address, c.last))
        }
        // The IPv4-mapped block holds IPv4; it is cut apart from the rest of IPv6.
        cuts.append((IPAddress(hi: 0, lo: 0xffff_0000_0000), IPAddress(hi: 0, lo: 0xffff_ffff_ffff)))
        let top = IPAddress(hi: .max, lo: .max)
        var pointSet = Set<IPAddress>([IPAddress(hi: 0, lo: 0)])
        for (low, high) in cuts {
            pointSet.insert(low)
            if high != top { pointSet.insert(high.successor) }
        }
        points = pointSet.sorted()
        placeOfPiece = Array(repeating: -1, count: points.count)
        let points = self.points
        func atomIndex(_ a: IPAddress) -> Int {
            var lo = 0, hi = points.count
            while lo < hi { let mid = (lo + hi) / 2; if points[mid] < a { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        var signature = Array(repeating: [Int32](), count: points.count)
        for (k, c) in ruleCIDRs.enumerated() {
            let s = atomIndex(c.address)
            let e = c.last == top ? points.count : atomIndex(c.last.successor)
            for i in s..<e { signature[i].append(Int32(k)) }
        }
        var byKey: [PlaceKey: Int] = [:]
        var keys: [PlaceKey] = []
        for (i, start) in points.enumerated() where !start.isGroupOrUnspecified {
            // The address after the piece's first (not a network address) where the piece
            // holds more than two.
            let next = start.successor
            let rep = i + 1 < points.count && next.successor < points[i + 1] ? next : start
            let p = classifier.place(rep).0
            let key = PlaceKey(node: p.node ?? -1, zone: p.zone ?? -1, signature: signature[i], linkLocal: rep.isLinkLocal)
            let idx: Int
            if let j = byKey[key] { idx = j } else {
                idx = places.count
                byKey[key] = idx
                keys.append(key)
                places.append(SimulationPlace(name: "", kind: .zone, owner: .external, cidrs: [], within: nil,
                                              v4: nil, v6: nil, node: p.node, zone: p.zone))
            }
            placeOfPiece[i] = Int32(idx)
            if rep.isV4 { if places[idx].v4 == nil { places[idx].v4 = rep } } else if places[idx].v6 == nil { places[idx].v6 = rep }
        }
        // Names: a node or zone's place without any CIDR of its own is the node or zone;
        // the others are parts named by the longest rule CIDR inside it that holds them.
        var mainOf: [Int: Int] = [:]   // owner id (node n → n, zone z → -2-z, unknown → -1 - big) → place
        func ownerID(_ k: PlaceKey) -> Int { k.node >= 0 ? k.node : (k.zone >= 0 ? -2 - k.zone : Int.min) }
        for (i, k) in keys.enumerated() {
            let id = ownerID(k)
            if let m = mainOf[id] {
                let mk = keys[m]
                if (mk.linkLocal && !k.linkLocal) || (mk.linkLocal == k.linkLocal && k.signature.count < mk.signature.count) { mainOf[id] = i }
            } else {
                mainOf[id] = i
            }
        }
        var used = Set<String>()
        for (i, k) in keys.enumerated() {
            let rep = places[i].v4 ?? places[i].v6!
            let isMain = mainOf[ownerID(k)] == i
            var whole: String, owner: Owner, cidrs: [String], zonePrefix = -1
            if k.node >= 0 {
                let n = scenario.nodes[k.node]
                whole = n.name; owner = .provider; cidrs = n.addresses.map { "\($0)" }
            } else if k.zone >= 0 {
                let z = scenario.zones[k.zone]
                whole = z.name; owner = z.owner; cidrs = z.cidrs.map { "\($0)" }
                zonePrefix = z.cidrs.filter { $0.contains(rep) }.map(\.length).max() ?? -1
            } else {
                whole = "unknown"; owner = .external; cidrs = []
            }
            places[i].owner = owner
            if isMain {
                places[i].name = whole
                places[i].kind = k.node >= 0 ? .node : .zone
                places[i].cidrs = cidrs
            } else {
                let inner = k.signature.map { ruleCIDRs[Int($0)] }.filter { $0.isV4 == rep.isV4 && $0.length > zonePrefix }
                let longestInner: CIDR? = inner.max(by: { $0.length < $1.length })
                let zoneCIDR: CIDR? = k.zone >= 0 ? scenario.zones[k.zone].cidrs.filter { $0.contains(rep) }.max(by: { $0.length < $1.length }) : nil
                let linkLocal: String? = k.linkLocal ? (rep.isV4 ? "169.254.0.0/16" : "fe80::/10") : nil
                var name: String = rep.description
                if k.node >= 0 { name = rep.description } else if let c = longestInner { name = c.description } else if let l = linkLocal { name = l } else if let c = zoneCIDR { name = c.description }
                if used.contains(name) || name == whole {
                    var n = 2
                    while used.contains("\(name) (\(n))") { n += 1 }
                    name = "\(name) (\(n))"
                }
                places[i].name = name
                places[i].kind = .part
                places[i].within = whole
                places[i].cidrs = [name.split(separator: " ").first.map(String.init) ?? name]
            }
            used.insert(places[i].name)
        }
        // Mains first (nodes, zones in scenario order, unknown), then parts.
        let order = places.indices.sorted { a, b in
            let ka = keys[a], kb = keys[b]
            let ra = places[a].kind == .part ? 1 : 0, rb = places[b].kind == .part ? 1 : 0
            if ra != rb { return ra < rb }
            let oa = ka.node >= 0 ? ka.node : (ka.zone >= 0 ? 1_000_000 + ka.zone : 2_000_000)
            let ob = kb.node >= 0 ? kb.node : (kb.zone >= 0 ? 1_000_000 + kb.zone : 2_000_000)
            if oa != ob { return oa < ob }
            return a < b
        }
        places = order.map { places[$0] }
        var newIndex = Array(repeating: Int32(-1), count: order.count)
        for (n, old) in order.enumerated() { newIndex[old] = Int32(n) }
        for i in placeOfPiece.indices where placeOfPiece[i] >= 0 { placeOfPiece[i] = newIndex[Int(placeOfPiece[i])] }
        let sortedKeys = order.map { keys[$0] }
        // Classes: places every rule and every segment test judge alike, apart from
        // whether two places share a zone (handled per pair).
        var namedZones = Set<Int>()
        for seg in Segment.allCases {
            for r in scenario.filters[seg]?.rules ?? [] {
                for m in r.from + r.to { if case .zone(let z) = m { namedZones.insert(z) } }
            }
        }
        struct ClassKey: Hashable {
            var node: Int, zone: Int, owner: Owner, sensitive: Bool, via: Int, signature: [Int32]
            var linkLocal: Bool, unknown: Bool, v4: Bool, v6: Bool
        }
        var classByKey: [ClassKey: Int] = [:]
        classOf = []
        for (i, k) in sortedKeys.enumerated() {
            let z = k.zone >= 0 ? scenario.zones[k.zone] : nil
            let key = ClassKey(node: k.node, zone: namedZones.contains(k.zone) ? k.zone : -1, owner: places[i].owner,
                               sensitive: z?.sensitive ?? false, via: z?.via ?? -1, signature: k.signature,
                               linkLocal: k.linkLocal, unknown: k.node < 0 && k.zone < 0,
                               v4: places[i].v4 != nil, v6: places[i].v6 != nil)
            if let c = classByKey[key] { classes[c].append(i); classOf.append(c) } else {
                classByKey[key] = classes.count
                classOf.append(classes.count)
                classes.append([i])
            }
        }
        placeVia = places.map { p in
            guard let z = p.zone, scenario.zones[z].via != nil, p.node == nil else { return -1 }
            return z
        }
        classVias = classes.map { c in Array(Set(c.map { placeVia[$0] }.filter { $0 >= 0 })).sorted() }
    }

    // MARK: pairs


    private struct Tally {
        /// Per segment, the rule indices that decide some service of some pair.
        var decided: [Segment: Set<Int>] = [:]
        /// Per segment and rule, the earlier rules that decide what it would match.
        var coveredBy: [Segment: [Int: Set<Int>]] = [:]
        var unenforced: [Segment: Set<Int>] = [:]
        var segments = Set<Segment>()
        /// (gateway place, admitting rule or default or nil) → sources.
        var gatewayOpen: [String: (rule: RuleRef?, segmentFiltered: Bool, place: String, sources: [String])] = [:]
        var gatewayOrder: [String] = []
    }

    mutating func simulate() -> Simulation {
        var tally = Tally()
        var pairs: [SimulatedPair] = []
        for a in classes.indices {
            // (outcome, zonePairs) → the classes it holds for, in order.
            var byOutcome: [PairGroupKey: [Int]] = [:]
            var order: [PairGroupKey] = []
            for b in classes.indices {
                guard let shared = sharedVia(a, b) else {
                    // No zone of both classes has a `via`: one pair stands for all.
                    tryPair(a, b, .all, classes[a][0], classes[b][0], &tally, &byOutcome, &order)
                    continue
                }
                // A pair in different zones, if there is one, and one in the same zone.
                outer: for p in classes[a] {
                    for q in classes[b] where placeVia[p] < 0 || placeVia[p] != placeVia[q] {
                        tryPair(a, b, .different, p, q, &tally, &byOutcome, &order)
                        break outer
                    }
                }
                tryPair(a, b, .same, classes[a].first { placeVia[$0] == shared }!, classes[b].first { placeVia[$0] == shared }!,
                        &tally, &byOutcome, &order)
            }
            for key in order {
                pairs.append(SimulatedPair(from: classes[a], to: byOutcome[key]!.flatMap { classes[$0] },
                                           zonePairs: key.zonePairs, outcome: key.outcome))
            }
        }
        // Merge groups with the same outcome and destinations.
        var merged: [SimulatedPair] = []
        var at: [MergeKey: Int] = [:]
        for p in pairs {
            let k = MergeKey(outcome: p.outcome, zonePairs: p.zonePairs, to: p.to)
            if let i = at[k] { merged[i].from += p.from } else { at[k] = merged.count; merged.append(p) }
        }
        return Simulation(scenario: scenario, places: places, pairs: merged, findings: findings(tally),
                          points: points, placeOfPiece: placeOfPiece)
    }

    private struct PairGroupKey: Hashable { var outcome: PairOutcome; var zonePairs: ZonePairs }
    private struct MergeKey: Hashable { var outcome: PairOutcome; var zonePairs: ZonePairs; var to: [Int] }

    /// For two classes, whether zones make a difference: the first zone with a `via` that
    /// places of both lie in (then one pair stands for the pairs in different zones and
    /// one for those in the same zone), or nil (one pair stands for all).
    private func sharedVia(_ a: Int, _ b: Int) -> Int? {
        let va = classVias[a], vb = classVias[b]
        var i = 0, j = 0
        while i < va.count && j < vb.count {
            if va[i] == vb[j] { return va[i] } else if va[i] < vb[j] { i += 1 } else { j += 1 }
        }
        return nil
    }

    /// Evaluates one pair standing for classes `a` and `b`, and groups `b` by its outcome.
    private mutating func tryPair(_ a: Int, _ b: Int, _ zp: ZonePairs, _ client: Int, _ server: Int, _ tally: inout Tally,
                                  _ byOutcome: inout [PairGroupKey: [Int]], _ order: inout [PairGroupKey]) {
        let o = evaluate(client, server, &tally)
        if o.segment == .ingress { noteGateway(classes[a], classes[b], o, &tally) }
        let key = PairGroupKey(outcome: o, zonePairs: zp)
        if byOutcome[key] == nil { order.append(key) }
        byOutcome[key, default: []].append(b)
    }

    private mutating func evaluate(_ cp: Int, _ sp: Int, _ tally: inout Tally) -> PairOutcome {
        var families: [(IPAddress, IPAddress, Bool)] = []
        if let c = places[cp].v4, let s = places[sp].v4 { families.append((c, s, true)) }
        if let c = places[cp].v6, let s = places[sp].v6 { families.append((c, s, false)) }
        guard let first = families.first else {
            // No address family in common: no flow joins them.
            return PairOutcome(segment: .link, responsible: .customer, path: nil, encryptionRequired: false, services: [])
        }
        let base = classifier.classify(FlowFacts(client: first.0, server: first.1, clientPort: 49152, serverPort: 0,
                                                 proto: IPProtocol.tcp, state: .encrypted))
        let segment = base.segment
        let party = segment == .link ? base.responsible : (scenario.responsibility[segment] ?? base.responsible)
        var outcome = PairOutcome(segment: segment, responsible: party, path: base.path,
                                  encryptionRequired: encryptionRequired(base), services: [])
        tally.segments.insert(segment)
        guard segment != .link else { return outcome }
        let enters = base.path.flatMap { nodeIndex[$0.enters] }, leaves = base.path.flatMap { nodeIndex[$0.leaves] }
        let rules = scenario.filters[segment]?.rules ?? []
        // The rules whose from and to hold the pair, per family: with the segment, all
        // that decides its services (the first of them whose ports match, else the
        // default), so pairs alike in these share one evaluation.
        var perFamily: [[Int]] = []
        for (c, s, _) in families {
            if let from = candidates(cp, segment, server: false, c, enters), let to = candidates(sp, segment, server: true, s, leaves) {
                var out: [Int] = [], i = 0, j = 0
                while i < from.count && j < to.count {
                    if from[i] == to[j] { out.append(from[i]); i += 1; j += 1 } else if from[i] < to[j] { i += 1 } else { j += 1 }
                }
                perFamily.append(out)
            } else {
                perFamily.append([])
            }
        }
        let key = ServicesKey(segment: segment, v4: families.first?.2 ?? false, candidates: perFamily, families: families.count)
        if let known = servicesCache[key] {
            outcome.services = known.services
            outcome.servicesID = known.id
            if outcome.encryptionRequired { for i in known.cleartextDeciders { tally.unenforced[segment, default: []].insert(i) } }
            return outcome
        }
        var done = Set<String>()
        var cleartextDeciders = Set<Int>()
        for ((c, s, v4), candidates) in zip(families, perFamily) {
            // Every transport `--flow` takes, each once; ICMP by the family.
            var protos: [UInt8] = [IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp, v4 ? IPProtocol.icmp : IPProtocol.icmpv6,
                                   IPProtocol.esp, IPProtocol.ah, IPProtocol.gre]
            let otherICMP: UInt8 = v4 ? IPProtocol.icmpv6 : IPProtocol.icmp
            for r in rules {
                for pm in r.ports {
                    guard let p = pm.proto, p != otherICMP, !protos.contains(p) else { continue }
                    protos.append(p)
                }
            }
            for proto in protos {
                let name = IPProtocol.name(proto)
                guard done.insert(name).inserted else { continue }
                var ranges: [(UInt16, UInt16)?] = []
                if Simulator.portTransports.contains(proto) {
                    var cutSet = Set<Int>([0])
                    for i in candidates {
                        for pm in rules[i].ports where pm.proto == nil || pm.proto == proto {
                            cutSet.insert(Int(pm.low))
                            if pm.high < 65535 { cutSet.insert(Int(pm.high) + 1) }
                        }
                    }
                    let cuts = cutSet.sorted()
                    for (j, low) in cuts.enumerated() {
                        ranges.append((UInt16(low), UInt16((j + 1 < cuts.count ? cuts[j + 1] : 65536) - 1)))
                    }
                } else {
                    ranges = [nil]
                }
                for range in ranges {
                    let port = range?.0
                    let result = classifier.classify(FlowFacts(client: c, server: s, clientPort: port == nil ? nil : 49152,
                                                               serverPort: port, proto: proto, state: .encrypted))
                    var service = SimulatedService(transport: name, ports: range.map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)-\($0.1)" },
                                                   decision: "unfiltered", rule: nil, responsible: nil, cleartextAccepted: false)
                    var decider: Int?
                    if let m = result.rule, let i = ruleIndex[segment]?[m.name] {
                        decider = i
                        service.decision = m.action.rawValue
                        service.rule = RuleRef(segment: segment, name: m.name, line: rules[i].line)
                        service.responsible = m.responsible
                        service.cleartextAccepted = rules[i].cleartextAccepted
                        tally.decided[segment, default: []].insert(i)
                        if service.cleartextAccepted { cleartextDeciders.insert(i) }
                    } else if let set = scenario.filters[segment] {
                        service.decision = set.defaultAction.rawValue
                    }
                    if let d = decider {
                        for i in candidates where i > d && Simulator.ports(rules[i].ports, match: proto, port) {
                            tally.coveredBy[segment, default: [:]][i, default: []].insert(d)
                        }
                    }
                    // Adjacent ranges with one outcome are one range.
                    if let last = outcome.services.last, last.transport == name, let lp = last.ports, let sp = service.ports,
                       last.decision == service.decision, last.rule == service.rule, last.responsible == service.responsible,
                       last.cleartextAccepted == service.cleartextAccepted {
                        let low = lp.split(separator: "-").first!, high = sp.split(separator: "-").last!
                        outcome.services[outcome.services.count - 1].ports = low == high ? String(low) : "\(low)-\(high)"
                    } else {
                        outcome.services.append(service)
                    }
                }
            }
        }
        let deciders = cleartextDeciders.sorted()
        let id: Int
        if let known = servicesIDs[outcome.services] { id = known } else { id = servicesIDs.count + 1; servicesIDs[outcome.services] = id }
        outcome.servicesID = id
        servicesCache[key] = (outcome.services, deciders, id)
        if outcome.encryptionRequired { for i in deciders { tally.unenforced[segment, default: []].insert(i) } }
        return outcome
    }

    private struct ServicesKey: Hashable {
        var segment: Segment
        var v4: Bool
        var candidates: [[Int]]
        var families: Int
    }

    private struct CandidateKey: Hashable {
        var cls: Int
        var segment: Segment
        var server: Bool
        var v4: Bool
        var pathNode: Int
    }

    /// `Classifier.rules` for a place's class, kept: every place of a class is held by
    /// the same rules.
    private mutating func candidates(_ place: Int, _ segment: Segment, server: Bool, _ ip: IPAddress, _ pathNode: Int?) -> [Int]? {
        let key = CandidateKey(cls: classOf[place], segment: segment, server: server, v4: ip.isV4, pathNode: pathNode ?? -1)
        if let known = candidateCache[key] { return known }
        let found = classifier.rules(segment, server: server, holding: ip, pathNode: pathNode)
        candidateCache[key] = found
        return found
    }

    /// A rule's `ports` hold this transport and server port (`Classifier`'s port test).
    static func ports(_ ports: [PortMatch], match proto: UInt8, _ port: UInt16?) -> Bool {
        ports.contains { pm in
            if let p = pm.proto, p != proto { return false }
            if pm.low == 0 && pm.high == 65535 { return true }
            guard let port else { return false }
            return port >= pm.low && port <= pm.high
        }
    }

    private func noteGateway(_ a: [Int], _ b: [Int], _ o: PairOutcome, _ tally: inout Tally) {
        let gateways = b.filter { places[$0].node.map { scenario.nodes[$0].role == "gateway" } ?? false }
        guard !gateways.isEmpty else { return }
        let sources = a.filter { p in
            places[p].node == nil && (places[p].zone.map { scenario.zones[$0].owner == .external } ?? true)
        }
        guard !sources.isEmpty else { return }
        var admitting: [RuleRef?] = []
        for s in o.services where s.decision == "allow" || s.decision == "unfiltered" {
            let r = s.rule ?? (s.decision == "allow" ? RuleRef(segment: .ingress, name: "default",
                                                               line: scenario.filters[.ingress]?.defaultLine ?? 0) : nil)
            if !admitting.contains(r) { admitting.append(r) }
        }
        for g in gateways {
            for r in admitting {
                let key = "\(places[g].name)\u{1}\(r?.name ?? "")"
                if tally.gatewayOpen[key] == nil {
                    tally.gatewayOrder.append(key)
                    tally.gatewayOpen[key] = (r, scenario.filters[.ingress] != nil, places[g].name, [])
                }
                for s in sources where !tally.gatewayOpen[key]!.sources.contains(places[s].name) {
                    tally.gatewayOpen[key]!.sources.append(places[s].name)
                }
            }
        }
    }

    // MARK: findings

    private func findings(_ tally: Tally) -> [ScenarioFinding] {
        var out: [ScenarioFinding] = []
        for key in tally.gatewayOrder {
            let g = tally.gatewayOpen[key]!
            let shown = g.sources.prefix(5).joined(separator: ", ") + (g.sources.count > 5 ? " and \(g.sources.count - 5) more" : "")
            let why = g.rule.map { $0.name == "default" ? "filters.ingress default: allow" : "ingress rule '\($0.name)'" }
                ?? "there is no filters.ingress"
            out.append(ScenarioFinding(code: "gateway-ingress-open", severity: .high, party: .customer,
                                       message: "gateway \(g.place) can be reached on ingress from \(shown) (\(why)): restrict gateway ingress to the edge nodes' ranges",
                                       segment: .ingress, rule: g.rule, place: g.place))
        }
        for seg in Segment.filtered {
            guard let set = scenario.filters[seg] else { continue }
            for (i, r) in set.rules.enumerated() {
                let ref = RuleRef(segment: seg, name: r.name, line: r.line)
                if !(tally.decided[seg]?.contains(i) ?? false) {
                    let covering = (tally.coveredBy[seg]?[i] ?? []).sorted().map { "'\(set.rules[$0].name)'" }
                    let message = covering.isEmpty
                        ? "\(seg.rawValue) rule '\(r.name)' can never match: its from and to give no \(seg.rawValue) flow"
                        : "\(seg.rawValue) rule '\(r.name)' can never match: earlier rules \(covering.joined(separator: ", ")) match everything it would"
                    out.append(ScenarioFinding(code: "shadowed-rule", severity: .medium, party: .customer, message: message,
                                               segment: seg, rule: ref, place: nil))
                }
                if r.action == .allow && covers(r.from) && covers(r.to) && r.ports.contains(where: { $0.proto == nil && $0.low == 0 && $0.high == 65535 }) {
                    out.append(ScenarioFinding(code: "broad-rule", severity: .medium, party: .customer,
                                               message: "\(seg.rawValue) rule '\(r.name)' allows any source to any destination on any service",
                                               segment: seg, rule: ref, place: nil))
                }
                if tally.unenforced[seg]?.contains(i) ?? false {
                    out.append(ScenarioFinding(code: "unenforced-encryption", severity: .info,
                                               party: r.responsible ?? scenario.responsibility[seg] ?? .customer,
                                               message: "\(seg.rawValue) rule '\(r.name)' accepts cleartext where encryption is required: a standing exception worth reviewing",
                                               segment: seg, rule: ref, place: nil))
                }
            }
            if set.defaultAction == .allow {
                out.append(ScenarioFinding(code: "broad-rule", severity: .medium, party: .customer,
                                           message: "filters.\(seg.rawValue) default: allow admits every \(seg.rawValue) flow no rule denies",
                                           segment: seg, rule: RuleRef(segment: seg, name: "default", line: set.defaultLine ?? 0), place: nil))
            }
        }
        for seg in [Segment.egress, .ingress, .transit] where tally.segments.contains(seg) && scenario.filters[seg] == nil {
            out.append(ScenarioFinding(code: "unfiltered-segment", severity: .low, party: .customer,
                                       message: "\(seg.rawValue) occurs in this scenario but filters.\(seg.rawValue) is absent: nothing there is checked",
                                       segment: seg, rule: nil, place: nil))
        }
        return out.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }

    /// A rule's `from` or `to` holds every address: `any`, or prefixes and zones covering
    /// all of IPv4 and (where the scenario names any IPv6) all of IPv6.
    private func covers(_ list: [AddressMatch]) -> Bool {
        var all4 = false, all6 = false
        for m in list {
            switch m {
            case .any: return true
            case .prefix(let c): if c.length == 0 { if c.isV4 { all4 = true } else { all6 = true } }
            case .zone(let z):
                for c in scenario.zones[z].cidrs where c.length == 0 { if c.isV4 { all4 = true } else { all6 = true } }
            case .node, .unknownZone: break
            }
        }
        let namesV6 = scenario.zones.contains { $0.cidrs.contains { !$0.isV4 } } || scenario.nodes.contains { $0.addresses.contains { !$0.isV4 } }
        return all4 && (all6 || !namesV6)
    }
}
