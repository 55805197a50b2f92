import CCryptoBoringSSL
import DemarcDecode
import DemarcFlows

/// A flow's Community ID, version 1 with seed 0 (the Community ID specification, as
/// Zeek, Suricata and Elastic compute it): the SHA-1 of seed, the two addresses, the IP
/// protocol, a zero byte and, for TCP, UDP and SCTP, the two ports, in canonical order
/// (lower address first, then lower port), written as `1:` and the digest in base64.
/// ICMP and ICMPv6 use the first packet's type and code as ports: a type that has a
/// reply counterpart (echo, timestamp, router and neighbour discovery…) pairs with that
/// counterpart and is ordered like ports; any other is one-way and hashed as sent.
/// Only the 20-byte digest is kept; the text is written where a report needs it.
public struct CommunityID: Sendable, Equatable {
    private var d0: UInt64, d1: UInt64, d2: UInt32

    /// `1:` and 28 base64 characters.
    public static let textWidth = 30

    /// The Community ID of a finished flow; nil for a flow of orphan fragments (no
    /// transport header was seen, so its ports or ICMP type are unknown).
    public init?(flow f: FlowState) {
        let k = f.key
        guard !k.orphanFragments else { return nil }
        // Client first: for ICMP that is the first packet's sender.
        var (sa, da, sp, dp) = f.clientIsA ? (k.a, k.b, k.portA, k.portB) : (k.b, k.a, k.portB, k.portA)
        var ports = false, oneWay = false
        switch k.proto {
        case IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp:
            ports = true
        case IPProtocol.icmp, IPProtocol.icmpv6:
            guard f.icmpSeen else { return nil }
            ports = true
            sp = UInt16(f.icmpType)
            if let reply = CommunityID.counterpart(type: f.icmpType, v6: k.proto == IPProtocol.icmpv6) {
                dp = UInt16(reply)
            } else {
                dp = UInt16(f.icmpCode)
                oneWay = true
            }
        default:
            break
        }
        if !oneWay && !(sa < da || (sa == da && ports && sp < dp)) {
            swap(&sa, &da)
            swap(&sp, &dp)
        }
        self.init(source: sa, destination: da, proto: k.proto, ports: ports ? (sp, dp) : nil)
    }

    /// The hash of one already ordered tuple. The input is at most 40 bytes, so its
    /// SHA-1 is one block: the block is padded here (0x80, zeros, the length in bits) and
    /// run through BoringSSL's block function (the code Swift Crypto's `Insecure.SHA1`
    /// runs, SHA-NI where the CPU has it), without the buffering of its streaming
    /// interface or the context Swift Crypto allocates per hash.
    init(source: IPAddress, destination: IPAddress, proto: UInt8, ports: (UInt16, UInt16)?) {
        // seed(2) + addresses(2×4 or 2×16) + proto + padding + ports(4): at most 40 bytes.
        var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var ctx = SHA_CTX()
        ctx.h = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        withUnsafeMutableBytes(of: &block) { buf in
            // Bytes 0 and 1: seed 0, big-endian (the block starts zeroed).
            var n = 2
            func address(_ a: IPAddress) {
                if a.isV4 {
                    buf.storeBytes(of: a.v4.bigEndian, toByteOffset: n, as: UInt32.self)
                    n += 4
                } else {
                    buf.storeBytes(of: a.hi.bigEndian, toByteOffset: n, as: UInt64.self)
                    buf.storeBytes(of: a.lo.bigEndian, toByteOffset: n + 8, as: UInt64.self)
                    n += 16
                }
            }
            address(source)
            address(destination)
            buf[n] = proto  // then one zero byte of padding
            n += 2
            if let (sp, dp) = ports {
                buf.storeBytes(of: sp.bigEndian, toByteOffset: n, as: UInt16.self)
                buf.storeBytes(of: dp.bigEndian, toByteOffset: n + 2, as: UInt16.self)
                n += 4
            }
            buf[n] = 0x80
            buf.storeBytes(of: UInt64(n * 8).bigEndian, toByteOffset: 56, as: UInt64.self)
            CCryptoBoringSSL_SHA1_Transform(&ctx, buf.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        // The digest is the five state words, big-endian.
        var digest: (UInt64, UInt64, UInt32) = (0, 0, 0)
        let h = ctx.h
        withUnsafeMutableBytes(of: &digest) { out in
            out.storeBytes(of: h.0.bigEndian, toByteOffset: 0, as: UInt32.self)
            out.storeBytes(of: h.1.bigEndian, toByteOffset: 4, as: UInt32.self)
            out.storeBytes(of: h.2.bigEndian, toByteOffset: 8, as: UInt32.self)
            out.storeBytes(of: h.3.bigEndian, toByteOffset: 12, as: UInt32.self)
            out.storeBytes(of: h.4.bigEndian, toByteOffset: 16, as: UInt32.self)
        }
        (d0, d1, d2) = digest
    }

    /// ICMP's and ICMPv6's request/reply pairs, as the specification maps them.
    private static func counterpart(type t: UInt8, v6: Bool) -> UInt8? {
        if v6 {
            switch t {
            case 128: return 129
            case 129: return 128
            case 130: return 131
            case 131: return 130
            case 133: return 134
            case 134: return 133
            case 135: return 136
            case 136: return 135
            case 139: return 140
            case 140: return 139
            case 144: return 145
            case 145: return 144
            default: return nil
            }
        }
        switch t {
        case 8: return 0
        case 0: return 8
        case 13: return 14
        case 14: return 13
        case 15: return 16
        case 16: return 15
        case 10: return 9
        case 9: return 10
        case 17: return 18
        case 18: return 17
        default: return nil
        }
    }

    /// Writes the `1:…` text (`textWidth` bytes) at `p`.
    public func write(into p: UnsafeMutablePointer<UInt8>) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let table = alphabet.utf8Start
        p[0] = UInt8(ascii: "1"); p[1] = UInt8(ascii: ":")
        var words = (d0, d1, d2)
        withUnsafeBytes(of: &words) { d in
            var o = 2, i = 0
            // 20 bytes: six groups of three, then two bytes and one pad.
            while i + 3 <= 20 {
                let v = UInt32(d[i]) << 16 | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2])
                p[o] = table[Int(v >> 18)]; p[o + 1] = table[Int(v >> 12 & 63)]
                p[o + 2] = table[Int(v >> 6 & 63)]; p[o + 3] = table[Int(v & 63)]
                o += 4; i += 3
            }
            let v = UInt32(d[18]) << 16 | UInt32(d[19]) << 8
            p[o] = table[Int(v >> 18)]; p[o + 1] = table[Int(v >> 12 & 63)]
            p[o + 2] = table[Int(v >> 6 & 63)]; p[o + 3] = UInt8(ascii: "=")
        }
    }

    /// The `1:…` text.
    public var text: String {
        String(unsafeUninitializedCapacity: CommunityID.textWidth) { buf in
            write(into: buf.baseAddress!)
            return CommunityID.textWidth
        }
    }
}

extension JSONWriter {
    /// A flow's Community ID as a quoted string, or null; unquoted, its bare text (inside
    /// a string the caller opened).
    public func rawCommunityID(_ id: CommunityID?, quoted: Bool = true) {
        guard let id else { raw("null"); return }
        guard quoted else {
            rawFixed(width: CommunityID.textWidth) { id.write(into: $0) }
            return
        }
        rawFixed(width: CommunityID.textWidth + 2) { p in
            p[0] = UInt8(ascii: "\"")
            id.write(into: p + 1)
            p[CommunityID.textWidth + 1] = UInt8(ascii: "\"")
        }
    }
}
