import DemarcBase
import DemarcDecode
/// Modbus/TCP (port 502): the MBAP header (transaction id, protocol id 0, the length of
/// what follows, unit id) and a function code.
public enum ModbusInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(502), p.u16(2) == 0, let len = p.u16(4), Int(len) + 6 == p.count, len >= 2,
              let fn = p.u8(7), fn & 0x7f != 0 else { return .no }
        c.identify(.modbus)
        return .yes
    }
}
