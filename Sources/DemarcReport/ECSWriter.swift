import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `ecs`: Elastic Common Schema 9.4.0 documents, one JSON object a line (NDJSON), as
/// Elastic Agent, Filebeat or Vector ship them unchanged: one `event.kind: event`
/// document per flow, then one `event.kind: alert` document per finding of that flow,
/// linked to it by `network.community_id` and `demarc.flow_id`. demarc's own fields sit
/// under `demarc.*`. Nothing is written before the first flow or after the last: the
/// header and summary belong to the other formats. docs/formats.md lists every field.
public final class ECSWriter: EventLinesWriter {
    public static let ecsVersion: StaticString = "9.4.0"

    public required init(output: Output, flushEachFlow: Bool = false) {
        super.init(output: output, flushEachFlow: flushEachFlow)
    }

    /// The ECS `network.direction` of a segment, seen from the provider's boundary (the
    /// perimeter): traffic entering it is inbound, leaving it outbound, inside it internal;
    /// `external` and `transit` run between two hosts outside it (ECS's "external", which
    /// it describes for ISPs and VPN providers carrying others' traffic); `link` stays on
    /// one link and is sent to a group, unspecified or link-local address, no host placed
    /// inside or outside the perimeter: unknown. Matched by name, so segments added later
    /// map here without a change elsewhere.
    public static func direction(_ segment: String) -> StaticString {
        switch segment {
        case "ingress": return "inbound"
        case "egress": return "outbound"
        case "internal": return "internal"
        case "external", "transit": return "external"
        default: return "unknown"
        }
    }

    /// The IANA keyword of an IP protocol number, lowercase (ECS's network.transport and
    /// OCSF's protocol_name ask for it: ICMPv6 is `ipv6-icmp`, IP-in-IP `ipv4`), for the
    /// protocols demarc names; nil for the others.
    static func ianaKeyword(_ proto: UInt8) -> StaticString? {
        switch proto {
        case 1: return "icmp"
        case 2: return "igmp"
        case 4: return "ipv4"
        case 6: return "tcp"
        case 17: return "udp"
        case 33: return "dccp"
        case 41: return "ipv6"
        case 46: return "rsvp"
        case 47: return "gre"
        case 50: return "esp"
        case 51: return "ah"
        case 58: return "ipv6-icmp"
        case 88: return "eigrp"
        case 89: return "ospfigp"
        case 94: return "ipip"
        case 103: return "pim"
        case 108: return "ipcomp"
        case 112: return "vrrp"
        case 115: return "l2tp"
        case 132: return "sctp"
        case 136: return "udplite"
        default: return nil
        }
    }

    /// The flow's transport as its IANA keyword, quoted (a flow of orphan fragments by
    /// its datagrams' protocol); demarc's own name (`ip-N`) for a protocol not listed.
    static func writeTransport(_ w: JSONWriter, _ r: FlowRecord) {
        guard let keyword = ianaKeyword(r.ipProtocol) else { w.rawString(r.transport); return }
        w.raw("\""); w.raw(keyword); w.raw("\"")
    }

    /// demarc's severities as numbers, lowest 1 (info) to highest 5 (critical): the scale
    /// of OCSF's severity_id, so both formats agree.
    public static func severityNumber(_ s: Severity) -> Int { s.rank + 1 }

