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
    /// Marks (Int32 offsets into the text, ascending), then the text.
    private let block: UnsafeMutableRawPointer
    private let marks: Int
    public let length: Int
    /// The flow's deciding rule and what `Summary` counts of it, when the scenario has filters.
    public let tally: RuleTally?

    init(local: UInt64, text: UnsafeRawBufferPointer, marks: [Int32], tally: RuleTally?) {
        self.local = local
        self.marks = marks.count
        length = text.count
        self.tally = tally
        block = .allocate(byteCount: max(1, 4 * marks.count + text.count), alignment: 4)
        marks.withUnsafeBytes { if let p = $0.baseAddress { block.copyMemory(from: p, byteCount: $0.count) } }
        if let p = text.baseAddress, text.count > 0 { (block + 4 * marks.count).copyMemory(from: p, byteCount: text.count) }
    }

    /// Writes the text with `id` in every marked place.
    public func write(to output: Output) {
        let text = UnsafeRawPointer(block + 4 * marks)
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
                let mark = Int(block.load(fromByteOffset: 4 * i, as: Int32.self))
                output.write(UnsafeRawBufferPointer(start: text + at, count: mark - at))
                output.write(decimal)
                at = mark
            }
        }
        output.write(UnsafeRawBufferPointer(start: text + at, count: length - at))
    }

    /// Frees the text: once, after it is written (or dropped).
    public func release() { block.deallocate() }
    /// The block `release` frees, for freeing elsewhere.
    public var storage: UnsafeMutableRawPointer { block }
}

/// Renders flows the way one report writer's `flow` would write them, on another thread:
/// each thread that finishes flows has its own (`RenderingReportWriter.makeRenderer`).
public final class FlowRenderer {
    private let w: JSONWriter
    private let body: (FlowRecord) -> Void
    /// The scenario's rules, as `Summary` counts them (their slots), for each flow's tally.
    private let rules: Summary

    /// `body` writes a flow's text into `writer`, which the renderer resets before each
    /// flow and has defer ids.
    public init(rules: Summary, writer: JSONWriter, body: @escaping (FlowRecord) -> Void) {
        self.rules = rules
        self.body = body
        w = writer
        w.defersIDs = true
    }

    public func render(_ r: FlowRecord, local: UInt64) -> RenderedFlow {
        w.reset()
        body(r)
        return RenderedFlow(local: local, text: w.bytes, marks: w.idMarks, tally: rules.tally(r))
    }
}

/// A report writer whose flows can be rendered on the workers' threads and written in
/// report order by the main thread.
public protocol RenderingReportWriter: ReportWriter {
    /// A renderer for one thread. `rules` is the report's summary as it begins (its rules).
    func makeRenderer(rules: Summary) -> FlowRenderer
    /// Writes a rendered flow (with its id set) where `flow` would have written it.
    func flow(_ rendered: RenderedFlow)
}
