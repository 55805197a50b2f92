import DemarcBase
import DemarcDecode
/// GRE version 0 (RFC 2784/2890) with IP or Ethernet inside, and ERSPAN port mirroring
/// (types I–III) over it: overlays OverlayInspector recognises (Overlays.swift).
extension OverlayInspector {
    /// GRE version 0 (RFC 2784, keys and sequence numbers of RFC 2890) carrying IP,
    /// Ethernet, or mirrored frames (ERSPAN types I and II, 0x88BE; type III, 0x22EB).
    /// PPTP's enhanced GRE (version 1) carries PPP, which may be MPPE encrypted: not
    /// claimed.
    static func gre(_ p: Bytes) -> Encapsulation? {
        guard let flags = p.u8(0), let b1 = p.u8(1), b1 & 0x07 == 0, flags & 0x4f == 0, let type = p.u16(2) else { return nil }
        var off = 4
        if flags & 0x80 != 0 { off += 4 }
        var key: UInt32?
        if flags & 0x20 != 0 {
            guard let k = p.u32(off) else { return nil }
            key = k
            off += 4
        }
        let sequenced = flags & 0x10 != 0
        if sequenced { off += 4 }
        var network = Encapsulation.Network.gre(key: key)
        switch type {
        case 0x0800, 0x86dd, 0x6558:
            break
        case 0x88be where !sequenced:
            // ERSPAN type I: the mirrored frame follows at once.
            network = .erspan(type: 1, session: nil)
        case 0x88be, 0x22eb:
            // ERSPAN type II (8-byte header, version 1) or III (12 bytes, version 2, and
            // an 8-byte platform subheader when its O bit is set).
            guard let head = p.u16(off), let word = p.u16(off + 2) else { return nil }
            let version = head >> 12
            if type == 0x88be {
                guard version == 1 else { return nil }
                off += 8
            } else {
                // Frame type (5 bits of byte 10): 0 is Ethernet, the only one read.
                guard version == 2, let ft = p.u8(off + 10), (ft >> 2) & 0x1f == 0, let last = p.u8(off + 11) else { return nil }
                off += 12 + (last & 0x01 != 0 ? 8 : 0)
            }
            network = .erspan(type: type == 0x88be ? 2 : 3, session: word & 0x3ff)
        default:
            return nil
        }
        let e = Encapsulation(app: .gre, network: network, inner: p.slice(off, -1), ethernet: type != 0x0800 && type != 0x86dd)
        guard p.has(off, e.mirrored ? 14 : 20) else { return nil }
        return e
    }
}
