import DemarcBase
import DemarcDecode
/// Xiaomi's miIO device protocol on UDP 54321 (as python-miio implements it): a 32-byte
/// header, the magic 0x2131, a length that is the datagram's, an unknown word, a device
/// id, a time stamp and a 16-byte checksum or token, then a payload encrypted with
/// AES-128-CBC under a key derived from the device's token. The discovery hello is the
/// header alone with every other byte 0xff; everything the devices say is encrypted.
public enum MiIOInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(54321), p.u16(0) == 0x2131, let len = p.u16(2), Int(len) == p.count, len >= 32,
              (len - 32) % 16 == 0 else { return .no }
        c.identify(.miio)
        return .yes
    }
}
