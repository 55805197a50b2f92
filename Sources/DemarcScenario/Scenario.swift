import DemarcBase
import DemarcDecode
import DemarcInspect
/// Who owns an address range.
public enum Owner: String, Sendable, CaseIterable {
    case provider, customer, external
}

/// Where a flow runs relative to the provider's boundary.
public enum Segment: String, Sendable, CaseIterable, Comparable {
    case `internal`, egress, ingress, transit, external, link

    /// Position in `allCases`.
    package var ordinal: Int {
        switch self {
        case .internal: return 0
        case .egress: return 1
        case .ingress: return 2
        case .transit: return 3
        case .external: return 4
        case .link: return 5
        }
    }

    /// The segments `filters` may judge (SCENARIO.md, Filters).
    public static let filtered: [Segment] = [.egress, .ingress, .transit, .external]
    /// The segments `encryption` may set: every one but `link`, which crosses no boundary.
    public static let encryptable: [Segment] = [.internal, .egress, .ingress, .transit, .external]

    public static func < (l: Segment, r: Segment) -> Bool {
        allCases.firstIndex(of: l)! < allCases.firstIndex(of: r)!
    }
}

/// The party that must act.
public enum Party: String, Sendable, CaseIterable {
    case provider, customer, shared

    /// Position in `allCases`.
    package var ordinal: Int {
        switch self {
        case .provider: return 0
        case .customer: return 1
        case .shared: return 2
        }
    }
}

public enum Severity: String, Sendable, CaseIterable, Comparable {
    case critical, high, medium, low, info

    /// Higher is more severe.
    public var rank: Int {
        switch self {
        case .critical: return 4
        case .high: return 3
        case .medium: return 2
        case .low: return 1
        case .info: return 0
        }
    }

    public static func < (l: Severity, r: Severity) -> Bool { l.rank < r.rank }
}

/// An IPv4 or IPv6 prefix.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    /// Prefix length in the family's own width (0–32 or 0–128).
    public var length: Int

    public init(address: IPAddress, length: Int) {
        self.address = address.masked(length)
        self.length = length
    }

    /// `10.0.0.0/8`, `::/0`, or a bare address (a host prefix).
    public init?(_ text: String) {
        guard let p = CIDR.parse(text) else { return nil }
        self = p.cidr
    }

    /// The prefix, and whether the text set host bits below it (`10.0.0.1/8`).
    public static func parse(_ text: String) -> (cidr: CIDR, hostBitsSet: Bool)? {
        let slash = text.utf8.firstIndex(of: UInt8(ascii: "/"))
        guard let addr = IPAddress(text[..<(slash ?? text.endIndex)]) else { return nil }
        let width = addr.isV4 ? 32 : 128
        var len = width
        if let slash {
            let digits = text.utf8[text.utf8.index(after: slash)...]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            len = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard len <= width else { return nil }
        }
        let cidr = CIDR(address: addr, length: len)
        return (cidr, cidr.address != addr)
    }

    public var isV4: Bool { address.isV4 }

    public func contains(_ ip: IPAddress) -> Bool {
        ip.isV4 == address.isV4 && ip.masked(length) == address
    }

    public var description: String { "\(address)/\(length)" }
}

public struct Node: Sendable {
    public var name: String
    public var role: String
    public var addresses: [IPAddress]
    public init(name: String, role: String, addresses: [IPAddress]) {
        self.name = name; self.role = role; self.addresses = addresses
    }
}

public struct Zone: Sendable {
    public var name: String
    public var owner: Owner
    public var cidrs: [CIDR]
    public var sensitive: Bool
    /// The node (its index) through which the provider's network reaches the zone.
    public var via: Int?
    /// `post_quantum: true`: every encrypted flow touching the zone needs a post-quantum
    /// key exchange (docs/crypto.md).
    public var postQuantum = false
    public init(name: String, owner: Owner, cidrs: [CIDR], sensitive: Bool = false, via: Int? = nil) {
        self.name = name; self.owner = owner; self.cidrs = cidrs; self.sensitive = sensitive; self.via = via
    }
}

public enum Requirement: String, Sendable {
    case required, optional
}

/// The customer's certificate authority for the data plane.
public struct CustomerCA: Sendable {
    public var issuer: String?
    public var sha256: [String]
    public init(issuer: String?, sha256: [String]) { self.issuer = issuer; self.sha256 = sha256 }
}

