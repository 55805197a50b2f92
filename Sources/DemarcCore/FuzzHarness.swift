import DemarcBase
import DemarcDecode
import DemarcCapture
import DemarcInspect
import DemarcFlows
import DemarcScenario
import DemarcReport
#if canImport(Glibc)
import Glibc
#endif
/// What the fuzzers (Fuzz/, `make fuzz`) feed arbitrary bytes to, kept here so that the
/// tests replay every input that once crashed one (Tests/DemarcCoreTests/FuzzRegressions)
/// through exactly the same code.
public enum FuzzHarness {
    /// The packet path: a shard (decode → flow tracking → every inspector) → the
    /// encryption verdict of every flow it finishes. The
    /// input is a little script of packets: a 2-byte server port, then per packet a
    /// flags byte (bit 0 server→client, bit 1 UDP, bit 2 GRE), a 16-bit length and the
    /// payload, all on one flow. Then the whole input as one frame of every link type.
    public static func packets(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 2 else { return }
        let port = UInt16(input[0]) << 8 | UInt16(input[1])
        let shard = Shard(timeouts: FlowTimeouts()) { flow, details, _ in
            _ = EncryptionReport.describe(flow.pointee.inspect, details?.reported)
        }
        shard.begin(InputStats(kind: "file", name: "fuzz", linkType: ""), linkType: 1)
        var seqs: (UInt32, UInt32) = (1000, 9000)
        var i = 2
        var t: Int64 = 1_000_000
        while i + 3 <= input.count {
            let flags = input[i]
            let len = min(Int(UInt16(input[i + 1]) << 8 | UInt16(input[i + 2])), input.count - i - 3)
            let payload = Array(input[(i + 3)..<(i + 3 + len)])
            i += 3 + len
            let toClient = flags & 1 != 0, udp = flags & 2 != 0, gre = flags & 4 != 0
            let (sp, dp): (UInt16, UInt16) = toClient ? (port, 40_000) : (40_000, port)
            let (src, dst): ([UInt8], [UInt8]) = toClient ? ([10, 0, 0, 2], [10, 0, 0, 1]) : ([10, 0, 0, 1], [10, 0, 0, 2])
            var l4: [UInt8]
            if gre {
                l4 = payload
            } else if udp {
                l4 = be16(sp) + be16(dp) + be16(UInt16(truncatingIfNeeded: 8 + payload.count)) + [0, 0] + payload
            } else {
                let seq = toClient ? seqs.1 : seqs.0
                l4 = be16(sp) + be16(dp) + be32(seq) + be32(0) + [0x50, 0x18] + be16(65535) + [0, 0, 0, 0] + payload
                if toClient { seqs.1 &+= UInt32(payload.count) } else { seqs.0 &+= UInt32(payload.count) }
            }
            let ip: [UInt8] = [0x45, 0] + be16(UInt16(truncatingIfNeeded: 20 + l4.count)) + [0, 1, 0x40, 0, 64, gre ? 47 : udp ? 17 : 6, 0, 0] + src + dst + l4
            let frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0] + ip
            t += 1000
            frame.withUnsafeBytes { raw in shard.take(raw, raw.count, t) }
        }
        for link: Int32 in [1, 0, 9, 101, 113, 276, 104, 192, 239, 12, 7, 105, 127, 129, 149, 178, 242, 258] {
            shard.begin(shard.stats, linkType: link)
            shard.take(input, input.count, t + 1)
        }
        shard.tracker.finishAll()
    }

    /// The scenario loader on arbitrary bytes: a Scenario or a located error, never a
    /// crash, a hang or unbounded memory. True if the scenario was accepted.
    @discardableResult
    public static func scenario(_ input: UnsafeRawBufferPointer) -> Bool {
        (try? ScenarioLoader.parse(bytes: Array(input), source: "fuzz.yaml")) != nil
    }

    /// The command line's values: the first byte picks the option, the rest is its
    /// text (a BPF filter is checked against Limits, then compiled by libpcap). True if
    /// the value was accepted.
    @discardableResult
    public static func options(_ input: UnsafeRawBufferPointer) -> Bool {
        guard let selector = input.first else { return false }
        let text = String(decoding: input.dropFirst(), as: UTF8.self)
        do {
            switch selector % 4 {
            case 0: try PcapSource.checkFilter(text, linkType: Int32(selector >> 2))
            case 1: _ = try Limits.seconds(text, option: "--duration", range: Limits.duration)
            case 2: _ = try Limits.seconds(text, option: "--idle-timeout", range: Limits.idleTimeout)
            default: _ = try Limits.integer(text, option: "--snaplen", unit: "bytes", range: Limits.snaplen)
            }
            return true
        } catch {
            return false
        }
    }

    /// A whole capture file (pcap or pcapng): the input written to a file and replayed as
    /// `demarc replay FILE --format jsonl` does (a classic pcap in pread windows), then again
    /// with a filter that keeps every packet, so libpcap reads every record. True if
    /// both replays ended without an input error (a corrupt header or record).
    @discardableResult
    public static func capture(_ input: UnsafeRawBufferPointer) -> Bool {
        let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(dir)/demarc-fuzz-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return false }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(path); close(fd) }
        var written = 0
        while written < input.count, let base = input.baseAddress {
            let n = write(fd, base + written, input.count - written)
            guard n > 0 else { return false }
            written += n
        }
        var accepted = true
        for filter in [nil, "ip or not ip"] {
            var options = RunOptions()
            options.format = .jsonl
            options.outputPath = "/dev/null"
            options.filter = filter
            options.asOfDay = 0
            guard let result = try? Replay.run(captures: [path], options: options, warn: { _ in }) else {
                accepted = false
                continue
            }
            if result.inputError != nil { accepted = false }
        }
        return accepted
    }

    private static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    private static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
}
