/// A certificate's subject public key as reports show it: `{"type": "RSA", "bits": 2048}`.
public struct CertificateKey: Sendable, Equatable {
    /// `RSA`, `RSASSA-PSS`, `EC`, `Ed25519`, `Ed448`, `DSA`, `ML-DSA-44/65/87`, or the
    /// algorithm's OID where it has no name here.
    public var type: String
    /// The key's size: RSA's and DSA's modulus, an EC curve's field, a signature scheme's
    /// nominal size; nil where unknown.
    public var bits: Int?
    /// The named curve of an EC key (`P-256`…), else nil.
    public var curve: String?
}

/// Reads the subject public key and signature algorithm from a certificate's DER with a
/// minimal walk of its outer structure (RFC 5280 §4.1): independent of which key types
/// swift-certificates can use, so a DSA or brainpool certificate is still described.
enum CertificateDER {
    /// A DER element: its tag, and where its contents lie in the buffer.
    struct Element {
        var tag: UInt8
        var start: Int
        var end: Int
    }

    /// The element at `off`, if its header and length fit within `limit`.
    static func element(_ b: UnsafeRawBufferPointer, _ off: Int, _ limit: Int) -> Element? {
        guard off + 2 <= limit else { return nil }
        let tag = b[off]
        var len = Int(b[off + 1])
        var start = off + 2
        if len & 0x80 != 0 {
            let n = len & 0x7f
            guard n >= 1, n <= 3, start + n <= limit else { return nil }
            len = 0
            for i in 0..<n { len = len << 8 | Int(b[start + i]) }
            start += n
        }
        guard start + len <= limit else { return nil }
        return Element(tag: tag, start: start, end: start + len)
    }

    /// The children of a constructed element, in order.
    static func children(_ b: UnsafeRawBufferPointer, _ e: Element) -> [Element] {
        var out: [Element] = []
        var off = e.start
        while off < e.end, let c = element(b, off, e.end) {
            out.append(c)
            off = c.end
        }
        return out
    }

    /// An OBJECT IDENTIFIER's dotted text.
    static func oid(_ b: UnsafeRawBufferPointer, _ e: Element) -> String? {
        guard e.tag == 0x06, e.end > e.start else { return nil }
        var parts: [UInt64] = []
        var v: UInt64 = 0
        for i in e.start..<e.end {
            v = v << 7 | UInt64(b[i] & 0x7f)
            if b[i] & 0x80 == 0 {
                if parts.isEmpty {
                    parts.append(v < 80 ? v / 40 : 2)
                    parts.append(v < 80 ? v % 40 : v - 80)
                } else {
                    parts.append(v)
                }
                v = 0
            }
            if v > UInt64(UInt32.max) { return nil }
        }
        return parts.map(String.init).joined(separator: ".")
    }

    /// Bits of an unsigned big-endian INTEGER's contents (leading zero bytes ignored).
    static func integerBits(_ b: UnsafeRawBufferPointer, _ e: Element) -> Int? {
        guard e.tag == 0x02 else { return nil }
        var i = e.start
        while i < e.end && b[i] == 0 { i += 1 }
        guard i < e.end else { return 0 }
        return (e.end - i) * 8 - b[i].leadingZeroBitCount
    }

    /// The subject public key and the signature algorithm of certificate `der`.
    static func describe(_ der: UnsafeRawBufferPointer) -> (key: CertificateKey?, signature: String?) {
        guard let cert = element(der, 0, der.count), cert.tag == 0x30 else { return (nil, nil) }
        let top = children(der, cert)
        guard top.count >= 2, top[0].tag == 0x30 else { return (nil, nil) }
        var signature: String?
        if top[1].tag == 0x30, let first = children(der, top[1]).first, let o = oid(der, first) {
            signature = signatureNames[o] ?? o
        }
        // tbsCertificate: [0] version (optional), serial, signature, issuer, validity,
        // subject, subjectPublicKeyInfo.
        var tbs = children(der, top[0])
        if tbs.first?.tag == 0xa0 { tbs.removeFirst() }
        guard tbs.count >= 6, tbs[5].tag == 0x30 else { return (nil, signature) }
        return (publicKey(der, tbs[5]), signature)
    }

