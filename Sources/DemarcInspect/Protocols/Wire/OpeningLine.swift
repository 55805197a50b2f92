import DemarcBase
import DemarcDecode
/// A text protocol over TCP recognised by the line its first message opens with (a
/// server's greeting, an agent's first section header) and nothing more: its inspector
/// names the opening and the protocol, and this identifies it.
public protocol OpeningLineInspector: ProtocolInspector {
    static var opening: StaticString { get }
    static var app: AppProtocol { get }
}

extension OpeningLineInspector {
    public static var transports: Transports { .tcp }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: opening) else { return .no }
        c.identify(app)
        return .yes
    }
}
