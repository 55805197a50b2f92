import DemarcBase
import DemarcCapture
#if canImport(Glibc)
import Glibc
#endif

/// Replay with several shards: shard 0 reads the input once and hands every other shard
/// its frames (those whose address pair hashes to it) in batches, as Suricata's autofp
/// readers do. A batch is a reusable buffer of copied frames, each behind a small header;
/// a shard has a few of them in turn, so nothing is allocated per packet and a shard
/// that lags holds the reader back.
///
/// Each frame carries its number in the input and the clock (the latest time of the
/// frames that move a shard's clock, up to it), and a batch the clock and frame count
/// where it was handed over: the receiving shard's flows start, expire and end at the
/// same packets as when every shard read every frame (and as with one shard).
final class FrameBatch {
    /// A frame's header in the buffer: captured length, original length, its number,
    /// its time, the clock and where its bytes are (0: right after the header, a copy).
    static let header = 40
    @exclusivity(unchecked) private(set) var buffer: UnsafeMutableRawPointer
    @exclusivity(unchecked) private(set) var capacity: Int
    /// Bytes and frames held.
    @exclusivity(unchecked) var used = 0
    @exclusivity(unchecked) var count = 0
    /// The capture these frames are from (its index in the replay) and its link type.
    @exclusivity(unchecked) var input = 0
    @exclusivity(unchecked) var linkType: Int32 = 0
    /// Frames the reader had read when it handed this batch over, and the clock then.
    @exclusivity(unchecked) var through: UInt64 = 0
    @exclusivity(unchecked) var clock: Int64 = .min
    /// The last batch: the input has ended.
    @exclusivity(unchecked) var end = false
    /// The first read window this batch's frames lie in (`Int.max`: none, all copied).
    @exclusivity(unchecked) var firstWindow = Int.max

    init(capacity: Int) {
        self.capacity = capacity
        buffer = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// Room for `bytes` in an empty batch: one frame longer than any batch holds gets a
    /// buffer of its own size.
    func reserve(_ bytes: Int) {
        guard bytes > capacity else { return }
        buffer.deallocate()
        capacity = bytes
        buffer = .allocate(byteCount: capacity, alignment: 8)
    }

    /// Hands each frame to `body`: its bytes, original length, number, time and clock.
    /// Frames handed by reference lie in the reader's windows, written on another core:
    /// each is prefetched a few frames ahead of its turn.
    @inline(__always)
    func forEach(_ body: (UnsafeRawBufferPointer, Int, UInt64, Int64, Int64) -> Void) {
        var at = 0, ahead = 0
        for _ in 0..<FrameBatch.lookahead { ahead = prefetch(ahead) }
        while at < used {
            ahead = prefetch(ahead)
            let p = buffer + at
            let length = Int(p.load(as: UInt32.self))
            let lies = UnsafeRawPointer(bitPattern: p.load(fromByteOffset: 32, as: UInt.self))
            body(UnsafeRawBufferPointer(start: lies ?? UnsafeRawPointer(p + FrameBatch.header), count: length),
                 Int(p.load(fromByteOffset: 4, as: UInt32.self)), p.load(fromByteOffset: 8, as: UInt64.self),
                 p.load(fromByteOffset: 16, as: Int64.self), p.load(fromByteOffset: 24, as: Int64.self))
            at += lies == nil ? (FrameBatch.header + length + 7) & ~7 : FrameBatch.header
        }
    }

    /// How many frames ahead of its turn a frame is prefetched.
    static let lookahead = 4

    /// Prefetches the first two cache lines of the frame whose header is at `at` (where
    /// it is a reference) and returns where the next header starts.
    @inline(__always)
    private func prefetch(_ at: Int) -> Int {
        guard at < used else { return at }
        let p = buffer + at
        let length = Int(p.load(as: UInt32.self))
        guard let lies = UnsafeRawPointer(bitPattern: p.load(fromByteOffset: 32, as: UInt.self)) else {
            return at + (FrameBatch.header + length + 7) & ~7
        }
        Prefetch.line(lies)
        if length > 64 { Prefetch.line(lies + 64) }
        return at + FrameBatch.header
    }

    func reset() {
        used = 0
        count = 0
        end = false
        firstWindow = .max
    }
}

/// The batches between the reader and one receiving shard: the full ones in order, and
/// the free ones. The reader waits for a free batch, the receiver for a full one.
final class FrameChannel: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let filled = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let freed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var full: [FrameBatch] = []
    private var free: [FrameBatch]
    /// Batches the receiver has read and freed, since the start.
    private var recycledCount = 0

