import DemarcBase
import DemarcDecode

/// IKEv2's negotiated SA (RFC 7296 §3.3): the responder's IKE_SA_INIT answer holds one
/// proposal with the transforms it chose: the key exchange method (type 4), the
/// encryption algorithm (type 1) and, for a hybrid SA, additional key exchanges
/// (ADDKE1-7, types 6-12, RFC 9370). Only that answer is read: the initiator's offer
/// (and the KE payload it guesses with) is not what was negotiated.
extension IKEInspector {
    /// Packets per direction read for the IKE_SA_INIT answer.
    static let saInitPackets = 4

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        let off = c.port(4500) ? 4 : 0
        if let n = saInitResponse(p.slice(off, -1)) {
            c.details().negotiated(n)
            c.state.active = false
        } else if c.index + 1 >= saInitPackets {
            c.state.active = false
        }
    }

    /// What an IKEv2 IKE_SA_INIT response's SA payload chose; nil for any other message.
    static func saInitResponse(_ m: Bytes) -> Negotiated? {
        guard m.u8(17) == 0x20, m.u8(18) == 34, let flags = m.u8(19), flags & 0x20 != 0,
              var next = m.u8(16) else { return nil }
        var off = 28
        while next != 0, let len = m.u16(off + 2), len >= 4, m.has(off, Int(len)) {
            if next == 33 { return proposal(m.slice(off + 4, Int(len) - 4)) }
            next = m.u8(off)!
            off += Int(len)
        }
        return nil
    }

    /// The first proposal's transforms.
    static func proposal(_ sa: Bytes) -> Negotiated? {
        guard let plen = sa.u16(2), sa.has(0, Int(plen)), let spiSize = sa.u8(6), let count = sa.u8(7) else { return nil }
        var off = 8 + Int(spiSize)
        var groups: [UInt16] = []
        var cipher: String?
        for _ in 0..<count {
            guard let tlen = sa.u16(off + 2), tlen >= 8, off + Int(tlen) <= Int(plen),
                  let type = sa.u8(off + 4), let id = sa.u16(off + 6) else { break }
            if type == 4 {
                groups.insert(id, at: 0)
            } else if (6...12).contains(type), id != 0 {
                groups.append(id)
            } else if type == 1 {
                // A key length attribute (type 14, TV format) follows for variable-length ciphers.
                var name = encryptionName(id)
                if tlen >= 12, sa.u16(off + 8) == 0x800e, let bits = sa.u16(off + 10) { name += "-\(bits)" }
                cipher = name
            }
            off += Int(tlen)
        }
        guard !groups.isEmpty || cipher != nil else { return nil }
        let kx = groups.isEmpty ? nil : groups.map(CryptoNames.ikeGroup).joined(separator: " + ")
        return Negotiated(keyExchange: kx, postQuantum: groups.isEmpty ? nil : groups.contains(where: CryptoNames.isPostQuantumIKE),
                          cipher: cipher)
    }

    /// IANA's names for IKEv2 encryption algorithms (Transform Type 1).
    static func encryptionName(_ id: UInt16) -> String {
        switch id {
        case 2: return "ENCR_DES"
        case 3: return "ENCR_3DES"
        case 11: return "ENCR_NULL"
        case 12: return "ENCR_AES_CBC"
        case 13: return "ENCR_AES_CTR"
        case 14: return "ENCR_AES_CCM_8"
        case 15: return "ENCR_AES_CCM_12"
        case 16: return "ENCR_AES_CCM_16"
        case 18: return "ENCR_AES_GCM_8"
        case 19: return "ENCR_AES_GCM_12"
        case 20: return "ENCR_AES_GCM_16"
        case 23: return "ENCR_CAMELLIA_CBC"
        case 28: return "ENCR_CHACHA20_POLY1305"
        default: return "encryption \(id)"
        }
    }
}
