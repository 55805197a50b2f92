import DemarcBase
import DemarcDecode
/// SSH: the identification banner (`SSH-2.0-…`) opens both directions. A connection whose
/// banners were not captured is still SSH by its binary packets where their framing shows:
/// with AES-GCM or an encrypt-then-MAC algorithm the packet length travels in clear, a
/// multiple of the cipher's block, and the segment is exactly packets of that length plus
/// their tag or MAC (16, 20, 32 or 64 bytes). ChaCha20-Poly1305 hides the length too, and
/// such a connection is left to the heuristic.
public enum SSHInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    /// Segments per direction read for binary packets before SSH is ruled out.
    static let framedPackets = 3

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "SSH-") else {
            if c.index == 0 && p.count < 4 && p.starts(with: "S") { return .notYet }
            if isBinaryPackets(p) {
                c.identify(.ssh, .encrypted)
                c.state.versionKind = .ssh
                c.state.version = 2
                return .yes
            }
            return c.index < framedPackets ? .notYet : .no
        }
        let line = p.firstLine(limit: 255)
        let v1 = line.hasPrefix("SSH-1.") && !line.hasPrefix("SSH-1.99")
        // SSH 2's KEXINIT messages follow the banners (SSHKex.swift reads them).
        c.identify(.ssh, .encrypted, keepInspecting: !v1)
        c.state.versionKind = .ssh
        c.state.version = v1 ? 1 : 2
        if !v1 { follow(&c, p) }
        if v1 {
            c.state.weak = true
            c.details().note = "SSH protocol 1"
        }
        c.details().banner = line
        return .yes
    }

    /// Tag or MAC sizes: AES-GCM and umac-128 (16), SHA-1 (20), SHA-256 (32), SHA-512 (64).
    static let macSizes = [16, 20, 32, 64]

    /// The segment is one or more SSH binary packets whose length is in clear: each a
    /// 4-byte length (16 to 35,000, a multiple of 8), that many bytes, and a MAC or tag of
    /// one size for all of them; they end exactly where the segment does.
    static func isBinaryPackets(_ p: Bytes) -> Bool {
        guard p.count >= 36, let first = p.u32(0), first >= 16, first <= 35_000, first % 8 == 0 else { return false }
        for mac in macSizes {
            var off = 0
            while let len = p.u32(off), len >= 16, len <= 35_000, len % 8 == 0, off + 4 + Int(len) + mac <= p.count {
                off += 4 + Int(len) + mac
            }
            if off == p.count { return true }
        }
        return false
    }
}
