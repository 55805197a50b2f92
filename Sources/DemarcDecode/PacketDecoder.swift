import DemarcBase
/// Link types (libpcap DLT values as `pcap_datalink` reports them on Linux).
public enum LinkType {
    public static let null: Int32 = 0
    public static let ethernet: Int32 = 1
    public static let ppp: Int32 = 9
    public static let raw: Int32 = 12
    public static let rawOpenBSD: Int32 = 14
    public static let pppSerial: Int32 = 50
    public static let pppEther: Int32 = 51
    public static let linktypeRaw: Int32 = 101
    public static let ciscoHDLC: Int32 = 104
    public static let loop: Int32 = 108
    public static let linuxSLL: Int32 = 113
    public static let ppi: Int32 = 192
    public static let ipv4: Int32 = 228
    public static let ipv6: Int32 = 229
    public static let nflog: Int32 = 239
    public static let linuxSLL2: Int32 = 276
    public static let arcnet: Int32 = 7
    public static let ieee80211: Int32 = 105
    public static let radiotap: Int32 = 127
    public static let arcnetLinux: Int32 = 129
    /// macOS wrote PKTAP captures as DLT_USER2 before PKTAP had a number of its own.
    public static let user2: Int32 = 149
    public static let ipoib: Int32 = 242
    public static let pktap: Int32 = 258
    public static let juniperEther: Int32 = 178
}

/// Turns one captured frame into a DecodedPacket: link layer, IP (v4 with options and
/// fragments, v6 with extension headers and fragments), then the transport header.
/// It reads only within the frame it is given and never allocates.
public struct PacketDecoder: Sendable {
    public let linkType: Int32

    public init(linkType: Int32) { self.linkType = linkType }

    /// Whether frames of this link type can be decoded at all.
    public static func supports(_ linkType: Int32) -> Bool {
        switch linkType {
        case LinkType.null, LinkType.ethernet, LinkType.ppp, LinkType.raw, LinkType.rawOpenBSD,
             LinkType.pppSerial, LinkType.pppEther, LinkType.linktypeRaw, LinkType.ciscoHDLC,
             LinkType.loop, LinkType.linuxSLL, LinkType.ppi, LinkType.ipv4, LinkType.ipv6,
             LinkType.nflog, LinkType.linuxSLL2, LinkType.arcnet, LinkType.arcnetLinux, LinkType.ieee80211,
             LinkType.radiotap, LinkType.user2, LinkType.ipoib, LinkType.pktap, LinkType.juniperEther:
            return true
        default:
            return false
        }
    }

    public func decode(_ frame: UnsafeRawBufferPointer, into p: inout DecodedPacket) -> DecodeOutcome {
        p.linkGroup = false
        return decodeLink(linkType, Bytes(frame), into: &p, depth: 0)
    }

    /// The two addresses `decode` would give an Ethernet frame carrying IPv4 directly
    /// (the common case), read without decoding the rest; nil for any other frame (which
    /// `decode` must judge). Workers use it to skip the packets that are not theirs: the
    /// same checks as `ipv4`'s, so a frame it answers for decodes as IP with these
    /// addresses.
    @inlinable @inline(__always)
    public func plainIPv4Addresses(_ frame: UnsafeRawBufferPointer) -> (src: UInt32, dst: UInt32)? {
        guard linkType == LinkType.ethernet, frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00 else { return nil }
        let vihl = frame[14]
        guard vihl >> 4 == 4, Int(vihl & 0x0f) * 4 >= 20, frame.count >= 14 + Int(vihl & 0x0f) * 4 else { return nil }
        return (UInt32(bigEndian: frame.loadUnaligned(fromByteOffset: 26, as: UInt32.self)),
                UInt32(bigEndian: frame.loadUnaligned(fromByteOffset: 30, as: UInt32.self)))
    }

