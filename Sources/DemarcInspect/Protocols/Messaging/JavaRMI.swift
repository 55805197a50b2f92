import DemarcBase
import DemarcDecode
/// Java RMI's transport (Java SE's "Java Remote Method Invocation Specification", 10.2
/// "RMI Transport Protocol"): the client's stream opens with the magic "JRMI", the
/// version 2 and the protocol (StreamProtocol 0x4B, SingleOpProtocol 0x4C,
/// MultiplexProtocol 0x4D); the server's reply opens with ProtocolAck (0x4E) and the
/// client's endpoint as a UTF string of at most a host name's length.
public enum JavaRMIInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "JRMI"), p.u16(4) == 2, let proto = p.u8(6), proto >= 0x4b && proto <= 0x4d else { return .no }
        c.identify(.jrmi)
        return .yes
    }
}
