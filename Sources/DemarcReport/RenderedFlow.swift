import DemarcBase
import DemarcScenario
#if canImport(Glibc)
import Glibc
#endif

/// A flow's report text rendered on the thread that finished it, before its id is known
/// (with several workers, ids are given in first-packet order across them, on the main
/// thread): the text with the id's places marked, and what the summary counts in report
/// order (its rule's tally). The main thread gives it its id and writes it; nothing of
/// the record itself crosses threads.
///
/// The text lives in one block of its own, freed once written (`release`).
public struct RenderedFlow {
    /// The worker's own id for the flow, then its id in the report.
    public var local: UInt64
    public var id: UInt64 = 0
    /// The worker that rendered it: its block is freed on that worker's thread (see
    /// `Analysis.spent`), so no thread frees another's memory while it allocates.
    public var owner = 0
    /// Its size class (see `TextBlocks`), marks (Int32 offsets into the text,
    /// ascending), then the text.
    private let block: UnsafeMutableRawPointer
    private let marks: Int
    public let length: Int
    /// The flow's deciding rule and what `Summary` counts of it, when the scenario has filters.
    public let tally: RuleTally?

    /// A block for `length` bytes of text and `marks` marks, filled by `fill`: first the
    /// marks, then the text.
    init(local: UInt64, length: Int, marks: Int, tally: RuleTally?, blocks: TextBlocks,
         fill: (_ marks: UnsafeMutablePointer<Int32>, _ text: UnsafeMutableRawPointer) -> Void) {
        self.local = local
        self.marks = marks
        self.length = length
        self.tally = tally
        block = blocks.take(4 + 4 * marks + length)
        fill((block + 4).assumingMemoryBound(to: Int32.self), block + 4 + 4 * marks)
    }

    /// Writes the text with `id` in every marked place. `inPlace`: the text is written
    /// from its block (`Output.writeInPlace`), which must then outlive the output's next
    /// flush.
    public func write(to output: Output, inPlace: Bool = false) {
        let text = UnsafeRawPointer(block + 4 + 4 * marks)
        var at = 0
        withUnsafeTemporaryAllocation(byteCount: 24, alignment: 1) { digits in
            let d = digits.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var n = 0
            var v = id
            repeat {
                d[23 - n] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                n += 1
            } while v > 0
            let decimal = UnsafeRawBufferPointer(start: d + 24 - n, count: n)
            for i in 0..<marks {
                let mark = Int(block.load(fromByteOffset: 4 + 4 * i, as: Int32.self))
                let run = UnsafeRawBufferPointer(start: text + at, count: mark - at)
                if inPlace { output.writeInPlace(run) } else { output.write(run) }
                output.write(decimal)
                at = mark
            }
        }
        let run = UnsafeRawBufferPointer(start: text + at, count: length - at)
        if inPlace { output.writeInPlace(run) } else { output.write(run) }
    }

    /// Frees the text: once, after it is written (or dropped).
    public func release() { block.deallocate() }
    /// Asks the CPU to load the start of the text (another core wrote it) before it is
    /// written out.
    @inline(__always)
    public func prefetch() {
        for line in 0..<4 { Prefetch.line(block + 64 * line) }
    }

    /// The block `release` frees, for freeing elsewhere.
    public var storage: UnsafeMutableRawPointer { block }
}

/// The blocks one renderer's flows are written in, kept for reuse once written: a block
/// is taken in whole units of `unit` bytes (its size class, stored in its first four
/// bytes) from the blocks of that class given back, so flows ending all the time do not
/// keep the allocator busy. Only the thread that renders touches it; the other threads
/// hand written blocks back (see `Analysis.spent`). At most `kept` blocks of a class
/// wait for reuse; larger blocks and the rest are freed.
public final class TextBlocks {
    static let unit = 128
    static let classes = 32
    static let kept = 4096
    @exclusivity(unchecked) private var free = [[UnsafeMutableRawPointer]](repeating: [], count: TextBlocks.classes)

    public init() {}

    deinit { for list in free { for b in list { b.deallocate() } } }

    func take(_ bytes: Int) -> UnsafeMutableRawPointer {
        let c = (bytes + TextBlocks.unit - 1) / TextBlocks.unit
        let b = c < TextBlocks.classes ? (free[c].popLast() ?? .allocate(byteCount: c * TextBlocks.unit, alignment: 8))
            : .allocate(byteCount: bytes, alignment: 8)
        b.storeBytes(of: Int32(c), as: Int32.self)
        return b
    }

    /// Blocks written and handed back, kept or freed.
    public func recycle(_ blocks: [UnsafeMutableRawPointer]) {
        for b in blocks {
            let c = Int(b.load(as: Int32.self))
            if c < TextBlocks.classes && free[c].count < TextBlocks.kept { free[c].append(b) } else { b.deallocate() }
        }
    }
}

/// Renders flows the way one report writer's `flow` would write them, on another thread:
/// each thread that finishes flows has its own (`RenderingReportWriter.makeRenderer`).
public final class FlowRenderer {
    private let w: JSONWriter
    private let body: (FlowRecord) -> Void
    /// The scenario's rules, as `Summary` counts them (their slots), for each flow's tally.
    private let rules: Summary
    /// Where rendered flows are written.
    public let blocks = TextBlocks()

