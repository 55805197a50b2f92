import Foundation
import Testing

/// `monitor --workers N` sharing a veth interface (in a network namespace of its own,
/// through scripts/fanout-test.sh): drops counted once, with AF_PACKET fanout and in the
/// fallback, and no flow split across workers.
@Suite(.serialized) struct FanoutCLITests {
    static var canRun: Bool { HostileInputRound2Tests.canMakeInterfaces }

    /// One run of the script under `unshare -n`: its "key=value" line, and its stderr lines.
    static func run(_ args: [String], fanout: Bool = true) throws -> (figures: [String: String], lines: [String]) {
        let script = CLI.packageRoot.appendingPathComponent("scripts/fanout-test.sh").path
        let env = fanout ? "" : "DEMARC_FANOUT=off "
        let r = try CLI.run(["/bin/sh", "-c", "\(env)exec /usr/bin/unshare -n \"$@\"", "sh", script] + args, shellCommand: true)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        var figures: [String: String] = [:]
        for pair in (lines.first { $0.hasPrefix("sent=") } ?? "").split(separator: " ") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { figures[String(kv[0])] = String(kv[1]) }
        }
        return (figures, lines + r.stderr.split(separator: "\n").map(String.init))
    }

    /// 200,000 frames sent to a stopped monitor (scripts/fanout-test.sh `mode`): what the
    /// interface received, what the monitor handled and dropped, and its stderr lines.
    static func counts(_ mode: String, _ workers: String, _ fanout: Bool) throws
        -> (received: Int, handled: Int, dropped: Int, queue: Int, lines: [String]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fanout-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".err") }
        let (f, lines) = try Self.run([mode, CLI.binary, workers, "200000", out], fanout: fanout)
        let received = try #require(f["received"].flatMap { Int($0) }, "\(lines)")
        let handled = try #require(f["handled"].flatMap { Int($0) }), dropped = try #require(f["dropped"].flatMap { Int($0) })
        let queue = try #require(f["queue_dropped"].flatMap { Int($0) })
        #expect(received == 200_000, "\(lines)")
        #expect(handled + dropped + queue == received, "\(lines)")
        return (received, handled, dropped, queue, lines)
    }

    /// The monitor is stopped (SIGSTOP) while 200,000 frames arrive: the kernel drops
    /// most of them, and what it reports handled and dropped adds up to what the
    /// interface received, once, with one worker and two, fanout and fallback.
    @Test(.enabled(if: canRun, "needs root and veth in a network namespace: skipped"),
          arguments: [("1", true), ("2", true), ("1", false), ("2", false)])
    func dropsAreCountedOnce(_ workers: String, _ fanout: Bool) throws {
        let c = try Self.counts("drops", workers, fanout)
        #expect(c.dropped > 0 && c.handled > 0, "the stopped monitor must have dropped some and handled some: \(c.lines)")
        if workers == "2" {
            let mode = c.lines.first { $0.hasPrefix("demarc: workers: ") } ?? ""
            #expect(mode.contains(fanout ? "AF_PACKET fanout group" : "fanout refused"), "\(c.lines)")
        }
    }

    /// The monitor is told to stop while it is stopped and the kernel's buffer is full:
    /// it reads what the kernel had queued for it before it ends, so what it reports
    /// handled and dropped still adds up to what the interface received (`counts`).
    @Test(.enabled(if: canRun, "needs root and veth in a network namespace: skipped"),
          arguments: [("1", true), ("2", true), ("1", false), ("2", false)])
    func aStopReadsWhatWasQueued(_ workers: String, _ fanout: Bool) throws {
        let c = try Self.counts("stopfull", workers, fanout)
        #expect(c.handled > 0, "the packets queued before the stop must be read: \(c.lines)")
    }

    /// Flows keyed the way `replay` keys them: transport, client and server address and port.
    static func flowKeys(_ jsonl: String) -> [String] {
        jsonl.split(separator: "\n").compactMap { CLI.json(String($0)) }.filter { $0["type"] as? String == "flow" }.map { f in
            let c = f["client"] as? [String: Any] ?? [:], s = f["server"] as? [String: Any] ?? [:]
            return "\(f["transport"] ?? "") \(c["ip"] ?? ""):\(c["port"] ?? "") \(s["ip"] ?? ""):\(s["port"] ?? "")"
        }.sorted()
    }

    /// TCP flows over MPLS whose label differs by direction. The kernel's fanout hash stops
    /// at the label stack (today's kernels hash every MPLS frame alike, so one worker gets
    /// them all); demarc keys the flow by the inner headers, so workers hand the frames
    /// to the worker owning their flow by its addresses: the handoff path, end to end.
    static func mplsCapture() throws -> String {
        var frames: [[UInt8]] = []
        for i in 0..<64 {
            let c: [UInt8] = [10, 2, UInt8(i), 1], s: [UInt8] = [172, 16, UInt8(i * 3 % 256), 9], port = UInt16(30000 + i)
            let label = { (l: UInt32) -> [UInt8] in [UInt8(l >> 12 & 0xff), UInt8(l >> 4 & 0xff), UInt8((l & 0xf) << 4 | 1), 64] }
            for (j, (toServer, flags)) in [(true, UInt8(0x02)), (false, 0x12), (true, 0x10), (false, 0x11), (true, 0x11)].enumerated() {
                let ip = toServer ? Frames.tcp(c, port, s, 80, flags: flags, seq: UInt32(j)) : Frames.tcp(s, 80, c, port, flags: flags, seq: UInt32(j))
                frames.append(Array(ip[0..<12]) + [0x88, 0x47] + label(toServer ? 100 + UInt32(i) : 9000 + UInt32(i)) + Array(ip[14...]))
            }
        }
        return try CLI.temp("mpls.pcap", Frames.pcap(frames))
    }

    /// UDP flows over IPv6 whose datagrams are whole and fragmented by turns, each way.
    /// The kernel reassembles IPv4 only, so IPv6 fragments reach the workers as they are;
    /// fanout hashes addresses alone, so a flow's fragments and whole datagrams reach the
    /// same worker, and the first fragment's ports join the later fragments to the flow.
    static func ipv6FragmentCapture() throws -> String {
        var frames: [[UInt8]] = []
        func ipv6(_ src: [UInt8], _ dst: [UInt8], _ next: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [UInt8](repeating: 2, count: 12) + [0x86, 0xdd, 0x60, 0, 0, 0] + Frames.be16(UInt16(payload.count)) + [next, 64]
                + src + dst + payload
        }
        for i in 0..<64 {
            let c: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 1] + [UInt8](repeating: 0, count: 9) + [UInt8(i + 1)]
            let s: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 2] + [UInt8](repeating: 0, count: 9) + [UInt8(i * 7 % 256 + 1)]
            let port = UInt16(40000 + i)
            for (j, toServer) in [true, false].enumerated() {
                let (src, dst, sport, dport) = toServer ? (c, s, port, UInt16(5000)) : (s, c, UInt16(5000), port)
                let udp = { (length: Int) in Frames.be16(sport) + Frames.be16(dport) + Frames.be16(UInt16(length)) + [0, 0] }
                // A whole datagram.
                frames.append(ipv6(src, dst, 17, udp(8 + 32) + [UInt8](repeating: 0x61, count: 32)))
                // One in two fragments: the UDP header and 48 bytes, then 40 bytes.
                let id: [UInt8] = [0, 0, UInt8(j), UInt8(i)]
                frames.append(ipv6(src, dst, 44, [17, 0, 0, 1] + id + udp(8 + 88) + [UInt8](repeating: 0x62, count: 48)))
                frames.append(ipv6(src, dst, 44, [17, 0, 0, 7 << 3] + id + [UInt8](repeating: 0x63, count: 40)))
            }
        }
        return try CLI.temp("ipv6-fragments.pcap", Frames.pcap(frames))
    }

    /// A capture replayed over the veth pair into `monitor --workers 2` reports the
    /// flows `replay` reports from the same capture: none is split across workers.
    @Test(.enabled(if: canRun, "needs root and veth in a network namespace: skipped"), arguments: ["netflix.pcap", "mpls", "ipv6-fragments"])
    func noFlowIsSplitAcrossWorkers(_ capture: String) throws {
        let path: String
        if capture == "mpls" {
            path = try Self.mplsCapture()
        } else if capture == "ipv6-fragments" {
            path = try Self.ipv6FragmentCapture()
        } else {
            path = CLI.shared.appendingPathComponent("corpus/ndpi/pcap/\(capture)").path
            try #require(FileManager.default.fileExists(atPath: path), "\(path): the shared corpus is missing")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fanout-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".err") }
        let (f, lines) = try Self.run(["split", CLI.binary, "2", path, out])
        let live = try String(contentsOfFile: out, encoding: .utf8)
        let replay = try CLI.run(["replay", path, "--idle-timeout", "3600", "--format", "jsonl"])
        #expect(f["dropped"] == "0" && f["queue_dropped"] == "0" && f["received"] == f["handled"], "\(lines)")
        #expect(lines.contains { $0.contains("AF_PACKET fanout group") }, "\(lines)")
        let liveKeys = Self.flowKeys(live), replayKeys = Self.flowKeys(replay.stdout)
        #expect(!liveKeys.isEmpty)
        #expect(liveKeys == replayKeys, "live \(liveKeys.count) flows, replay \(replayKeys.count)")
        if capture == "ipv6-fragments" {
            // Every packet in its flow: 2 whole datagrams and 2 first fragments, and the
            // 2 later fragments (counted apart).
            let counts = live.split(separator: "\n").compactMap { CLI.json(String($0)) }.filter { $0["type"] as? String == "flow" }
                .map { f in
                    ((f["packets"] as? [String: Any] ?? [:]).values.reduce(0) { $0 + ($1 as? Int ?? 0) },
                     (f["fragments"] as? [String: Any])?["packets"] as? Int ?? 0)
                }
            #expect(counts.count == 64 && counts.allSatisfy { $0 == (4, 2) }, "\(counts)")
        }
        // The kernel's program and the workers hash plain frames alike: none is handed
        // on. MPLS frames are hashed by the kernel on other headers: some are.
        let handed = lines.first { $0.contains("packets handed to the worker") } ?? ""
        #expect(handed.hasPrefix("demarc: workers: 0 ") == (capture != "mpls"), "\(lines)")
    }
}
