import DemarcBase
import DemarcDecode
/// Automatic tank gauges' serial interface over TCP (Veeder-Root's TLS-300/350 "Serial
/// Interface Manual", commands and responses, as tank gauges and their network adapters
/// speak it on port 10001): a command is SOH (0x01), a letter naming the format and kind
/// (I or S in computer format, i or s in display format's lower case responses) and a
/// function code of three characters and a two-digit tank or device number, then
/// optional data. A response opens with SOH, echoes the command in lower case (computer
/// format) or after CR LF (display format), and ends with ETX (0x03).
public enum TankGaugeInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x01, p.count >= 7, p.count <= 4096 else { return .no }
        let command = p.u8(1) == 0x0d && p.u8(2) == 0x0a ? 3 : 1
        guard let kind = p.u8(command), kind == 0x49 || kind == 0x53 || kind == 0x69 || kind == 0x73,
              isCode(p, command + 1) else { return .no }
        // A command is printable text to its end; a response also ends with ETX.
        let end = p.u8(p.count - 1) == 0x03 ? p.count - 1 : p.count
        guard p.isTextLines(command, end - command),
              end < p.count || (command == 1 && kind <= 0x53) else { return .no }
        c.identify(.atg)
        return .yes
    }

    /// A function code: three letters or digits, then a two-digit number.
    static func isCode(_ p: Bytes, _ at: Int) -> Bool {
        for i in 0..<5 {
            guard let b = p.u8(at + i) else { return false }
            let digit = b >= 0x30 && b <= 0x39
            let upper = b >= 0x41 && b <= 0x5a
            if i < 3 ? !(digit || upper) : !digit { return false }
        }
        return true
    }
}
