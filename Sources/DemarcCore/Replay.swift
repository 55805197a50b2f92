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

/// Options shared by replay and monitor.
public struct RunOptions {
    public var scenario: Scenario = .builtIn
    /// The scenario's file, if one was given (the report may not overwrite it).
    public var scenarioPath: String?
    public var format: ReportFormat = .table
    public var outputPath: String?
    public var filter: String?
    public var failOn: Severity?
    public var timeouts = FlowTimeouts()
    public var progress = false
    /// The day (UTC day number) `accept` entries expire against; today when nil.
    public var asOfDay: Int?
    /// Worker threads for the analysis (`--workers`); 1 analyses on the reading thread.
    public var workers = 1
    /// table, markdown, html: flows listed one by one at most (nil: every flow).
    public var rowLimit: Int? = ReportOptions.defaultRowLimit
    /// monitor: what watches the run as it goes (fleet metrics), if anything.
    public var observer: (any LiveObserver)?
    /// `--sensor` and `--ipfix` (Gateway.swift).
    public var gateway = GatewayOptions()
    public init() {}
}

/// How a run ended, for the exit status.
public struct RunResult {
    public var header: ReportHeader
    /// Reading stopped on a corrupt capture (not a mere truncation).
    public var inputError: String?
    /// monitor: capturing stopped before it was asked to (the interface went away).
    public var captureError: String?

    public init(header: ReportHeader, inputError: String? = nil, captureError: String? = nil) {
        self.header = header
        self.inputError = inputError
        self.captureError = captureError
    }

    /// REPORT.md: 0 done; 1 a finding at or above --fail-on, or a failed expectation;
    /// 2 bad input; 3 a capture that failed while it ran (a supervisor must not read it
    /// as a clean stop).
    public func exitStatus(failOn: Severity?) -> Int32 {
        if inputError != nil { return 2 }
        if captureError != nil { return 3 }
        if header.expectations.contains(where: { !$0.passed }) { return 1 }
        if let f = failOn, header.summary.findings.contains(where: { $0.key >= f && $0.value > 0 }) { return 1 }
        return 0
    }
}

/// `demarc replay`: every capture, in the order given, as one replay.
public enum Replay {
    /// Said on stderr (never in the report) when no scenario is given: a report under the
    /// built-in scenario checks nothing, and would otherwise read as a clean result.
    public static let builtInNotice = "no --scenario: the built-in scenario applies (no nodes, every flow external unless "
        + "link, nothing required), so nothing is checked; `demarc scenario init CAPTURE` writes a starting scenario"

    public static func run(captures: [String], options: RunOptions, warn: (String) -> Void) throws -> RunResult {
        let (planned, filter) = try prepare(captures: captures, options: options)
        if options.scenarioPath == nil { warn(builtInNotice) }
        let output = try options.outputPath.map { try Output(path: $0) } ?? Output(fd: 1)
        var ro = ReportOptions()
        ro.color = output.isTerminal && getenv("NO_COLOR") == nil
        ro.width = output.isTerminal ? Terminal.width() : nil
        ro.rowLimit = options.rowLimit
        ro.failOn = options.failOn
        let analysis = Analysis(scenario: options.scenario, writer: options.makeWriter(output: output, options: ro),
                                timeouts: options.timeouts,
                                asOfDay: options.asOfDay ?? CalendarDay.today())
        let inputError = read(planned, filter: filter, into: analysis, workers: options.workers, progress: options.progress, warn: warn)
        let header = analysis.finish()
        try output.commit()
        return RunResult(header: header, inputError: inputError)
    }

    /// A capture to read: its path, size, and the source already open when it is a
    /// stream (which cannot be opened twice).
    typealias Plan = (path: String, size: Int64?, open: PcapSource?)

    /// Every capture's header first (and the filter compiled for its link type), so a bad
    /// path or filter fails before any output; and the output checked against the inputs.
    static func prepare(captures: [String], options: RunOptions, scenarioPaths: [String] = []) throws -> ([Plan], FilterPrograms?) {
        if captures.filter({ $0 == "-" }).count > 1 { throw DemarcError.badInput("standard input (-) can be read only once") }
        let filter = options.filter.map(FilterPrograms.init)
        var planned: [Plan] = []
        for path in captures {
            let s = try PcapSource(file: path)
            try filter?.apply(to: s)
            planned.append((path, s.fileSize, s.isStream ? s : nil))
        }
        if let out = options.outputPath {
            try Output.refuseOverwriting(out, inputs: captures + ([options.scenarioPath].compactMap { $0 } + scenarioPaths))
        }
        return (planned, filter)
    }