    /// `batches` buffers of `bytes` each: at most that much is in flight to one shard.
    init(batches: Int, bytes: Int) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(filled, nil)
        pthread_cond_init(freed, nil)
        free = (0..<batches).map { _ in FrameBatch(capacity: bytes) }
        full.reserveCapacity(batches)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(filled)
        pthread_cond_destroy(freed)
        mutex.deallocate()
        filled.deallocate()
        freed.deallocate()
    }

    /// The reader: a free batch, at once if one is free; else `beforeWaiting` runs
    /// (unlocked) and the reader waits for one.
    func take(beforeWaiting: () -> Void) -> FrameBatch {
        pthread_mutex_lock(mutex)
        if free.isEmpty {
            pthread_mutex_unlock(mutex)
            beforeWaiting()
            pthread_mutex_lock(mutex)
            while free.isEmpty { pthread_cond_wait(freed, mutex) }
        }
        let b = free.removeLast()
        pthread_mutex_unlock(mutex)
        b.reset()
        return b
    }

    /// The reader: a filled batch to the receiver.
    func send(_ b: FrameBatch) { put(b, filled: true) }

    /// The receiver: the next filled batch. While there is none, `help` runs (unlocked)
    /// until it returns false (it has nothing to do), and then the receiver waits.
    func receive(help: () -> Bool) -> FrameBatch {
        pthread_mutex_lock(mutex)
        while full.isEmpty {
            pthread_mutex_unlock(mutex)
            let helped = help()
            pthread_mutex_lock(mutex)
            if !helped && full.isEmpty {
                waiting = true
                pthread_cond_wait(filled, mutex)
                waiting = false
            }
        }
        let b = full.removeFirst()
        pthread_mutex_unlock(mutex)
        return b
    }

    /// The receiver is waiting for a batch (it then has nothing to help with either).
    private var waiting = false

    /// The reader: wakes the receiver if it waits, to help (something new to read ahead).
    func nudge() {
        pthread_mutex_lock(mutex)
        if waiting { pthread_cond_signal(filled) }
        pthread_mutex_unlock(mutex)
    }

    /// Whether the receiver has freed `count` batches (since the start).
    func recycled(_ count: Int) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return recycledCount >= count
    }

    /// The receiver: a batch read, free again.
    func recycle(_ b: FrameBatch) { put(b, filled: false) }

    /// The reader: waits until the receiver has freed `count` batches (since the start);
    /// `beforeWaiting` runs first (unlocked) if it has to wait.
    func waitRecycled(_ count: Int, beforeWaiting: () -> Void) {
        pthread_mutex_lock(mutex)
        if recycledCount < count {
            pthread_mutex_unlock(mutex)
            beforeWaiting()
            pthread_mutex_lock(mutex)
            while recycledCount < count { pthread_cond_wait(freed, mutex) }
        }
        pthread_mutex_unlock(mutex)
    }

    /// A batch onto the filled or the free list, and whoever waits for one woken.
    private func put(_ b: FrameBatch, filled isFilled: Bool) {
        pthread_mutex_lock(mutex)
        if isFilled { full.append(b) } else { free.append(b); recycledCount += 1 }
        pthread_cond_signal(isFilled ? filled : freed)
        pthread_mutex_unlock(mutex)
    }
}

