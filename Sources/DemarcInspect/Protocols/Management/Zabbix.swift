import DemarcBase
import DemarcDecode
/// Zabbix agent protocol: "ZBXD" and a flags byte.
public enum ZabbixInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "ZBXD"), let f = p.u8(4), f & 0xf8 == 0 else { return .no }
        c.identify(.zabbix)
        return .yes
    }
}
