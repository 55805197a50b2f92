import DemarcBase
import DemarcDecode
/// QUIC over UDP: long-header packets name their version (IETF v1 and v2, drafts,
/// Google's Q0xx and T0xx, Facebook's mvfst); Google's older public-header format too.
/// The SNI and ALPN of IETF QUIC come from decrypting the client's Initial packets,
/// whose keys anyone can derive (RFC 9001 §5.2; QUICInitial); gQUIC up to Q048 sends its
/// hello in clear, and Q050's Initial is decrypted with its own salt to read the CHLO.
/// `version` names gQUIC as `gQUIC Q046`. Older gQUIC seen from the server alone is
/// recognised by the server's REJ message, sent in clear; `version` is then null.
/// A connection met after its long-header packets is recognised by its short headers
/// (QUICShortHeaders).
public enum QUICInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    static func knownVersion(_ v: UInt32) -> Bool {
        switch v {
        case 0x0000_0001, 0x6b33_43cf, 0x709a_50c4: return true
        case 0xff00_0001...0xff00_0022: return true
        case 0xface_b001...0xface_b00f: return true
        case _ where v & 0x0f0f_0f0f == 0x0a0a_0a0a:
            // Reserved versions (RFC 9000 §15) that force version negotiation.
            return true
        default:
            // Q0xx / T0xx: ASCII 'Q' or 'T', then three digits.
            let b0 = v >> 24, b1 = (v >> 16) & 0xff, b2 = (v >> 8) & 0xff, b3 = v & 0xff
            return (b0 == 0x51 || b0 == 0x54) && (0x30...0x39).contains(b1) && (0x30...0x39).contains(b2) && (0x30...0x39).contains(b3)
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        // A Version Negotiation packet may be as short as 11 bytes (RFC 9000 §17.2.1: empty
        // connection IDs, one version); the minimal one, an 8-byte ID and one version, is 19.
        guard let first = p.u8(0), p.count >= 20 || (first & 0x80 != 0 && p.count >= 11 && p.u32(1) == 0) else { return .no }
        if first & 0x80 != 0 {
            guard let version = p.u32(1), let dcid = p.u8(5) else { return .no }
            // Google's Q046–Q048 long header gives both connection id lengths as nibbles
            // in one byte; its handshake (CHLO) is still in clear.
            if version >> 24 == 0x51, (0x3034_36...0x3034_38).contains(version & 0x00ff_ffff), knownVersion(version) {
                identifyGoogle(&c, p, version: version)
                return .yes
            }
            guard dcid <= 20 else { return .no }
            if version == 0 {
                // Version negotiation: the list of versions must hold known ones.
                guard let scid = p.u8(6 + Int(dcid)), scid <= 20, let v = p.u32(7 + Int(dcid) + Int(scid)), knownVersion(v) else { return .no }
                c.identify(.quic, .encrypted)
                return .yes
            }
            // The fixed bit may be greased (RFC 9287) once both ends agreed to it, on packets
            // after the Initials: then only a version in use, not a reserved one, counts.
            let greased = first & 0x40 == 0 && first & 0x30 != 0 && version & 0x0f0f_0f0f != 0x0a0a_0a0a
            guard knownVersion(version), first & 0x40 != 0 || version >> 24 == 0x51 || greased else { return .no }
            // An Initial is padded to at least 1200 bytes by the client.
            let isInitial = (first & 0x30) == 0 && version >> 24 != 0x51 && version >> 24 != 0x54
            if isInitial && c.fromClient && c.index == 0 && p.count < 1200 && version == 1 { return .no }
            // A client's first Initial in a version without known keys (a reserved one
            // that forces version negotiation, RFC 9000 §6, or one the server may not
            // speak) is followed, after the server's Version Negotiation, by an Initial
            // in a version the server offered: the client's Initials are read on.
            let readable = c.fromClient && (QUICInitial.parameters(version) != nil || mayNegotiate(version))
            c.identify(.quic, .encrypted, keepInspecting: readable)
            c.state.versionKind = .quic
            c.state.version = version
            if readable { readClientHello(&c, p) }
            return .yes
        }
        // Google QUIC public header: version flag (0x01) with an 8-byte connection id (0x08).
        if first & 0x09 == 0x09, let v = p.u32(9), v >> 24 == 0x51, knownVersion(v) {
            identifyGoogle(&c, p, version: v)
            return .yes
        }
        // The same seen from the server alone: no version, an 8-byte connection id, and
        // the server's rejection (REJ) of the client's first hello, a handshake message
        // sent in clear (what follows it is encrypted).
        if first & 0x09 == 0x08, first & 0xc0 == 0, p.count >= 100, findTag("REJ\0", in: p) != nil {
            // The version is not on the wire here: `version` stays null.
            c.identify(.quic, .encrypted)
            return .yes
        }
        // A short header: the connection's Initials were not captured (QUICShortHeaders).
        return QUICShortHeaders.identify(&c, p)
    }

    /// Google QUIC before Q050: the client's hello (CHLO) is not encrypted; read its SNI.
    static func identifyGoogle(_ c: inout InspectionContext, _ p: Bytes, version: UInt32) {
        c.identify(.quic, .encrypted, keepInspecting: c.fromClient)
        c.state.versionKind = .quic
        c.state.version = version
        if c.fromClient { readGoogleHello(&c, p) }
    }