    private func decodeLink(_ dlt: Int32, _ b: Bytes, into p: inout DecodedPacket, depth: Int) -> DecodeOutcome {
        switch dlt {
        case LinkType.ethernet:
            guard let type = b.u16(12) else { return .undecodable }
            // The destination's I/G bit: broadcast and multicast (the outermost header only).
            p.linkGroup = b.base[0] & 1 != 0
            return ethertype(type, b, at: 14, into: &p)
        case LinkType.raw, LinkType.rawOpenBSD, LinkType.linktypeRaw:
            return ipByVersion(b, at: 0, into: &p)
        case LinkType.ipv4, LinkType.ipv6:
            // By the version the packet itself names, as tshark reads them: a capture
            // that calls its IPv6 packets IPv4 still holds their flows.
            return ipByVersion(b, at: 0, into: &p)
        case LinkType.null, LinkType.loop:
            guard let raw = b.u32(0) else { return .undecodable }
            // NULL is host byte order, LOOP network order; accept either.
            let family = raw > 0xffff ? raw.byteSwapped : raw
            switch family {
            case 2: return ipv4(b, at: 4, into: &p)
            case 10, 24, 28, 30: return ipv6(b, at: 4, into: &p)
            default: return .notIP
            }
        case LinkType.linuxSLL:
            guard let type = b.u16(14) else { return .undecodable }
            // Packet type 1: broadcast, 2: multicast (sent to others, as the kernel saw it).
            p.linkGroup = b.base[0] == 0 && (b.base[1] == 1 || b.base[1] == 2)
            return ethertype(type, b, at: 16, into: &p)
        case LinkType.linuxSLL2:
            guard let type = b.u16(0), b.has(0, 20) else { return .undecodable }
            p.linkGroup = b.base[10] == 1 || b.base[10] == 2
            return ethertype(type, b, at: 20, into: &p)
        case LinkType.ppp, LinkType.pppSerial:
            var off = 0
            // Some PPP captures hold Cisco HDLC frames (address 0x0f or 0x8f).
            if let a = b.u8(0), a == 0x0f || a == 0x8f {
                guard let type = b.u16(2) else { return .undecodable }
                return ethertype(type, b, at: 4, into: &p)
            }
            if b.u8(0) == 0xff && b.u8(1) == 0x03 { off = 2 }
            return pppProtocol(b, at: off, into: &p)
        case LinkType.pppEther:
            return pppoeSession(b, at: 0, into: &p)
        case LinkType.ciscoHDLC:
            guard let type = b.u16(2) else { return .undecodable }
            return ethertype(type, b, at: 4, into: &p)
        case LinkType.ppi:
            // PPI: version, flags, header length (LE), inner DLT (LE).
            guard depth == 0, let lenLo = b.u8(2), let lenHi = b.u8(3), b.has(4, 4) else { return .undecodable }
            let hlen = Int(lenHi) << 8 | Int(lenLo)
            let inner = Int32(b.base[4]) | Int32(b.base[5]) << 8 | Int32(b.base[6]) << 16 | Int32(b.base[7]) << 24
            guard hlen >= 8, b.has(hlen, 0) else { return .undecodable }
            return inside(hlen, decodeLink(inner, b.slice(hlen, -1), into: &p, depth: depth + 1), &p)
        case LinkType.nflog:
            return nflog(b, into: &p)
        case LinkType.pktap, LinkType.user2:
            // PKTAP (macOS): a little-endian header length and the DLT of what follows.
            guard depth == 0, let hlen = b.u32le(0), let inner = b.u32le(4), hlen >= 8, hlen <= 4096, b.has(Int(hlen), 0),
                  inner != UInt32(LinkType.pktap), inner != UInt32(LinkType.user2) else { return .undecodable }
            return inside(Int(hlen), decodeLink(Int32(bitPattern: inner), b.slice(Int(hlen), -1), into: &p, depth: depth + 1), &p)
        case LinkType.juniperEther:
            // Juniper's capture header: "MGC", flags, and with the extension flag (0x80)
            // a 2-byte length of TLV extensions; then the Ethernet frame (or, with the
            // no-L2 flag 0x02, the IP packet).
            guard b.starts(with: "MGC"), let flags = b.u8(3) else { return .undecodable }
            var off = 4
            if flags & 0x80 != 0 {
                guard let ext = b.u16(4) else { return .undecodable }
                off += 2 + Int(ext)
            }
            if flags & 0x02 != 0 { return ipByVersion(b, at: off, into: &p) }
            guard let type = b.u16(off + 12) else { return .undecodable }
            p.linkGroup = b.base[off] & 1 != 0
            return ethertype(type, b, at: off + 14, into: &p)
        case LinkType.ipoib:
            // IP over InfiniBand: two 20-byte hardware addresses, then RFC 4391's 4-byte
            // encapsulation header (an ethertype and two reserved bytes).
            guard let type = b.u16(40) else { return .undecodable }
            return ethertype(type, b, at: 44, into: &p)
        case LinkType.radiotap:
            // Radiotap: version 0, a pad byte, its own length (little-endian), then 802.11.
            guard b.u8(0) == 0, let lo = b.u8(2), let hi = b.u8(3) else { return .undecodable }
            let hlen = Int(hi) << 8 | Int(lo)
            guard hlen >= 8, b.has(hlen, 0) else { return .undecodable }
            return inside(hlen, ieee80211(b.slice(hlen, -1), into: &p), &p)
        case LinkType.ieee80211:
            return ieee80211(b, into: &p)
        case LinkType.arcnetLinux:
            // Source, destination, a 2-byte offset, then the ARCNET packet.
            return arcnet(b, at: 4, into: &p)
        case LinkType.arcnet:
            return arcnet(b, at: 2, into: &p)
        default:
            return .undecodable
        }
    }

