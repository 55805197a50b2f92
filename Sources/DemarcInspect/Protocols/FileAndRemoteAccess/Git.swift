import DemarcBase
import DemarcDecode
/// Git's own transport (git://): pkt-lines, each led by its length as four hex digits;
/// the client's first line asks for a service ("git-upload-pack /repo.git\0host=…").
public enum GitInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let services: [StaticString] = ["git-upload-pack ", "git-receive-pack ", "git-upload-archive "]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient else { return c.index == 0 ? .notYet : .no }
        guard let len = hexLength(p), len >= 20, len <= p.count,
              services.contains(where: { p.starts(with: $0, at: 4) }) else { return .no }
        c.identify(.git)
        return .yes
    }

    /// A pkt-line's length prefix: four lowercase or uppercase hex digits.
    static func hexLength(_ p: Bytes) -> Int? {
        var v = 0
        for i in 0..<4 {
            guard let b = p.u8(i) else { return nil }
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x61...0x66: d = b - 0x57
            case 0x41...0x46: d = b - 0x37
            default: return nil
            }
            v = v << 4 | Int(d)
        }
        return v
    }
}
