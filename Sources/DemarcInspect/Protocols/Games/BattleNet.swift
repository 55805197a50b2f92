import DemarcBase
import DemarcDecode
/// Blizzard's classic Battle.net chat (BNCS) and Warcraft III game (W3GS) protocols on
/// TCP, as BNETDocs documents them: messages of a class byte (0xff BNCS, 0xf7 W3GS), a
/// message id and a little-endian length that counts the whole message, laid end to end.
/// A BNCS connection opens with a protocol selector byte (1 game) before its first
/// message.
public enum BattleNetInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let start = c.fromClient && c.index == 0 && p.u8(0) == 0x01 ? 1 : 0
        let framed = Framing.fills(p, from: start, limit: 16) { at in
            guard let cls = p.u8(at), cls == 0xff || cls == 0xf7, let len = p.u16le(at + 2), len >= 4 else { return nil }
            return Int(len)
        }
        guard framed else { return .no }
        c.identify(.battlenet)
        return .yes
    }
}
