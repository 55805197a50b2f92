import DemarcBase
import DemarcDecode
import DemarcInspect
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
    private var nodeByAddress = AddressTable()
    /// Per family, the prefix lengths in use, longest first, each with its table.
    private var v4: [(length: Int, zones: AddressTable)] = []
    private var v6: [(length: Int, zones: AddressTable)] = []

    public init(nodes: [Node], zones: [Zone]) {
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
        v4 = byLength4.sorted { $0.key > $1.key }.map { ($0.key, AddressTable($0.value)) }
        v6 = byLength6.sorted { $0.key > $1.key }.map { ($0.key, AddressTable($0.value)) }
        nodeByAddress = AddressTable(nodes.enumerated().reduce(into: [IPAddress: Int]()) { m, e in
            for a in e.element.addresses where m[a] == nil { m[a] = e.offset }
        })
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

/// A read-only map from address to index, built once: open addressing with a
/// multiplicative hash, so a lookup on the per-flow path is a few instructions rather
/// than a SipHash of the key.
struct AddressTable: Sendable {
    private var keys: [IPAddress] = []
    private var values: [Int32] = []
    private var mask = 0

    init() {}

    init(_ map: [IPAddress: Int]) {
        guard !map.isEmpty else { return }
        var capacity = 4
        while capacity < map.count * 2 { capacity *= 2 }
        mask = capacity - 1
        keys = Array(repeating: IPAddress(hi: 0, lo: 0), count: capacity)
        values = Array(repeating: -1, count: capacity)
        for (k, v) in map {
            var i = AddressTable.slot(k, mask)
            while values[i] >= 0 { i = (i + 1) & mask }
            keys[i] = k
            values[i] = Int32(v)
        }
    }

    @inline(__always) static func slot(_ k: IPAddress, _ mask: Int) -> Int {
        let h = (k.hi &* 0x9e37_79b9_7f4a_7c15) ^ (k.lo &* 0xc2b2_ae3d_27d4_eb4f)
        return Int(truncatingIfNeeded: (h ^ (h >> 29)) & UInt64(mask))
    }

    subscript(_ k: IPAddress) -> Int? {
        guard !values.isEmpty else { return nil }
        var i = AddressTable.slot(k, mask)
        while true {
            let v = values[i]
            if v < 0 { return nil }
            if keys[i] == k { return Int(v) }
            i = (i + 1) & mask
        }
    }
}
