import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcCapture
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

@Suite struct DecodeTests {
    func decode(_ frame: [UInt8], link: Int32 = LinkType.ethernet) -> (DecodeOutcome, DecodedPacket) {
        var p = DecodedPacket()
        let o = frame.withUnsafeBytes { PacketDecoder(linkType: link).decode($0, into: &p) }
        return (o, p)
    }

    @Test func ipv4TCP() {
        let f = PacketFactory.tcp4("10.0.0.1", 40000, "93.184.216.34", 443, flags: TCPFlags.syn, seq: 77, payload: [1, 2, 3])
        let (o, p) = decode(f)
        #expect(o == .ip)
        #expect(p.ipVersion == 4 && p.proto == IPProtocol.tcp)
        #expect(p.src == IPAddress("10.0.0.1")! && p.dst == IPAddress("93.184.216.34")!)
        #expect(p.srcPort == 40000 && p.dstPort == 443 && p.hasPorts)
        #expect(p.tcpFlags == TCPFlags.syn && p.tcpSeq == 77)
        #expect(p.payloadLength == 3 && f[p.payloadOffset] == 1)
    }

    @Test func vlanStackAndMPLS() {
        let ip = PacketFactory.ipv4(src: "1.2.3.4", dst: "5.6.7.8", proto: 17, body: PacketFactory.udp(sport: 5000, dport: 53, payload: [9]))
        // 802.1ad outer tag, 802.1Q inner tag, then MPLS with two labels.
        let mpls: [UInt8] = [0, 0x10, 0x00, 0xff, 0, 0x20, 0x01, 0xff]
        let frame = [UInt8](repeating: 0xaa, count: 12) + [0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x88, 0x47] + mpls + ip
        let (o, p) = decode(frame)
        #expect(o == .ip)
        #expect(p.dstPort == 53 && p.payloadLength == 1)
    }

    @Test func ipv6ExtensionHeadersAndFragments() {
        let udp = PacketFactory.udp(sport: 1234, dport: 53, payload: [1, 2, 3, 4])
        // Hop-by-hop (8 bytes), then a first fragment header (offset 0, more fragments).
        let hop: [UInt8] = [44, 0, 1, 4, 0, 0, 0, 0]
        let frag: [UInt8] = [17, 0, 0x00, 0x01] + PacketFactory.be32(0xabcd)
        let (o, p) = decode(PacketFactory.ethernet(0x86dd, PacketFactory.ipv6(src: "2001:db8::1", dst: "2001:db8::2", next: 0, body: hop + frag + udp)))
        #expect(o == .ip)
        #expect(p.proto == IPProtocol.udp && p.dstPort == 53)
        #expect(p.isFragment && !p.laterFragment && p.fragmentID == 0xabcd)
        let later: [UInt8] = [17, 0, 0x00, 0x08] + PacketFactory.be32(0xabcd)
        let (o2, p2) = decode(PacketFactory.ethernet(0x86dd, PacketFactory.ipv6(src: "2001:db8::1", dst: "2001:db8::2", next: 44, body: later + [1, 2, 3])))
        #expect(o2 == .ip && p2.laterFragment && !p2.hasPorts)
    }

