import DemarcBase
import DemarcDecode
import DemarcCapture
import DemarcFlows

/// One share of the traffic and everything that analyses it: a decoder for the input's
/// link type, a flow tracker (with its inspectors and certificate cache), and the input's
/// counts. It takes one frame at a time (`take`), from the one packet loop (`read`).
/// `--workers 1` is one shard that keeps every frame; `--workers N` is N shards, each on
/// its own thread, each keeping the frames whose address pair hashes to it. A shard is
/// touched by one thread only: nothing in it is shared or locked.
final class Shard {
    /// This shard's number, and how many there are.
    let index: Int
    let count: Int
    let tracker: FlowTracker
    /// The current input's decoder and counts (see `begin`).
    @exclusivity(unchecked) private(set) var decoder = PacketDecoder(linkType: 1)
    @exclusivity(unchecked) var stats = InputStats(kind: "", name: "", linkType: "")
    @exclusivity(unchecked) private var decoded = DecodedPacket()
    /// Frames read so far, over every input: one numbering for every shard. A shard fed
    /// by the reading shard (`receiving`) has it set to each frame's number as it comes.
    @exclusivity(unchecked) var frameNumber: UInt64 = 0
    /// With several shards: the frame numbers where this shard's flows began, in order,
    /// not yet handed on (the merge numbers flows across shards by them).
    @exclusivity(unchecked) var starts: [UInt64] = []

    /// `finished` receives every flow the tracker ends (and why), on this shard's thread.
    init(index: Int = 0, of count: Int = 1, timeouts: FlowTimeouts,
         finished: @escaping (UnsafeMutablePointer<FlowState>, FlowDetails?, FinishReason) -> Void) {
        self.index = index
        self.count = count
        tracker = FlowTracker(timeouts: timeouts)
        tracker.onFinish = finished
    }

    /// Keeps every frame: the one shard of a run without workers.
    var whole: Bool { count == 1 }

    /// Live, in an AF_PACKET fanout group: the kernel hands this shard its share (by
    /// `FanoutHash` of the outermost IP addresses), and it keeps every frame whose flow's
    /// addresses hash to it. Any other IP frame (tunnelled, MPLS, PPPoE: the kernel saw
    /// other addresses) is handed (`handOff`) to the shard they hash to, so a flow is
    /// never split whatever the kernel hashed, fragments included.
    @exclusivity(unchecked) var kernelShares = false
    /// Fanout: gives a frame to shard `owner` (its handoff queue).
    @exclusivity(unchecked) var handOff: ((_ owner: Int, UnsafeRawBufferPointer, Int, Int64) -> Void)?
    /// Replay with several shards: shard 0 reads the input and hands the others their
    /// frames (`dispatcher`); the others take only those (`receiving`), each with the
    /// clock it had reached (`frameClock`, see Dispatch.swift).
    var dispatcher: Dispatcher? {
        get { dispatching?.takeUnretainedValue() }
        set { dispatching = newValue.map { Unmanaged.passUnretained($0) } }
    }
    /// The dispatcher, unretained (its owner outlives the reading): the per-packet path
    /// reaches it without a reference count.
    @exclusivity(unchecked) private var dispatching: Unmanaged<Dispatcher>?
    @exclusivity(unchecked) var receiving = false
    /// Replay with several shards, each reading every frame itself (no dispatcher).
    @exclusivity(unchecked) var readsAll = false
    @exclusivity(unchecked) var frameClock: Int64 = .min
    /// The reading shard: the latest time of the IP frames read so far (those that move
    /// a shard's clock), handed on with each frame and batch.
    @exclusivity(unchecked) private(set) var clock: Int64 = .min
    /// True while this shard reads frames other shards handed it: they are its own.
    @exclusivity(unchecked) var readingHandoffs = false
    /// Frames this shard handed to another, and of those, the ones its queue had no room for.
    @exclusivity(unchecked) var handedOff: UInt64 = 0
    @exclusivity(unchecked) var handoffDropped: UInt64 = 0

    /// Starts an input: its link type's decoder and fresh counts.
    func begin(_ input: InputStats, linkType: Int32) {
        decoder = PacketDecoder(linkType: linkType)
        stats = input
    }

    /// The shard that keeps a packet: a hash of its two addresses, the same both ways.
    /// `lightReader` (replay, where shard 0 also reads the input and hands the others
    /// their frames): shard 0 keeps 5/8 of the share each other shard keeps, so that its
    /// reading (copying the file in, routing every frame) and its analysis take about as
    /// long as another shard's analysis. The flows still open at the end of input, more
    /// of them in the other shards, are laid out by every worker (`EndPhase`).
    @inline(__always)
    static func of(_ src: IPAddress, _ dst: IPAddress, among count: Int, lightReader: Bool = false) -> Int {
        let x = (src.hi ^ src.lo) &+ (dst.hi ^ dst.lo)
        let h = (x ^ (x >> 29)) &* 0x9E37_79B9_7F4A_7C15
        // The hash's high 32 bits scaled to [0, n) by a multiplication, not a division.
        let high = h >> 32
        guard lightReader else { return Int((high &* UInt64(count)) >> 32) }
        // Shares of 5 (the reader) and 8 (each other shard) units.
        let unit = Int((high &* UInt64(8 * count - 3)) >> 32)
        return unit < 5 ? 0 : 1 + (unit - 5) / 8
    }

