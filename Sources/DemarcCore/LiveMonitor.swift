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

/// Set from the SIGINT/SIGTERM handler; read by the capture loop.
nonisolated(unsafe) private var stopSignal: sig_atomic_t = 0

/// `demarc monitor`: a live interface through the same pipeline as replay, each flow
/// reported as it ends, until --duration passes or a signal arrives.
public enum LiveMonitor {
    public static func run(interface: String, snaplen: Int32, promiscuous: Bool, bufferMB: Int32 = 64, duration: Double?,
                           options: RunOptions, warn: (String) -> Void) throws -> RunResult {
        let source = try PcapSource(interface: interface, snaplen: snaplen, promiscuous: promiscuous, bufferMB: bufferMB)
        if let f = options.filter { try source.setFilter(f) }
        if let out = options.outputPath { try Output.refuseOverwriting(out, inputs: [options.scenarioPath].compactMap { $0 }) }
        // jsonl streams each flow as it ends, to its file as well: written in place.
        let output = try options.outputPath.map { try Output(path: $0, streaming: [.jsonl, .ecs, .ocsf].contains(options.format)) } ?? Output(fd: 1)
        var ro = ReportOptions()
        ro.live = true
        ro.color = output.isTerminal && getenv("NO_COLOR") == nil
        ro.width = output.isTerminal ? Terminal.width() : nil
        ro.rowLimit = options.rowLimit
        ro.failOn = options.failOn
        let analysis = Analysis(scenario: options.scenario, writer: options.makeWriter(output: output, options: ro),
                                timeouts: options.timeouts, ordered: false)
        stopSignal = 0
        // A parent may have started us with these signals blocked (the mask is
        // inherited across exec): unblock them, or Ctrl-C and `kill` would do nothing.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        signal(SIGINT) { _ in stopSignal = 1 }
        signal(SIGTERM) { _ in stopSignal = 1 }
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        let start = Progress.nowMicros()
        let deadline = duration.map { start + Int64($0 * 1_000_000) }
        var live = LiveInput(interface: interface, snaplen: snaplen, promiscuous: promiscuous, bufferMB: bufferMB,
                             filter: options.filter)
        let status = StatusLine(enabled: isatty(2) == 1)
        var findings: [Severity: Int] = [:]
        let observer = options.observer
        analysis.onReport = { r in
            for f in r.findings where f.counts { findings[f.severity, default: 0] += 1 }
            observer?.flowEnded(r)
        }
        let stop = { stopSignal != 0 || deadline.map { Progress.nowMicros() >= $0 } == true }
        let linkTypeName = source.linkTypeName
        analysis.addInput(InputStats(kind: "interface", name: interface, linkType: linkTypeName))
        var stats: InputStats
        var failure: String?
        if options.workers > 1 {
            // Each shard opens its own handle: the one opened to check the interface closes.
            live.bufferMB = max(4, bufferMB / Int32(options.workers))
            (stats, failure) = Workers.monitor(live, count: options.workers, into: analysis, wallClock: Timestamps.nowMicros,
                                               observer: observer, tick: { totals in
                status.show(packets: totals.packets, dropped: totals.kernel + totals.queue, active: totals.active, findings: findings)
                observer?.capture(packets: totals.packets, openFlows: totals.active, kernelDropped: totals.kernel,
                                  queueDropped: totals.queue)
                return stop()
            }, onStarted: { sharing in
                warn("listening on \(interface) (\(linkTypeName)) with \(options.workers) workers; SIGINT or SIGTERM stops and reports")
                warn("workers: \(sharing.description)")
            }, warn: warn)
            if stats.linkType.isEmpty { stats.linkType = linkTypeName }
            stats.dropped = stats.dropped ?? 0
        } else {
            (stats, failure) = monitorOneShard(source, live, into: analysis, observer: observer, stop: stop, tick: { shard, capture in
                status.show(packets: shard.stats.packets, dropped: capture.dropped + capture.queueDropped,
                            active: shard.tracker.activeFlows, findings: findings)
            }, warn: warn)
        }
        status.clear()
        if let why = failure { warn("capture on \(interface) failed: \(why); reporting what was captured") }
        adviseOnDrops(stats, bufferMB: bufferMB, warn: warn)
        analysis.updateInput(0, stats)
        let header = analysis.finish()
        observer?.capture(packets: stats.packets, openFlows: 0, kernelDropped: stats.dropped ?? 0,
                          queueDropped: stats.queueDropped ?? 0)
        let lost = analysis.lossesNotExported
        if lost != (0, 0) { observer?.gaveUp(fragmentDatagrams: lost.fragments, handshakes: lost.handshakes) }
        try output.commit()
        return RunResult(header: header, captureError: failure)
    }

    /// `--workers 1`: one shard on this thread, draining the ring the capture thread fills
    /// (a slow output delays only this loop: the capture thread keeps draining the
    /// kernel). Each flow goes to the report as it ends.
    private static func monitorOneShard(_ source: PcapSource, _ live: LiveInput, into analysis: Analysis,
                                        observer: (any LiveObserver)?, stop: () -> Bool,
                                        tick: (Shard, any CaptureCounts) -> Void, warn: (String) -> Void) -> (InputStats, failure: String?) {
        let shard = Shard(timeouts: analysis.timeouts) { f, details, reason in analysis.finished(f, details, reason) }
        let wallClock = Timestamps.nowMicros
        var lastExport = Progress.nowMicros()
        var outcome = shard.capture(live, opened: source, started: {
            // As tcpdump does: say what is being watched (scripts wait for this line).
            warn("listening on \(live.interface) (\(source.linkTypeName)); SIGINT or SIGTERM stops and reports")
        }, stopRequested: stop, tick: { capture, timed in
            guard timed else { return }
            shard.tracker.expire(at: wallClock())
            tick(shard, capture)
            let now = Progress.nowMicros()
            if let o = observer, now - lastExport >= LiveProgress.interval {
                lastExport = now
                LiveProgress.export(shard.tracker, verdict: analysis.verdict, to: o)
                o.capture(packets: shard.stats.packets, openFlows: shard.tracker.activeFlows, kernelDropped: capture.dropped,
                          queueDropped: capture.queueDropped)
            }
        })
        Replay.countSkipped(outcome.skipped, &outcome.stats, warn: warn)
        shard.tracker.finishAll()
        analysis.account([shard.tracker])
        return (outcome.stats, outcome.failure)
    }
}

extension LiveMonitor {
    /// Packets lost to a full kernel buffer or packet ring: how many, and what to raise.
    static func adviseOnDrops(_ stats: InputStats, bufferMB: Int32, warn: (String) -> Void) {
        let kernel = stats.dropped ?? 0, ring = stats.queueDropped ?? 0
        guard kernel + ring > 0 else { return }
        warn("\(kernel + ring) packets dropped (\(kernel) by the kernel, \(ring) by demarc's packet ring): raise --buffer-size (now \(bufferMB) MiB)")
    }
}

/// The refreshing status line on a terminal's stderr.
final class StatusLine {
    let enabled: Bool
    private var shown = false
    init(enabled: Bool) { self.enabled = enabled }

    func show(packets: UInt64, dropped: UInt64, active: Int, findings: [Severity: Int]) {
        guard enabled else { return }
        let f = Severity.allCases.sorted(by: >).map { "\($0.rawValue) \(findings[$0] ?? 0)" }.joined(separator: ", ")
        Console.status("\(packets) packets, \(dropped) dropped, \(active) flows active; findings: \(f)")
        shown = true
    }

    func clear() {
        if shown { Console.clearStatus() }
    }
}
