import DemarcBase
import DemarcDecode
import Crypto
import X509
import SwiftASN1
#if canImport(Glibc)
import Glibc
#endif

/// ClientHello and ServerHello fields demarc reports.
enum TLSHello {
    struct Hello {
        var legacyVersion: UInt16 = 0
        var sni: String?
        var alpn: String?
        var supportedVersions: [UInt16] = []
        var cipherSuite: UInt16 = 0
        /// ClientHello: cipher suites, extension types and signature algorithms in wire
        /// order, and the first ALPN value's bytes (for JA4).
        var cipherSuites: [UInt16] = []
        var extensions: [UInt16] = []
        var signatureAlgorithms: [UInt16] = []
        var firstALPN: [UInt8]?
        /// ServerHello: the key_share group (TLS 1.3; a HelloRetryRequest's names the
        /// group the server asks for), and whether it accepted a pre-shared key.
        var keyShareGroup: UInt16?
        var pskAccepted = false
        /// False for a ClientHello whose session id, cipher suites or compression methods
        /// run past the message: it holds what came before that point (JA4 reads it the
        /// same way), and nothing else is taken from it.
        var whole = true
        /// Highest version the client offers.
        var offered: UInt16 {
            supportedVersions.filter { $0 & 0x0f0f != 0x0a0a }.max() ?? legacyVersion
        }
        /// The version the server chose.
        var selected: UInt16 { supportedVersions.first ?? legacyVersion }
    }

    /// A hello's fields, every read bounded by `b` (the message's body). A ClientHello
    /// cut short before its extensions gives what was read up to there, `whole` false
    /// (nil below its version); a ServerHello cut short gives nil.
    static func parse(_ b: Bytes, client: Bool, dtls: Bool) -> Hello? {
        var h = Hello()
        // Read in place and returned from one point: the value is moved out, not copied.
        return read(b, client: client, dtls: dtls, into: &h) ? h : nil
    }

    /// Reads a hello into `h`; false where `parse` gives nil.
    private static func read(_ b: Bytes, client: Bool, dtls: Bool, into h: inout Hello) -> Bool {
        guard let v = b.u16(0) else { return false }
        h.legacyVersion = v
        var off = 2 + 32
        guard let sidLen = b.u8(off) else { h.whole = false; return client }
        off += 1 + Int(sidLen)
        if client {
            if dtls {
                guard let cookie = b.u8(off) else { h.whole = false; return true }
                off += 1 + Int(cookie)
            }
            guard let suitesLen = b.u16(off) else { h.whole = false; return true }
            // Each suite starting inside the list's length is read, as ja4plus reads an
            // odd length (the last suite's second byte is then the next field's first).
            h.cipherSuites = b.u16s(at: off + 2, upTo: (Int(suitesLen) + 1) / 2)
            off += 2 + Int(suitesLen)
            guard let compLen = b.u8(off) else { h.whole = false; return true }
            off += 1 + Int(compLen)
        } else {
            guard let suite = b.u16(off) else { return false }
            h.cipherSuite = suite
            off += 3
        }
        guard let extLen = b.u16(off) else { return true }
        off += 2
        let end = min(b.count, off + Int(extLen))
        // An extension takes at least 4 bytes.
        if client { h.extensions.reserveCapacity(max(0, end - off) / 4) }
        while off + 4 <= end {
            let type = b.u16(off)!, len = Int(b.u16(off + 2)!)
            let e = b.slice(off + 4, len)
            off += 4 + len
            if client { h.extensions.append(type) }
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
                if client, e.u16(0) ?? 0 > 0, let l = e.u8(2), l > 0, e.has(3, Int(l)) { h.firstALPN = Array(e.slice(3, Int(l)).base) }
            case 13 where client:
                if let n = e.u16(0) { h.signatureAlgorithms.add(e.u16s(at: 2, upTo: Int(n) / 2)) }
            case 51 where !client:
                h.keyShareGroup = e.u16(0)
            case 41 where !client:
                h.pskAccepted = true
            case 43:
                if client {
                    if let n = e.u8(0) { h.supportedVersions.add(e.u16s(at: 1, upTo: Int(n) / 2)) }
                } else if let v = e.u16(0) {
                    h.supportedVersions = [v]
                }
            default:
                break
            }
        }
        return true
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

    /// The first (leaf) certificate of a Certificate message (the server's own), parsed by
    /// swift-certificates, with its SHA-256. A certificate seen before is neither hashed
    /// nor parsed again: `cache` holds what earlier flows' gave.
    static func certificate(_ b: Bytes, cache: CertificateCache) -> CertificateInfo? {
        guard let first = b.u8(3), let l2 = b.u16(4) else { return nil }
        let len = Int(first) << 16 | Int(l2)
        guard len > 0, b.has(6, len) else { return nil }
        let der = b.slice(6, len).base
        return cache.info(for: der) { parse(der, sha256: hex(SHA256.hash(data: der))) }
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func parse(_ der: UnsafeRawBufferPointer, sha256: String) -> CertificateInfo {
        let (key, signature) = CertificateDER.describe(der)
        guard let cert = try? Certificate(derEncoded: Array(der)) else {
            return CertificateInfo(subject: "", issuer: "", sha256: sha256, notBefore: "", notAfter: "", key: key, signature: signature)
        }
        return CertificateInfo(subject: cert.subject.description, issuer: cert.issuer.description, sha256: sha256,
                               notBefore: iso(cert.notValidBefore.timeIntervalSince1970),
                               notAfter: iso(cert.notValidAfter.timeIntervalSince1970), key: key, signature: signature)
    }

    static func iso(_ t: Double) -> String {
        let s = Timestamps.iso8601(micros: Int64(t) * 1_000_000)
        // Certificates have second precision.
        return String(s.prefix(19)) + "Z"
    }
}

extension Bytes {
    /// The big-endian 16-bit values at `start`, `start + 2`, ...: at most `limit` of them,
    /// and only those that lie whole in the bytes. Written straight into the array's
    /// storage, without an append's checks per value.
    func u16s(at start: Int, upTo limit: Int) -> [UInt16] {
        let n = min(limit, max(0, count - start) / 2)
        guard n > 0, let from = base.baseAddress else { return [] }
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: n) { out in
            let to = out.baseAddress!
            var p = from + start
            for k in 0..<n {
                to[k] = UInt16(bigEndian: p.loadUnaligned(as: UInt16.self))
                p += 2
            }
            return Array(UnsafeBufferPointer(rebasing: out[0..<n]))
        }
    }
}

extension Array where Element == UInt16 {
    /// Appends `values` (a repeated extension's list follows the first), taking the
    /// array itself when there is nothing before it.
    fileprivate mutating func add(_ values: [UInt16]) {
        if isEmpty { self = values } else { append(contentsOf: values) }
    }
}
