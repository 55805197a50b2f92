import DemarcBase
import DemarcDecode
import DemarcInspect
/// A bidirectional flow's identity: transport, two addresses, two ports (zero for
/// transports without ports). Endpoint A is the lower of the two (address, then port),
/// so both directions of a conversation produce the same key.
public struct FlowKey: Equatable, Sendable {
    public var a: IPAddress
    public var b: IPAddress
    public var portA: UInt16
    public var portB: UInt16
    public var proto: UInt8
    public var ipVersion: UInt8
    /// Set on flows made of fragments whose first fragment was never seen.
    public var orphanFragments: Bool

    /// Builds the canonical key for a packet; `fromA` tells which endpoint sent it.
    /// Inlined: the key stays in registers for the hash and the table's compare.
    @inlinable @inline(__always)
    public init(packet p: DecodedPacket, usePorts: Bool, fromA: inout Bool) {
        let sp = usePorts ? p.srcPort : 0
        let dp = usePorts ? p.dstPort : 0
        if p.src < p.dst || (p.src == p.dst && sp <= dp) {
            a = p.src; b = p.dst; portA = sp; portB = dp; fromA = true
        } else {
            a = p.dst; b = p.src; portA = dp; portB = sp; fromA = false
        }
        proto = p.proto
        ipVersion = p.ipVersion
        orphanFragments = false
    }

    /// The fields after the addresses, packed in one word for comparison.
    @inlinable
    var packedTail: UInt64 {
        UInt64(portA) | UInt64(portB) << 16 | UInt64(proto) << 32 | UInt64(ipVersion) << 40
            | (orphanFragments ? 1 << 48 : 0)
    }

    /// Field-by-field equality, computed without a branch per field.
    @inlinable @inline(__always)
    public static func == (l: FlowKey, r: FlowKey) -> Bool {
        let addresses = (l.a.hi ^ r.a.hi) | (l.a.lo ^ r.a.lo) | (l.b.hi ^ r.b.hi) | (l.b.lo ^ r.b.lo)
        return addresses | (l.packedTail ^ r.packedTail) == 0
    }

    @inlinable @inline(__always)
    public var hashValue64: UInt64 {
        // A cheap, well-mixed hash (multiply-xorshift over the key's words).
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15 &* (UInt64(proto) | UInt64(ipVersion) << 8 | (orphanFragments ? 1 << 16 : 0))
        @inline(__always) func mix(_ v: UInt64) {
            h = (h ^ v) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 33
        }
        mix(a.hi); mix(a.lo); mix(b.hi); mix(b.lo)
        mix(UInt64(portA) << 16 | UInt64(portB))
        h = h &* 0xc4ce_b9fe_1a85_ec53
        return h ^ (h >> 29)
    }
}
