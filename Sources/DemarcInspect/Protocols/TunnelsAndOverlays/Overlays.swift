import DemarcBase
import DemarcDecode
/// Overlay encapsulations: VXLAN (RFC 7348) and Geneve (RFC 8926) over UDP, GRE and
/// ERSPAN as their own IP protocol. Each is recognised by its header and by the packet it carries (an
/// Ethernet frame or IP packet whose own header is sound), never by port. None of them
/// encrypts: whatever the inner payload, its addresses, ports and cleartext protocols
/// travel readable, so the flow is cleartext. The banner names the virtual network
/// (VNI) and the first inner packet's endpoints. Each overlay's header has a file of
/// its own beside this one: VXLAN, Geneve, GRE (with ERSPAN) and GTPU.
public enum OverlayInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    /// What an overlay header says: the virtual network, and where the carried frame
    /// or packet starts. Text is made only once the inner packet has proved sound.
    struct Encapsulation {
        enum Network {
            case vni(UInt32)
            case teid(UInt32)
            case gre(key: UInt32?)
            case erspan(type: Int, session: UInt16?)
        }
        var app: AppProtocol
        var network: Network
        var inner: Bytes
        var ethernet: Bool
        /// A mirror copies whatever crossed the port: any Ethernet frame will do there.
        var mirrored: Bool {
            if case .erspan = network { return true }
            return false
        }

        var networkName: String {
            switch network {
            case .vni(let v): return "VNI \(v)"
            case .teid(let t): return "TEID 0x" + String(t, radix: 16)
            case .gre(let key): return key.map { "GRE key \($0)" } ?? "GRE"
            case .erspan(let type, let session):
                let name = "ERSPAN type " + ["I", "II", "III"][type - 1]
                return session.map { name + " session \($0)" } ?? name
            }
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if claim(&c, vxlan(p) ?? geneve(p) ?? gtpUser(p)) { return .yes }
        if let message = gtpPathMessage(p) {
            // GTP-U's own signalling on the tunnel's path: the tunnel, cleartext, before
            // (or without) the user's packets.
            c.identify(.gtpu, .cleartext, keepInspecting: true)
            c.details().banner = "GTP-U " + message
            return .yes
        }
        return .no
    }

    /// A GTP-U path that signalled first: its first user packet names the tunnel.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard let e = gtpUser(p), let summary = innerSummary(e.inner, ethernet: false) else { return }
        c.details().banner = "\(e.networkName): \(summary)"
        c.state.active = false
    }

    /// GRE flows: an IP protocol of its own, not a UDP port, so the payload inspector
    /// hands their packets here directly. True when the flow is claimed.
    static func identifyGRE(_ c: inout InspectionContext, _ p: Bytes) -> Bool {
        claim(&c, gre(p))
    }

    /// Claims the flow when the header carries a sound frame or packet; the banner names
    /// the network and that first inner packet.
    private static func claim(_ c: inout InspectionContext, _ e: Encapsulation?) -> Bool {
        guard let e, let summary = innerSummary(e.inner, ethernet: e.ethernet, anyFrame: e.mirrored) else { return false }
        c.identify(e.app, .cleartext)
        c.details().banner = "\(e.networkName): \(summary)"
        return true
    }

    /// "10.10.20.4 → 157.240.224.35 tcp/443" for the carried packet, or nil when it is
    /// not a sound Ethernet frame or IP packet (then the flow is not this protocol).
    /// With `anyFrame`, an Ethernet frame of another kind is named by its type.
    static func innerSummary(_ inner: Bytes, ethernet: Bool, anyFrame: Bool = false) -> String? {
        var ip = inner
        if ethernet {
            guard var type = inner.u16(12) else { return nil }
            var off = 14
            while type == 0x8100 || type == 0x88a8, let t = inner.u16(off + 2) { type = t; off += 4 }
            switch type {
            case 0x0806: return inner.has(off, 28) ? "ARP" : nil
            case 0x0800, 0x86dd: ip = inner.slice(off, -1)
            case ...1500 where anyFrame: return "802.3 frame"
            case 0x0600... where anyFrame: return "Ethernet frame, type 0x" + String(type, radix: 16)
            default: return nil
            }
        }
        guard let v = ip.u8(0) else { return nil }
        let src: IPAddress, dst: IPAddress, proto: UInt8, l4: Int
        switch v >> 4 {
        case 4:
            let ihl = Int(v & 0x0f) * 4
            // A zero total length comes from segmentation offload (BIG TCP): trust the capture.
            guard ihl >= 20, ip.has(0, ihl), let total = ip.u16(2), total == 0 || Int(total) >= ihl, let pr = ip.u8(9),
                  let s = ip.u32(12), let d = ip.u32(16) else { return nil }
            src = IPAddress(v4: s); dst = IPAddress(v4: d); proto = pr; l4 = ihl
        case 6:
            guard ip.has(0, 40), let pr = ip.u8(6), let sh = ip.u64(8), let sl = ip.u64(16), let dh = ip.u64(24), let dl = ip.u64(32) else {
                return nil
            }
            src = IPAddress(hi: sh, lo: sl); dst = IPAddress(hi: dh, lo: dl); proto = pr; l4 = 40
        default:
            return nil
        }
        let name = IPProtocol.name(proto)
        if IPProtocol.hasPorts(proto), let port = ip.u16(l4 + 2) {
            return "\(src) → \(dst) \(name)/\(port)"
        }
        return "\(src) → \(dst) \(name)"
    }
}
