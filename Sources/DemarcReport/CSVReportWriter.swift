import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `csv`: one row per flow under a stable header, RFC 4180 quoting, findings joined in
/// one column as `code (severity, party)` separated by `; `; the cleartext credentials
/// as `kind (user)` (the secret is never kept). Columns added later follow, so earlier
/// ones keep their places: a transit flow's `path_enters` and `path_leaves`, the
/// matched rule's `rule_responsible`, the flow's Community ID, and with `--sensor` only,
/// `sensor`.
public final class CSVReportWriter: ReportWriter {
    private let output: Output

    public static let header = ["id", "transport", "ip_version", "client_ip", "client_port", "client_zone", "client_node",
                                "server_ip", "server_port", "server_zone", "server_node", "first_seen", "last_seen",
                                "packets_to_server", "packets_to_client", "bytes_to_server", "bytes_to_client",
                                "application", "encryption_state", "encryption_protocol", "encryption_version",
                                "encryption_basis", "sni", "segment", "responsible", "rule_segment", "rule_name",
                                "rule_action", "findings", "credentials", "path_enters", "path_leaves", "rule_responsible",
                                "community_id"]

    public init(output: Output) { self.output = output }

    /// `--sensor` was given: each row ends with a `sensor` column.
    private var sensorColumn = false

    public func begin(_ header: ReportHeader) {
        sensorColumn = header.sensor != nil
        output.write((CSVReportWriter.header + (sensorColumn ? ["sensor"] : [])).joined(separator: ",") + "\r\n")
    }

    /// The row is built as bytes in one reused buffer: no array of strings, no string
    /// joining, per flow.
    @exclusivity(unchecked) private var row: [UInt8] = []
    @exclusivity(unchecked) private var stamp = [UInt8](repeating: 0, count: Timestamps.width)

    public func flow(_ r: FlowRecord) {
        row.removeAll(keepingCapacity: true)
        number(r.id); comma()
        cell(r.transport); comma()
        number(UInt64(r.ipVersion)); comma()
        address(r.client.address); comma()
        if let p = r.client.port { number(UInt64(p)) }; comma()
        cell(r.client.zone); comma()
        cell(r.client.node ?? ""); comma()
        address(r.server.address); comma()
        if let p = r.server.port { number(UInt64(p)) }; comma()
        cell(r.server.zone); comma()
        cell(r.server.node ?? ""); comma()
        time(r.firstSeen); comma()
        time(r.lastSeen); comma()
        number(r.packetsToServer); comma()
        number(r.packetsToClient); comma()
        number(r.bytesToServer); comma()
        number(r.bytesToClient); comma()
        cell(r.application ?? ""); comma()
        cell(r.encryption.state.name); comma()
        cell(r.encryption.protocolName ?? ""); comma()
        cell(r.encryption.version ?? ""); comma()
        cell(r.encryption.basis.name); comma()
        cell(r.encryption.sni ?? ""); comma()
        cell(r.segment.rawValue); comma()
        cell(r.responsible.rawValue); comma()
        cell(r.rule?.segment.rawValue ?? ""); comma()
        cell(r.rule?.name ?? ""); comma()
        cell(r.rule?.action.rawValue ?? ""); comma()
        if !r.findings.isEmpty {
            cell(r.findings.map { f in
                "\(f.code) (\(f.severity.rawValue), \(f.party.rawValue)\(f.acceptanceNote.map { ", " + $0 } ?? ""))"
            }.joined(separator: "; "))
        }
        comma()
        if let credentials = r.credentials, !credentials.isEmpty {
            cell(credentials.map { c in c.kind.rawValue + (c.user.map { " (\($0))" } ?? "") }.joined(separator: "; "))
        }
        comma()
        cell(r.path?.enters ?? ""); comma()
        cell(r.path?.leaves ?? ""); comma()
        cell(r.rule?.responsible?.rawValue ?? ""); comma()
        if let id = r.communityID {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: CommunityID.textWidth) { buf in
                id.write(into: buf.baseAddress!)
                row.append(contentsOf: buf)
            }
        }
        if sensorColumn { comma(); cell(r.sensor ?? "") }
        row.append(0x0d)
        row.append(0x0a)
        row.withUnsafeBytes { output.write($0) }
    }

    @inline(__always) private func comma() { row.append(UInt8(ascii: ",")) }

    private func number(_ v: UInt64) {
        if v < 10 { row.append(48 + UInt8(v)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            while x > 0 { d[n] = 48 + UInt8(x % 10); x /= 10; n += 1 }
            while n > 0 { n -= 1; row.append(d[n]) }
        }
    }

    /// An address written in place (dotted IPv4, RFC 5952 IPv6: neither needs quoting).
    private func address(_ a: IPAddress) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: IPAddress.longestText) { buf in
            let n = a.write(into: buf.baseAddress!)
            row.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<n]))
        }
    }

    private func time(_ micros: Int64) {
        let n = stamp.withUnsafeMutableBufferPointer { Timestamps.write(micros: micros, into: $0.baseAddress!) }
        row.append(contentsOf: stamp[0..<n])
    }

    /// A cell as `quote` makes it, appended without building the quoted string when no
    /// quoting is needed (nearly always).
    private func cell(_ s: String) {
        // Control characters (a user name or SNI can carry them) are written as escapes:
        // a CSV is read in terminals too.
        var s = s.visible()
        s.withUTF8 { u in
            let first = u.first
            let formula = first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "@") || first == 0x09 || first == 0x0d
            let special = u.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0a || $0 == 0x0d }
            if !formula && !special {
                row.append(contentsOf: u)
            } else {
                row.append(contentsOf: CSVReportWriter.quote(String(decoding: u, as: UTF8.self)).utf8)
            }
        }
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
