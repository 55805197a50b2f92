/// The bytes that one flow table's handshake buffers hold in all: TLS records and
/// handshake messages spanning segments (`TLSStreams`), SSH KEXINITs (`SSHKexStreams`)
/// and QUIC CRYPTO frames (`QUICCryptoStream`). Each buffer is bounded per flow; this
/// bounds their sum, so that a flood of flows that each begin a handshake and never
/// finish it cannot grow memory past `limit` however many flows the table holds. A
/// buffer that would take the sum past it is given up (its handshake is not read
/// further, as when its own bound is passed) and counted in `givenUp`.
public final class ReassemblyBudget {
    /// 64 MiB per worker: thousands of handshakes in flight at once, each a few kilobytes.
    public static let defaultLimit = 64 << 20
    public let limit: Int
    // One flow table's, used from its worker's thread alone: no dynamic exclusivity
    // checks on every charge.
    /// Bytes held now, over every buffer.
    @exclusivity(unchecked) public private(set) var held = 0
    /// Buffers given up because the sum would have passed `limit`.
    @exclusivity(unchecked) public private(set) var givenUp: UInt64 = 0

    public init(limit: Int = ReassemblyBudget.defaultLimit) { self.limit = limit }

    /// Moves a buffer's charge from `charged` to `bytes`. Growth past the limit is
    /// refused: the buffer's charge is released (it must drop what it holds), it is
    /// counted, and the answer is false.
    func charge(_ bytes: Int, from charged: inout Int) -> Bool {
        let next = held - charged + bytes
        if bytes > charged && next > limit {
            held -= charged
            charged = 0
            givenUp &+= 1
            return false
        }
        held = next
        charged = bytes
        return true
    }
}

/// A flow slot's share of its table's `ReassemblyBudget`, given back when the slot goes.
struct BudgetShare {
    private var budget: ReassemblyBudget?
    private var bytes = 0

    /// Charges the slot's buffers at `total` bytes in all; false when the budget refuses
    /// (the slot must then give its buffers up: nothing of it is charged any more).
    mutating func charge(_ total: Int, _ c: InspectionContext) -> Bool {
        guard total != bytes else { return true }
        let b = budget ?? c.store.reassembly
        budget = b
        return b.charge(total, from: &bytes)
    }

    func release() {
        if let budget, bytes > 0 { var b = bytes; _ = budget.charge(0, from: &b) }
    }
}
