import DemarcBase
import DemarcDecode
/// NNTP, Usenet's network news transfer protocol (RFC 3977, 5.1 "Initial Connection"
/// and 5.3 "MODE READER"): the server greets with status 200 (posting allowed) or 201
/// (no posting) and a line naming the news service; a reader's first commands include
/// "MODE READER", "AUTHINFO USER" (RFC 4643) and "CAPABILITIES". A greeting counts when
/// its line names NNTP or news; a command line must end in CR LF.
public enum NNTPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if p.starts(with: "200 ") || p.starts(with: "201 ") {
            guard let eol = p.find(0x0a, from: 4, limit: 512), p.isPrintableASCII(4, eol - 5),
                  p.contains("NNTP", within: eol) || p.contains("news", within: eol) || p.contains("News", within: eol)
            else { return .no }
        } else if p.starts(with: "MODE READER\r\n") || p.starts(with: "AUTHINFO USER ") {
            guard let eol = p.find(0x0a, limit: 512), p.u8(eol - 1) == 0x0d else { return .no }
        } else {
            return .no
        }
        c.identify(.nntp)
        return .yes
    }
}
