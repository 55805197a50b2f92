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
/// A ClientHello cut by the segment's end (a post-quantum key share spreads it over
/// several) is TLS by its record header and the hello's first bytes.
/// A connection whose handshake was not captured is still TLS by its records alone
/// (`TLSRecordChain`): headers that chain (each record's length leads to the next header,
/// in the segment or at the sequence number it predicts in a later one), or one record
/// that fills the segment exactly. A segment may begin inside a record: headers are then
/// looked for within it. Application data below TLS 1.2 carries the negotiated version
/// in its header (SSL 3.0, TLS 1.0 and 1.1 are named, and weak); a 3.3 header is TLS 1.2
/// or 1.3, so the version stays unnamed.
public enum TLSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let type = p.u8(0) else { return .notYet }
        if p.count < 5 { return (20...23).contains(type) || c.index < midRecordPackets ? .notYet : .no }
        guard let major = p.u8(1), let minor = p.u8(2), let len = p.u16(3) else { return .no }
        if type == 0x16 && major == 0x03 && minor <= 0x04 && len > 0 && len <= TLSRecordChain.maxLength,
           let hs = p.u8(5), hs == 1 || hs == 2 {
            // A hello, whole or cut by the segment's end.
            claim(&c, p)
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
        // The handshake was not captured: the records' own framing.
        switch TLSRecordChain.evidence(&c, p) {
        case .proven:
            claim(&c, p)
            return .yes
        case .predicted:
            return .notYet
        case .none:
            // Perhaps the middle of a record, in a connection whose start was not captured.
            return c.index < midRecordPackets ? .notYet : .no
        }
    }

    /// The flow is TLS: the handshake is read from here on.
    static func claim(_ c: inout InspectionContext, _ p: Bytes) {
        c.existingDetails()?[TLSRecordWatch.self] = nil
        c.identify(.tls, .encrypted, keepInspecting: true)
        follow(&c, p)
    }

    /// Packets per direction that may begin inside a record before TLS is ruled out.
    static let midRecordPackets = 3

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        // The record and its TLS slot are borrowed for the packet, not retained.
        let done = InspectionContext.withDetails(&c) { c, d in
            d.withSlot(TLSStreams()) { tls in
                tls.feed(&c, p, details: d)
                return tls.done
            }
        }
        if done { c.state.active = false }
    }
}
