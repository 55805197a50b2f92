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

/// The two directions of a TLS (or upgraded) stream being parsed.
public final class TLSStreams {
    struct Direction {
        var buffer: [UInt8] = []
        var handshake: [UInt8] = []
        var nextSeq: UInt32?
        var finished = false
    }
    // One flow's parser, used from one thread: no dynamic exclusivity checks.
    @exclusivity(unchecked) var toServer = Direction()
    @exclusivity(unchecked) var toClient = Direction()
    @exclusivity(unchecked) var clientHelloSeen = false
    @exclusivity(unchecked) var serverHelloSeen = false
    @exclusivity(unchecked) var dtls = false
    static let bufferLimit = 65_536

    var done: Bool { toServer.finished && toClient.finished }

    func feed(_ c: inout InspectionContext, _ p: Bytes, details: FlowDetails) {
        if c.fromClient {
            feed(&toServer, &c, p, details)
        } else {
            feed(&toClient, &c, p, details)
        }
    }

    private func feed(_ dir: inout Direction, _ c: inout InspectionContext, _ p: Bytes, _ d: FlowDetails) {
        guard !dir.finished else { return }
        // Keep the byte stream in order: skip retransmitted bytes, stop at a gap.
        var start = 0
        if c.isTCP, let next = dir.nextSeq {
            let delta = Int32(bitPattern: c.tcpSeq &- next)
            if delta > 0 { dir.finished = true; return }
            start = Int(-delta)
            if start >= p.count { return }
        }
        dir.nextSeq = c.tcpSeq &+ UInt32(p.count)
        let fresh = p.slice(start, -1)
        // Most records arrive whole in one segment and are parsed where they lie; only a
        // record that spans segments is buffered.
        var pending = dir.buffer
        dir.buffer = []
        pending.consume(fresh) { records($0, &dir, &c, d) }
        dir.buffer = pending
        if dir.buffer.count > TLSStreams.bufferLimit { dir.finished = true }
        if dir.finished { dir.buffer = []; dir.handshake = [] }
    }

    /// Handles the complete records at the start of `b`; returns the bytes they took.
    private func records(_ b: Bytes, _ dir: inout Direction, _ c: inout InspectionContext, _ d: FlowDetails) -> Int {
        var off = 0
        while !dir.finished {
            guard b.count - off >= 5 else { break }
            let type = b.base[off], len = Int(b.base[off + 3]) << 8 | Int(b.base[off + 4])
            guard (20...24).contains(type), b.base[off + 1] == 3 || b.base[off + 1] == 0xfe else { dir.finished = true; break }
            // ChangeCipherSpec or application data: this side's cleartext handshake is
            // over. The header says so; the body (up to 16 KB over many segments) need
            // not be gathered.
            if type == 20 || type == 23 { dir.finished = true; break }
            guard b.count - off >= 5 + len else { break }
            let body = b.slice(off + 5, len)
            off += 5 + len
            switch type {
            case 22:
                if !(serverHelloSeen && c.state.version >= 0x0304 && !c.fromClient) {
                    handshakeRecord(body, &dir, &c, d)
                }
            case 21:
                if len == 2, let level = body.u8(0), level == 2, let what = body.u8(1) { d.note = d.note ?? "TLS alert \(what)" }
            default:
                break
            }
        }
        return off
    }

    /// A handshake record's body: its messages, handled in place unless one spans
    /// records (then gathered in `dir.handshake` first).
    private func handshakeRecord(_ body: Bytes, _ dir: inout Direction, _ c: inout InspectionContext, _ d: FlowDetails) {
        var pending = dir.handshake
        dir.handshake = []
        pending.consume(body) { handshakes($0, &dir, &c, d) }
        dir.handshake = pending
        if dir.handshake.count > TLSStreams.bufferLimit { dir.finished = true }
    }

    /// Handles the complete handshake messages at the start of `h`; returns the bytes they took.
    private func handshakes(_ h: Bytes, _ dir: inout Direction, _ c: inout InspectionContext, _ d: FlowDetails) -> Int {
        var off = 0
        while h.count - off >= 4 {
            let type = h.base[off]
            let len = Int(h.base[off + 1]) << 16 | Int(h.base[off + 2]) << 8 | Int(h.base[off + 3])
            guard h.count - off >= 4 + len else { break }
            handle(type, h.slice(off + 4, len), &dir, &c, d)
            off += 4 + len
            if dir.finished { break }
        }
        return off
    }

