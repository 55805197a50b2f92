import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// A report format. Receives the header once the scenario is known, every flow as it
/// is reported (in id order), and the final header with inputs, summary and
/// expectations. Each format lives in one file.
public protocol ReportWriter: AnyObject {
    func begin(_ header: ReportHeader)
    func flow(_ record: FlowRecord)
    func finish(_ header: ReportHeader)
}

public enum ReportFormat: String, CaseIterable, Sendable {
    case table, json, jsonl, csv, markdown, html, ecs, ocsf
    /// Replay only: a CycloneDX 1.6 cryptography bill of materials (docs/crypto.md).
    case cbom

    public func makeWriter(output: Output, options: ReportOptions = ReportOptions()) -> ReportWriter {
        switch self {
        case .json: return JSONReportWriter(output: output, lines: false)
        case .jsonl: return JSONReportWriter(output: output, lines: true, flushEachFlow: options.live)
        case .table: return TableReportWriter(output: output, options: options)
        case .csv: return CSVReportWriter(output: output)
        case .markdown: return MarkdownReportWriter(output: output, options: options)
        case .html: return HTMLReportWriter(output: output, options: options)
        case .ecs: return ECSWriter(output: output, flushEachFlow: options.live)
        case .ocsf: return OCSFWriter(output: output, flushEachFlow: options.live)
        case .cbom: return CBOMReportWriter(output: output)
        }
    }
}

public struct ReportOptions: Sendable {
    /// Live monitoring: write each flow as it ends.
    public var live = false
    /// Colour in terminal output.
    public var color = false
    /// Terminal width for the table, if known.
    public var width: Int?
    /// table, markdown, html: flows (and findings) listed one by one at most; past it the
    /// top flows by bytes, and findings by code with examples. nil lists every flow.
    public var rowLimit: Int? = ReportOptions.defaultRowLimit
    public static let defaultRowLimit = 100
    /// `--fail-on`, for the verdict human formats state.
    public var failOn: Severity?
    public init() {}
}
