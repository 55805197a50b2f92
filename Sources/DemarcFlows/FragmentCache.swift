import DemarcBase
import DemarcDecode
import DemarcInspect
/// Remembers which flow the first fragment of a datagram went to, so that later
/// fragments (which carry no ports) count in the same flow. Nothing is buffered or
/// reassembled: each datagram costs one entry. Direct-mapped and fixed in size (4,096
/// entries of 64 bytes, 256 KB): a collision forgets the older datagram, and memory
/// never grows, however many fragments a flood sends. A datagram forgotten, for a newer
/// one or at the end, before its last fragment came is counted in `forgotten`.
struct FragmentCache {
    private struct Entry {
        var src = IPAddress(hi: 0, lo: 0)
        var dst = IPAddress(hi: 0, lo: 0)
        var id: UInt32 = 0
        var proto: UInt8 = 0
        var flowID: UInt64 = 0
        var slot: Int32 = -1
        /// The datagram's last fragment has come: forgetting it loses nothing.
        var complete = false
    }

    private var entries: [Entry]
    private let mask: Int
    /// Datagrams forgotten before their last fragment came: for a newer one in their
    /// entry (their later fragments, if any come, are counted in a flow of orphan
    /// fragments) or when the flows ended.
    private(set) var forgotten: UInt64 = 0

    init(size: Int = 4096) {
        var n = 1
        while n < size { n <<= 1 }
        entries = [Entry](repeating: Entry(), count: n)
        mask = n - 1
    }

    private func bucket(_ p: DecodedPacket) -> Int {
        var h = (p.src.lo ^ p.dst.lo ^ p.src.hi ^ p.dst.hi) &* 0x9e37_79b9_7f4a_7c15
        h ^= UInt64(p.fragmentID) &* 0xff51_afd7_ed55_8ccd ^ UInt64(p.proto)
        return Int(truncatingIfNeeded: h ^ (h >> 31)) & mask
    }

    mutating func remember(_ p: DecodedPacket, slot: Int32, flowID: UInt64) {
        let b = bucket(p)
        let old = entries[b]
        if old.slot >= 0 && !old.complete && !(old.id == p.fragmentID && old.proto == p.proto && old.src == p.src && old.dst == p.dst) {
            forgotten &+= 1
        }
        entries[b] = Entry(src: p.src, dst: p.dst, id: p.fragmentID, proto: p.proto, flowID: flowID, slot: slot)
    }

    /// Forgets every datagram (the flows they went to are gone), counting in `forgotten`
    /// those whose last fragment had not come. Counted so, the figure is every datagram
    /// left incomplete, whichever worker's cache held it: it does not depend on how flows
    /// are shared out among workers.
    mutating func clear() {
        for i in entries.indices {
            if entries[i].slot >= 0 && !entries[i].complete { forgotten &+= 1 }
            entries[i] = Entry()
        }
    }

    /// The slot and flow id the datagram's first fragment went to, if remembered; a
    /// last fragment marks its datagram complete.
    mutating func lookup(_ p: DecodedPacket) -> (slot: Int32, flowID: UInt64)? {
        let b = bucket(p)
        let e = entries[b]
        guard e.slot >= 0, e.id == p.fragmentID, e.proto == p.proto, e.src == p.src, e.dst == p.dst else { return nil }
        if p.lastFragment { entries[b].complete = true }
        return (e.slot, e.flowID)
    }
}
