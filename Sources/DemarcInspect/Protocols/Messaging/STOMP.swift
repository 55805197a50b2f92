import DemarcBase
import DemarcDecode
/// STOMP, the simple text oriented messaging protocol (STOMP 1.2 specification, "STOMP
/// Frames"): a frame is a command line, header lines "name:value", a blank line and a
/// body ended by NUL. A connection opens with the client's CONNECT or STOMP frame and
/// the server's CONNECTED (or ERROR) frame; the command line must be followed by a
/// header line.
public enum STOMPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let command: Int
        if p.starts(with: "CONNECT") { command = p.starts(with: "CONNECTED", at: 0) ? 9 : 7 }
        else if p.starts(with: "STOMP") { command = 5 }
        else if p.starts(with: "ERROR") { command = 5 }
        else { return .no }
        var at = command
        if p.u8(at) == 0x0d { at += 1 }
        guard p.u8(at) == 0x0a, let eol = p.find(0x0a, from: at + 1, limit: 1024),
              let colon = p.find(0x3a, from: at + 1, limit: eol - at - 1), colon > at + 1,
              p.isTextLines(at, eol - at) else { return .no }
        c.identify(.stomp)
        return .yes
    }
}
