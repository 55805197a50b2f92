import DemarcBase
import DemarcDecode
/// RTPS, DDS's wire protocol (OMG "DDS Interoperability Wire Protocol" 2.5, 9.4.4.1
/// "Header"): a 20-byte header of the magic "RTPS", the protocol version (major 2), the
/// vendor id and the GUID prefix, then submessages, each a 4-byte header of an id, flags
/// whose lowest bit says the byte order, and the length of its contents. The submessages
/// fill the datagram (the last one may say 0: up to the end).
public enum RTPSInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "RTPS"), p.u8(4) == 2, let minor = p.u8(5), minor <= 9, p.count >= 24 else { return .no }
        var at = 20, items = 0
        while at < p.count {
            guard items < 64, let id = p.u8(at), id > 0, let flags = p.u8(at + 1),
                  let raw = flags & 1 == 1 ? p.u16le(at + 2) : p.u16(at + 2) else { return .no }
            if raw == 0 { at = p.count; break }
            at += 4 + Int(raw)
            items += 1
        }
        guard at == p.count else { return .no }
        c.identify(.rtps)
        return .yes
    }
}