    /// What goes before and after each flow's text when flows are written one after
    /// another (`RenderedChunk`): the separators the writer's `flow` adds.
    private let before: StaticString
    private let after: StaticString
    /// The chunk being rendered (`beginChunk`): each flow's end in the text, id and tally.
    @exclusivity(unchecked) private var ends: [Int32] = []
    @exclusivity(unchecked) private var ids: [UInt64] = []
    @exclusivity(unchecked) private var tallies: [RuleTally?] = []

    /// `body` writes a flow's text into `writer`, which the renderer resets before each
    /// flow and has defer ids. `before` and `after` are the separators the writer puts
    /// around each flow's text (`RenderingReportWriter.flows`).
    public init(rules: Summary, writer: JSONWriter, before: StaticString = "", after: StaticString = "",
                body: @escaping (FlowRecord) -> Void) {
        self.rules = rules
        self.body = body
        self.before = before
        self.after = after
        w = writer
        w.defersIDs = true
    }

    /// Starts a chunk: flows whose ids are known, rendered one after another into one
    /// text (`add`), handed over by `endChunk`.
    public func beginChunk() {
        w.reset()
        w.defersIDs = false
        ends.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        tallies.removeAll(keepingCapacity: true)
    }

    /// A flow (its id set) into the chunk, with the writer's separators.
    public func add(_ r: FlowRecord) {
        w.nextValue()
        if before.utf8CodeUnitCount > 0 { w.raw(before) }
        body(r)
        if after.utf8CodeUnitCount > 0 { w.raw(after) }
        ends.append(Int32(truncatingIfNeeded: w.count))
        ids.append(r.id)
        tallies.append(rules.tally(r))
    }

    /// The chunk's flows, in the order they were added. The renderer goes on in `spare`
    /// (the text of a chunk written, `RenderedChunk.storage`), or in a new buffer.
    public func endChunk(spare: (base: UnsafeMutablePointer<UInt8>, capacity: Int)? = nil) -> RenderedChunk {
        let chunk = RenderedChunk(storage: w.detach(into: spare), ends: ends, ids: ids, tallies: tallies,
                                  separatorBefore: before.utf8CodeUnitCount)
        w.defersIDs = true
        return chunk
    }

    public func render(_ r: FlowRecord, local: UInt64) -> RenderedFlow {
        w.reset()
        body(r)
        // The marks are copied before the text: the reference count on the writer's list
        // of marks while it is read then waits for no store of the text into the block
        // (whose lines another core may hold).
        let w = self.w, text = w.bytes
        return RenderedFlow(local: local, length: text.count, marks: w.idMarks.count, tally: rules.tally(r),
                            blocks: blocks) { marks, into in
            w.idMarks.withUnsafeBufferPointer { if let p = $0.baseAddress { marks.update(from: p, count: $0.count) } }
            if let p = text.baseAddress, text.count > 0 { into.copyMemory(from: p, byteCount: text.count) }
        }
    }
}

/// Flows rendered one after another into one text, with their ids (known when they were
/// rendered) and each one's separators (`FlowRenderer.beginChunk`): the flows still open
/// at the end of input, with several workers. Its text is freed once written (`release`).
public struct RenderedChunk: @unchecked Sendable {
    /// The text's buffer and its capacity: freed with `release`, or reused for another
    /// chunk (`FlowRenderer.endChunk(spare:)`).
    public let storage: (base: UnsafeMutablePointer<UInt8>, capacity: Int)
    private var text: UnsafeMutablePointer<UInt8> { storage.base }
    /// Each flow's end in the text, id, and rule tally.
    public let ends: [Int32]
    public let ids: [UInt64]
    public let tallies: [RuleTally?]
    /// The bytes of the separator before each flow (the first flow of a report has none).
    public let separatorBefore: Int

    init(storage: (base: UnsafeMutablePointer<UInt8>, capacity: Int), ends: [Int32], ids: [UInt64], tallies: [RuleTally?],
         separatorBefore: Int) {
        self.storage = storage
        self.ends = ends
        self.ids = ids
        self.tallies = tallies
        self.separatorBefore = separatorBefore
    }

    public var count: Int { ids.count }

    /// The text of flows `range`, their separators included.
    public func text(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        let from = range.lowerBound == 0 ? 0 : Int(ends[range.lowerBound - 1])
        let to = range.isEmpty ? from : Int(ends[range.upperBound - 1])
        return UnsafeRawBufferPointer(start: text + from, count: to - from)
    }

    public func release() { storage.base.deallocate() }
}

/// A report writer whose flows can be rendered on the workers' threads and written in
/// report order by the main thread.
public protocol RenderingReportWriter: ReportWriter {
    /// A renderer for one thread. `rules` is the report's summary as it begins (its rules).
    func makeRenderer(rules: Summary) -> FlowRenderer
    /// Writes a rendered flow (with its id set) where `flow` would have written it.
    /// `inPlace`: its text is written from its block, which stays until `releaseText`.
    func flow(_ rendered: RenderedFlow, inPlace: Bool)
    /// Writes `count` flows of a chunk (`RenderedChunk.text`, separators included) where
    /// `flow` would have written them. `inPlace`: as for `flow`.
    func flows(_ text: UnsafeRawBufferPointer, count: Int, separatorBefore: Int, inPlace: Bool)
    /// Writes out what `flow(_:inPlace:)` left in place: its blocks may be reused after.
    func releaseText()
}
