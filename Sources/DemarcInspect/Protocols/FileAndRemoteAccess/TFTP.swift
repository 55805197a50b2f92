import DemarcBase
import DemarcDecode
/// TFTP (RFC 1350): a read or write request (opcode, file name, NUL, transfer mode, NUL),
/// and the transfer it starts, which the server runs from a port of its own, so on a flow
/// of its own (RFC 1350 section 4): DATA (opcode 3, a block number, up to 512 bytes)
/// answered by an ACK of that block (opcode 4, four bytes), or an option acknowledgment
/// (opcode 6, RFC 2347) answered by the ACK of block 0 or the DATA of block 1. A
/// transfer flow is TFTP once its second side answers its first in step.
public enum TFTPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    /// A transfer flow's first packet while its answer is awaited: its opcode and block.
    final class Opening: FlowSlot {
        var opcode: UInt16 = 0
        var block: UInt16 = 0
    }

    static let data: UInt16 = 3, ack: UInt16 = 4, optionAck: UInt16 = 6

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let op = p.u16(0) else { return .no }
        if c.fromClient && c.index == 0 && (op == 1 || op == 2) {
            guard let end = p.find(0, from: 2, limit: 512), end > 2 else { return .no }
            let mode = end + 1
            guard p.startsCaseless(with: "netascii\0", at: mode) || p.startsCaseless(with: "octet\0", at: mode)
                    || p.startsCaseless(with: "mail\0", at: mode) else { return .no }
            c.identify(.tftp)
            return .yes
        }
        if c.fromClient {
            // The transfer's first packet; the answer decides.
            guard c.index == 0, opens(op, p) else { return .no }
            let o = c.details().slot(Opening())
            o.opcode = op
            o.block = p.u16(2) ?? 0
            return .notYet
        }
        guard let o = c.existingDetails()?[Opening.self] else { return .no }
        let block = p.u16(2)
        let inStep: Bool
        switch o.opcode {
        case data: inStep = op == ack && p.count == 4 && block == o.block
        case ack: inStep = op == data && p.count <= 516 && block == o.block &+ 1
        default: inStep = (op == ack && p.count == 4 && block == 0) || (op == data && p.count <= 516 && block == 1)
        }
        guard inStep else { return .no }
        c.identify(.tftp)
        return .yes
    }

    /// A packet that may open a transfer: DATA of at most 512 bytes, a four-byte ACK, or an
    /// option acknowledgment (option names and values, each printable and NUL-ended).
    static func opens(_ op: UInt16, _ p: Bytes) -> Bool {
        switch op {
        case data: return p.count >= 4 && p.count <= 516
        case ack: return p.count == 4
        case optionAck:
            var at = 2, strings = 0
            while at < p.count {
                guard let end = p.find(0, from: at, limit: 256), end > at, p.isPrintableASCII(at, end - at) else { return false }
                at = end + 1
                strings += 1
            }
            return strings >= 2 && strings % 2 == 0
        default: return false
        }
    }
}
