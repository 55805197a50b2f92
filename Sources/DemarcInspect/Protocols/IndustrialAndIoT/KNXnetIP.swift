import DemarcBase
import DemarcDecode
/// KNXnet/IP (KNX standard 03.08.02, section 2.3): a header of length 6, protocol
/// version 0x10, a service type in the families 0x02xx (core) to 0x09xx (security),
/// and the total length of the frame, which fills the datagram (or, on TCP, frames laid
/// end to end). KNX IP Secure's wrapper (0x0950) is encrypted.
public enum KNXnetIPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 8) { at in
            guard p.u8(at) == 0x06, p.u8(at + 1) == 0x10, let service = p.u16(at + 2),
                  (0x0200...0x09ff).contains(service), let len = p.u16(at + 4), len >= 6 else { return nil }
            return Int(len)
        }
        guard framed else { return .no }
        c.identify(.knxnetip, p.u16(2) == 0x0950 ? .encrypted : nil)
        return .yes
    }
}
