import DemarcBase
import DemarcDecode
import Crypto
import CryptoExtras

/// The client's Initial packets of IETF QUIC carry the TLS ClientHello, protected with
/// keys derived from the Destination Connection ID and a salt fixed by the version
/// (RFC 9001 §5.2, RFC 9369 §3.3). Anyone can remove that protection: this does, to
/// read the SNI and ALPN the client offered. Only while the flow's first client packets
/// are looked at, and within fixed bounds.
enum QUICInitial {
    struct Keys {
        var key: SymmetricKey
        var iv: [UInt8]
        var hp: SymmetricKey
    }

    /// Salt and label prefix for a version whose Initial keys are known.
    static func parameters(_ version: UInt32) -> (salt: [UInt8], prefix: String, initialType: UInt8)? {
        switch version {
        case 0x0000_0001, 0xff00_0021...0xff00_0022:
            // Drafts 33 and 34 already use version 1's salt.
            return ([0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a], "quic", 0)
        case 0x6b33_43cf:
            return ([0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9], "quicv2", 1)
        case 0xff00_001d...0xff00_0020:
            return ([0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99], "quic", 0)
        case 0x5130_3530:
            // Google's Q050: IETF-style Initial protection with its own salt; the hello
            // inside is still a CHLO.
            return ([0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0, 0xd3, 0xb5, 0x6b, 0x45], "quic", 0)
        case 0xff00_0017...0xff00_001c:
            return ([0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02], "quic", 0)
        default:
            return nil
        }
    }

    /// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
    static func expandLabel(_ secret: SymmetricKey, _ label: String, _ length: Int) -> SymmetricKey {
        HKDF<SHA256>.expand(pseudoRandomKey: secret, info: labelInfo(label, length), outputByteCount: length)
    }

    static func expandLabel(_ secret: HashedAuthenticationCode<SHA256>, _ label: String, _ length: Int) -> SymmetricKey {
        HKDF<SHA256>.expand(pseudoRandomKey: secret, info: labelInfo(label, length), outputByteCount: length)
    }

