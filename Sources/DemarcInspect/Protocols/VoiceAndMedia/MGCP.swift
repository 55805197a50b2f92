import DemarcBase
import DemarcDecode
/// MGCP, the media gateway control protocol (RFC 3435, 3.2 "Command Header" and 3.3
/// "Response Header"): a command line of a four-letter verb (EPCF, CRCX, MDCX, DLCX,
/// RQNT, NTFY, AUEP, AUCX, RSIP), a transaction id, an endpoint name and the protocol
/// version "MGCP 1.0" (or the older "MGCP 0.1"); a response line of a three-digit code
/// and the transaction id. A command's first line must name the version.
public enum MGCPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static let verbs: [StaticString] = ["EPCF ", "CRCX ", "MDCX ", "DLCX ", "RQNT ", "NTFY ", "AUEP ", "AUCX ", "RSIP "]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let first = p.u8(0), first >= 0x41 && first <= 0x52, verbs.contains(where: { p.starts(with: $0) })
        else { return .no }
        // The first line ends at CR or LF (RFC 3435 3.1 allows either line ending).
        var end = 5
        while end < min(p.count, 256), p.base[end] >= 0x20 && p.base[end] <= 0x7e { end += 1 }
        guard end < p.count, p.base[end] == 0x0d || p.base[end] == 0x0a else { return .no }
        // "MGCP 1.0" or "MGCP 0.1", optionally followed by a profile name.
        guard p.contains(" MGCP 1.0", within: end) || p.contains(" MGCP 0.1", within: end) else { return .no }
        c.identify(.mgcp)
        return .yes
    }
}
