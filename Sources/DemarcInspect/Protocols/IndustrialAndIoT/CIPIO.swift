import DemarcBase
import DemarcDecode
/// CIP's implicit (I/O) messaging over UDP, EtherNet/IP's class 0 and 1 connections
/// (ODVA, CIP volume 2, 2-6 "Common Packet Format"): no encapsulation header, only the
/// common packet format's little-endian item list. An item count of 2, an address item
/// (a sequenced address 0x8002 of 8 bytes: connection id and sequence number, or a
/// connected address 0x00A1 of 4 bytes), then the connected data item 0x00B1 whose
/// length fills the rest of the datagram.
public enum CIPIOInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u16le(0) == 2, let address = p.u16le(2), let addressLength = p.u16le(4),
              (address == 0x8002 && addressLength == 8) || (address == 0x00a1 && addressLength == 4) else { return .no }
        let data = 6 + Int(addressLength)
        guard p.u16le(data) == 0x00b1, let length = p.u16le(data + 2), data + 4 + Int(length) == p.count else { return .no }
        c.identify(.cipio)
        return .yes
    }
}