    override func writeFlow(_ r: FlowRecord) {
        w.raw("{\"@timestamp\":"); w.rawTimestamp(micros: r.firstSeen)
        w.raw(",\"ecs\":{\"version\":\""); w.raw(ECSWriter.ecsVersion)
        w.raw("\"},\"event\":{\"kind\":\"event\",\"category\":[\"network\"],\"type\":[\"connection\"")
        if let rule = r.rule { w.raw(rule.action == .deny ? ",\"denied\"" : ",\"allowed\"") }
        // The server answered: the connection took place; else it cannot be told.
        w.raw(r.packetsToClient > 0 ? "],\"outcome\":\"success\"" : "],\"outcome\":\"unknown\"")
        w.raw(",\"start\":"); w.rawTimestamp(micros: r.firstSeen)
        w.raw(",\"end\":"); w.rawTimestamp(micros: r.lastSeen)
        w.raw(",\"duration\":"); w.rawInt((r.lastSeen &- r.firstSeen) &* 1000)
        if r.finish == .evicted { w.raw(",\"reason\":\"evicted\"") }
        w.raw("},\"source\":"); endpoint(r.client, bytes: r.bytesToServer, packets: r.packetsToServer)
        w.raw(",\"destination\":"); endpoint(r.server, bytes: r.bytesToClient, packets: r.packetsToClient)
        w.raw(",\"network\":{\"transport\":"); ECSWriter.writeTransport(w, r)
        w.raw(",\"iana_number\":\""); w.rawInt(r.ipProtocol); w.raw("\"")
        if let app = r.application { w.raw(",\"protocol\":"); w.rawString(app) }
        w.raw(",\"bytes\":"); w.rawInt(r.bytes)
        w.raw(",\"packets\":"); w.rawInt(r.packets)
        if let id = r.communityID { w.raw(",\"community_id\":"); w.rawCommunityID(id) }
        w.raw(",\"direction\":\""); w.raw(ECSWriter.direction(r.segment.rawValue)); w.raw("\"}")
        writeTLS(r.encryption)
        if let rule = r.rule {
            w.raw(",\"rule\":{\"name\":"); w.rawString(rule.name)
            // The scenario's rule list the rule belongs to: `filters.SEGMENT`.
            w.raw(",\"ruleset\":\"filters."); w.rawUnquoted(rule.segment.rawValue); w.raw("\"}")
        }
        w.raw(",\"related\":{\"ip\":["); w.rawAddress(r.client.address)
        if r.server.address != r.client.address { w.raw(","); w.rawAddress(r.server.address) }
        w.raw("]}")
        ECSWriter.writeObserver(w, r)
        w.raw(",\"demarc\":")
        ECSWriter.writeDemarc(w, r)
        w.raw("}")
    }

    private func endpoint(_ e: FlowRecord.Endpoint, bytes: UInt64, packets: UInt64) {
        w.raw("{\"ip\":"); w.rawAddress(e.address)
        if let p = e.port { w.raw(",\"port\":"); w.rawInt(p) }
        w.raw(",\"bytes\":"); w.rawInt(bytes)
        w.raw(",\"packets\":"); w.rawInt(packets)
        w.raw("}")
    }

    /// `tls.*` for a TLS or DTLS flow: version split into protocol and number ("TLS 1.3"
    /// is `tls` and `1.3`), SNI, and the server certificate demarc read (TLS 1.2 and
    /// older; 1.3 encrypts it).
    private func writeTLS(_ e: FlowRecord.Encryption) {
        guard let name = e.protocolName, name == "tls" || name == "dtls" else { return }
        w.raw(",\"tls\":{\"version_protocol\":"); w.rawString(name)
        if let v = e.version, let space = v.lastIndex(of: " ") {
            w.raw(",\"version\":"); w.rawString(String(v[v.index(after: space)...]))
        }
        if let sni = e.sni { w.raw(",\"client\":{\"server_name\":"); w.rawString(sni); w.raw("}") }
        if let c = e.certificate {
            w.raw(",\"server\":{\"x509\":{\"subject\":{\"distinguished_name\":"); w.rawString(c.subject)
            w.raw("},\"issuer\":{\"distinguished_name\":"); w.rawString(c.issuer)
            w.raw("}")
            if !c.notBefore.isEmpty { w.raw(",\"not_before\":"); w.rawString(c.notBefore) }
            if !c.notAfter.isEmpty { w.raw(",\"not_after\":"); w.rawString(c.notAfter) }
            w.raw("}")
            if !c.sha256.isEmpty { w.raw(",\"hash\":{\"sha256\":"); w.rawString(c.sha256); w.raw("}") }
            w.raw("}")
        }
        w.raw("}")
    }