    static func labelInfo(_ label: String, _ length: Int) -> [UInt8] {
        let full = Array(("tls13 " + label).utf8)
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xff), UInt8(full.count)]
        info += full
        info.append(0)
        return info
    }

    /// The client's (or the server's) Initial keys for a version and the Destination
    /// Connection ID of the client's first Initial.
    static func clientKeys(version: UInt32, dcid: [UInt8], server: Bool = false) -> Keys? {
        guard let p = parameters(version) else { return nil }
        let initial = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: dcid), salt: p.salt)
        let client = expandLabel(initial, server ? "server in" : "client in", 32)
        let iv = expandLabel(client, "\(p.prefix) iv", 12).withUnsafeBytes { Array($0) }
        return Keys(key: expandLabel(client, "\(p.prefix) key", 16), iv: iv, hp: expandLabel(client, "\(p.prefix) hp", 16))
    }

    /// A QUIC variable-length integer at `off`: (value, bytes used).
    static func varint(_ b: Bytes, _ off: Int) -> (Int, Int)? {
        guard let first = b.u8(off) else { return nil }
        let len = 1 << Int(first >> 6)
        guard b.has(off, len) else { return nil }
        var v = UInt64(first & 0x3f)
        for i in 1..<len { v = v << 8 | UInt64(b.base[off + i]) }
        guard v <= UInt64(Int32.max) else { return nil }
        return (Int(v), len)
    }

    /// CRYPTO frame data (offset, bytes) of the client Initial that opens `datagram`;
    /// nil when it is not one, or does not decrypt.
    static func cryptoFrames(_ datagram: Bytes, serverKeysFor dcid: [UInt8]? = nil) -> [(offset: Int, data: [UInt8])]? {
        decrypt(datagram, serverKeysFor: dcid)?.withUnsafeBytes { frames(Bytes($0)) }
    }

    /// The Destination Connection ID of a long-header packet (a client's first Initial:
    /// what both sides' Initial keys derive from).
    static func destinationID(_ datagram: Bytes) -> [UInt8]? {
        guard let first = datagram.u8(0), first & 0x80 != 0, let len = datagram.u8(5), len <= 20, datagram.has(6, Int(len)) else { return nil }
        return Array(datagram.slice(6, Int(len)).base)
    }

    /// The payload of the client Initial that opens `datagram`, decrypted; nil when it is
    /// not one, or does not decrypt.
    /// `serverKeysFor`: a server's Initial, protected with the server keys derived from
    /// the client's first Destination Connection ID.
    static func decrypt(_ datagram: Bytes, serverKeysFor original: [UInt8]? = nil) -> [UInt8]? {
        guard let first = datagram.u8(0), first & 0xc0 == 0xc0, let version = datagram.u32(1),
              let params = parameters(version), (first >> 4) & 0x03 == params.initialType,
              let dcidLen = datagram.u8(5), dcidLen <= 20, datagram.has(6, Int(dcidLen)) else { return nil }
        let dcid = Array(datagram.slice(6, Int(dcidLen)).base)
        var off = 6 + Int(dcidLen)
        guard let scidLen = datagram.u8(off), scidLen <= 20 else { return nil }
        off += 1 + Int(scidLen)
        guard let (tokenLen, t) = varint(datagram, off) else { return nil }
        off += t + tokenLen
        guard let (length, l) = varint(datagram, off) else { return nil }
        off += l
        let pnOffset = off
        // Header protection: a sample 4 bytes past the packet number's start.
        guard length >= 20, datagram.has(pnOffset, length),
              let keys = clientKeys(version: version, dcid: original ?? dcid, server: original != nil) else { return nil }
        var sample = Array(datagram.slice(pnOffset + 4, 16).base)
        guard (try? AES.permute(&sample, key: keys.hp)) != nil else { return nil }
        var header = Array(datagram.slice(0, pnOffset).base)
        header[0] ^= sample[0] & 0x0f
        let pnLen = Int(header[0] & 0x03) + 1
        var pn: UInt64 = 0
        for i in 0..<pnLen {
            let byte = datagram.base[pnOffset + i] ^ sample[1 + i]
            header.append(byte)
            pn = pn << 8 | UInt64(byte)
        }
        var nonce = keys.iv
        for i in 0..<8 { nonce[11 - i] ^= UInt8(truncatingIfNeeded: pn >> (8 * UInt64(i))) }
        let sealed = datagram.slice(pnOffset + pnLen, length - pnLen)
        guard sealed.count > 16 else { return nil }
        let ciphertext = Array(sealed.slice(0, sealed.count - 16).base)
        let tag = Array(sealed.slice(sealed.count - 16, 16).base)
        guard let gcmNonce = try? AES.GCM.Nonce(data: nonce),
              let box = try? AES.GCM.SealedBox(nonce: gcmNonce, ciphertext: ciphertext, tag: tag),
              let plain = try? AES.GCM.open(box, using: keys.key, authenticating: header) else { return nil }
        return Array(plain)
    }

    /// The CRYPTO frames among an Initial's frames (PADDING, PING, ACK and CRYPTO are
    /// all an Initial may hold; anything else ends the walk).
    static func frames(_ p: Bytes) -> [(offset: Int, data: [UInt8])] {
        var out: [(Int, [UInt8])] = []
        var off = 0
        while off < p.count {
            let type = p.base[off]
            switch type {
            case 0x00, 0x01:
                off += 1
            case 0x06:
                guard let (o, a) = varint(p, off + 1), let (n, b) = varint(p, off + 1 + a), p.has(off + 1 + a + b, n) else { return out }
                out.append((o, Array(p.slice(off + 1 + a + b, n).base)))
                off += 1 + a + b + n
            case 0x02, 0x03:
                // ACK: largest, delay, range count, first range, then ranges (and ECN counts).
                var q = off + 1
                guard let (_, a) = varint(p, q) else { return out }; q += a
                guard let (_, d) = varint(p, q) else { return out }; q += d
                guard let (count, c) = varint(p, q) else { return out }; q += c
                guard let (_, f) = varint(p, q) else { return out }; q += f
                for _ in 0..<min(count, 64) * 2 { guard let (_, x) = varint(p, q) else { return out }; q += x }
                if type == 0x03 { for _ in 0..<3 { guard let (_, x) = varint(p, q) else { return out }; q += x } }
                off = q
            default:
                return out
            }
        }
        return out
    }
}

/// CRYPTO stream bytes of a flow's client Initials, put back in order until the
/// ClientHello is whole (bounded: a hello larger than `limit` is not read).
final class QUICCryptoStream: FlowSlot {
    static let limit = 16_384
    private var pieces: [(offset: Int, data: [UInt8])] = []
    private var held = 0
    /// The table's budget for handshake buffers refused this stream: nothing more is kept.
    private var refused = false

    func add(_ frames: [(offset: Int, data: [UInt8])], _ c: InspectionContext) {
        guard !refused else { return }
        for f in frames where f.offset < QUICCryptoStream.limit && !f.data.isEmpty {
            pieces.append(f)
            held += f.data.count
        }
        if !reassembly.charge(held, c) {
            refused = true
            pieces = []
        }
    }

    /// The ClientHello's body, once every byte of it has arrived.
    func clientHello() -> [UInt8]? { message(1) }

    /// The first handshake message's body, if it is of `type` and every byte of it arrived.
    func message(_ type: UInt8) -> [UInt8]? {
        pieces.sort { $0.offset < $1.offset }
        var stream: [UInt8] = []
        for p in pieces {
            guard p.offset <= stream.count else { break }
            let skip = stream.count - p.offset
            if skip < p.data.count { stream += p.data[skip...] }
        }
        guard stream.count >= 4, stream[0] == type else { return nil }
        let len = Int(stream[1]) << 16 | Int(stream[2]) << 8 | Int(stream[3])
        guard stream.count >= 4 + len else { return nil }
        return Array(stream[4..<(4 + len)])
    }
}