    /// Reads the captures into the analysis: with `workers` shards on their own threads
    /// where there is more than one (shard 0 reads, see `Workers`), else with one shard on
    /// this thread. Returns the first input error, if a capture was corrupt or gone.
    static func read(_ plans: [Plan], filter: FilterPrograms?, into analysis: Analysis, workers: Int, progress showProgress: Bool,
                     warn: (String) -> Void) -> String? {
        let progress = showProgress ? Progress(totalBytes: plans.reduce(0) { $0 + ($1.size ?? 0) }) : nil
        defer { progress?.clear() }
        if workers > 1 {
            return Workers.read(plans, filter: filter, count: workers, into: analysis, progress: progress, warn: warn)
        }
        let shard = Shard(timeouts: analysis.timeouts) { f, details, reason in analysis.finished(f, details, reason) }
        var inputError: String?
        var batches = 0
        shard.read(plans, filter: filter, batch: 4096, applyFilter: { try $0.apply(to: $1) }, opened: {
            warnIfUndecoded($0, warn: warn)
        }, afterBatch: { doneBytes, source in
            batches += 1
            if batches & 15 == 0 {
                progress?.update(bytes: doneBytes + (source.fileOffset ?? 0), packets: shard.stats.packets,
                                 flows: shard.tracker.flowsStarted)
            }
        }, ended: { outcome in
            if let e = account(outcome, into: analysis, warn: warn) { inputError = inputError ?? e }
        })
        shard.tracker.finishAll()
        analysis.account([shard.tracker])
        return inputError
    }
}

extension Replay {
    /// A capture read (by one shard, or by every shard with their counts summed) into
    /// the report's inputs, with its warnings. Returns its error, if it was gone or corrupt.
    static func account(_ outcome: InputOutcome, into analysis: Analysis, warn: (String) -> Void) -> String? {
        var stats = outcome.stats
        if let e = outcome.openError {
            warn(e)
            analysis.addInput(stats)
            return e
        }
        countSkipped(outcome.skipped, &stats, warn: warn)
        let e = ended(outcome.status, &stats, warn: warn)
        analysis.addInput(stats)
        return e
    }

    /// A capture whose link type is not decoded: one warning.
    static func warnIfUndecoded(_ outcome: InputOutcome, warn: (String) -> Void) {
        if outcome.opened && !PacketDecoder.supports(outcome.linkType) {
            warn("\(outcome.stats.name): link type \(outcome.stats.linkType) is not decoded; its packets count as undecoded")
        }
    }

    /// Records skipped for a corrupt time (see `Timestamps.micros`) count as undecoded
    /// packets of their input, with one warning per input.
    static func countSkipped(_ skipped: SkippedRecords, _ stats: inout InputStats, warn: (String) -> Void) {
        guard skipped.packets > 0 else { return }
        stats.packets += skipped.packets
        stats.bytes += skipped.bytes
        stats.undecoded += skipped.packets
        warn("\(stats.name): \(skipped.packets) packet\(skipped.packets == 1 ? "" : "s") with a timestamp outside 1970-01-01...9999-12-31 (a corrupt record); counted as undecoded")
    }

    /// How reading a capture ended, into its stats and a warning: a cut-off file is
    /// reported as far as it goes; a corrupt one too, and its error (returned) makes the
    /// run exit 2.
    static func ended(_ status: ReadStatus, _ stats: inout InputStats, warn: (String) -> Void) -> String? {
        switch status {
        case .truncated(let why):
            stats.truncated = true
            warn("\(stats.name): capture is cut off mid-packet after \(stats.packets) packets (\(why)); reporting what was read")
        case .failed(let why):
            stats.truncated = true
            stats.error = why
            warn("\(stats.name): corrupt capture after \(stats.packets) packets: \(why); reporting what was read")
            return "\(stats.name): \(why)"
        default:
            break
        }
        return nil
    }
}

public enum Terminal {
    public static func width() -> Int? {
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0 && ws.ws_col > 0 { return Int(ws.ws_col) }
        return nil
    }
}

/// A progress line on stderr: bytes read of total, packets per second, flows.
public final class Progress {
    private let total: Int64
    private let start = Progress.nowMicros()
    private var last: Int64 = 0

    public init(totalBytes: Int64) { total = totalBytes }

    static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    public func update(bytes: Int64, packets: UInt64, flows: UInt64) {
        let now = Progress.nowMicros()
        guard now - last > 200_000, now - start > 500_000 else { return }
        last = now
        let frac = total > 0 ? min(1, Double(bytes) / Double(total)) : 0
        let width = 30
        let filled = Int(frac * Double(width))
        let secs = Double(now - start) / 1e6
        let pps = secs > 0 ? Double(packets) / secs : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let line = "\(bar) \(Int(frac * 100))%  \(Fmt.bytes(UInt64(max(0, bytes))))/\(Fmt.bytes(UInt64(total)))  \(Int(pps / 1000))k pkt/s  \(flows) flows "
        Console.status(line)
    }

    public func clear() {
        if last > 0 { Console.clearStatus() }
    }
}
