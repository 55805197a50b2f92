import Foundation
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcCapture
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

/// Builds real frames byte by byte (Ethernet, IPv4/IPv6, TCP/UDP) and pcap files
/// holding them, so tests exercise the same bytes a capture would.
enum PacketFactory {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)] }

    static func v4(_ s: String) -> [UInt8] {
        s.split(separator: ".").map { UInt8($0)! }
    }

    static func v6(_ s: String) -> [UInt8] {
        let a = IPAddress(s)!
        return (0..<8).map { UInt8(truncatingIfNeeded: a.hi >> UInt64(56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: a.lo >> UInt64(56 - 8 * $0)) }
    }

    static func tcp(sport: UInt16, dport: UInt16, seq: UInt32 = 1000, ack: UInt32 = 0, flags: UInt8, payload: [UInt8] = []) -> [UInt8] {
        be16(sport) + be16(dport) + be32(seq) + be32(ack) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
    }

    static func udp(sport: UInt16, dport: UInt16, payload: [UInt8]) -> [UInt8] {
        be16(sport) + be16(dport) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    }

    static func ipv4(src: String, dst: String, proto: UInt8, body: [UInt8], id: UInt16 = 1, fragment: UInt16 = 0) -> [UInt8] {
        [0x45, 0] + be16(UInt16(20 + body.count)) + be16(id) + be16(fragment) + [64, proto, 0, 0] + v4(src) + v4(dst) + body
    }

    static func ipv6(src: String, dst: String, next: UInt8, body: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(UInt16(body.count)) + [next, 64] + v6(src) + v6(dst) + body
    }

    static func ethernet(_ ethertype: UInt16, _ body: [UInt8]) -> [UInt8] {
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] + be16(ethertype) + body
    }

    static func tcp4(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, flags: UInt8, seq: UInt32 = 1000, payload: [UInt8] = []) -> [UInt8] {
        ethernet(0x0800, ipv4(src: src, dst: dst, proto: 6, body: tcp(sport: sport, dport: dport, seq: seq, flags: flags, payload: payload)))
    }

    static func udp4(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, payload: [UInt8]) -> [UInt8] {
        ethernet(0x0800, ipv4(src: src, dst: dst, proto: 17, body: udp(sport: sport, dport: dport, payload: payload)))
    }

    /// A classic pcap file (microsecond timestamps) holding the frames.
    static func pcap(_ frames: [(frame: [UInt8], micros: Int64)], linkType: UInt32 = 1, snaplen: UInt32 = 65535) -> [UInt8] {
        var out = le32(0xa1b2c3d4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(snaplen) + le32(linkType)
        for (f, t) in frames {
            out += le32(UInt32(t / 1_000_000)) + le32(UInt32(t % 1_000_000)) + le32(UInt32(f.count)) + le32(UInt32(f.count)) + f
        }
        return out
    }

    static func writeTemp(_ bytes: [UInt8], name: String = "t.pcap") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Runs frames through the decoder and tracker, collecting finished flows.
final class FlowHarness {
    let tracker: FlowTracker
    var finished: [(FlowState, FlowDetails?)] = []
    let decoder: PacketDecoder

    init(linkType: Int32 = LinkType.ethernet, timeouts: FlowTimeouts = FlowTimeouts(),
         inspector: PayloadInspector = PayloadInspector()) {
        tracker = FlowTracker(timeouts: timeouts, inspector: inspector)
        decoder = PacketDecoder(linkType: linkType)
        tracker.onFinish = { [unowned self] f, d, _ in self.finished.append((f.pointee, d)) }
    }

    @discardableResult
    func feed(_ frame: [UInt8], at micros: Int64 = 1_000_000) -> DecodeOutcome {
        var p = DecodedPacket()
        return frame.withUnsafeBytes { raw in
            let outcome = decoder.decode(raw, into: &p)
            if outcome == .ip { tracker.track(p, frame: raw, wireLength: raw.count, timestamp: micros) }
            return outcome
        }
    }

    func finishAll() -> [(FlowState, FlowDetails?)] {
        tracker.finishAll()
        return finished.sorted { $0.0.id < $1.0.id }
    }
}
