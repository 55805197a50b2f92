import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `ocsf`: OCSF 1.8.0 events, one JSON object a line: a Network Activity event (class
/// 4001, activity Traffic) per flow, then a Detection Finding (class 2004, activity
/// Create) per finding of that flow, whose evidence names the flow (its Community ID,
/// its id, its endpoints). What OCSF has no attribute for sits in `unmapped.demarc`.
/// Times are OCSF's timestamp_t: milliseconds since the epoch. docs/formats.md lists
/// every attribute.
public final class OCSFWriter: EventLinesWriter {
    public required init(output: Output, flushEachFlow: Bool = false) {
        super.init(output: output, flushEachFlow: flushEachFlow)
    }

    /// connection_info's direction_id (and its `direction` caption for Other) from the
    /// segment's name: ingress Inbound (1), egress Outbound (2), internal Lateral (3);
    /// external and transit run between two hosts outside the provider's network, which
    /// OCSF's directions do not name: Other (99) with the segment as `direction`; link
    /// (and any segment not listed) Unknown (0), as ECS's `unknown`.
    static func direction(_ segment: String) -> (id: Int, other: Bool) {
        switch segment {
        case "ingress": return (1, false)
        case "egress": return (2, false)
        case "internal": return (3, false)
        case "external", "transit": return (99, true)
        default: return (0, false)
        }
    }

    /// connection_info's boundary_id: internal stays Internal (2); external and transit
    /// run outside the provider's network, External (3); ingress and egress cross its
    /// boundary, which OCSF's boundaries (inside, outside, cloud gateways) do not name:
    /// Other (99) with the segment as `boundary`; link, Unknown (0).
    static func boundary(_ segment: String) -> (id: Int, other: Bool) {
        switch segment {
        case "internal": return (2, false)
        case "external", "transit": return (3, false)
        case "ingress", "egress": return (99, true)
        default: return (0, false)
        }
    }

    /// The event's metadata and, with `--sensor`, its `device`: the sensor by name, type
    /// IDS (13, a device that watches traffic), under OCSF's host profile.
    private func metadata(_ r: FlowRecord) {
        w.raw(",\"metadata\":{\"product\":{\"name\":\"demarc\",\"vendor_name\":\"demarc\",\"version\":")
        w.rawString(DemarcVersion.string)
        guard let s = r.sensor else { w.raw("},\"version\":\"1.8.0\"}"); return }
        w.raw("},\"profiles\":[\"host\"],\"version\":\"1.8.0\"},\"device\":{\"name\":"); w.rawString(s)
        w.raw(",\"type_id\":13}")
    }

    private func millis(_ micros: Int64) { w.rawInt(micros >= 0 ? micros / 1000 : (micros - 999) / 1000) }

    private func endpoint(_ e: FlowRecord.Endpoint) {
        w.raw("{\"ip\":"); w.rawAddress(e.address)
        if let p = e.port { w.raw(",\"port\":"); w.rawInt(p) }
        w.raw(",\"zone\":"); w.rawString(e.zone)
        w.raw("}")
    }

    /// connection_info: direction, boundary, IANA protocol name and number, IP version,
    /// Community ID and demarc's flow id.
    private func connectionInfo(_ r: FlowRecord) {
        let segment = r.segment.rawValue
        let d = OCSFWriter.direction(segment), b = OCSFWriter.boundary(segment)
        w.raw("{\"direction_id\":"); w.rawInt(d.id)
        if d.other { w.raw(",\"direction\":"); w.rawString(segment) }
        w.raw(",\"boundary_id\":"); w.rawInt(b.id)
        if b.other { w.raw(",\"boundary\":"); w.rawString(segment) }
        w.raw(",\"protocol_name\":"); ECSWriter.writeTransport(w, r)
        w.raw(",\"protocol_num\":"); w.rawInt(r.ipProtocol)
        w.raw(r.ipVersion == 6 ? ",\"protocol_ver_id\":6" : ",\"protocol_ver_id\":4")
        if let id = r.communityID { w.raw(",\"community_uid\":"); w.rawCommunityID(id) }
        w.raw(",\"uid\":\""); w.rawFlowID(r.id); w.raw("\"}")
    }

    /// The flow's Network Activity event.
    override func writeFlow(_ r: FlowRecord) {
        w.raw("{\"class_uid\":4001,\"category_uid\":4,\"activity_id\":6,\"type_uid\":400106,\"severity_id\":")
        // The flow's worst finding, Informational (1) without one.
        w.rawInt(r.worstSeverity.map(ECSWriter.severityNumber) ?? 1)
        w.raw(",\"time\":"); millis(r.firstSeen)
        metadata(r)
        w.raw(","); flowIdentity(r)
        w.raw(",\"traffic\":{\"bytes_out\":"); w.rawInt(r.bytesToServer)
        w.raw(",\"bytes_in\":"); w.rawInt(r.bytesToClient)
        w.raw(",\"bytes\":"); w.rawInt(r.bytes)
        w.raw(",\"packets_out\":"); w.rawInt(r.packetsToServer)
        w.raw(",\"packets_in\":"); w.rawInt(r.packetsToClient)
        w.raw(",\"packets\":"); w.rawInt(r.packets)
        w.raw("}")
        let e = r.encryption
        if let name = e.protocolName, name == "tls" || name == "dtls", let v = e.version {
            // OCSF's tls object requires its version: written only where demarc read one.
            w.raw(",\"tls\":{\"version\":"); w.rawString(v)
            if let sni = e.sni { w.raw(",\"sni\":"); w.rawString(sni) }
            w.raw("}")
        }
        w.raw(",\"unmapped\":{\"demarc\":")
        writeDemarc(r)
        w.raw("}}")
    }

    /// What OCSF has no attribute for: demarc's own fields as the ecs format has them,
    /// plus the certificate (OCSF's certificate object requires a serial number, which
    /// demarc does not keep) and the end of the flow.
    /// `connection_info`, `src_endpoint` and `dst_endpoint`: the flow, as its event and
    /// each finding's evidence name it.
    private func flowIdentity(_ r: FlowRecord) {
        w.raw("\"connection_info\":"); connectionInfo(r)
        w.raw(",\"src_endpoint\":"); endpoint(r.client)
        w.raw(",\"dst_endpoint\":"); endpoint(r.server)
    }

    private func writeDemarc(_ r: FlowRecord) {
        w.raw("{")
        ECSWriter.writeDemarcMembers(w, r)
        w.raw(",\"last_seen\":"); millis(r.lastSeen)
        if let rule = r.rule {
            w.raw(",\"rule\":{\"name\":"); w.rawString(rule.name)
            w.raw(",\"segment\":"); w.rawString(rule.segment.rawValue)
            w.raw("}")
        }
        if let app = r.application { w.raw(",\"application\":"); w.rawString(app) }
        if let c = r.encryption.certificate {
            w.raw(",\"certificate\":"); JSONReportWriter.writeCertificate(w, c)
        }
        w.raw("}")
    }

    /// A finding's Detection Finding event.
    override func writeFinding(_ f: Finding, of r: FlowRecord) {
        w.raw("{\"class_uid\":2004,\"category_uid\":2,\"activity_id\":1,\"type_uid\":200401,\"severity_id\":")
        w.rawInt(ECSWriter.severityNumber(f.severity))
        // An accepted finding still within its acceptance is Suppressed (3), else New (1).
        w.raw(f.counts ? ",\"status_id\":1" : ",\"status_id\":3")
        w.raw(",\"time\":"); millis(r.lastSeen)
        w.raw(",\"message\":"); w.rawString(f.message)
        metadata(r)
        // The finding's uid: the flow's Community ID (or id), first packet and code, the
        // same for the same flow in every run over the same capture.
        w.raw(",\"finding_info\":{\"uid\":\"")
        if let id = r.communityID { w.rawCommunityID(id, quoted: false) } else { w.raw("flow-"); w.rawFlowID(r.id) }
        w.raw("/"); w.rawInt(r.firstSeen)
        w.raw("/"); w.rawUnquoted(f.code)
        w.raw("\",\"title\":"); w.rawString(f.code)
        w.raw(",\"desc\":"); w.rawString(f.message)
        w.raw(",\"types\":["); w.rawString(f.code)
        w.raw("],\"analytic\":{\"name\":"); w.rawString(f.code)
        w.raw(",\"type_id\":1}},\"evidences\":[{"); flowIdentity(r)
        w.raw("}],\"unmapped\":{\"demarc\":"); writeFindingDemarc(f, of: r)
        w.raw("}}")
    }
}
