import DemarcBase
import DemarcDecode
/// DRDA, the Distributed Relational Database Architecture that IBM Db2 and Apache Derby
/// speak (The Open Group, DRDA Volume 3, "Distributed Data Management Architecture":
/// the data stream structure, DSS): each DSS is a 6-byte header of its whole length
/// (2 bytes), the magic 0xD0, a format byte whose low nibble is the DSS type (1 request,
/// 2 reply, 3 object, 4 encrypted object, 5 communications manager) and a 2-byte request
/// correlator, then a DDM object: its length (the DSS's less the header's six bytes) and
/// its code point (EXCSAT 0x1041 opening a connection, its reply EXCSATRD 0x1443).
/// Chained DSSs lie end to end; those filling the segment name the protocol. SQL
/// statements and rows travel in clear: DRDA's own encryption (the encrypted object DSS,
/// type 4) covers only the user id, password or the data that a security mechanism names.
public enum DRDAInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(2) == 0xd0 else { return .no }
        let framed = Framing.fills(p, limit: 16) { at in
            guard let length = p.u16(at), length >= 10, length < 0x8000, p.u8(at + 2) == 0xd0,
                  let format = p.u8(at + 3), format & 0x80 == 0, (1...5).contains(format & 0x0f),
                  let object = p.u16(at + 6), object >= 4,
                  // The first DSS's one object fills it; an object DSS further on may hold several.
                  at == 0 ? object == length - 6 : object <= length - 6,
                  let codepoint = p.u16(at + 8), codepoint >= 0x1000
            else { return nil }
            return Int(length)
        }
        guard framed else { return .no }
        c.identify(.drda)
        return .yes
    }
}