    /// The outcome of decoding a part of the frame that starts `start` bytes in: the
    /// payload's offset is made the frame's, as the inspectors read it.
    @inline(__always)
    private func inside(_ start: Int, _ outcome: DecodeOutcome, _ p: inout DecodedPacket) -> DecodeOutcome {
        if outcome == .ip { p.payloadOffset += start }
        return outcome
    }

    /// An 802.11 frame: data frames carry LLC/SNAP and an ethertype after a header whose
    /// size the frame control says (a fourth address between access points, QoS control,
    /// HT control). A protected frame (WEP, TKIP, CCMP, GCMP) is encrypted on the link.
    private func ieee80211(_ b: Bytes, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let fc0 = b.u8(0), let flags = b.u8(1) else { return .undecodable }
        let type = (fc0 >> 2) & 0x3, subtype = fc0 >> 4
        guard type == 2 else { return .notIP }             // management and control frames
        guard subtype & 0x4 == 0 else { return .notIP }     // null data: no body
        if flags & 0x40 != 0 { return .linkEncrypted }
        var off = 24
        if flags & 0x03 == 0x03 { off += 6 }                 // to and from the distribution system
        if subtype & 0x8 != 0 {
            off += 2                                         // QoS control
            if flags & 0x80 != 0 { off += 4 }                // +HTC: HT control
        }
        guard b.has(0, off) else { return .undecodable }
        // The destination address: address 1, or address 3 when the frame goes to the
        // distribution system.
        p.linkGroup = b.base[flags & 0x01 != 0 ? 16 : 4] & 1 != 0
        guard b.u8(off) == 0xaa, b.u8(off + 1) == 0xaa, b.u8(off + 2) == 0x03, let type16 = b.u16(off + 6) else {
            return b.has(off, 3) ? .notIP : .undecodable
        }
        return ethertype(type16, b, at: off + 8, into: &p)
    }

