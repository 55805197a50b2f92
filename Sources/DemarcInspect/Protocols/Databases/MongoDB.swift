import DemarcBase
import DemarcDecode
/// MongoDB wire protocol: a little-endian message header whose length is the message's
/// and whose opcode is known.
public enum MongoDBInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let len = p.u32le(0), let op = p.u32le(12) else { return .no }
        guard Int(len) == p.count, [1, 2001, 2002, 2004, 2005, 2006, 2007, 2012, 2013].contains(op) else { return .no }
        guard op == 2013 || op == 2004 || c.port(27017) else { return .no }
        c.identify(.mongodb)
        return .yes
    }
}
