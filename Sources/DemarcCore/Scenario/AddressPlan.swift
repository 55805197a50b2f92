/// Where an address sits: a node, a zone, or the implicit `unknown` zone.
public struct Placement: Sendable, Equatable {
    /// Node index, if the address is a node's.
    public var node: Int?
    /// Zone index, if a zone covers the address (and it is not a node's).
    public var zone: Int?

    public static let unknown = Placement(node: nil, zone: nil)
}

/// Answers "where does this address sit" for a scenario: node addresses by exact match,
/// otherwise the zone with the longest matching prefix. Built once per scenario; a
/// lookup costs one hash probe per distinct prefix length in use (at most 33 for IPv4,
/// 129 for IPv6), however many zones there are.
public struct AddressPlan: Sendable {
    private var nodeByAddress: [IPAddress: Int] = [:]
    /// Per family, the prefix lengths in use, longest first, each with its table.
    private var v4: [(length: Int, zones: [IPAddress: Int])] = []
    private var v6: [(length: Int, zones: [IPAddress: Int])] = []

    public init(nodes: [Node], zones: [Zone]) {
        for (i, n) in nodes.enumerated() {
            for a in n.addresses where nodeByAddress[a] == nil { nodeByAddress[a] = i }
        }
        var byLength4: [Int: [IPAddress: Int]] = [:]
        var byLength6: [Int: [IPAddress: Int]] = [:]
        for (i, z) in zones.enumerated() {
            for c in z.cidrs {
                if c.isV4 {
                    if byLength4[c.length, default: [:]][c.address] == nil { byLength4[c.length, default: [:]][c.address] = i }
                } else {
                    if byLength6[c.length, default: [:]][c.address] == nil { byLength6[c.length, default: [:]][c.address] = i }
                }
            }
        }
        v4 = byLength4.sorted { $0.key > $1.key }.map { ($0.key, $0.value) }
        v6 = byLength6.sorted { $0.key > $1.key }.map { ($0.key, $0.value) }
    }

    public func place(_ ip: IPAddress) -> Placement {
        if let n = nodeByAddress[ip] { return Placement(node: n, zone: nil) }
        return Placement(node: nil, zone: zone(of: ip))
    }

    /// The zone with the longest prefix covering `ip`, ignoring nodes.
    public func zone(of ip: IPAddress) -> Int? {
        for (len, table) in (ip.isV4 ? v4 : v6) {
            if let z = table[ip.masked(len)] { return z }
        }
        return nil
    }
}