    /// An ARCNET packet from its protocol id: RFC 1051's IP and ARP (240, 241) follow at
    /// once; RFC 1201's (IP 212, ARP 213, IPv6 196) after a split flag and a sequence
    /// number, and an exception packet (flag 0xff) repeats those after two pad bytes. Of
    /// a packet split in fragments (odd flag first, even flags after) only the first
    /// holds the IP header.
    private func arcnet(_ b: Bytes, at off: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let proto = b.u8(off) else { return .undecodable }
        switch proto {
        case 240: return ipv4(b, at: off + 1, into: &p)
        case 212, 196:
            guard var flag = b.u8(off + 1) else { return .undecodable }
            var start = off + 4
            if flag == 0xff {
                guard let f = b.u8(off + 5) else { return .undecodable }
                flag = f
                start = off + 8
            }
            if flag != 0 && flag & 1 == 0 { return .notIP }   // a later fragment
            return proto == 196 ? ipv6(b, at: start, into: &p) : ipv4(b, at: start, into: &p)
        case 241, 213, 214, 221, 247, 250, 0x80:
            return .notIP
        default:
            return .undecodable
        }
    }

    /// MACsec (802.1AE): the SecTAG (TCI and association number, short length, packet
    /// number, and the 8-byte SCI when the TCI's SC bit says so). Integrity-only frames
    /// (E clear) carry the frame's ethertype and payload readable; encrypted ones (E set)
    /// hide everything up to the ICV.
    private func macsec(_ b: Bytes, at off: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let tci = b.u8(off), tci & 0x80 == 0, b.has(off, 6) else { return .undecodable }
        if tci & 0x08 != 0 { return .linkEncrypted }
        let data = off + 6 + (tci & 0x20 != 0 ? 8 : 0)
        guard let inner = b.u16(data) else { return .undecodable }
        return ethertype(inner, b, at: data + 2, into: &p)
    }

    /// NSH (RFC 8300, service function chaining): a base header whose length (in 4-byte
    /// words) covers the service path and context headers, and the next protocol: IPv4,
    /// IPv6, Ethernet, NSH again, or MPLS.
    private func nsh(_ b: Bytes, at start: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        var off = start
        for _ in 0..<4 {
            guard let v = b.u16(off), v >> 14 == 0, let next = b.u8(off + 3) else { return .undecodable }
            let hlen = Int(v & 0x3f) * 4
            guard hlen >= 8, b.has(off, hlen) else { return .undecodable }
            off += hlen
            switch next {
            case 1: return ipv4(b, at: off, into: &p)
            case 2: return ipv6(b, at: off, into: &p)
            case 3:
                guard let type = b.u16(off + 12) else { return .undecodable }
                return ethertype(type, b, at: off + 14, into: &p)
            case 4: continue
            case 5: return mpls(b, at: off, into: &p)
            default: return .notIP
            }
        }
        return .undecodable
    }

    private func ethertype(_ first: UInt16, _ b: Bytes, at start: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        var type = first
        var off = start
        // Bounded: every step consumes header bytes, and the tag stack is capped.
        for _ in 0..<16 {
            switch type {
            case 0x0800:
                return ipv4(b, at: off, into: &p)
            case 0x86dd:
                return ipv6(b, at: off, into: &p)
            case 0x8100, 0x88a8, 0x9100, 0x9200:
                guard let inner = b.u16(off + 2) else { return .undecodable }
                type = inner
                off += 4
            case 0x8847, 0x8848:
                return mpls(b, at: off, into: &p)
            case 0x8864:
                return pppoeSession(b, at: off, into: &p)
            case 0x88e5:
                return macsec(b, at: off, into: &p)
            case 0x894f:
                return nsh(b, at: off, into: &p)
            default:
                if type < 0x0600 {
                    // 802.3 length field: LLC, and SNAP may carry an ethertype.
                    guard b.u8(off) == 0xaa, b.u8(off + 1) == 0xaa, b.u8(off + 2) == 0x03,
                          let inner = b.u16(off + 6) else { return b.has(off, 3) ? .notIP : .undecodable }
                    type = inner
                    off += 8
                } else {
                    return b.has(0, off) ? .notIP : .undecodable
                }
            }
        }
        return .undecodable
    }