/// The reading shard's side: a batch being filled for each other shard. Frames are
/// written through a plain cursor per shard (`Outlet`), so the per-packet path touches
/// no reference count and no exclusivity check; the batch object itself is touched only
/// when it is handed over.
final class Dispatcher {
    let channels: [FrameChannel?]
    private struct Outlet {
        var buffer: UnsafeMutableRawPointer?
        var used = 0
        var capacity = 0
        var count = 0
        var firstWindow = Int.max
    }
    private let outlets: UnsafeMutablePointer<Outlet>
    @exclusivity(unchecked) private var filling: [FrameBatch?]
    /// The capture being read (its index in the replay) and its link type.
    @exclusivity(unchecked) var input = 0
    @exclusivity(unchecked) var linkType: Int32 = 0
    /// Runs before the reader waits for a receiver to free a batch: the reader publishes
    /// what it has (without waiting itself), so the receiver's records can be numbered.
    @exclusivity(unchecked) var beforeWaiting: () -> Void = {}
    /// Hands every shard's batch over as read so far (the reader's frame count and clock).
    @exclusivity(unchecked) var handNow: () -> Void = {}

    /// The read windows frames are handed in by reference (a file read in windows,
    /// `PcapSource.lendWindows`): `windowCount` buffers taken in turn (64, 20 MB: enough
    /// that the reader seldom waits for a receiver to free one where one shard's work per
    /// frame runs ahead of the other's for a stretch; figures in docs/development.md), a
    /// buffer reused only once every batch with a frame in its last window has been read.
    /// `DEMARC_DISPATCH_WINDOWS=N` sets another count (tests use 1 and 2, so that
    /// small captures reuse windows too).
    let windowCount: Int
    private var windows: [UnsafeMutableRawPointer] = []
    /// The current window's number (windows counted from the start, over every input,
    /// each number given once, in the order of the file offsets they hold) and its bytes.
    @exclusivity(unchecked) private var window = -1
    /// The next number to give a window.
    @exclusivity(unchecked) private var numbers = 0
    /// Windows read ahead by idle receivers (`ReadAhead`), where the windows are many
    /// enough for some to be free ahead of the reader; the next one's file offset (-1:
    /// none), and the file's size and window length.
    let readAhead: ReadAhead?
    @exclusivity(unchecked) private var aheadAt = -1
    @exclusivity(unchecked) private var fileSize = 0
    @exclusivity(unchecked) private var fileWindow = 0
    @exclusivity(unchecked) private var windowStart = UnsafeRawPointer(bitPattern: 1)!
    @exclusivity(unchecked) private var windowEnd = UnsafeRawPointer(bitPattern: 1)!
    /// Per shard: batches handed over, and of those not yet known to be read, each one's
    /// number (counted from the start) and first window.
    @exclusivity(unchecked) private var handed: [Int]
    @exclusivity(unchecked) private var unread: [[(number: Int, firstWindow: Int)]]

    /// `me` is the reading shard (it has no channel); `count` shards in all. `batches`
    /// in flight to each shard: with 4, two workers' reader waited for a free batch for
    /// about a tenth of its reading (the shards' work per frame varies from one stretch
    /// of the capture to the next); with 16 it does not wait. With many shards, fewer
    /// each (64 in all, 4 at least), so that they hold at most about 64 MB.
    init(me: Int, count: Int, batches: Int? = nil, bytes: Int = 1 << 20) {
        let batches = batches ?? max(4, min(16, 64 / max(1, count - 1)))
        channels = (0..<count).map { $0 == me ? nil : FrameChannel(batches: batches, bytes: bytes) }
        filling = Array(repeating: nil, count: count)
        outlets = .allocate(capacity: count)
        outlets.initialize(repeating: Outlet(), count: count)
        handed = Array(repeating: 0, count: count)
        unread = Array(repeating: [], count: count)
        windowCount = getenv("DEMARC_DISPATCH_WINDOWS").map { max(1, Int(atoi($0))) } ?? 64
        readAhead = windowCount > ReadAhead.depth && getenv("DEMARC_NO_READ_AHEAD") == nil ? ReadAhead() : nil
    }

    deinit {
        outlets.deallocate()
        for w in windows { w.deallocate() }
    }

