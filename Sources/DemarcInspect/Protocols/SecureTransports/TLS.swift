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
/// A connection whose handshake was not captured is still TLS by its records alone: a
/// content type, a version 3.x and a length that fits the segment. Its first segments
/// may begin inside a record, so those that do not open with a header leave the question
/// open a little longer. Application data below TLS 1.2 carries the negotiated version
/// in its header (SSL 3.0, TLS 1.0 and 1.1 are named, and weak); a 3.3 header is TLS 1.2
/// or 1.3, so the version stays unnamed.
public enum TLSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let type = p.u8(0) else { return .notYet }
        if p.count < 5 { return type == 0x16 || type == 0x17 || c.index < midRecordPackets ? .notYet : .no }
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
        // Perhaps the middle of a record, in a connection whose start was not captured.
        return c.index < midRecordPackets ? .notYet : .no
    }

    /// Packets per direction that may begin inside a record before TLS is ruled out.
    static let midRecordPackets = 3

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        let d = c.details()
        let tls = d.slot(TLSStreams())
        tls.feed(&c, p, details: d)
        if tls.done { c.state.active = false }
    }
}
