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

/// `demarc diff`: the captures read once, every flow classified under BEFORE and AFTER,
/// the flows whose segment, party, rule or findings change, and what AFTER adds and
/// removes (REPORT.md). AFTER is a second verdict stage whose sink is the diff report.
public enum Diff {
    public static func run(captures: [String], before: Scenario, after: Scenario, afterPath: String?,
                           options: RunOptions, warn: (String) -> Void) throws -> (DiffReport, inputError: String?) {
        let (planned, filter) = try Replay.prepare(captures: captures, options: options, scenarioPaths: [afterPath].compactMap { $0 })
        let output = try options.outputPath.map { try Output(path: $0) } ?? Output(fd: 1)
        let asOfDay = options.asOfDay ?? CalendarDay.today()
        var report = DiffReport(before: (before.name, before.source), after: (after.name, after.source))
        report.failOn = options.failOn ?? .high
        var afterSummary = Summary(filters: after.filters)
        let afterClassifier = Classifier(scenario: after, asOfDay: asOfDay)
        let second = SecondVerdict(afterClassifier, pair: { b, a in
            afterSummary.add(a)
            if let c = FlowChange(before: b, after: a) { report.changes.append(c) }
        }, finished: {
            report.afterSummary = afterSummary
            report.expectationsAfter = Expectations.evaluate(after.expectations, afterSummary)
        })
        // The flows themselves are not written: only what changes between the scenarios.
        let analysis = Analysis(scenario: before, writer: SilentWriter(), timeouts: options.timeouts, asOfDay: asOfDay,
                                second: second)
        let inputError = Replay.read(planned, filter: filter, into: analysis, workers: options.workers, progress: options.progress, warn: warn)
        let header = analysis.finish()
        report.inputs = header.inputs
        report.flows = header.summary.total.flows
        report.expectationsBefore = header.expectations
        try DiffWriter.write(report, format: options.format, to: output)
        try output.commit()
        return (report, inputError)
    }
}

/// A writer that writes nothing (the diff's per-flow records are compared, not shown).
final class SilentWriter: ReportWriter {
    func begin(_ header: ReportHeader) {}
    func flow(_ record: FlowRecord) {}
    func finish(_ header: ReportHeader) {}
}
