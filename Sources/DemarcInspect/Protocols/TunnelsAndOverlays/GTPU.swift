import DemarcBase
import DemarcDecode
/// GTP-U, the mobile core's user-plane tunnels (3GPP TS 29.281): one of the overlays
/// OverlayInspector recognises (Overlays.swift).
extension OverlayInspector {
    /// GTP-U (3GPP TS 29.281): flags with version 1 and protocol type GTP (0x30; E, S and
    /// PN add a 4-byte field, E a chain of extension headers, each a length in 4-byte
    /// words and the next type), message type, the length of all that follows the first
    /// 8 bytes, and the tunnel endpoint id. A G-PDU (255) carries the user's IP packet.
    /// Mobile networks carry subscribers' traffic this way between base stations and
    /// the core: it encrypts nothing (3GPP leaves that to IPsec on the backhaul).
    static func gtpUser(_ p: Bytes) -> Encapsulation? {
        guard let (type, off) = gtpHeader(p), type == 255, let teid = p.u32(4) else { return nil }
        return Encapsulation(app: .gtpu, network: .teid(teid), inner: p.slice(off, -1), ethernet: false)
    }

    /// GTP-U path management and tunnel messages with a sound header: echo request and
    /// response, error indication, supported extension headers, end marker.
    static func gtpPathMessage(_ p: Bytes) -> String? {
        guard let (type, _) = gtpHeader(p) else { return nil }
        switch type {
        case 1: return "echo request"
        case 2: return "echo response"
        case 26: return "error indication"
        case 31: return "supported extension headers"
        case 254: return "end marker"
        default: return nil
        }
    }

    /// The message type and where the message's body starts, when the GTPv1 header (and
    /// its extension header chain) fits the datagram exactly.
    static func gtpHeader(_ p: Bytes) -> (UInt8, Int)? {
        guard let flags = p.u8(0), flags & 0xf8 == 0x30, let type = p.u8(1), let len = p.u16(2),
              Int(len) + 8 == p.count else { return nil }
        var off = 8
        guard flags & 0x07 != 0 else { return (type, off) }
        guard var next = p.u8(11) else { return nil }
        off = 12
        if flags & 0x04 == 0 { next = 0 }
        var hops = 0
        while next != 0 {
            guard hops < 8, let words = p.u8(off), words > 0, p.has(off, Int(words) * 4) else { return nil }
            off += Int(words) * 4
            next = p.u8(off - 1) ?? 0
            hops += 1
        }
        return (type, off)
    }
}
