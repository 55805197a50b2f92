import Foundation
import Testing
@testable import DemarcCore
@testable import DemarcDecode
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcReport

/// What counts as evidence for a verdict when no hello or banner was seen: the bytes'
/// heuristic, and record framing that proves itself (TLS records, SSH binary packets).
@Suite struct EncryptionEvidenceTests {
    /// Bytes that look random (xorshift): what ciphertext looks like.
    static func noise(_ n: Int, seed: UInt64 = 0x9e37_79b9_7f4a_7c15) -> [UInt8] {
        var x = seed
        return (0..<n).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x >> 24)
        }
    }

    /// A binary message with framing and few distinct values: structure, not text.
    static let structured: [UInt8] = [0x7e, 0x01, 0x00, 0x30, 0x00, 0x00, 0x00, 0x05] + [UInt8](repeating: 0, count: 12)
        + [0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04] + [UInt8](repeating: 0xff, count: 8) + [0x10, 0x20, 0x10, 0x20]

    /// The end state of a UDP flow of these client datagrams, on a port nothing claims.
    static func udpFlow(_ payloads: [[UInt8]]) -> InspectState? {
        let h = FlowHarness()
        var t: Int64 = 1_000_000
        for p in payloads {
            t += 1000
            h.feed(PacketFactory.udp4("10.0.0.1", 40_000, "10.0.0.2", 41_234, payload: p), at: t)
        }
        return h.finishAll().first?.0.inspect
    }

    /// The end state of a TCP flow whose start was not captured (no SYN): these segments
    /// from the client, then these from the server.
    static func midStream(toServer: [[UInt8]], toClient: [[UInt8]] = []) -> InspectState? {
        let h = FlowHarness()
        var t: Int64 = 1_000_000, cseq: UInt32 = 7_000, sseq: UInt32 = 90_000
        for p in toServer {
            t += 1000
            h.feed(PacketFactory.tcp4("10.0.0.1", 40_000, "10.0.0.2", 41_234, flags: TCPFlags.ack | TCPFlags.psh, seq: cseq, payload: p), at: t)
            cseq &+= UInt32(p.count)
        }
        for p in toClient {
            t += 1000
            h.feed(PacketFactory.tcp4("10.0.0.2", 41_234, "10.0.0.1", 40_000, flags: TCPFlags.ack | TCPFlags.psh, seq: sseq, payload: p), at: t)
            sseq &+= UInt32(p.count)
        }
        return h.finishAll().first?.0.inspect
    }

    @Test func oneStructuredPacketIsNoEvidence() throws {
        #expect(Self.structured.withUnsafeBytes { Heuristic.classify(Bytes($0)) } == .structured)
        let one = try #require(Self.udpFlow([Self.structured]))
        #expect(one.app == .unknown && one.state == .unknown && one.basis == .none)
        let two = try #require(Self.udpFlow([Self.structured, Self.structured]))
        #expect(two.state == .cleartext && two.basis == .heuristic)
    }

    /// One binary packet long enough and a quarter zeros (fields padded with zeros) is
    /// evidence on its own; the verdict carries its rule's confidence. Shorter, it is not.
    @Test func oneSparsePacketIsEvidence() throws {
        var sparse: [UInt8] = [0x02, 0x00, 0x00, 0x48, 0x00, 0x01, 0x00, 0x00]
        for i in 0..<9 { sparse += [0x00, 0x00, UInt8(0x41 + i), UInt8(0x10 * i), 0x7f, 0xc3 &+ UInt8(i), 0x01, 0x00] }
        #expect(sparse.count >= Heuristic.sparseLength)
        #expect(sparse.withUnsafeBytes { Heuristic.classify(Bytes($0)) } == .sparse)
        let s = try #require(Self.udpFlow([sparse]))
        #expect(s.state == .cleartext && s.basis == .heuristic)
        #expect(Heuristic.rule(s) == .sparse && Heuristic.confidence(s) == Heuristic.confidenceByRule[Heuristic.Rule.sparse.rawValue])
        let short = Array(sparse.prefix(Heuristic.sparseLength - 8))
        #expect(short.withUnsafeBytes { Heuristic.classify(Bytes($0)) } == .structured)
        let one = try #require(Self.udpFlow([short]))
        #expect(one.state == .unknown && Heuristic.confidence(one) == nil)
    }

    /// Every heuristic verdict has a confidence in [0, 1]; a protocol's verdict has none.
    @Test func confidenceOnlyForHeuristicVerdicts() throws {
        #expect(Heuristic.confidenceByRule.allSatisfy { $0 >= 0 && $0 <= 1 })
        let two = try #require(Self.udpFlow([Self.structured, Self.structured]))
        #expect(Heuristic.rule(two) == .structure && Heuristic.confidence(two) != nil)
        var claimed = InspectState()
        claimed.app = .dns; claimed.state = .cleartext; claimed.basis = .protocol
        #expect(Heuristic.confidence(claimed) == nil)
    }

    @Test func oneTextPacketIsEvidence() throws {
        let text = Array("status=ok; temperature=21.5; humidity=40; unit=kitchen\n".utf8)
        let s = try #require(Self.udpFlow([text]))
        #expect(s.state == .cleartext && s.basis == .heuristic)
        #expect(Heuristic.rule(s) == .text)
    }

    /// Bytes with as many distinct values as random ones, but a run of printable bytes,
    /// a run of zeros, or too many equal bytes (chi-square), are not random; nor are
    /// they structure: they count against both verdicts.
    @Test func nearlyRandomIsNeitherRandomNorStructure() {
        let noise = Self.noise(128, seed: 11)
        #expect(noise.withUnsafeBytes { Heuristic.classify(Bytes($0)) } == .random)
        var text = noise
        text.replaceSubrange(40..<56, with: Array("name=session-key".utf8))
        var zeros = noise
        zeros.replaceSubrange(60..<64, with: [0, 0, 0, 0])
        // Every eighth byte the same value: 16 equal bytes, many pairs.
        var pairs = noise
        for i in stride(from: 20, to: 128, by: 8) { pairs[i] = 0x5a }
        for p in [text, zeros, pairs] {
            #expect(p.withUnsafeBytes { Heuristic.classify(Bytes($0)) } == .nearRandom)
            #expect(p.withUnsafeBytes { Heuristic.classifyBody(Bytes($0)) } == .random)
        }
    }

    /// Random-looking packets both ways are ciphertext; the same ones behind a header
    /// that repeats at fixed offsets past 32 bytes are not taken for it. A TCP segment
    /// sent again whole is a retransmission, no header.
    @Test func aRepeatedHeaderIsNotCiphertext() throws {
        let fresh = (0..<3).map { Self.noise(200, seed: 100 + UInt64($0)) }
        let replies = (0..<3).map { Self.noise(200, seed: 200 + UInt64($0)) }
        let e = try #require(Self.midStream(toServer: fresh, toClient: replies))
        #expect(e.state == .encrypted && e.basis == .heuristic && Heuristic.rule(e) == .random)
        #expect(!e.heuristic.repeated)
        // The same bytes at six of the eight sampled offsets (32, 36, ..., 60) of every
        // packet a direction sends.
        let stamp: ([UInt8]) -> [UInt8] = { p in
            var q = p
            for i in 0..<6 { q[Heuristic.headerStart + Heuristic.headerStep * i] = UInt8(0x30 + i) }
            return q
        }
        let r = try #require(Self.midStream(toServer: fresh.map(stamp), toClient: replies))
        #expect(r.heuristic.repeated && r.state == .unknown)
        let again = try #require(Self.midStream(toServer: [fresh[0], fresh[0], fresh[1]], toClient: replies))
        #expect(!again.heuristic.repeated && again.state == .encrypted)
    }

    /// A tally taken as settled gives the same outcome and rule however it goes on:
    /// random tallies, each continued at random packet by packet up to the packets left.
    @Test func aSettledTallyKeepsItsOutcome() {
        var rng = SystemRandomNumberGenerator()
        func outcome(_ t: HeuristicTally) -> String {
            var s = InspectState()
            s.heuristic = t
            Heuristic.decide(&s)
            return "\(s.state) \(String(describing: Heuristic.rule(s)))"
        }
        // One packet of a kind (0 text, 1 structured, 2 sparse, 3 near-random, 4 random
        // to the server, 5 random to the client), or a header repeating besides.
        func add(_ t: inout HeuristicTally, _ kind: Int, repeated: Bool) {
            t.packets += 1
            switch kind {
            case 0: t.textPackets += 1
            case 1: t.structuredPackets += 1
            case 2: t.structuredPackets += 1; t.sparsePackets += 1
            case 3: t.nearRandomPackets += 1
            case 4: t.randomPackets += 1; t.randomToServer += 1
            default: t.randomPackets += 1; t.randomToClient += 1
            }
            if repeated { t.repeated = true }
        }
        var settled = 0
        for _ in 0..<20000 {
            var t = HeuristicTally()
            for _ in 0..<Int.random(in: 0...Heuristic.packetsTallied, using: &rng) {
                add(&t, Int.random(in: 0...5, using: &rng), repeated: Int.random(in: 0..<8, using: &rng) == 0)
            }
            guard Heuristic.settled(t) else { continue }
            settled += 1
            let expected = outcome(t)
            for _ in 0..<8 {
                var u = t
                while Int(u.packets) < Heuristic.packetsTallied {
                    add(&u, Int.random(in: 0...5, using: &rng), repeated: Int.random(in: 0..<8, using: &rng) == 0)
                    #expect(outcome(u) == expected)
                }
            }
        }
        #expect(settled > 100)
    }

    /// Random-looking packets both ways, three or more, at least as many as the
    /// structured ones (a handshake before them) and no text, are `mostlyRandom`.
    @Test func mostlyRandomAfterAHandshake() throws {
        let hello = Self.structured + Self.structured
        let both = try #require(Self.midStream(toServer: [hello, Self.noise(200, seed: 5), Self.noise(200, seed: 6)],
                                               toClient: [hello, Self.noise(200, seed: 7)]))
        #expect(both.state == .encrypted && Heuristic.rule(both) == .mostlyRandom)
        let two = try #require(Self.midStream(toServer: [hello, Self.noise(200, seed: 5)],
                                              toClient: [hello, Self.noise(200, seed: 7)]))
        #expect(two.state == .unknown)
        let text = Array("status=ok; temperature=21.5; humidity=40; unit=kitchen\n".utf8)
        let withText = try #require(Self.midStream(toServer: [text, Self.noise(200, seed: 5), Self.noise(200, seed: 6)],
                                                   toClient: [hello, Self.noise(200, seed: 7)]))
        #expect(withText.state == .unknown)
    }

    /// The calibration mode asks no inspector: an HTTP request is judged by its bytes.
    @Test func heuristicOnlyModeSkipsInspectors() throws {
        let request = Array("GET /index.html HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n".utf8)
        var only = PayloadInspector()
        only.heuristicOnly = true
        for (inspector, basis) in [(PayloadInspector(), VerdictBasis.protocol), (only, .heuristic)] {
            let h = FlowHarness(inspector: inspector)
            h.feed(PacketFactory.tcp4("10.0.0.1", 40_000, "10.0.0.2", 80, flags: TCPFlags.ack | TCPFlags.psh, seq: 1, payload: request))
            let s = try #require(h.finishAll().first?.0.inspect)
            #expect(s.state == .cleartext && s.basis == basis)
        }
    }

    /// A counter or ramp has every byte value once, as random bytes nearly do; its equal
    /// steps tell it apart.
    @Test func aRampIsNotRandom() {
        let ramp = (0..<128).map { UInt8($0) }
        #expect(ramp.withUnsafeBytes { Heuristic.classify(Bytes($0)) } != .random)
        let descending = (0..<128).map { UInt8(255 - $0 * 2 & 0xff) }
        #expect(descending.withUnsafeBytes { Heuristic.classify(Bytes($0)) } != .random)
        #expect(Self.noise(128).withUnsafeBytes { Heuristic.classify(Bytes($0)) } == .random)
    }

    /// A capture that began inside a TLS record: the segments that follow the record's end
    /// open with headers, and they make the flow TLS.
    @Test func tlsRecognisedAfterASegmentThatStartsMidRecord() throws {
        let record = [0x17, 0x03, 0x03, 0x00, 0x64] + Self.noise(100, seed: 7)
        let s = try #require(Self.midStream(toServer: [Self.noise(300, seed: 3), record]))
        #expect(s.app == .tls && s.state == .encrypted && s.basis == .protocol)
        // A 3.3 record header is TLS 1.2 or 1.3: no version is named.
        #expect(EncryptionReport.versionName(s) == nil && !s.weak)
    }

    /// A ClientHello cut by the segment's end (a post-quantum key share makes it longer
    /// than one segment), whose rest was never captured: the record header and the
    /// hello's start make the flow TLS.
    @Test func cutClientHelloIsTLS() throws {
        let hello: [UInt8] = [0x16, 0x03, 0x01, 0x07, 0x00, 0x01, 0x00, 0x06, 0xfc, 0x03, 0x03] + Self.noise(1189, seed: 5)
        let s = try #require(Self.midStream(toServer: [hello]))
        #expect(s.app == .tls && s.state == .encrypted && s.basis == .protocol)
    }

    /// Below TLS 1.2 application data's header names the negotiated version: weak.
    @Test(arguments: [(UInt8(0x00), "SSL 3.0"), (0x01, "TLS 1.0"), (0x02, "TLS 1.1")])
    func oldApplicationDataNamesItsVersion(_ minor: UInt8, _ name: String) throws {
        let record = [0x17, 0x03, minor, 0x00, 0x40] + Self.noise(64, seed: 11)
        let s = try #require(Self.midStream(toServer: [record], toClient: [record]))
        #expect(s.app == .tls && EncryptionReport.versionName(s) == name && s.weak)
    }

    /// SSH binary packets whose lengths are in clear fill the segment exactly with their
    /// MAC; one byte more or less, or a length off the cipher's block, and they do not.
    @Test func sshBinaryPacketsNeedExactFraming() {
        func packets(_ lengths: [Int], mac: Int, extra: Int = 0) -> [UInt8] {
            var b: [UInt8] = []
            for (i, n) in lengths.enumerated() {
                b += withUnsafeBytes(of: UInt32(n).bigEndian) { Array($0) } + Self.noise(n + mac, seed: UInt64(i + 1))
            }
            return b + Self.noise(extra, seed: 99)
        }
        func framed(_ b: [UInt8]) -> Bool { b.withUnsafeBytes { SSHInspector.isBinaryPackets(Bytes($0)) } }
        #expect(framed(packets([32], mac: 16)))
        #expect(framed(packets([48, 64], mac: 32)))
        #expect(!framed(packets([32], mac: 16, extra: 1)))
        #expect(!framed(packets([36], mac: 16)))
        #expect(!framed(Self.noise(52)))
    }
}