    /// A CHLO message: "CHLO", entry count (LE16), 2 bytes padding, then (tag, end offset
    /// LE32) pairs, then the values; the SNI is the value of tag "SNI\0".
    static func readGoogleHello(_ c: inout InspectionContext, _ p: Bytes) {
        guard let at = findCHLO(p), let n0 = p.u8(at + 4), let n1 = p.u8(at + 5) else { return }
        let count = Int(n0) | Int(n1) << 8
        guard count > 0, count <= 64 else { return }
        let entries = at + 8
        let values = entries + 8 * count
        var start = 0
        for i in 0..<count {
            let e = entries + 8 * i
            guard let tag = p.u32(e), let endBE = p.u32(e + 4) else { return }
            let end = Int(endBE.byteSwapped)  // stored little-endian
            guard end >= start else { return }
            if tag == 0x534e_4900, p.has(values + start, end - start), end - start <= 255 {
                c.details().sni = p.text(values + start, end - start)
                c.state.active = false
                return
            }
            start = end
        }
    }

    static func findCHLO(_ p: Bytes) -> Int? { findTag("CHLO", in: p) }

    /// A handshake message tag among a gQUIC packet's first 128 bytes.
    static func findTag(_ tag: StaticString, in p: Bytes) -> Int? {
        let first = tag.utf8Start[0]
        var i = 0
        while let at = p.find(first, from: i, limit: 128 - i) {
            if p.starts(with: tag, at: at) { return at }
            i = at + 1
        }
        return nil
    }

    /// Client packets that may still hold the rest of a ClientHello.
    static let initialPackets = 4

    /// An IETF-style version whose Initials demarc cannot decrypt: a Version Negotiation
    /// may move the client to one it can.
    static func mayNegotiate(_ version: UInt32) -> Bool {
        QUICInitial.parameters(version) == nil && version >> 24 != 0x51 && version >> 24 != 0x54
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient else {
            let server = c.existingDetails()?[QUICServerHello.self]
            if let server { readServerHello(&c, p, server) }
            // Before any ClientHello was read in a version demarc cannot decrypt, an answer
            // other than a Version Negotiation packet means the server took that version:
            // nothing more can be read.
            let negotiation = p.u8(0).map { $0 & 0x80 != 0 } == true && p.u32(1) == 0
            let awaiting = server == nil && mayNegotiate(c.state.version)
            if c.index >= initialPackets || (awaiting && !negotiation) { c.state.active = false }
            return
        }
        let server = c.existingDetails()?[QUICServerHello.self]
        if !(server?.clientHelloRead ?? false) { readClientHello(&c, p) }
        if c.index + 1 >= initialPackets && c.existingDetails()?[QUICServerHello.self] == nil { c.state.active = false }
    }

    /// The ServerHello in the server's Initials (protected with keys from the client's
    /// first DCID): the key_share group and the cipher suite. Then inspection ends.
    static func readServerHello(_ c: inout InspectionContext, _ p: Bytes, _ server: QUICServerHello) {
        let d = c.details()
        if let frames = QUICInitial.cryptoFrames(p, serverKeysFor: server.dcid) {
            server.stream.add(frames, c)
            if let body = server.stream.message(2) {
                if let hello = body.withUnsafeBytes({ TLSHello.parse(Bytes($0), client: false, dtls: false) }) {
                    TLSStreams.keyExchange(hello, into: d)
                }
                d[QUICServerHello.self] = nil
                c.state.active = false
                return
            }
        }
        if c.index + 1 >= initialPackets { d[QUICServerHello.self] = nil; c.state.active = false }
    }

    /// Decrypts a client Initial and, once the ClientHello is whole, reports its SNI
    /// and ALPN; then stops inspecting.
    static func readClientHello(_ c: inout InspectionContext, _ p: Bytes) {
        if c.state.version >> 24 == 0x51 {
            // Google QUIC: a CHLO, in clear before Q050, in the decrypted Initial from Q050.
            guard QUICInitial.parameters(c.state.version) != nil else { readGoogleHello(&c, p); return }
            guard let plain = QUICInitial.decrypt(p) else { return }
            plain.withUnsafeBytes { readGoogleHello(&c, Bytes($0)) }
            return
        }
        guard let frames = QUICInitial.cryptoFrames(p) else { return }
        let d = c.details()
        var server = d[QUICServerHello.self]
        if server == nil && d[QUICCryptoStream.self] == nil, let dcid = QUICInitial.destinationID(p) {
            server = d.slot(QUICServerHello(dcid: dcid))
        }
        let stream = d.slot(QUICCryptoStream())
        stream.add(frames, c)
        guard let body = stream.clientHello() else { return }
        d[QUICCryptoStream.self] = nil
        // The server's Initials are still to be read for the ServerHello.
        server?.clientHelloRead = true
        c.state.active = server != nil
        let hello = body.withUnsafeBytes { TLSHello.parse(Bytes($0), client: true, dtls: false) }
        d.sni = hello?.sni ?? d.sni
        d.alpn = hello?.alpn ?? d.alpn
        if let hello { d.negotiate(ja4: JA4.fingerprint(hello, transport: "q", cache: c.store.ja4Hashes)) }
    }
}

/// What reading a QUIC server's ServerHello needs: the client's first DCID (the server's
/// Initial keys derive from it) and the server's CRYPTO stream so far.
final class QUICServerHello: FlowSlot {
    let dcid: [UInt8]
    let stream = QUICCryptoStream()
    var clientHelloRead = false
    init(dcid: [UInt8]) { self.dcid = dcid; super.init() }
}
