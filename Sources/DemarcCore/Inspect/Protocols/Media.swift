/// RTP and RTCP framing (RFC 3550) and what the secure profile (SRTP, RFC 3711) adds to
/// it: the pieces the inspectors of protocols that carry media share.
///
/// RTP's payload cannot tell SRTP from plain RTP (a compressed codec is as random as
/// ciphertext). RTCP can: plain RTCP is a compound packet whose headers' lengths tile the
/// datagram exactly, while SRTCP encrypts everything after the first eight bytes and
/// appends the E flag with a 31-bit index, then (except under AEAD, whose tag sits in the
/// encrypted part) an authentication tag of 10 or 4 bytes. RFC 3711 makes SRTCP mandatory
/// where SRTP is used, so the RTCP that a media flow carries says which it is.
enum RTP {
    /// An RTP version-2 header at `offset` (with its CSRC list inside the packet) whose
    /// payload type is not one RTCP's packet types could be mistaken for (RFC 5761 §4).
    static func header(_ p: Bytes, at offset: Int) -> Bool {
        guard let b0 = p.u8(offset), b0 & 0xc0 == 0x80, let b1 = p.u8(offset + 1) else { return false }
        let pt = b1 & 0x7f
        guard !(64...95).contains(pt) else { return false }
        return p.has(offset, 12 + 4 * Int(b0 & 0x0f))
    }

    /// An RTCP header at `offset`: version 2 and a packet type of RFC 3550 or its
    /// extensions (200 SR … 207 XR); returns the packet's length in bytes.
    static func rtcpPacket(_ p: Bytes, at offset: Int) -> Int? {
        guard let b0 = p.u8(offset), b0 & 0xc0 == 0x80, let pt = p.u8(offset + 1), (200...207).contains(pt),
              let words = p.u16(offset + 2) else { return nil }
        return (Int(words) + 1) * 4
    }

    /// Plain compound RTCP: RTCP packets end to end, filling the datagram exactly.
    static func isRTCP(_ p: Bytes) -> Bool {
        var off = 0
        var packets = 0
        while off < p.count && packets < 16 {
            guard let len = rtcpPacket(p, at: off) else { return false }
            off += len
            packets += 1
        }
        return off == p.count
    }

    /// Authentication tags after SRTCP's index: HMAC-SHA1-80, HMAC-SHA1-32, none (AEAD).
    static let srtcpTagLengths = [10, 4, 0]

    /// SRTCP with encryption on (the E flag set). The index counts RTCP packets from zero,
    /// so a plausible one is small; the encrypted part must hold at least the first
    /// packet the header announces and keep RTCP's 32-bit alignment.
    static func isEncryptedRTCP(_ p: Bytes) -> Bool {
        guard let first = rtcpPacket(p, at: 0), !isRTCP(p) else { return false }
        for tag in srtcpTagLengths {
            let end = p.count - tag - 4
            guard end >= max(first, 8), end % 4 == 0, let word = p.u32(end) else { continue }
            if word & 0x8000_0000 != 0 && word & 0x7fff_ffff < 1 << 24 { return true }
        }
        return false
    }
}

/// RTCP on its own 5-tuple (RTP's port + 1, where the media does not multiplex it): SRTCP
/// makes the flow SRTP, encrypted; plain compound RTCP, which carries the participants'
/// names (CNAME, often user@host) and reception statistics in clear, makes it RTP,
/// cleartext. One sound packet decides.
public enum RTCPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        claim(&c, p) ? .yes : .no
    }

    /// Settles the flow as SRTP or RTP when the datagram is RTCP of either kind; STUN
    /// hands the media that follows ICE here too.
    static func claim(_ c: inout InspectionContext, _ p: Bytes) -> Bool {
        guard let b0 = p.u8(0), b0 & 0xc0 == 0x80 else { return false }
        if RTP.isEncryptedRTCP(p) {
            c.identify(.srtp)
        } else if RTP.isRTCP(p) {
            c.identify(.rtp, .cleartext)
        } else {
            return false
        }
        return true
    }
}

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
                c.details().zoomSession = id
            } else if type == 2 && !c.fromClient && c.existingDetails()?.zoomSession == id {
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

/// netcode.io, the secure UDP transport of the yojimbo game networking library: the
/// client's connection request is the only packet not encrypted, and even it carries the
/// connect token sealed for the server. It is a zero byte, "NETCODE 1.0x" and a NUL,
/// the protocol id, the token's expiry, its nonce (8 bytes up to 1.01, 24 from 1.02) and
/// the 1,024-byte encrypted token. Every later packet is ChaCha20-Poly1305 ciphertext.
public enum NetcodeInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.u8(0) == 0, p.starts(with: "NETCODE 1.0", at: 1), let minor = p.u8(12),
              p.u8(13) == 0 else { return .no }
        switch (minor, p.count) {
        case (UInt8(ascii: "0"), 1062), (UInt8(ascii: "1"), 1062), (UInt8(ascii: "2"), 1078): break
        default: return .no
        }
        c.identify(.netcode)
        return .yes
    }
}
