import DemarcBase
import DemarcDecode
/// Z39.50, the library information retrieval protocol (ANSI/NISO Z39.50-2003, its ASN.1
/// definitions; over TCP as RFC 1729 describes): BER-encoded APDUs laid directly on the
/// stream. A connection opens with an InitializeRequest ([20], a constructed
/// context-specific tag, 0xB4) and its InitializeResponse ([21], 0xB5), whose fields
/// come in the standard's order: an optional referenceId [2], then protocolVersion [3]
/// and options [4] (bit strings), preferredMessageSize [5] and exceptionalRecordSize [6]
/// (integers). Such an APDU filling the segment names the protocol; searches and the
/// records they return follow in clear.
public enum Z3950Inspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let tag = p.u8(0), tag == 0xb4 || tag == 0xb5, let (length, size) = BER.length(p, at: 1),
              1 + size + length == p.count else { return .no }
        var at = 1 + size
        if p.u8(at) == 0x82, let (n, s) = BER.length(p, at: at + 1) { at += 1 + s + n }
        // protocolVersion, options, preferredMessageSize and exceptionalRecordSize, in order.
        for field: UInt8 in 0x83...0x86 {
            guard p.u8(at) == field, let (n, s) = BER.length(p, at: at + 1), n >= 1, n <= 8,
                  at + 1 + s + n <= p.count else { return .no }
            at += 1 + s + n
        }
        c.identify(.z3950)
        return .yes
    }
}
