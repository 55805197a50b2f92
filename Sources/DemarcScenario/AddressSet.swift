import DemarcBase
import DemarcDecode
/// A rule's (or an `accept` entry's) `from` or `to`, ready for testing an address in time
/// that does not grow with the list: nodes and zones as sets, CIDRs as sorted disjoint
/// ranges of the 128-bit address space (IPv4 held IPv4-mapped, as `IPAddress` does). A
/// short list is tried entry by entry instead, which is quicker than hashing.
struct AddressSet: Sendable {
    /// Lists this long or shorter are tried in order.
    static let linearLimit = 8

    private let linear: [AddressMatch]?
    private var any = false
    private var unknownZone = false
    private var nodes = Set<Int>()
    private var zones = Set<Int>()
    /// Inclusive ranges of IPv4 and of IPv6 prefixes, apart (`::/0` holds no IPv4
    /// address), each sorted by `low`, none overlapping or touching another.
    private var ranges4: [AddressRange] = []
    private var ranges6: [AddressRange] = []

    struct AddressRange: Sendable {
        var low: IPAddress
        var high: IPAddress
    }

    init(_ matches: [AddressMatch]) {
        if matches.count <= AddressSet.linearLimit {
            linear = matches
            return
        }
        linear = nil
        var spans4: [AddressRange] = [], spans6: [AddressRange] = []
        for m in matches {
            switch m {
            case .any: any = true
            case .unknownZone: unknownZone = true
            case .node(let n): nodes.insert(n)
            case .zone(let z): zones.insert(z)
            case .prefix(let c):
                if c.isV4 { spans4.append(AddressRange(low: c.address, high: c.last)) }
                else { spans6.append(AddressRange(low: c.address, high: c.last)) }
            }
        }
        ranges4 = AddressSet.merged(spans4)
        ranges6 = AddressSet.merged(spans6)
    }

    private static func merged(_ spans: [AddressRange]) -> [AddressRange] {
        var out: [AddressRange] = []
        for s in spans.sorted(by: { $0.low < $1.low }) {
            if let last = out.last, !(last.high < s.low) || last.high.successor == s.low {
                if last.high < s.high { out[out.count - 1].high = s.high }
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// Whether the address, placed at `p`, is in the set (SCENARIO.md: a node's name
    /// matches its addresses, a zone's name the addresses that sit in it, `unknown` those
    /// no zone covers, a CIDR every address in it). `pathNode`: on a transit flow, the
    /// node it enters (for `from`) or leaves (for `to`) at, which a node's name matches too.
    func contains(_ ip: IPAddress, _ p: Placement, pathNode: Int? = nil) -> Bool {
        if let linear { return linear.contains { AddressSet.matches($0, ip, p, pathNode: pathNode) } }
        if any { return true }
        if let n = pathNode, nodes.contains(n) { return true }
        if let n = p.node {
            if nodes.contains(n) { return true }
        } else if let z = p.zone {
            if zones.contains(z) { return true }
        } else if unknownZone {
            return true
        }
        return AddressSet.within(ip.isV4 ? ranges4 : ranges6, ip)
    }

    private static func within(_ ranges: [AddressRange], _ ip: IPAddress) -> Bool {
        // The last range whose low end is at or below the address.
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ip < ranges[mid].low { hi = mid } else { lo = mid + 1 }
        }
        return lo > 0 && !(ranges[lo - 1].high < ip)
    }

    /// One entry against one address: the meaning every form of the set keeps.
    static func matches(_ m: AddressMatch, _ ip: IPAddress, _ p: Placement, pathNode: Int? = nil) -> Bool {
        switch m {
        case .any: return true
        case .node(let n): return p.node == n || pathNode == n
        case .zone(let z): return p.node == nil && p.zone == z
        case .prefix(let c): return c.contains(ip)
        case .unknownZone: return p.node == nil && p.zone == nil
        }
    }
}

extension CIDR {
    /// The prefix's last address (every host bit set).
    var last: IPAddress {
        let keep = (isV4 ? 96 : 0) + length
        if keep >= 128 { return address }
        if keep <= 64 {
            let m: UInt64 = keep == 64 ? 0 : ~0 >> UInt64(keep)
            return IPAddress(hi: address.hi | m, lo: ~0)
        }
        return IPAddress(hi: address.hi, lo: address.lo | ~0 >> UInt64(keep - 64))
    }
}

extension IPAddress {
    /// The next address in the 128-bit space (wrapping at the end).
    var successor: IPAddress {
        lo == .max ? IPAddress(hi: hi &+ 1, lo: 0) : IPAddress(hi: hi, lo: lo + 1)
    }
}