    private func handle(_ type: UInt8, _ body: Bytes, _ dir: inout Direction, _ c: inout InspectionContext, _ d: FlowDetails) {
        switch type {
        case 1:
            clientHelloSeen = true
            if let hello = TLSHello.parse(body, client: true, dtls: dtls) {
                d.sni = hello.sni ?? d.sni
                d.alpn = hello.alpn ?? d.alpn
                if c.state.version == 0 {
                    c.state.versionKind = dtls ? .dtls : .tls
                    c.state.version = UInt32(hello.offered)
                }
            }
            dir.finished = true
        case 2:
            serverHelloSeen = true
            guard let hello = TLSHello.parse(body, client: false, dtls: dtls) else { dir.finished = true; return }
            c.state.versionKind = dtls ? .dtls : .tls
            c.state.version = UInt32(hello.selected)
            if let weak = TLSHello.weakness(version: hello.selected, suite: hello.cipherSuite, dtls: dtls) {
                c.state.weak = true
                d.note = weak
            }
            if d.alpn == nil { d.alpn = hello.alpn }
            // TLS 1.3 encrypts everything after the ServerHello, certificate included.
            if !dtls && hello.selected >= 0x0304 { dir.finished = true }
        case 11:
            if !dtls, d.certificate == nil { d.certificate = TLSHello.certificate(body) }
            dir.finished = true
        case 14:
            dir.finished = true
        default:
            break
        }
    }
}

extension Array where Element == UInt8 {
    /// Stream parsing without copying in the common case: hands `fresh` to `parse`
    /// where it lies when nothing is pending, or after the pending bytes when something
    /// is; `parse` returns how many bytes it used, and only the unused tail is kept.
    mutating func consume(_ fresh: Bytes, _ parse: (Bytes) -> Int) {
        if isEmpty {
            let used = parse(fresh)
            if used < fresh.count { append(contentsOf: fresh.slice(used, -1).base) }
        } else {
            append(contentsOf: fresh.base)
            let all = self
            let used = all.withUnsafeBytes { parse(Bytes($0)) }
            if used > 0 { removeFirst(Swift.min(used, count)) }
        }
    }
}

/// ClientHello and ServerHello fields demarc reports.
enum TLSHello {
    struct Hello {
        var legacyVersion: UInt16 = 0
        var sni: String?
        var alpn: String?
        var supportedVersions: [UInt16] = []
        var cipherSuite: UInt16 = 0
        /// Highest version the client offers.
        var offered: UInt16 {
            supportedVersions.filter { $0 & 0x0f0f != 0x0a0a }.max() ?? legacyVersion
        }
        /// The version the server chose.
        var selected: UInt16 { supportedVersions.first ?? legacyVersion }
    }

    static func parse(_ b: Bytes, client: Bool, dtls: Bool) -> Hello? {
        var h = Hello()
        guard let v = b.u16(0) else { return nil }
        h.legacyVersion = v
        var off = 2 + 32
        guard let sidLen = b.u8(off) else { return nil }
        off += 1 + Int(sidLen)
        if client {
            if dtls {
                guard let cookie = b.u8(off) else { return nil }
                off += 1 + Int(cookie)
            }
            guard let suitesLen = b.u16(off) else { return nil }
            off += 2 + Int(suitesLen)
            guard let compLen = b.u8(off) else { return nil }
            off += 1 + Int(compLen)
        } else {
            guard let suite = b.u16(off) else { return nil }
            h.cipherSuite = suite
            off += 3
        }
        guard let extLen = b.u16(off) else { return h }
        off += 2
        let end = min(b.count, off + Int(extLen))
        while off + 4 <= end {
            let type = b.u16(off)!, len = Int(b.u16(off + 2)!)
            let e = b.slice(off + 4, len)
            off += 4 + len
            switch type {
            case 0 where client:
                // server_name: list length, then (type, length, name).
                if e.u8(2) == 0, let n = e.u16(3), e.has(5, Int(n)) { h.sni = e.text(5, Int(n)) }
            case 16:
                var names: [String] = []
                var i = 2
                while let l = e.u8(i), e.has(i + 1, Int(l)) {
                    names.append(e.text(i + 1, Int(l)))
                    i += 1 + Int(l)
                }
                if !names.isEmpty { h.alpn = names.joined(separator: ",") }
            case 43:
                if client {
                    if let n = e.u8(0) {
                        var i = 1
                        while i + 1 <= Int(n), let v = e.u16(i) { h.supportedVersions.append(v); i += 2 }
                    }
                } else if let v = e.u16(0) {
                    h.supportedVersions = [v]
                }
            default:
                break
            }
        }
        return h
    }