    static func publicKey(_ b: UnsafeRawBufferPointer, _ spki: Element) -> CertificateKey? {
        let parts = children(b, spki)
        guard parts.count == 2, parts[0].tag == 0x30, parts[1].tag == 0x03 else { return nil }
        let alg = children(b, parts[0])
        guard let first = alg.first, let algorithm = oid(b, first) else { return nil }
        let params = alg.count > 1 ? alg[1] : nil
        // The BIT STRING's contents after its unused-bits byte.
        let key = Element(tag: 0x03, start: parts[1].start + 1, end: parts[1].end)
        switch algorithm {
        case "1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10":
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            var bits: Int?
            if let seq = element(b, key.start, key.end), let n = children(b, seq).first { bits = integerBits(b, n) }
            return CertificateKey(type: algorithm.hasSuffix(".1") ? "RSA" : "RSASSA-PSS", bits: bits, curve: nil)
        case "1.2.840.10045.2.1":
            let curveOID = params.flatMap { oid(b, $0) }
            let named = curveOID.flatMap { curves[$0] }
            return CertificateKey(type: "EC", bits: named?.bits, curve: named?.name ?? curveOID)
        case "1.2.840.10040.4.1":
            // Dss-Parms ::= SEQUENCE { p, q, g }
            var bits: Int?
            if let p = params, p.tag == 0x30, let prime = children(b, p).first { bits = integerBits(b, prime) }
            return CertificateKey(type: "DSA", bits: bits, curve: nil)
        default:
            if let k = keyNames[algorithm] { return CertificateKey(type: k.name, bits: k.bits, curve: nil) }
            return CertificateKey(type: algorithm, bits: nil, curve: nil)
        }
    }

    static let curves: [String: (name: String, bits: Int)] = [
        "1.2.840.10045.3.1.7": ("P-256", 256), "1.3.132.0.34": ("P-384", 384), "1.3.132.0.35": ("P-521", 521),
        "1.2.840.10045.3.1.1": ("P-192", 192), "1.3.132.0.33": ("P-224", 224), "1.3.132.0.10": ("secp256k1", 256),
        "1.3.36.3.3.2.8.1.1.7": ("brainpoolP256r1", 256), "1.3.36.3.3.2.8.1.1.11": ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13": ("brainpoolP512r1", 512), "1.2.156.10197.1.301": ("SM2", 256),
    ]

    static let keyNames: [String: (name: String, bits: Int)] = [
        "1.3.101.112": ("Ed25519", 256), "1.3.101.113": ("Ed448", 456),
        "2.16.840.1.101.3.4.3.17": ("ML-DSA-44", 1312 * 8), "2.16.840.1.101.3.4.3.18": ("ML-DSA-65", 1952 * 8),
        "2.16.840.1.101.3.4.3.19": ("ML-DSA-87", 2592 * 8),
    ]

    /// Signature algorithm OIDs by their RFC names.
    static let signatureNames: [String: String] = [
        "1.2.840.113549.1.1.4": "md5WithRSAEncryption", "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14": "sha224WithRSAEncryption", "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12": "sha384WithRSAEncryption", "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10": "RSASSA-PSS",
        "1.2.840.10045.4.1": "ecdsa-with-SHA1", "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2": "ecdsa-with-SHA256", "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
        "1.3.101.112": "Ed25519", "1.3.101.113": "Ed448",
        "1.2.840.10040.4.3": "dsa-with-sha1", "2.16.840.1.101.3.4.3.2": "dsa-with-sha256",
        "2.16.840.1.101.3.4.3.17": "ML-DSA-44", "2.16.840.1.101.3.4.3.18": "ML-DSA-65", "2.16.840.1.101.3.4.3.19": "ML-DSA-87",
        "1.2.156.10197.1.501": "SM2-with-SM3",
    ]
}
