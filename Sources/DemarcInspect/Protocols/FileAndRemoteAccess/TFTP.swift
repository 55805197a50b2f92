import DemarcBase
import DemarcDecode
/// TFTP: a read or write request (opcode, file name, NUL, transfer mode, NUL).
public enum TFTPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, let op = p.u16(0), op == 1 || op == 2, let end = p.find(0, from: 2, limit: 512), end > 2 else { return .no }
        let mode = end + 1
        guard p.startsCaseless(with: "netascii\0", at: mode) || p.startsCaseless(with: "octet\0", at: mode)
                || p.startsCaseless(with: "mail\0", at: mode) else { return .no }
        c.identify(.tftp)
        return .yes
    }
}