    /// Why a negotiated version or suite is weak (SCENARIO.md's weak-encryption), or nil.
    static func weakness(version: UInt16, suite: UInt16, dtls: Bool) -> String? {
        if !dtls {
            switch version {
            case 0x0300: return "SSL 3.0"
            case 0x0301: return "TLS 1.0"
            case 0x0302: return "TLS 1.1"
            default: break
            }
        } else if version == 0xfeff {
            return "DTLS 1.0"
        }
        if nullSuites.contains(suite) { return "a NULL cipher suite (0x\(String(suite, radix: 16)))" }
        if exportSuites.contains(suite) { return "an export cipher suite (0x\(String(suite, radix: 16)))" }
        if anonSuites.contains(suite) { return "an anonymous cipher suite (0x\(String(suite, radix: 16)))" }
        return nil
    }

    static let nullSuites: Set<UInt16> = [0x0000, 0x0001, 0x0002, 0x002c, 0x002d, 0x002e, 0x003b, 0x00b0, 0x00b1, 0x00b4,
                                          0x00b5, 0x00b8, 0x00b9, 0xc001, 0xc006, 0xc00b, 0xc010, 0xc015, 0xc039, 0xc03a, 0xc03b]
    static let exportSuites: Set<UInt16> = [0x0003, 0x0006, 0x0008, 0x000b, 0x000e, 0x0011, 0x0014, 0x0017, 0x0019, 0x0026,
                                            0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065]
    static let anonSuites: Set<UInt16> = [0x0017, 0x0018, 0x0019, 0x001a, 0x001b, 0x0034, 0x003a, 0x0046, 0x006c, 0x006d,
                                          0x0089, 0x009b, 0x00a6, 0x00a7, 0x00bf, 0x00c5, 0xc015, 0xc016, 0xc017, 0xc018,
                                          0xc019, 0xc046, 0xc047, 0xc05a, 0xc05b, 0xc084, 0xc085]

    /// The first (leaf) certificate of a Certificate message, parsed by swift-certificates.
    static func certificate(_ b: Bytes) -> CertificateInfo? {
        guard let first = b.u8(3), let l2 = b.u16(4) else { return nil }
        let len = Int(first) << 16 | Int(l2)
        guard len > 0, b.has(6, len) else { return nil }
        let der = Array(b.slice(6, len).base)
        let digest = SHA256.hash(data: der).map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        guard let cert = try? Certificate(derEncoded: der) else {
            return CertificateInfo(subject: "", issuer: "", sha256: digest, notBefore: "", notAfter: "")
        }
        return CertificateInfo(subject: cert.subject.description, issuer: cert.issuer.description, sha256: digest,
                               notBefore: iso(cert.notValidBefore.timeIntervalSince1970),
                               notAfter: iso(cert.notValidAfter.timeIntervalSince1970))
    }

    static func iso(_ t: Double) -> String {
        let s = Timestamps.iso8601(micros: Int64(t) * 1_000_000)
        // Certificates have second precision.
        return String(s.prefix(19)) + "Z"
    }
}

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
                if hs == 1, let h = TLSHello.parse(msg, client: true, dtls: true) {
                    d.sni = h.sni ?? d.sni
                    d.alpn = h.alpn ?? d.alpn
                } else if hs == 2, let h = TLSHello.parse(msg, client: false, dtls: true) {
                    c.state.version = UInt32(h.selected)
                    if let weak = TLSHello.weakness(version: h.selected, suite: h.cipherSuite, dtls: true) {
                        c.state.weak = true
                        d.note = weak
                    }
                    c.state.active = false
                }
            } else if type == 23 {
                c.state.active = false
            }
            off += 13 + Int(len)
        }
    }
}
