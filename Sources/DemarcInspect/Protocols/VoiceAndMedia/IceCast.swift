import DemarcBase
import DemarcDecode
/// Icecast and SHOUTcast streaming (Icecast's documentation on source clients, and the
/// ICY protocol it inherits from SHOUTcast): a source client opens with "SOURCE /mount
/// ICE/1.0" or "SOURCE /mount HTTP/1.0" and headers; a SHOUTcast server answers a
/// listener with the status line "ICY 200 OK" and "icy-" headers.
public enum IceCastInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if p.starts(with: "SOURCE /") {
            guard let eol = p.find(0x0a, from: 8, limit: 512), p.isPrintableASCII(0, eol - 1),
                  p.contains(" ICE/1.0", within: eol) || p.contains(" HTTP/1.", within: eol) else { return .no }
        } else if !p.starts(with: "ICY 200 OK\r\n") {
            return .no
        }
        c.identify(.icecast)
        return .yes
    }
}
