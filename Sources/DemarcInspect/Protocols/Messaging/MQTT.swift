import DemarcBase
import DemarcDecode
/// MQTT: the CONNECT packet names the protocol ("MQTT", or "MQIsdp" for 3.1).
public enum MQTTInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.u8(0) == 0x10 else { return c.fromClient ? .no : .notYet }
        var i = 1
        while let b = p.u8(i), b & 0x80 != 0, i < 4 { i += 1 }
        i += 1
        guard (p.u16(i) == 4 && p.starts(with: "MQTT", at: i + 2)) || (p.u16(i) == 6 && p.starts(with: "MQIsdp", at: i + 2)) else { return .no }
        c.identify(.mqtt)
        return .yes
    }
}
