import DemarcBase
import DemarcDecode
import Crypto
import X509
import SwiftASN1
#if canImport(Glibc)
import Glibc
#endif

/// DTLS over UDP: its record layer (versions 0xfeff, 0xfefd, 0xfefc) and hellos.
public enum DTLSInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 13, let type = p.u8(0), (20...25).contains(type), p.u8(1) == 0xfe,
              let minor = p.u8(2), minor == 0xff || minor == 0xfd || minor == 0xfc,
              let len = p.u16(11), 13 + Int(len) <= p.count else { return .no }
        if type == 22 {
            // Handshake: type byte then 3-byte length, sequence, fragment offset and length.
            guard let hs = p.u8(13), hs == 1 || hs == 2 || hs == 3 || hs == 11 || hs == 12 || hs == 14 || hs == 16 else { return .no }
        }
        c.identify(.dtls, .encrypted, keepInspecting: true)
        c.state.versionKind = .dtls
        c.state.version = UInt32(0xfe00 | UInt16(minor))
        follow(&c, p)
        return .yes
    }

    /// Server datagrams read for a ServerKeyExchange after the ServerHello.
    static let awaitedPackets = 4

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        // Each datagram holds whole records; read the hellos in them.
        var off = 0
        let d = c.details()
        while p.has(off, 13), let len = p.u16(off + 11) {
            let type = p.u8(off)!
            let body = p.slice(off + 13, Int(len))
            if type == 22, let hs = body.u8(0), body.count >= 12 {
                let fragLen = Int(body.u8(9)!) << 16 | Int(body.u16(10)!)
                let msg = body.slice(12, fragLen)
                // A fragment that is not the hello's start reads as a hello cut short:
                // only a hello read whole counts here.
                if hs == 1, let h = TLSHello.parse(msg, client: true, dtls: true), h.whole {
                    d.sni = h.sni ?? d.sni
                    d.alpn = h.alpn ?? d.alpn
                    d.negotiate(ja4: JA4.fingerprint(h, transport: "d", cache: c.store.ja4Hashes))
                } else if hs == 2, let h = TLSHello.parse(msg, client: false, dtls: true) {
                    c.state.version = UInt32(h.selected)
                    if let weak = TLSHello.weakness(version: h.selected, suite: h.cipherSuite, dtls: true) {
                        c.state.weak = true
                        d.note = weak
                    }
                    let awaiting = TLSStreams.keyExchange(h, into: d)
                    // DTLS 1.2's ServerKeyExchange (usually in the same flight) names the group.
                    if awaiting == nil || c.index >= awaitedPackets { c.state.active = false }
                } else if hs == 12, let kind = d.negotiated?.cipher.flatMap(CryptoNames.suiteKeyExchange(name:)) {
                    if let n = TLSStreams.serverKeyExchange(msg, kind: kind) { d.negotiated(n) }
                    c.state.active = false
                }
            } else if type == 23 {
                c.state.active = false
            }
            off += 13 + Int(len)
        }
    }
}