    /// Several shards: decodes a frame if it is this shard's (or, live in a fanout group,
    /// hands it to its owner; replay, the reading shard hands it to its owner's batch)
    /// and returns how it decoded; nil where another shard keeps it. Kept out of line so
    /// the one-shard loop stays small.
    @inline(never)
    private func share(_ frame: UnsafeRawBufferPointer, _ wireLength: Int, _ ts: Int64) -> DecodeOutcome? {
        if receiving {
            // Every frame handed here is this shard's; the clock first moves as the
            // frames before it (other shards') moved it.
            tracker.advance(to: frameClock)
            return decoder.decode(frame, into: &decoded)
        }
        frameNumber &+= 1
        if kernelShares {
            let outcome = decoder.decode(frame, into: &decoded)
            if outcome == .ip, !readingHandoffs, let handOff {
                let owner = FanoutHash.worker(decoded.src, decoded.dst, among: count)
                if owner != index {
                    handOff(owner, frame, wireLength, ts)
                    return nil
                }
            }
            return outcome
        }
        // A plain IPv4 frame's shard is known from its addresses alone: another shard's
        // is not decoded, and this shard's decodes as IP with those addresses.
        if let a = decoder.plainIPv4Addresses(frame) {
            let owner = Shard.of(IPAddress(v4: a.src), IPAddress(v4: a.dst), among: count, lightReader: dispatching != nil)
            guard owner == index else {
                passOn(owner, frame, wireLength, ts)
                return nil
            }
            if ts > clock { clock = ts }
            return decoder.decode(frame, into: &decoded)
        }
        let outcome = decoder.decode(frame, into: &decoded)
        if outcome == .ip {
            let owner = Shard.of(decoded.src, decoded.dst, among: count, lightReader: dispatching != nil)
            guard owner == index else {
                passOn(owner, frame, wireLength, ts)
                return nil
            }
            if ts > clock { clock = ts }
        } else if index != 0 {
            return nil
        }
        return outcome
    }

    /// Another shard's IP frame: it moves this shard's clock, and the reading shard hands
    /// it to its owner.
    @inline(__always)
    private func passOn(_ owner: Int, _ frame: UnsafeRawBufferPointer, _ wireLength: Int, _ ts: Int64) {
        tracker.advance(to: ts)
        if ts > clock { clock = ts }
        dispatching?._withUnsafeGuaranteedRef { $0.send(owner, frame, wireLength, ts, number: frameNumber, clock: clock) }
    }

    /// The one per-packet dispatcher: a frame decoded and, if it is this shard's, counted
    /// and tracked. Another shard's packet only moves the clock (every shard sees every
    /// packet's time, or is handed the clock with its own, so flows expire at the same
    /// packets whatever the shard count). A packet that is not IP is counted by shard 0
    /// alone, so the shards' counts add up.
    /// Fragments (no ports after the first) and tunnelled packets (keyed by their inner
    /// addresses) hash by address, so they land with their flow.
    @inline(__always)
    func take(_ frame: UnsafeRawBufferPointer, _ wireLength: Int, _ ts: Int64) {
        let outcome: DecodeOutcome
        if whole {
            outcome = decoder.decode(frame, into: &decoded)
        } else if readsAll, let a = decoder.plainIPv4Addresses(frame) {
            // Replay where every shard reads every frame: a plain IPv4 frame's shard is
            // known from its addresses; another shard's only moves the clock.
            frameNumber &+= 1
            guard Shard.of(IPAddress(v4: a.src), IPAddress(v4: a.dst), among: count) == index else {
                tracker.advance(to: ts)
                return
            }
            outcome = decoder.decode(frame, into: &decoded)
        } else {
            guard let o = share(frame, wireLength, ts) else { return }
            outcome = o
        }
        stats.packets += 1
        stats.bytes += UInt64(wireLength)
        switch outcome {
        case .ip:
            if whole {
                tracker.track(decoded, frame: frame, wireLength: wireLength, timestamp: ts)
            } else {
                let before = tracker.flowsStarted
                tracker.track(decoded, frame: frame, wireLength: wireLength, timestamp: ts)
                if tracker.flowsStarted != before { starts.append(frameNumber) }
            }
        case .notIP: stats.nonIP += 1
        case .undecodable: stats.undecoded += 1
        case .linkEncrypted: stats.linkEncrypted += 1
        }
    }

    /// The one packet loop: frames from `source` into `take`, `batch` at a time, until the
    /// source ends. `between` runs after every batch with how many frames it held (0 when
    /// the source has none now, and then the loop waits a little); it returns false to
    /// stop reading. Returns how reading ended.
    func read<Source: FrameSource>(_ source: Source, batch: Int, between: (_ frames: Int) -> Bool) -> ReadStatus {
        while true {
            let (n, status) = source.frames(upTo: batch) { frame, wireLength, ts in
                take(frame, wireLength, ts)
            }
            switch status {
            case .packet:
                if !between(n) { return .end }
            case .timeout:
                if !between(n) { return .end }
                source.idle()
            default:
                return status
            }
        }
    }
}
