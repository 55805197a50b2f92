import Foundation
import Testing

/// Captures built byte by byte: classic pcap with any record times, and pcapng with any
/// timestamp, `if_tsresol` and `if_tsoffset`.
enum CaptureBytes {
    static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    /// A TCP SYN from 10.0.0.1:40000 to 10.0.0.2:80 on Ethernet.
    static let frame = Frames.tcp([10, 0, 0, 1], 40000, [10, 0, 0, 2], 80, flags: 0x02, seq: 1)

    /// A classic microsecond pcap whose records carry these seconds (and fractions).
    static func pcap(seconds: [(UInt32, UInt32)], frame: [UInt8] = frame) -> [UInt8] {
        var out = le32(0xa1b2c3d4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        for (s, f) in seconds { out += le32(s) + le32(f) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame }
        return out
    }

    static func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = UInt32(12 + padded.count)
        return le32(type) + le32(length) + padded + le32(length)
    }

    /// A pcapng section, one Ethernet interface, and an enhanced packet block per timestamp
    /// (in the interface's units).
    static func pcapng(_ timestamps: [UInt64], tsresol: UInt8? = nil, tsoffset: Int64? = nil, frame: [UInt8] = frame) -> [UInt8] {
        var options: [UInt8] = []
        if let r = tsresol { options += le16(9) + le16(1) + [r, 0, 0, 0] }
        if let o = tsoffset { options += le16(14) + le16(8) + le64(UInt64(bitPattern: o)) }
        if !options.isEmpty { options += [0, 0, 0, 0] }
        var out = block(0x0A0D0D0A, le32(0x1A2B3C4D) + le16(1) + le16(0) + le64(UInt64.max))
        out += block(1, le16(1) + le16(0) + le32(65535) + options)
        for t in timestamps {
            out += block(6, le32(0) + le32(UInt32(t >> 32)) + le32(UInt32(t & 0xffff_ffff)) + le32(UInt32(frame.count))
                         + le32(UInt32(frame.count)) + frame)
        }
        return out
    }
}

/// Issue 27, the capture side: hostile captures, files and options, end to end. Each
/// case is a command, its exit status (0 to 3, never a signal), the first words of its
/// message and what was written.
@Suite struct HostileInputRound2Tests {
    static let good = "captures/overlay-network.pcap"

    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-hostile2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The jsonl report's flow lines and its summary.
    func jsonl(_ text: String) -> (flows: [[String: Any]], summary: [String: Any]?) {
        let lines = text.split(separator: "\n").compactMap { CLI.json(String($0)) }
        return (lines.filter { $0["type"] as? String == "flow" }, lines.last { $0["type"] as? String == "summary" })
    }

    func input(_ summary: [String: Any]?, _ i: Int) -> [String: Any] {
        ((summary?["inputs"] as? [[String: Any]]) ?? []).dropFirst(i).first ?? [:]
    }

    static var goodFlows: Int {
        get throws {
            let r = try CLI.run(["replay", good, "--format", "jsonl"])
            return r.stdout.split(separator: "\n").count - 1
        }
    }

    // MARK: 1. timestamps no date can hold

    /// A pcapng record whose time overflows (near 2^64 µs, a resolution of whole seconds
    /// or 2^0, a huge negative offset) is counted as undecoded with one warning; the
    /// good records around it, and the captures before it, are reported. Through a file,
    /// standard input, one or two workers, `--output` and `diff`.
    @Test(arguments: [
        ("near-2^64", CaptureBytes.pcapng([1_700_000_000_000_000, UInt64.max, 1_700_000_000_000_001]), 1),
        ("tsresol-0", CaptureBytes.pcapng([1_700_000_000, 1_700_000_000_000_000], tsresol: 0), 1),
        ("tsresol-0x80", CaptureBytes.pcapng([1 << 63 + 5, 1_700_000_001], tsresol: 0x80), 1),
        ("tsoffset", CaptureBytes.pcapng([1_700_000_000_000_000, 1_700_000_000_000_001], tsoffset: -(1 << 62)), 2),
    ])
    func overflowingTimestampsAreData(_ name: String, _ bytes: [UInt8], _ bad: Int) throws {
        let path = try CLI.temp("\(name).pcapng", bytes)
        let expectedFlows = try Self.goodFlows + (bad == 2 ? 0 : 1)
        let warning = "demarc: \(path): \(bad) packet\(bad == 1 ? "" : "s") with a timestamp outside 1970-01-01...9999-12-31"
        for extra in [["--workers", "1"], ["--workers", "2"]] {
            let r = try CLI.run(["replay", Self.good, path, "--format", "jsonl"] + extra)
            #expect(r.status == 0, "\(extra) \(r.stderr)")
            #expect(r.stderr.hasPrefix(warning), "\(r.stderr)")
            let (flows, summary) = jsonl(r.stdout)
            #expect(flows.count == expectedFlows, "\(extra)")
            #expect(input(summary, 1)["undecoded"] as? Int == bad, "\(extra)")
            #expect(input(summary, 1)["packets"] as? Int == (name == "near-2^64" ? 3 : 2), "\(extra)")
        }
        let stdin = try CLI.run(["replay", "-", "--format", "jsonl"], stdin: path)
        #expect(stdin.status == 0 && stdin.stderr.hasPrefix("demarc: -: \(bad) packet"), "\(stdin.stderr)")
        #expect(jsonl(stdin.stdout).summary != nil)
        let out = try scratch().appendingPathComponent("r.json").path
        let written = try CLI.run(["replay", Self.good, path, "--format", "json", "--output", out])
        #expect(written.status == 0 && written.stdout.isEmpty)
        let report = CLI.json(try String(contentsOfFile: out, encoding: .utf8))
        #expect((report?["flows"] as? [Any])?.count == expectedFlows)
        let scenario = "scenarios/overlay-network.yaml"
        let diff = try CLI.run(["diff", Self.good, path, "--scenario", scenario, "--against", scenario, "--format", "json"])
        #expect(diff.status == 0 && diff.stderr.hasPrefix(warning), "\(diff.stderr)")
    }

    /// A corrupt capture after a good one: exit 2, after the good one's flows.
    @Test func corruptCaptureAfterAGoodOneIsReportedThenExit2() throws {
        // A block whose length is below the minimum after one good packet.
        let corrupt = CaptureBytes.pcapng([1_700_000_000_000_000]) + CaptureBytes.le32(6) + CaptureBytes.le32(8) + [0, 0, 0, 0]
        let path = try CLI.temp("corrupt.pcapng", corrupt)
        for workers in ["1", "2"] {
            let r = try CLI.run(["replay", Self.good, path, "--format", "jsonl", "--workers", workers])
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("demarc: \(path): corrupt capture after 1 packets"), "\(r.stderr)")
            let (flows, summary) = jsonl(r.stdout)
            #expect(try flows.count == Self.goodFlows + 1)
            #expect(input(summary, 1)["truncated"] as? Bool == true)
        }
    }
}