    /// The buffer for window number `n`: once every batch with a frame in the window it
    /// held before has been read, so nothing reads it any more (batches being filled with
    /// frames there are handed over first). `wait` false: nil rather than wait.
    private func reserve(_ n: Int, wait: Bool) -> UnsafeMutableRawPointer? {
        let slot = n % windowCount
        if slot == windows.count {
            windows.append(.allocate(byteCount: PcapSource.windowBytes, alignment: 16))
            return windows[slot]
        }
        let reused = n - windowCount
        if (0..<channels.count).contains(where: { outlets[$0].firstWindow <= reused }) {
            guard wait else { return nil }
            handNow()
        }
        for owner in channels.indices where channels[owner] != nil {
            var last = -1, k = 0
            while k < unread[owner].count, unread[owner][k].firstWindow <= reused {
                last = unread[owner][k].number
                k += 1
            }
            guard last >= 0 else { continue }
            if wait {
                channels[owner]!.waitRecycled(last + 1, beforeWaiting: beforeWaiting)
            } else if !channels[owner]!.recycled(last + 1) {
                return nil
            }
            unread[owner].removeFirst(k)
        }
        return windows[slot]
    }

    /// Window number `n` at `buffer` is the one frames are read from now.
    private func current(_ n: Int, _ buffer: UnsafeMutableRawPointer) {
        window = n
        windowStart = UnsafeRawPointer(buffer)
        windowEnd = windowStart + PcapSource.windowBytes
    }

    /// Grants windows to read ahead, after the last one granted (or the reader's own), as
    /// far as `ReadAhead.depth` and the free buffers allow.
    private func extend() {
        guard let readAhead, aheadAt >= 0 else { return }
        var queued = readAhead.count
        while queued < ReadAhead.depth, aheadAt < fileSize, let buffer = reserve(numbers, wait: false) {
            let want = min(fileSize - aheadAt, fileWindow)
            readAhead.grant(ReadAhead.Window(number: numbers, buffer: buffer, start: aheadAt, want: want))
            numbers += 1
            queued += 1
            aheadAt = want == fileWindow ? aheadAt + fileWindow - ReadAhead.overlap : -1
        }
        if queued > 0 { for c in channels { c?.nudge() } }
    }
    /// A frame for shard `owner`, read as frame `number`, with the clock up to it.
    /// A frame in the current read window is handed by reference; any other is copied.
    @inline(__always)
    func send(_ owner: Int, _ frame: UnsafeRawBufferPointer, _ wireLength: Int, _ ts: Int64, number: UInt64, clock: Int64) {
        let o = outlets + owner
        let inWindow = frame.baseAddress.map { $0 >= windowStart && $0 < windowEnd } ?? false
        let room = inWindow ? FrameBatch.header : FrameBatch.header + frame.count
        if o.pointee.used + room > o.pointee.capacity {
            // Handed over as read through the frame before this one.
            refill(owner, room: room, through: number - 1, clock: clock)
        }
        let p = o.pointee.buffer! + o.pointee.used
        p.storeBytes(of: UInt32(truncatingIfNeeded: frame.count), as: UInt32.self)
        p.storeBytes(of: UInt32(truncatingIfNeeded: wireLength), toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: number, toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: ts, toByteOffset: 16, as: Int64.self)
        p.storeBytes(of: clock, toByteOffset: 24, as: Int64.self)
        if inWindow {
            p.storeBytes(of: UInt(bitPattern: frame.baseAddress), toByteOffset: 32, as: UInt.self)
            if o.pointee.firstWindow == .max { o.pointee.firstWindow = window }
            o.pointee.used += FrameBatch.header
        } else {
            p.storeBytes(of: 0, toByteOffset: 32, as: UInt.self)
            if let base = frame.baseAddress, frame.count > 0 { (p + FrameBatch.header).copyMemory(from: base, byteCount: frame.count) }
            o.pointee.used += (FrameBatch.header + frame.count + 7) & ~7
        }
        o.pointee.count += 1
    }

    /// Every shard's batch handed over as read through frame `through` with the clock
    /// then (even an empty one: the receiver's progress and clock move with it); `end`
    /// when the input ends.
    func handAll(through: UInt64, clock: Int64, end: Bool = false) {
        for owner in channels.indices where channels[owner] != nil {
            if filling[owner] == nil { open(owner, room: 0) }
            hand(owner, through: through, clock: clock, end: end)
        }
    }

