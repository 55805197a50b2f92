import DemarcBase
import DemarcDecode
/// NTP on port 123: version 1 to 4 and a mode in the first byte, and what that mode's
/// message must hold, so that other datagrams on the port are not taken for it (random
/// bytes pass the first byte's test almost half the time).
/// - Modes 1 to 5 (symmetric, client, server, broadcast; RFC 5905 section 7.3): a 48-byte
///   header, then extension fields and a MAC, all in 32-bit words; a stratum of 0 to 16;
///   root delay and root dispersion under 256 seconds (their top byte zero: ntpd caps
///   dispersion at 16 seconds).
/// - Mode 6 (control, RFC 9327 section 2): a 12-byte header whose count gives the data
///   that follows, padded to 32 bits, with room for a MAC of at most 24 bytes.
/// - Mode 7 (ntpd's private mode, ntpdc's requests and their replies): an implementation
///   number of 0, 2 or 3, an error code of 0 to 5 and zero bits above the item size, and
///   as many items of that size as the header counts within the datagram.
public enum NTPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(123), let b = p.u8(0) else { return .no }
        let version = (b >> 3) & 7, mode = b & 7
        guard (1...4).contains(version), (1...7).contains(mode), isMessage(p, mode: mode) else { return .no }
        c.identify(.ntp)
        return .yes
    }

    static func isMessage(_ p: Bytes, mode: UInt8) -> Bool {
        switch mode {
        case 6:
            guard let count = p.u16(10).map(Int.init) else { return false }
            let data = 12 + (count + 3) / 4 * 4
            return 12 + count <= p.count && p.count <= data + 24
        case 7:
            guard let impl = p.u8(2), [0, 2, 3].contains(impl), let items = p.u16(4), let size = p.u16(6),
                  items >> 12 <= 5, size >> 12 == 0 else { return false }
            return 8 + Int(items & 0x0fff) * Int(size) <= p.count
        default:
            guard p.count >= 48, p.count % 4 == 0, let stratum = p.u8(1), stratum <= 16 else { return false }
            return p.u8(4) == 0 && p.u8(8) == 0
        }
    }
}