/// One scenario: nodes, zones, duties, filters and expectations.
public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    public var provider: String?
    /// Where it was read from, as given on the command line; "built-in" for the default.
    public var source: String
    public var nodes: [Node]
    public var zones: [Zone]
    public var responsibility: [Segment: Party]
    public var encryption: [Segment: Requirement]
    public var customerCA: CustomerCA?
    /// `encryption.post_quantum`: segments whose encrypted flows need a post-quantum key
    /// exchange (absent: optional).
    public var postQuantum: [Segment: Requirement] = [:]
    public var filters: [Segment: FilterSet]
    public var expectations: [Expectation]
    /// The `accept` list; `hasAcceptList` when the scenario has the key at all (reports
    /// then show `summary.accepted` and `summary.unused_acceptances`).
    public var acceptances: [Acceptance] = []
    public var hasAcceptList = false

    public init(name: String, description: String? = nil, provider: String? = nil, source: String,
                nodes: [Node] = [], zones: [Zone] = [], responsibility: [Segment: Party] = [:],
                encryption: [Segment: Requirement] = [:], customerCA: CustomerCA? = nil,
                filters: [Segment: FilterSet] = [:], expectations: [Expectation] = []) {
        self.name = name; self.description = description; self.provider = provider; self.source = source
        self.nodes = nodes; self.zones = zones
        self.responsibility = Scenario.defaultResponsibility.merging(responsibility) { $1 }
        self.encryption = Scenario.defaultEncryption.merging(encryption) { $1 }
        self.customerCA = customerCA; self.filters = filters; self.expectations = expectations
    }

    /// `link` has no default party: it goes by the owner of the place of its non-group
    /// end (SCENARIO.md) unless `responsibility.link` sets one.
    public static let defaultResponsibility: [Segment: Party] = [
        .internal: .provider, .ingress: .customer, .egress: .customer, .transit: .customer, .external: .customer,
    ]
    public static let defaultEncryption: [Segment: Requirement] = [
        .internal: .required, .egress: .required, .ingress: .optional, .transit: .required, .external: .optional,
    ]

    /// REPORT.md's built-in scenario: private, loopback and link-local ranges are a
    /// customer-owned `local` zone, all else `internet` (external); no nodes, no filters,
    /// nothing required.
    public static let builtIn: Scenario = {
        let local = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
                     "fc00::/7", "::1/128", "fe80::/10"].compactMap(CIDR.init)
        let internet = ["0.0.0.0/0", "::/0"].compactMap(CIDR.init)
        return Scenario(name: "default", description: "Built-in: private, loopback and link-local ranges are the customer's; all else is the internet.",
                        source: "built-in",
                        zones: [Zone(name: "local", owner: .customer, cidrs: local),
                                Zone(name: "internet", owner: .external, cidrs: internet)],
                        encryption: [.internal: .optional, .egress: .optional, .ingress: .optional, .transit: .optional,
                                     .external: .optional])
    }()
}

extension Scenario {
    /// A copy whose arrays, dictionaries and strings have storage of their own. A worker
    /// classifies with a copy of its own (`Classifier.unshared`): the reference counts of
    /// what it reads for every flow (zone and node names, rules) are then its own, not
    /// cache lines that every worker's thread writes in turn.
    public func unshared() -> Scenario {
        var s = self
        s.name = name.unshared
        s.nodes = nodes.map { Node(name: $0.name.unshared, role: $0.role.unshared, addresses: $0.addresses.map { $0 }) }
        s.zones = zones.map { z in
            var c = z
            c.name = z.name.unshared
            c.cidrs = z.cidrs.map { $0 }
            return c
        }
        s.responsibility = Dictionary(uniqueKeysWithValues: responsibility.map { ($0.key, $0.value) })
        s.encryption = Dictionary(uniqueKeysWithValues: encryption.map { ($0.key, $0.value) })
        s.postQuantum = Dictionary(uniqueKeysWithValues: postQuantum.map { ($0.key, $0.value) })
        s.filters = Dictionary(uniqueKeysWithValues: filters.map { seg, set in
            var c = set
            c.rules = set.rules.map { r in
                var rule = r
                rule.name = r.name.unshared
                rule.from = r.from.map { $0 }
                rule.to = r.to.map { $0 }
                rule.ports = r.ports.map { $0 }
                return rule
            }
            return (seg, c)
        })
        s.acceptances = acceptances.map { a in
            var c = a
            c.finding = a.finding.unshared
            c.owner = a.owner.unshared
            c.reason = a.reason.unshared
            c.from = a.from.map { $0 }
            c.to = a.to.map { $0 }
            c.ports = a.ports.map { $0 }
            return c
        }
        return s
    }
}

extension String {
    /// The same text in storage of its own (a copy, where a string is not small enough to
    /// be held inline).
    var unshared: String { String(decoding: Array(utf8), as: UTF8.self) }
}
