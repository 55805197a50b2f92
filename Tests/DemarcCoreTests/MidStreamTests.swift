import Foundation
import Testing
@testable import DemarcCore
@testable import DemarcDecode
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcReport

/// TLS and QUIC met after their handshakes: the capture began mid-connection. The bytes
/// follow the RFCs' layouts; the fixtures (tls12-second-flight, tls13-midrecord-server,
/// quic-short-headers) are the same from real implementations.
@Suite struct MidStreamTests {
    static func noise(_ n: Int, seed: UInt64) -> [UInt8] { EncryptionEvidenceTests.noise(n, seed: seed) }

    /// A TLS record (RFC 8446 §5.1, RFC 5246 §6.2): type, version 3.3, length, body.
    static func record(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        [type, 0x03, 0x03, UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
    }

    /// A byte stream cut into segments of `size` bytes.
    static func segments(_ stream: [UInt8], _ size: Int) -> [[UInt8]] {
        stride(from: 0, to: stream.count, by: size).map { Array(stream[$0..<min(stream.count, $0 + size)]) }
    }

    /// TLS 1.2's second client flight as the first captured segment (RFC 5246 §7.4.7
    /// ClientKeyExchange, §7.1 ChangeCipherSpec, §7.4.9 the encrypted Finished): three
    /// records that chain and fill the segment.
    @Test func tls12SecondFlightIsTLS() throws {
        let kex = Self.record(22, [0x10, 0x00, 0x00, 0x21, 0x20] + Self.noise(32, seed: 1))
        let flight = kex + Self.record(20, [0x01]) + Self.record(22, Self.noise(40, seed: 2))
        let s = try #require(EncryptionEvidenceTests.midStream(toServer: [flight]))
        #expect(s.app == .tls && s.state == .encrypted && s.basis == .protocol)
    }

    /// A ChangeCipherSpec alone is one byte, 1 (RFC 5246 §7.1): with any other byte the
    /// record is not one.
    @Test func changeCipherSpecIsOneByteOne() throws {
        let ccs = try #require(EncryptionEvidenceTests.midStream(toServer: [Self.record(20, [0x01])]))
        #expect(ccs.app == .tls)
        let other = try #require(EncryptionEvidenceTests.midStream(toServer: [Self.record(20, [0x02])]))
        #expect(other.app != .tls)
    }

    /// The server's Certificate message continuing past a segment that is neither the
    /// direction's first nor full-sized (RFC 5246 §7.4.2): a handshake record of a later
    /// message type, whose message length fits 16 bits.
    @Test func certificateRecordRunningOnIsTLS() throws {
        let body: [UInt8] = [0x0b, 0x00, 0x0b, 0x1c] + Self.noise(2844, seed: 3)
        let stream = Self.record(22, body)
        let s = try #require(EncryptionEvidenceTests.midStream(toServer: [], toClient: [Self.noise(90, seed: 5), Array(stream.prefix(800))]))
        #expect(s.app == .tls && s.state == .encrypted && s.basis == .protocol)
    }

    /// A segment that begins inside a record, then holds the ends of records and the
    /// headers of the next (the capture began mid-record): two headers chain in it.
    @Test func headersChainingInsideASegmentAreTLS() throws {
        let seg = Self.noise(200, seed: 6) + Self.record(23, Self.noise(64, seed: 7))
            + Array(Self.record(23, Self.noise(3000, seed: 8)).prefix(1000))
        let s = try #require(EncryptionEvidenceTests.midStream(toServer: [], toClient: [seg]))
        #expect(s.app == .tls && s.state == .encrypted && s.basis == .protocol)
    }

    /// A record that runs past its segment's end predicts where the next header starts;
    /// a segment several packets on holds it there: TLS. Without the header there, no.
    @Test(arguments: [true, false]) func predictedHeaderAcrossSegments(_ present: Bool) throws {
        var stream = Self.noise(300, seed: 9) + Self.record(23, Self.noise(3000, seed: 10))
        stream += present ? Self.record(23, Self.noise(2000, seed: 11)) : Self.noise(2005, seed: 11)
        let s = try #require(EncryptionEvidenceTests.midStream(toServer: [], toClient: Self.segments(stream, 1448)))
        #expect((s.app == .tls) == present, "\(s.app)")
    }

    /// Random segments of many flows (what other encrypted protocols look like) are not
    /// taken for TLS: a header's three bytes turn up by chance, chained headers do not.
    @Test func randomSegmentsAreNotTLS() throws {
        var tls = 0
        for f in 0..<150 {
            let segs = (0..<6).map { Self.noise(1448 - $0 * 97, seed: UInt64(f * 16 + $0 + 1000)) }
            let s = try #require(EncryptionEvidenceTests.midStream(toServer: segs, toClient: segs.reversed()))
            if s.app == .tls { tls += 1 }
        }
        #expect(tls == 0)
    }

    /// A QUIC short header (RFC 9000 §17.3.1): `01` then five bits masked by header
    /// protection (RFC 9001 §5.4.1), the destination connection ID, then the protected
    /// packet number and payload.
    static func shortHeader(_ id: [UInt8], seed: UInt64, length: Int = 90) -> [UInt8] {
        let sealed = Self.noise(length, seed: seed)
        return [0x40 | sealed[0] & 0x3f] + id + sealed.dropFirst()
    }

    /// Two-way UDP flow: client datagrams and server datagrams, alternating.
    static func udp(_ toServer: [[UInt8]], _ toClient: [[UInt8]]) -> InspectState? {
        let h = FlowHarness()
        var t: Int64 = 1_000_000
        for i in 0..<max(toServer.count, toClient.count) {
            if i < toServer.count {
                t += 1000
                h.feed(PacketFactory.udp4("10.0.0.1", 40_000, "10.0.0.2", 41_234, payload: toServer[i]), at: t)
            }
            if i < toClient.count {
                t += 1000
                h.feed(PacketFactory.udp4("10.0.0.2", 41_234, "10.0.0.1", 40_000, payload: toClient[i]), at: t)
            }
        }
        return h.finishAll().first?.0.inspect
    }

    /// Short headers whose connection ID repeats in one direction are QUIC, with an
    /// 8-byte ID or, over more packets, a 4-byte one; the other direction's empty IDs
    /// do not stand in the way.
    @Test(arguments: [8, 4, 20]) func shortHeadersAreQUIC(_ idLength: Int) throws {
        let id = Self.noise(idLength, seed: 77)
        let toServer = (0..<5).map { Self.shortHeader(id, seed: UInt64(100 + $0)) }
        let toClient = (0..<5).map { Self.shortHeader([], seed: UInt64(200 + $0), length: 300) }
        let s = try #require(Self.udp(toServer, toClient))
        #expect(s.app == .quic && s.state == .encrypted && s.basis == .protocol)
        #expect(EncryptionReport.versionName(s) == nil)
    }

    /// Not QUIC: datagrams with the short header's top bits but no repeated ID (random);
    /// a cleartext header that repeats with a fixed first byte (an opcode, as OpenVPN's
    /// P_DATA_V2 0x48 and its peer id); bytes that repeat further than a connection ID can.
    @Test func shortHeaderLookalikesAreNotQUIC() throws {
        let random = (0..<6).map { i -> [UInt8] in
            var p = Self.noise(120, seed: UInt64(300 + i)); p[0] = 0x40 | p[0] & 0x3f; return p
        }
        #expect(try #require(Self.udp(random, [])).app != .quic)
        let fixed = (0..<6).map { [0x48, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, UInt8($0)] + Self.noise(100, seed: UInt64(400 + $0)) }
        #expect(try #require(Self.udp(fixed, [])).app != .quic)
        let header = Self.noise(30, seed: 5)
        let long = (0..<6).map { i -> [UInt8] in [0x40 | UInt8(i)] + header + Self.noise(60, seed: UInt64(500 + i)) }
        #expect(try #require(Self.udp(long, [])).app != .quic)
        // An ID-like field, then text: not sealed.
        let id = Self.noise(8, seed: 6)
        let text = (0..<6).map { i -> [UInt8] in [0x41 + UInt8(i)] + id + Array("seq=\(i) status=ok temp=21.5 unit=kitchen".utf8) }
        #expect(try #require(Self.udp(text, [])).app != .quic)
    }

    /// Google's QUIC protects no header: Q046's first byte stays `0x40` (older versions'
    /// public flags stay put too) and the packet number after the 8-byte ID counts up;
    /// the rest is sealed.
    @Test func googleShortHeadersAreQUIC() throws {
        let id = Self.noise(8, seed: 8)
        let toServer = (0..<4).map { i -> [UInt8] in [0x40] + id + [UInt8(0x0f + i)] + Self.noise(26, seed: UInt64(600 + i)) }
        #expect(try #require(Self.udp(toServer, [])).app == .quic)
        // Older gQUIC's public header: flags 0x0c (an 8-byte connection ID, no version),
        // the ID, a packet number counting up, sealed bytes.
        let publicHeader = (0..<4).map { i -> [UInt8] in [0x0c] + id + [UInt8(0x20 + i)] + Self.noise(40, seed: UInt64(650 + i)) }
        #expect(try #require(Self.udp(publicHeader, [])).app == .quic)
        // The server's packets between them: flags 0x00, a packet number, sealed bytes.
        let server = (0..<4).map { i -> [UInt8] in [0x00, UInt8(0x09 + i)] + Self.noise(60, seed: UInt64(680 + i)) }
        #expect(try #require(Self.udp(publicHeader, server)).app == .quic)
        // OpenVPN's control channel over UDP (P_CONTROL_V1 0x20, P_ACK_V1 0x28): an 8-byte
        // session id, then an HMAC: the byte after the id does not count up.
        let control = (0..<6).map { i -> [UInt8] in [i % 2 == 0 ? 0x20 : 0x28] + id + Self.noise(60, seed: UInt64(690 + i)) }
        #expect(try #require(Self.udp(control, [])).app != .quic)
        let backwards = (0..<4).map { i -> [UInt8] in [0x40] + id + [UInt8(0x20 - i)] + Self.noise(26, seed: UInt64(700 + i)) }
        #expect(try #require(Self.udp(backwards, [])).app != .quic)
    }

    /// A server's Version Negotiation seen without the client's Initial (RFC 9000 §17.2.1):
    /// long header, version 0, an empty destination ID, an 8-byte source ID, one version
    /// (and a reserved one, §15): 19 and 23 bytes.
    @Test func shortVersionNegotiationIsQUIC() throws {
        let id: [UInt8] = [0xf0, 0x46, 0x2f, 0xb4, 0x27, 0x23, 0x89, 0xf7]
        let vn: [UInt8] = [0xc3, 0, 0, 0, 0, 0x00, 0x08] + id + [0xff, 0x00, 0x00, 0x1d]
        let s = try #require(Self.udp([], [vn]))
        #expect(s.app == .quic && s.state == .encrypted)
        let two = try #require(Self.udp([], [vn + [0x1a, 0x2a, 0x3a, 0x4a]]))
        #expect(two.app == .quic)
        // Version 0 but no known version listed: not QUIC.
        let odd = try #require(Self.udp([], [Array(vn.dropLast(4)) + [0x12, 0x34, 0x56, 0x78]]))
        #expect(odd.app != .quic)
    }

    /// A Handshake packet (RFC 9000 §17.2.4) met without the Initials, its fixed bit
    /// greased (RFC 9287 §3), as quic-go and ngtcp2 send once both ends allow it: QUIC.
    /// An Initial so greased, or a reserved version, is not.
    @Test func greasedHandshakeIsQUIC() throws {
        let id = Self.noise(8, seed: 12)
        func long(_ first: UInt8, _ version: [UInt8]) -> [UInt8] {
            [first] + version + [0x08] + id + [0x00, 0x41, 0x20] + Self.noise(300, seed: 13)
        }
        #expect(try #require(Self.udp([], [long(0xa1, [0xff, 0x00, 0x00, 0x22])])).app == .quic)
        #expect(try #require(Self.udp([], [long(0xe1, [0x00, 0x00, 0x00, 0x01])])).app == .quic)
        #expect(try #require(Self.udp([], [long(0x81, [0xff, 0x00, 0x00, 0x22])])).app != .quic)
        #expect(try #require(Self.udp([], [long(0xa1, [0x1a, 0x2a, 0x3a, 0x4a])])).app != .quic)
    }

    @Test(arguments: ["tls12-second-flight", "tls13-midrecord-server", "quic-short-headers"])
    func realMidStreamFixtures(_ name: String) throws {
        let (s, _) = try InspectorTests.replay(name)
        #expect(s.app == (name.hasPrefix("quic") ? .quic : .tls) && s.state == .encrypted && s.basis == .protocol)
    }
}
