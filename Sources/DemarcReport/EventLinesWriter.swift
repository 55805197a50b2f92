import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// What the SIEM formats (`ecs`, `ocsf`) share: one JSON line for each flow, then one
/// for each of its findings, built in one reused buffer and written together; nothing
/// before the first flow or after the last (the header and summary are the other
/// formats' business). Live, each flow's lines are flushed as it ends.
public class EventLinesWriter: RenderingReportWriter {
    private let output: Output
    private let flushEachFlow: Bool
    let w = JSONWriter()

    required init(output: Output, flushEachFlow: Bool) {
        self.output = output
        self.flushEachFlow = flushEachFlow
    }

    public func begin(_ header: ReportHeader) {}

    public func flow(_ r: FlowRecord) {
        w.reset()
        writeLines(r)
        output.write(w.bytes)
        if flushEachFlow { output.flush() }
    }

    /// The flow's line and its findings' lines, each with its newline.
    private func writeLines(_ r: FlowRecord) {
        writeFlow(r)
        w.raw("\n")
        for f in r.findings {
            writeFinding(f, of: r)
            w.raw("\n")
        }
    }

    /// A twin of this writer renders (into its own buffer) on the thread given it.
    public func makeRenderer(rules: Summary) -> FlowRenderer {
        let twin = type(of: self).init(output: output, flushEachFlow: false)
        return FlowRenderer(rules: rules, writer: twin.w) { r in twin.writeLines(r) }
    }

    public func flow(_ rendered: RenderedFlow, inPlace: Bool) {
        rendered.write(to: output, inPlace: inPlace)
        if flushEachFlow { output.flush() }
    }

    public func flows(_ text: UnsafeRawBufferPointer, count: Int, separatorBefore: Int, inPlace: Bool) {
        if inPlace { output.writeInPlace(text) } else { output.write(text) }
        if flushEachFlow { output.flush() }
    }

    public func finish(_ header: ReportHeader) { output.flush() }

    public func releaseText() { output.flush() }

    /// The flow's line, without its newline.
    func writeFlow(_ r: FlowRecord) {}
    /// One finding's line, without its newline.
    func writeFinding(_ f: Finding, of r: FlowRecord) {}

    /// demarc's fields of a finding's line (ECS's `demarc`, OCSF's `unmapped.demarc`):
    /// the flow's id, who must act, the severity's name, the segment, and the `accept`
    /// entry that covers it, if one does.
    func writeFindingDemarc(_ f: Finding, of r: FlowRecord) {
        w.raw("{\"flow_id\":"); w.rawFlowID(r.id)
        w.raw(",\"party\":"); w.rawString(f.party.rawValue)
        w.raw(",\"severity\":"); w.rawString(f.severity.rawValue)
        w.raw(",\"segment\":"); w.rawString(r.segment.rawValue)
        if let a = f.accepted {
            w.raw(",\"accepted\":{\"owner\":"); w.rawString(a.owner)
            w.raw(",\"until\":"); w.rawString(a.until)
            w.raw(a.expired ? ",\"expired\":true}" : ",\"expired\":false}")
        }
        w.raw("}")
    }
}