    /// The batch being filled for `owner` handed over (if any), and a free one opened
    /// with `room` bytes at least.
    @inline(never)
    private func refill(_ owner: Int, room: Int, through: UInt64, clock: Int64) {
        if filling[owner] != nil { hand(owner, through: through, clock: clock, end: false) }
        open(owner, room: room)
    }

    private func open(_ owner: Int, room: Int) {
        let b = channels[owner]!.take(beforeWaiting: beforeWaiting)
        b.input = input
        b.linkType = linkType
        b.reserve(room)
        filling[owner] = b
        outlets[owner] = Outlet(buffer: b.buffer, used: 0, capacity: b.capacity, count: 0)
    }

    private func hand(_ owner: Int, through: UInt64, clock: Int64, end: Bool) {
        guard let b = filling[owner] else { return }
        b.used = outlets[owner].used
        b.count = outlets[owner].count
        b.firstWindow = outlets[owner].firstWindow
        if b.firstWindow != .max { unread[owner].append((handed[owner], b.firstWindow)) }
        handed[owner] += 1
        b.through = through
        b.clock = clock
        b.end = end
        filling[owner] = nil
        outlets[owner] = Outlet()
        channels[owner]!.send(b)
    }
}

extension Dispatcher: WindowLender {
    func begin(file fd: Int32, size: Int, window: Int) {
        fileSize = size
        fileWindow = window
        aheadAt = -1
        // Windows shorter than a few overlaps are not worth reading ahead.
        readAhead?.begin(file: window >= 4 * ReadAhead.overlap ? fd : -1)
    }

    /// The next window: one read ahead if it holds the record header at `at`; else a
    /// buffer the reader reads into (`reserve`), and the windows after it granted to be
    /// read ahead while it does.
    func window(at: Int, want: Int) -> LentWindow {
        if let readAhead, let (w, short) = readAhead.take(at: at, want: want) {
            current(w.number, w.buffer)
            extend()
            return LentWindow(buffer: w.buffer, start: w.start, got: w.got, short: short)
        }
        let n = numbers
        numbers += 1
        let buffer = reserve(n, wait: true)!
        current(n, buffer)
        aheadAt = want == fileWindow ? at + fileWindow - ReadAhead.overlap : -1
        extend()
        return LentWindow(buffer: buffer)
    }

    /// The input is over: nothing more is read ahead.
    func endReading() {
        aheadAt = -1
        readAhead?.begin(file: -1)
    }
}

/// A receiving shard's frames: the batches the reading shard hands it, each frame with
/// its number and clock set on the shard before `take` (see `Shard.share`). It ends with
/// the batch marked last.
final class DispatchedFrames: FrameSource {
    let channel: FrameChannel
    let shard: Shard
    /// Runs when a batch is from another capture than the one before (its index and
    /// link type), before its frames.
    let onInput: (Int, Int32) -> Void
    private var input = -1

    /// The reader's windows ahead, read here while no batch waits.
    let readAhead: ReadAhead?

    init(channel: FrameChannel, shard: Shard, readAhead: ReadAhead?, onInput: @escaping (Int, Int32) -> Void) {
        self.readAhead = readAhead
        self.channel = channel
        self.shard = shard
        self.onInput = onInput
    }

    func frames(upTo limit: Int, _ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> (count: Int, status: ReadStatus) {
        let b = channel.receive { readAhead?.help() ?? false }
        if b.input != input {
            input = b.input
            onInput(b.input, b.linkType)
        }
        let shard = self.shard
        b.forEach { frame, wire, number, ts, clock in
            shard.frameNumber = number
            shard.frameClock = clock
            body(frame, wire, ts)
        }
        shard.tracker.advance(to: b.clock)
        shard.frameNumber = b.through
        let (n, end) = (b.count, b.end)
        channel.recycle(b)
        return (n, end ? .end : .packet)
    }

    func idle() {}
}
