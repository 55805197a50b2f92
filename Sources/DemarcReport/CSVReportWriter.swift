import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `csv`: one row per flow under a stable header, RFC 4180 quoting, findings joined in
/// one column as `code (severity, party)` separated by `; `.
public final class CSVReportWriter: ReportWriter {
    private let output: Output

    public static let header = ["id", "transport", "ip_version", "client_ip", "client_port", "client_zone", "client_node",
                                "server_ip", "server_port", "server_zone", "server_node", "first_seen", "last_seen",
                                "packets_to_server", "packets_to_client", "bytes_to_server", "bytes_to_client",
                                "application", "encryption_state", "encryption_protocol", "encryption_version",
                                "encryption_basis", "sni", "segment", "responsible", "rule_segment", "rule_name",
                                "rule_action", "findings"]

    public init(output: Output) { self.output = output }

    public func begin(_ header: ReportHeader) {
        output.write(CSVReportWriter.header.joined(separator: ",") + "\r\n")
    }

    public func flow(_ r: FlowRecord) {
        let fields: [String] = [
            String(r.id), r.transport, String(r.ipVersion), r.client.ip, r.client.port.map(String.init) ?? "",
            r.client.zone, r.client.node ?? "", r.server.ip, r.server.port.map(String.init) ?? "", r.server.zone,
            r.server.node ?? "", Timestamps.iso8601(micros: r.firstSeen), Timestamps.iso8601(micros: r.lastSeen),
            String(r.packetsToServer), String(r.packetsToClient), String(r.bytesToServer), String(r.bytesToClient),
            r.application ?? "", r.encryption.state.name, r.encryption.protocolName ?? "", r.encryption.version ?? "",
            r.encryption.basis.name, r.encryption.sni ?? "", r.segment.rawValue, r.responsible.rawValue,
            r.rule?.segment.rawValue ?? "", r.rule?.name ?? "", r.rule?.action.rawValue ?? "",
            r.findings.map { f in
                "\(f.code) (\(f.severity.rawValue), \(f.party.rawValue)\(f.acceptanceNote.map { ", " + $0 } ?? ""))"
            }.joined(separator: "; "),
        ]
        output.write(fields.map(CSVReportWriter.quote).joined(separator: ",") + "\r\n")
    }

    public func finish(_ header: ReportHeader) { output.flush() }

    /// RFC 4180 quoting. A cell that a spreadsheet would run as a formula (it begins
    /// with =, +, -, @, a tab or a carriage return: an SNI or a zone name can) gets a
    /// leading apostrophe and quotes, as OWASP advises against CSV injection.
    static func quote(_ s: String) -> String {
        switch s.utf8.first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0d: return quoteAlways("'" + s)
        default: break
        }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return quoteAlways(s)
    }

    private static func quoteAlways(_ s: String) -> String {
        var out = "\""
        for c in s { out += c == "\"" ? "\"\"" : String(c) }
        return out + "\""
    }
}
