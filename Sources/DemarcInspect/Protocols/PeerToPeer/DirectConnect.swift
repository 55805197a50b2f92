import DemarcBase
import DemarcDecode
/// Direct Connect, the hub-based file sharing of DC++ and its kin, in both its protocols.
/// NMDC (the NMDC protocol documentation, "Protocol" and "$Lock", "$MyNick", "$Supports",
/// "$ValidateNick", "$HubName") is text: each command is '$', its name, a space and its
/// arguments, ended by '|'. A hub greets with "$Lock" (a lock string and "Pk=" its
/// software), a client answers with "$Supports", "$Key" and "$ValidateNick", and two
/// clients open a transfer connection with "$MyNick" then "$Lock". ADC (the ADC Protocol
/// specification, "Message syntax" and "SUP"): each message is a type letter and a
/// three-letter command, its parameters, ended by a newline; a session opens with SUP
/// announcing features, the mandatory "ADBASE" among them: "HSUP" from a client to a hub,
/// "ISUP" from the hub, "CSUP" between two clients. Such an opening names the protocol;
/// searches, chat and file lists travel in clear (ADCS, ADC over TLS, is claimed first by
/// the TLS inspector).
public enum DirectConnectInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let first = p.u8(0) else { return .no }
        if first == 0x24 {   // '$'
            guard p.starts(with: "$Lock ") || p.starts(with: "$MyNick ") || p.starts(with: "$Supports ")
                    || p.starts(with: "$ValidateNick ") || p.starts(with: "$HubName "),
                  let end = p.find(0x7c, from: 1, limit: 512), p.isPrintableASCII(0, end)
            else { return .no }
        } else {
            guard p.starts(with: "HSUP AD", at: 0) || p.starts(with: "ISUP AD") || p.starts(with: "CSUP AD"),
                  let end = p.find(0x0a, from: 5, limit: 512), p.isPrintableASCII(0, end), p.contains("ADBASE", within: end)
            else { return .no }
        }
        c.identify(.directconnect)
        return .yes
    }
}