    private func mpls(_ b: Bytes, at start: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        var off = start
        for _ in 0..<16 {
            guard let entry = b.u32(off) else { return .undecodable }
            off += 4
            if entry & 0x100 != 0 {
                guard let nibble = b.u8(off).map({ $0 >> 4 }) else { return .undecodable }
                switch nibble {
                case 4: return ipv4(b, at: off, into: &p)
                case 6: return ipv6(b, at: off, into: &p)
                case 0:
                    // Pseudowire control word then an Ethernet frame.
                    guard let type = b.u16(off + 4 + 12) else { return .undecodable }
                    return ethertype(type, b, at: off + 4 + 14, into: &p)
                default: return .notIP
                }
            }
        }
        return .undecodable
    }

    private func pppoeSession(_ b: Bytes, at off: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        guard b.has(off, 6) else { return .undecodable }
        return pppProtocol(b, at: off + 6, into: &p)
    }

    private func pppProtocol(_ b: Bytes, at off: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let first = b.u8(off) else { return .undecodable }
        // Protocol field compression: an odd first byte is a one-byte protocol.
        let proto: UInt16
        let next: Int
        if first & 1 == 1 {
            proto = UInt16(first); next = off + 1
        } else {
            guard let v = b.u16(off) else { return .undecodable }
            proto = v; next = off + 2
        }
        switch proto {
        case 0x0021: return ipv4(b, at: next, into: &p)
        case 0x0057: return ipv6(b, at: next, into: &p)
        case 0x0281, 0x0283: return mpls(b, at: next, into: &p)   // MPLS unicast, multicast
        default: return .notIP
        }
    }

    private func nflog(_ b: Bytes, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let family = b.u8(0) else { return .undecodable }
        var off = 4
        // TLVs: little-endian length and type; type 9 is the payload.
        for _ in 0..<64 {
            guard b.has(off, 4) else { return .undecodable }
            let len = Int(b.base[off]) | Int(b.base[off + 1]) << 8
            let type = Int(b.base[off + 2]) | Int(b.base[off + 3]) << 8
            guard len >= 4 else { return .undecodable }
            if type == 9 {
                let inner = b.slice(off + 4, len - 4)
                return inside(off + 4, family == 10 ? ipv6(inner, at: 0, into: &p) : ipv4(inner, at: 0, into: &p), &p)
            }
            off += (len + 3) & ~3
        }
        return .undecodable
    }

    private func ipByVersion(_ b: Bytes, at off: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let v = b.u8(off) else { return .undecodable }
        switch v >> 4 {
        case 4: return ipv4(b, at: off, into: &p)
        case 6: return ipv6(b, at: off, into: &p)
        default: return .undecodable
        }
    }

    private func ipv4(_ frame: Bytes, at off: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let vihl = frame.u8(off), vihl >> 4 == 4, frame.has(off, 20) else { return .undecodable }
        let ihl = Int(vihl & 0x0f) * 4
        guard ihl >= 20, frame.has(off, ihl) else { return .undecodable }
        let total = Int(frame.u16(off + 2)!)
        // A zero total length happens with segmentation offload: trust the capture.
        let end = total >= ihl ? min(frame.count, off + total) : frame.count
        let fragField = frame.u16(off + 6)!
        p.ipVersion = 4
        p.proto = frame.u8(off + 9)!
        p.src = IPAddress(v4: frame.u32(off + 12)!)
        p.dst = IPAddress(v4: frame.u32(off + 16)!)
        let more = fragField & 0x2000 != 0
        let fragOffset = fragField & 0x1fff
        p.isFragment = more || fragOffset != 0
        p.laterFragment = fragOffset != 0
        p.lastFragment = !more && fragOffset != 0
        p.fragmentID = UInt32(frame.u16(off + 4)!)
        let ip = frame.slice(0, end)
        var proto = p.proto
        var l4 = off + ihl
        if proto == IPProtocol.ah && !p.laterFragment {
            // AH authenticates; the transport behind it is the flow's.
            guard let nh = ip.u8(l4), let len = ip.u8(l4 + 1) else { return transport(ip, at: l4, into: &p) }
            proto = nh
            l4 += (Int(len) + 2) * 4
            p.proto = proto
        }
        return transport(ip, at: l4, into: &p)
    }

