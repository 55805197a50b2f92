import Crypto

/// JA4, the TLS client fingerprint (FoxIO, BSD-3-Clause): `a_b_c` where `a` is transport
/// (`t` TCP, `q` QUIC, `d` DTLS), version, `d`/`i` for SNI present or not, the counts of
/// cipher suites and extensions (GREASE left out, at most 99) and the first ALPN value's
/// first and last characters; `b` the first 12 hex digits of SHA-256 over the sorted
/// cipher suites; `c` the same over the sorted extensions without SNI and ALPN, then `_`
/// and the signature algorithms in wire order. JA4S and the rest of JA4+ are under the
/// FoxIO License and are not computed.
enum JA4 {
    /// GREASE values (RFC 8701): 0x?a?a with both bytes equal.
    static func isGrease(_ v: UInt16) -> Bool { v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff }

    static func fingerprint(_ h: TLSHello.Hello, transport: Character) -> String {
        let versions = h.supportedVersions.filter { !isGrease($0) }
        let version = versions.max() ?? h.legacyVersion
        let v: String
        switch version {
        case 0x0304: v = "13"
        case 0x0303: v = "12"
        case 0x0302: v = "11"
        case 0x0301: v = "10"
        case 0x0300: v = "s3"
        case 0x0002: v = "s2"
        case 0xfeff: v = "d1"
        case 0xfefd: v = "d2"
        case 0xfefc: v = "d3"
        default: v = "00"
        }
        let ciphers = h.cipherSuites.filter { !isGrease($0) }
        let extensions = h.extensions.filter { !isGrease($0) }
        let signatures = h.signatureAlgorithms.filter { !isGrease($0) }
        var a = String(transport) + v + (h.sni?.isEmpty == false ? "d" : "i")
        a += twoDigits(min(ciphers.count, 99)) + twoDigits(min(extensions.count, 99)) + alpn(h.firstALPN)
        let b = ciphers.isEmpty ? "000000000000" : hash(ciphers.sorted().map(hex4).joined(separator: ","))
        var c = extensions.filter { $0 != 0x0000 && $0 != 0x0010 }.sorted().map(hex4).joined(separator: ",")
        if !signatures.isEmpty { c += "_" + signatures.map(hex4).joined(separator: ",") }
        return a + "_" + b + "_" + (c.isEmpty ? "000000000000" : hash(c))
    }

    /// The first ALPN value's ends: a printable ASCII byte as itself, a byte from 0x80 as
    /// `9`; `99` when either end is a control byte; `00` without ALPN.
    static func alpn(_ value: [UInt8]?) -> String {
        guard let value, let first = value.first, let last = value.last else { return "00" }
        func end(_ b: UInt8) -> Character? {
            if (0x20...0x7e).contains(b) { return Character(Unicode.Scalar(b)) }
            return b >= 0x80 ? "9" : nil
        }
        guard let f = end(first), let l = end(last) else { return "99" }
        return String([f, l])
    }

    static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    static func hex4(_ v: UInt16) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: 4 - h.count) + h
    }

    static func hash(_ text: String) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in SHA256.hash(data: Array(text.utf8)).prefix(6) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return out
    }
}
