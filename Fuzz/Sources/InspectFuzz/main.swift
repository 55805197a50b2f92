#if canImport(Glibc)
import Glibc
#endif
import DemarcCore

/// libFuzzer entry: the input is a little script of packets. Each packet is a 3-byte
/// header (flags: bit 0 server→client, bit 1 UDP, bit 2 GRE; then a 16-bit length) and
/// its payload, sent on one TCP, UDP or GRE flow to a port from the input's first two bytes,
/// so every inspector sees arbitrary payload sequences in both directions. A second
/// pass decodes the whole input as one Ethernet frame. Crashes, traps and memory
/// errors are what the fuzzer looks for.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

// libFuzzer's driver, started from this program's own entry point.
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, { data, size in fuzz(data, size) }))

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard input.count >= 2 else { return 0 }
    let port = UInt16(input[0]) << 8 | UInt16(input[1])
    let tracker = FlowTracker()
    let decoder = PacketDecoder(linkType: 1)
    var packet = DecodedPacket()
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
        frame.withUnsafeBytes { raw in
            if decoder.decode(raw, into: &packet) == .ip {
                tracker.track(packet, frame: raw, wireLength: raw.count, timestamp: t)
            }
        }
    }
    // The raw input as a frame of every link type demarc decodes.
    for link: Int32 in [1, 0, 9, 101, 113, 276, 104, 192, 239, 12] {
        let d = PacketDecoder(linkType: link)
        if d.decode(UnsafeRawBufferPointer(input), into: &packet) == .ip {
            tracker.track(packet, frame: UnsafeRawBufferPointer(input), wireLength: input.count, timestamp: t + 1)
        }
    }
    tracker.onFinish = { flow, details, _ in
        _ = EncryptionReport.describe(flow.pointee.inspect, details)
    }
    tracker.finishAll()
    return 0
}

func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