    private func ipv6(_ frame: Bytes, at off: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let v = frame.u8(off), v >> 4 == 6, frame.has(off, 40) else { return .undecodable }
        let plen = Int(frame.u16(off + 4)!)
        let end = plen > 0 ? min(frame.count, off + 40 + plen) : frame.count
        let ip = frame.slice(0, end)
        p.ipVersion = 6
        p.src = IPAddress(hi: frame.u64(off + 8)!, lo: frame.u64(off + 16)!)
        p.dst = IPAddress(hi: frame.u64(off + 24)!, lo: frame.u64(off + 32)!)
        p.isFragment = false
        p.laterFragment = false
        p.lastFragment = false
        p.fragmentID = 0
        var next = frame.u8(off + 6)!
        var cur = off + 40
        for _ in 0..<32 {
            switch next {
            case 0, 43, 60, 135, 139, 140:
                guard let nh = ip.u8(cur), let len = ip.u8(cur + 1) else {
                    p.proto = next; return transport(ip, at: cur, into: &p)
                }
                next = nh
                cur += (Int(len) + 1) * 8
            case 51:
                guard let nh = ip.u8(cur), let len = ip.u8(cur + 1) else {
                    p.proto = next; return transport(ip, at: cur, into: &p)
                }
                next = nh
                cur += (Int(len) + 2) * 4
            case 44:
                guard let nh = ip.u8(cur), let field = ip.u16(cur + 2), let id = ip.u32(cur + 4) else {
                    p.proto = next; return transport(ip, at: cur, into: &p)
                }
                p.isFragment = true
                p.laterFragment = field >> 3 != 0
                p.lastFragment = field & 1 == 0 && p.laterFragment
                p.fragmentID = id
                next = nh
                cur += 8
                if p.laterFragment {
                    p.proto = next
                    return transport(ip, at: cur, into: &p)
                }
            default:
                p.proto = next
                return transport(ip, at: cur, into: &p)
            }
        }
        p.proto = next
        return transport(ip, at: cur, into: &p)
    }

    /// Fills ports, TCP flags and the payload range. A transport header cut short by the
    /// snap length still yields a flow keyed by what is there.
    private func transport(_ ip: Bytes, at off: Int, into p: inout DecodedPacket) -> DecodeOutcome {
        p.hasPorts = false
        p.srcPort = 0
        p.dstPort = 0
        p.tcpFlags = 0
        p.tcpSeq = 0
        p.payloadOffset = min(max(off, 0), ip.count)
        p.payloadLength = 0
        if p.laterFragment { return .ip }
        let proto = p.proto
        if IPProtocol.hasPorts(proto) {
            guard let sp = ip.u16(off), let dp = ip.u16(off + 2) else { return .ip }
            p.srcPort = sp
            p.dstPort = dp
            p.hasPorts = true
            switch proto {
            case IPProtocol.tcp:
                guard let seq = ip.u32(off + 4), let flags = ip.u8(off + 13), let doff = ip.u8(off + 12) else { return .ip }
                p.tcpSeq = seq
                p.tcpFlags = flags
                let hlen = Int(doff >> 4) * 4
                if hlen >= 20 && ip.has(off, hlen) {
                    p.payloadOffset = off + hlen
                    p.payloadLength = ip.count - (off + hlen)
                }
            case IPProtocol.udp, IPProtocol.udplite:
                guard ip.has(off, 8) else { return .ip }
                let ulen = Int(ip.u16(off + 4)!)
                var len = ip.count - (off + 8)
                if proto == IPProtocol.udp && ulen >= 8 && !p.isFragment { len = min(len, ulen - 8) }
                p.payloadOffset = off + 8
                p.payloadLength = len
            case IPProtocol.sctp:
                if ip.has(off, 12) {
                    p.payloadOffset = off + 12
                    p.payloadLength = ip.count - (off + 12)
                }
            default:
                break
            }
        } else if ip.has(off, 0) {
            p.payloadOffset = off
            p.payloadLength = ip.count - off
        }
        return .ip
    }
}