    @Test func linuxCookedAndLoopbackAndRaw() {
        let ip = PacketFactory.ipv4(src: "127.0.0.1", dst: "127.0.0.1", proto: 6, body: PacketFactory.tcp(sport: 1, dport: 2, flags: 2))
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00] + ip
        #expect(decode(sll, link: LinkType.linuxSLL).0 == .ip)
        let sll2: [UInt8] = [0x08, 0x00, 0, 0] + [UInt8](repeating: 0, count: 16) + ip
        #expect(decode(sll2, link: LinkType.linuxSLL2).0 == .ip)
        #expect(decode([2, 0, 0, 0] + ip, link: LinkType.null).0 == .ip)
        #expect(decode([0, 0, 0, 2] + ip, link: LinkType.loop).0 == .ip)
        #expect(decode(ip, link: LinkType.raw).0 == .ip)
        #expect(decode([0xff, 0x03, 0x00, 0x21] + ip, link: LinkType.ppp).0 == .ip)
    }

    /// The link-layer group bit (SCENARIO.md's `link`): Ethernet's outermost destination,
    /// 802.11's destination address, Linux cooked packet types 1 and 2; never on link
    /// types without a destination.
    @Test func linkLayerGroupDestination() {
        let ip = PacketFactory.ipv4(src: "10.0.0.7", dst: "10.0.0.255", proto: 17, body: PacketFactory.udp(sport: 137, dport: 137, payload: [1]))
        let eth = PacketFactory.ethernet(0x0800, ip)
        #expect(decode(eth).1.linkGroup == false)
        #expect(decode([0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + eth.dropFirst(6)).1.linkGroup)
        #expect(decode([0x01, 0x00, 0x5e, 0, 0, 0xfb] + eth.dropFirst(6)).1.linkGroup)
        // An Ethernet frame inside MPLS (a pseudowire) does not count: the outermost does.
        let inner = [UInt8](repeating: 0xff, count: 6) + [UInt8](repeating: 2, count: 6) + [0x08, 0x00] + ip
        let pw = PacketFactory.ethernet(0x8847, [0, 0x10, 0x01, 0xff, 0, 0, 0, 0] + inner)
        #expect(decode(pw).0 == .ip && decode(pw).1.linkGroup == false)
        for (type, group) in [(UInt8(0), false), (1, true), (2, true), (4, false)] {
            let sll: [UInt8] = [0, type, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00] + ip
            #expect(decode(sll, link: LinkType.linuxSLL).1.linkGroup == group)
            let sll2: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, type, 6] + [UInt8](repeating: 0, count: 8) + ip
            #expect(decode(sll2, link: LinkType.linuxSLL2).1.linkGroup == group)
        }
        // 802.11 data: from the DS the destination is address 1, to the DS address 3.
        let llc: [UInt8] = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]
        func wlan(flags: UInt8, a1: UInt8, a3: UInt8) -> [UInt8] {
            [0x08, flags, 0, 0] + [a1, 0, 0, 0, 0, 1] + [2, 0, 0, 0, 0, 2] + [a3, 0, 0, 0, 0, 3] + [0, 0] + llc + ip
        }
        #expect(decode(wlan(flags: 0x02, a1: 0xff, a3: 0x02), link: LinkType.ieee80211).1.linkGroup)
        #expect(decode(wlan(flags: 0x01, a1: 0x02, a3: 0xff), link: LinkType.ieee80211).1.linkGroup)
        #expect(decode(wlan(flags: 0x01, a1: 0xff, a3: 0x02), link: LinkType.ieee80211).1.linkGroup == false)
        // No destination recorded: address tests alone.
        #expect(decode(ip, link: LinkType.raw).1.linkGroup == false)
        // The bit is the packet's own: a unicast frame after a broadcast one clears it.
        var p = DecodedPacket()
        let d = PacketDecoder(linkType: LinkType.ethernet)
        _ = ([0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + eth.dropFirst(6)).withUnsafeBytes { d.decode($0, into: &p) }
        _ = eth.withUnsafeBytes { d.decode($0, into: &p) }
        #expect(p.linkGroup == false)
    }

    /// A flow keeps the group bit of its first packet only.
    @Test func flowKeepsItsFirstPacketsGroupBit() {
        let h = FlowHarness()
        let bcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + PacketFactory.udp4("10.0.0.7", 5000, "10.0.0.255", 137, payload: [1]).dropFirst(6)
        h.feed(Array(bcast))
        h.feed(PacketFactory.udp4("10.0.0.255", 137, "10.0.0.7", 5000, payload: [2]))
        h.feed(PacketFactory.udp4("10.0.0.8", 5000, "10.0.0.9", 53, payload: [1]))
        h.feed(Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + PacketFactory.udp4("10.0.0.9", 53, "10.0.0.8", 5000, payload: [2]).dropFirst(6)))
        #expect(h.finishAll().map(\.0.linkGroup) == [true, false])
    }

    @Test func nonIPAndShortFrames() {
        #expect(decode(PacketFactory.ethernet(0x0806, [UInt8](repeating: 0, count: 28))).0 == .notIP)
        #expect(decode([1, 2, 3]).0 == .undecodable)
        #expect(decode(PacketFactory.ethernet(0x0800, [0x45, 0, 0])).0 == .undecodable)
        #expect(decode([1, 2, 3, 4], link: 147).0 == .undecodable)
    }

    @Test func lyingLengthsStayInsideTheFrame() {
        // IPv4 total length and IHL claim more than there is; TCP data offset too.
        var ip = PacketFactory.ipv4(src: "1.1.1.1", dst: "2.2.2.2", proto: 6, body: PacketFactory.tcp(sport: 1, dport: 2, flags: 0x18, payload: [1, 2]))
        ip[2] = 0xff; ip[3] = 0xff
        ip[20 + 12] = 0xf0
        let (o, p) = decode(PacketFactory.ethernet(0x0800, ip))
        #expect(o == .ip)
        #expect(p.payloadOffset + p.payloadLength <= 14 + ip.count)
    }

    @Test func randomBytesNeverReadOutside() {
        var rng = SplitMix(seed: 42)
        let links: [Int32] = [0, 1, 7, 9, 12, 50, 51, 101, 104, 105, 108, 113, 127, 129, 149, 178, 192, 228, 229, 239, 242, 258, 276]
        for i in 0..<20_000 {
            let n = Int(rng.next() % 120)
            var frame = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // Make many of them look like IP so deeper code runs.
            if n > 20 && i % 2 == 0 { frame[14 % n] = 0x45; frame[12] = 0x08; frame[13] = 0 }
            let (_, p) = decode(frame, link: links[i % links.count])
            #expect(p.payloadOffset >= 0 && p.payloadLength >= 0 && p.payloadOffset + p.payloadLength <= max(frame.count, 0))
        }
    }

    /// Workers skip another worker's packet by the addresses `plainIPv4Addresses` reads
    /// without decoding: wherever it answers, a full decode must give IP and the same two
    /// addresses (random Ethernet frames, many shaped as IPv4 with every header length).
    @Test func plainIPv4AddressesAgreeWithDecode() {
        var rng = SplitMix(seed: 34)
        let decoder = PacketDecoder(linkType: LinkType.ethernet)
        var answered = 0
        for i in 0..<20_000 {
            let n = Int(rng.next() % 90)
            var frame = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if n > 14 && i % 4 != 0 {
                frame[12] = 0x08; frame[13] = 0
                frame[14] = 0x40 | UInt8(truncatingIfNeeded: rng.next() % 16)
            }
            var p = DecodedPacket()
            let outcome = frame.withUnsafeBytes { decoder.decode($0, into: &p) }
            guard let a = frame.withUnsafeBytes({ decoder.plainIPv4Addresses($0) }) else { continue }
            answered += 1
            #expect(outcome == .ip && p.src == IPAddress(v4: a.src) && p.dst == IPAddress(v4: a.dst))
        }
        #expect(answered > 1000)
        // Not Ethernet: never answered (decode judges those).
        let raw = PacketDecoder(linkType: LinkType.raw)
        let ip = PacketFactory.udp4("10.0.0.1", 1000, "10.0.0.2", 53, payload: [1, 2, 3])
        #expect(ip.withUnsafeBytes { raw.plainIPv4Addresses($0) } == nil)
    }

    @Test func addressText() {
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")!.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::1")!.description == "::1")
        #expect(IPAddress("fe80::")!.description == "fe80::")
        #expect(IPAddress("10.1.2.3")!.description == "10.1.2.3")
        #expect(IPAddress("::ffff:1.2.3.4") == IPAddress("1.2.3.4"))
        #expect(IPAddress("1.2.3") == nil && IPAddress("1.2.3.256") == nil && IPAddress("1::2::3") == nil)
        // Every octet value in every position (the dotted text is written a word per octet).
        for n in 0..<256 {
            let (a, b, c, d) = (n, 255 - n, (n * 7) % 256, (n * 13 + 5) % 256)
            let v = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
            #expect(IPAddress(v4: v).description == "\(a).\(b).\(c).\(d)")
            #expect(IPAddress(v4: UInt32(n) * 0x0101_0101).description == "\(n).\(n).\(n).\(n)")
        }
        #expect(IPAddress("::")!.description == "::")
        #expect(IPAddress("1:0:0:2:0:0:0:3")!.description == "1:0:0:2::3")
        #expect(IPAddress("1:0:0:2:0:0:3:4")!.description == "1::2:0:0:3:4")
        #expect(IPAddress("2001:db8:0:1:1:1:1:1")!.description == "2001:db8:0:1:1:1:1:1")
        #expect(IPAddress("ffff:abcd:ef01:2345:6789:a:bc:def")!.description == "ffff:abcd:ef01:2345:6789:a:bc:def")
    }

    /// IPv6 text as glibc's inet_ntop writes it (RFC 5952), for addresses with runs of
    /// zero groups of every length; inet_ntop's dotted forms of IPv4-mapped and
    /// -compatible addresses aside (demarc keeps those in hex).
    @Test func ipv6TextMatchesInetNtop() {
        var rng = SplitMix(seed: 5952)
        for _ in 0..<20_000 {
            var bytes = [UInt8](repeating: 0, count: 16)
            for g in 0..<8 where rng.next() % 3 != 0 {
                let v = rng.next()
                bytes[2 * g] = rng.next() % 2 == 0 ? 0 : UInt8(truncatingIfNeeded: v)
                bytes[2 * g + 1] = UInt8(truncatingIfNeeded: v >> 8)
            }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) { bytes[0] = 0x20 }
            let hi = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lo = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            var text = [CChar](repeating: 0, count: 64)
            _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, 64) }
            let expected = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(IPAddress(hi: hi, lo: lo).description == expected)
        }
    }
}

/// A small deterministic generator for reproducible fuzz inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
