import DemarcBase
import DemarcDecode
/// Zoom's UDP media transport, as the Princeton zoom-analysis dissector documents it. To
/// and from Zoom's servers an 8-byte header (type 5, a sequence number, a direction byte:
/// 0 towards Zoom, 4 from it) wraps a media header; between peers the media header comes
/// first. Media headers of type 15 (audio), 16 (video), 13 and 30 (screen sharing) carry
/// RTP whose payload Zoom encrypts (AES-256-GCM, per Zoom's security white paper), at an
/// offset fixed by the type. Zoom's bandwidth probes and control messages travel readable,
/// so a flow is encrypted once its media shows, and is left to the other inspectors and
/// the heuristic until then. Two things make a flow Zoom, cleartext, before its media: a
/// relayed session's set-up (the server echoing the client's session id), and the type-31
/// messages peers punch their way to each other with, which carry readable text (the
/// sender's local address, a session id).
public enum ZoomInspector: ProtocolInspector {
    /// The flow's slot while a relayed set-up waits for the server's echo: its session id.
    final class Relayed: FlowSlot {
        var session: UInt64 = 0
    }

    public static let transports: Transports = .udp

    /// A peer-to-peer hole-punching message: type 31, version 2, a 24-byte header, then
    /// text fields, each with a 32-bit length, closed by a zero length at the very end.
    static func isHolePunch(_ p: Bytes) -> Bool {
        guard p.u8(0) == 31, p.u8(1) == 2 else { return false }
        var off = 24
        var fields = 0
        while let len = p.u32(off) {
            if len == 0 { return fields > 0 && off + 4 == p.count }
            guard len <= 255, fields < 8, p.isPrintableASCII(off + 4, Int(len)) else { return false }
            off += 4 + Int(len)
            fields += 1
        }
        return false
    }

    /// The offset of the RTP header inside a media header of this type, or nil when the
    /// type carries no RTP (or the packet is too short to tell).
    static func rtpOffset(_ p: Bytes, media at: Int) -> Int? {
        guard let type = p.u8(at), p.u8(at + 1) == 1 else { return nil }
        switch type {
        case 15: return at + 19
        case 16: return p.u8(at + 20) == 2 ? at + 24 : at + 20
        case 30: return at + 20
        case 13: return p.u8(at + 7) == 0x1e ? at + 27 : nil
        default: return nil
        }
    }

    /// Whether the datagram is Zoom media: server-relayed or peer to peer.
    static func isMedia(_ p: Bytes) -> Bool {
        var media = 0
        if p.u8(0) == 5, let dir = p.u8(7), dir == 0 || dir == 4 { media = 8 }
        guard let rtp = rtpOffset(p, media: media), RTP.header(p, at: rtp),
              let pt = p.u8(rtp + 1), pt & 0x7f >= 96 else { return false }
        // An encrypted payload follows the RTP header: at least a GCM tag's worth.
        return p.count >= rtp + 12 + 16
    }

    /// Settles the flow as Zoom when the datagram is media (encrypted) or hole punching
    /// (cleartext, followed to its media); STUN hands ICE's peers here too.
    static func claim(_ c: inout InspectionContext, _ p: Bytes) -> Bool {
        if isMedia(p) {
            c.identify(.zoom, .encrypted)
        } else if isHolePunch(p) {
            c.identify(.zoom, .cleartext, keepInspecting: true)
        } else {
            return false
        }
        return true
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if claim(&c, p) { return .yes }
        guard let type = p.u8(0), (1...5).contains(type) else { return .no }
        // Through Zoom's servers: the server answers the client's set-up (type 1) with
        // type 2 and the same 16-byte session id. The flow is Zoom from then on,
        // followed past its probes and control to its media.
        if p.u8(1) == 0, let id = sessionID(p) {
            if type == 1 && c.fromClient && p.count >= 64 {
                c.details().slot(Relayed()).session = id
            } else if type == 2 && !c.fromClient && c.existingDetails()?[Relayed.self]?.session == id {
                c.identify(.zoom, .cleartext, keepInspecting: true)
                return .yes
            }
        }
        // Control and probes may come first: wait for media while the header fits.
        return .notYet
    }

    /// The session id of a relayed set-up message (bytes 3-18), folded to 64 bits.
    static func sessionID(_ p: Bytes) -> UInt64? {
        guard let a = p.u64(3), let b = p.u64(11) else { return nil }
        return a ^ (b &* 0x9e37_79b9_7f4a_7c15)
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if isMedia(p) {
            c.identify(.zoom, .encrypted)
        }
    }
}