    /// `observer.name`: the `--sensor` that saw the flow, when given (ECS: a custom name
    /// of the observer, for several of the same kind).
    static func writeObserver(_ w: JSONWriter, _ r: FlowRecord) {
        guard let s = r.sensor else { return }
        w.raw(",\"observer\":{\"name\":"); w.rawString(s); w.raw("}")
    }

    /// demarc's own fields: segment, party, places, verdict basis, credential kinds (the
    /// kinds only: a user name is not written here and no secret is ever kept).
    static func writeDemarc(_ w: JSONWriter, _ r: FlowRecord) {
        w.raw("{")
        writeDemarcMembers(w, r)
        w.raw("}")
    }

    /// The members of `demarc` without its braces (OCSF's `unmapped.demarc` adds more).
    static func writeDemarcMembers(_ w: JSONWriter, _ r: FlowRecord) {
        w.raw("\"flow_id\":"); w.rawFlowID(r.id)
        w.raw(",\"segment\":"); w.rawString(r.segment.rawValue)
        w.raw(",\"responsible\":"); w.rawString(r.responsible.rawValue)
        // As the json format's `end`: only an evicted flow has it.
        if r.finish == .evicted { w.raw(",\"end\":\"evicted\"") }
        w.raw(",\"zones\":{\"client\":"); w.rawString(r.client.zone)
        w.raw(",\"server\":"); w.rawString(r.server.zone)
        w.raw("},\"nodes\":{\"client\":"); w.rawString(r.client.node)
        w.raw(",\"server\":"); w.rawString(r.server.node)
        w.raw("},\"encryption\":{\"state\":"); w.raw(r.encryption.state.quoted)
        w.raw(",\"basis\":"); w.raw(r.encryption.basis.quoted)
        w.raw("}")
        if let path = r.path {
            w.raw(",\"path\":{\"enters\":"); w.rawString(path.enters)
            w.raw(",\"leaves\":"); w.rawString(path.leaves)
            w.raw("}")
        }
        if let rule = r.rule { w.raw(",\"rule_action\":"); w.rawString(rule.action.rawValue) }
        if let credentials = r.credentials, !credentials.isEmpty {
            w.raw(",\"credentials\":[")
            for (i, c) in credentials.enumerated() {
                if i > 0 { w.raw(",") }
                w.rawString(c.kind.rawValue)
            }
            w.raw("]")
        }
    }

    /// An alert: one finding.
    override func writeFinding(_ f: Finding, of r: FlowRecord) {
        w.raw("{\"@timestamp\":"); w.rawTimestamp(micros: r.lastSeen)
        w.raw(",\"ecs\":{\"version\":\""); w.raw(ECSWriter.ecsVersion)
        w.raw("\"},\"event\":{\"kind\":\"alert\",\"category\":[\"network\"],\"type\":[\"info\"],\"severity\":")
        w.rawInt(ECSWriter.severityNumber(f.severity))
        w.raw("},\"rule\":{\"name\":"); w.rawString(f.code)
        w.raw("},\"message\":"); w.rawString(f.message)
        if let id = r.communityID { w.raw(",\"network\":{\"community_id\":"); w.rawCommunityID(id); w.raw("}") }
        ECSWriter.writeObserver(w, r)
        w.raw(",\"demarc\":"); writeFindingDemarc(f, of: r)
        w.raw("}")
    }
}

extension JSONWriter {
    /// Plain ASCII text known to need no escaping (a segment's name), without quotes.
    func rawUnquoted(_ s: String) {
        var s = s
        s.withUTF8 { rawASCII(UnsafeRawBufferPointer($0)) }
    }
}
