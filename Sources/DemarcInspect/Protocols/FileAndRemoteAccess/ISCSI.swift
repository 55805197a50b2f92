import DemarcBase
import DemarcDecode
/// iSCSI (RFC 7143), block storage over TCP: every PDU opens with a 48-byte basic header
/// (opcode, flags, the additional header's length in words, a 24-bit data length). A
/// session starts with Login, whose request and response carry text keys in clear
/// (InitiatorName, TargetName, SessionType, AuthMethod, …), versions max and min both 0.
/// iSCSI encrypts nothing itself (RFC 7143 leaves that to IPsec): the disk's blocks
/// travel readable.
public enum ISCSIInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let op = p.u8(0), op & 0x3f == (c.fromClient ? 0x03 : 0x23), p.u8(2) == 0, p.u8(3) == 0,
              let ahs = p.u8(4), let high = p.u8(5), let low = p.u16(6) else { return .no }
        let length = Int(high) << 16 | Int(low)
        let data = 48 + Int(ahs) * 4
        guard length >= 4, length <= 1 << 20, startsWithKey(p, at: data) else { return .no }
        c.identify(.iscsi)
        return .yes
    }

    /// A text key and its `=`: a capital letter, then letters and digits.
    static func startsWithKey(_ p: Bytes, at offset: Int) -> Bool {
        guard let first = p.u8(offset), (0x41...0x5a).contains(first) else { return false }
        var i = offset + 1
        while let b = p.u8(i), i - offset < 64 {
            if b == UInt8(ascii: "=") { return i - offset >= 3 }
            guard (0x30...0x39).contains(b) || (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b) else { return false }
            i += 1
        }
        return false
    }
}
