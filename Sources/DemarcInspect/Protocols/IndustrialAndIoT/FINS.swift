import DemarcBase
import DemarcDecode
/// Omron's FINS (port 9600, which Omron's specification fixes): over UDP a 10-byte header
/// (ICF with its always-set bit 7, a zero reserved byte, a gateway count of at most 7,
/// destination and source network addresses, a service id) and a command code; over TCP
/// the "FINS" magic and a length first. PLC memory reads and writes travel readable:
/// cleartext.
public enum FINSInspector: ProtocolInspector {
    public static let transports: Transports = .both

    /// Main request codes (memory area, parameter area, program area, run/stop, machine
    /// configuration, status, clock, message, access rights, error log, file, debugging).
    static let commands: Set<UInt8> = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0c, 0x21, 0x22, 0x23, 0x26, 0x27, 0x28]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(9600) else { return .no }
        if c.isTCP {
            guard p.starts(with: "FINS"), let len = p.u32(4), len >= 8, Int(len) + 8 <= p.count || p.count >= 1200 else { return .no }
        } else {
            guard let icf = p.u8(0), icf & 0x80 != 0, icf & 0x3e == 0, p.u8(1) == 0, let gct = p.u8(2), gct <= 7,
                  let mrc = p.u8(10), commands.contains(mrc), p.count >= 12 else { return .no }
        }
        c.identify(.fins)
        return .yes
    }
}
