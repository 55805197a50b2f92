import DemarcBase
import DemarcDecode
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
