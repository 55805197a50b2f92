import DemarcBase
import DemarcDecode
import Crypto
import X509
import SwiftASN1
#if canImport(Glibc)
import Glibc
#endif

/// TLS over TCP: recognised by its record layer; the handshake is parsed across
/// segments (ClientHello: SNI, ALPN, offered versions; ServerHello: negotiated version
/// and cipher suite; Certificate, for TLS 1.2 and older: the server's certificate).
public enum TLSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let type = p.u8(0) else { return .notYet }
        if p.count < 5 { return type == 0x16 || type == 0x17 ? .notYet : .no }
        guard let major = p.u8(1), let minor = p.u8(2), let len = p.u16(3) else { return .no }
        if major == 0x03 && minor <= 0x04 && len > 0 && len <= 18_432 {
            switch type {
            case 0x16:
                // A handshake record must open with a hello.
                guard let hs = p.u8(5) else { return .notYet }
                guard hs == 1 || hs == 2 else { return .no }
            case 0x17, 0x15:
                // Mid-stream: application data or an alert. Ask for the record to fit a
                // plausible segment, so random bytes rarely pass.
                guard c.index == 0 || p.count >= 5 + Int(len) || p.count >= 1200 else { return .no }
            default:
                return .no
            }
            c.identify(.tls, .encrypted, keepInspecting: true)
            follow(&c, p)
            return .yes
        }
        // SSLv2-compatible ClientHello: 2-byte length with the top bit set, type 1.
        if type & 0x80 != 0, p.u8(2) == 1, let v = p.u16(3), v == 0x0002 || (v >> 8 == 3 && v & 0xff <= 3) {
            c.identify(.tls, .encrypted, keepInspecting: true)
            c.state.versionKind = .tls
            c.state.version = v == 0x0002 ? 0x0002 : UInt32(v)
            c.state.weak = true
            c.details().note = v == 0x0002 ? "SSL 2.0" : "an SSLv2-compatible hello"
            return .yes
        }
        return .no
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        let d = c.details()
        let tls = d.tls ?? TLSStreams()
        d.tls = tls
        tls.feed(&c, p, details: d)
        if tls.done { c.state.active = false }
    }
}
