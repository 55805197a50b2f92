import DemarcBase
import DemarcDecode
/// What inspection learned about a flow that needs memory: what every flow may show
/// (names, certificate, banner, note, credentials, negotiated crypto, exported counters)
/// and the slots in which protocols keep their own per-flow state. Allocated once per
/// flow that needs it.
public final class FlowDetails {
    // One flow's record, only ever touched by the thread that tracks the flow: the
    // dynamic exclusivity check on each access (a runtime call) is skipped.
    /// The server name a handshake asked for (TLS, DTLS and QUIC's SNI).
    @exclusivity(unchecked) public var sni: String?
    /// The application protocols a handshake offered (TLS, DTLS and QUIC's ALPN).
    @exclusivity(unchecked) public var alpn: String?
    @exclusivity(unchecked) public var banner: String?
    @exclusivity(unchecked) public var certificate: CertificateInfo?
    @exclusivity(unchecked) public var note: String?
    /// What the handshake showed of key exchange, cipher and client fingerprint.
    @exclusivity(unchecked) public var negotiated: Negotiated?
    /// Reusable secrets seen in cleartext: kind and user name, never the secret.
    @exclusivity(unchecked) public var credentials: [Credential] = []
    /// A handshake was not read to its end: a record or message past the byte bounds, a
    /// gap in the stream, or the packet budget spent before the server's side (hello,
    /// certificate) was read. A certificate not seen then is not one the server did not send.
    @exclusivity(unchecked) public var handshakeIncomplete = false
    /// Some slot adds to the report (`FlowSlot.reports`): only then are they asked.
    @exclusivity(unchecked) private var slotsReport = false
    /// Live metrics (monitor --metrics): the packets and bytes already counted while the
    /// flow was open; the rest are counted when it ends. Kept here, not in the flow
    /// table's plain values, so that a replay's flows stay as small as they were.
    @exclusivity(unchecked) public var exportedPackets: UInt64 = 0
    @exclusivity(unchecked) public var exportedBytes: UInt64 = 0
    /// The protocols' own state, newest first (`FlowSlot`). The list holds one reference
    /// to each slot, taken and given back by hand, so walking it costs no reference
    /// counting.
    @exclusivity(unchecked) private var slots: Unmanaged<FlowSlot>?

    public init() {}

    deinit {
        var n = slots
        while let s = n {
            n = s._withUnsafeGuaranteedRef { $0.next }
            s.release()
        }
    }

    /// Calls `body` with each slot, newest first, until it returns true; returns the
    /// slot it stopped at and the one before it.
    @inline(__always)
    private func first(where body: (FlowSlot) -> Bool) -> (found: Unmanaged<FlowSlot>, before: Unmanaged<FlowSlot>?)? {
        var before: Unmanaged<FlowSlot>? = nil
        var n = slots
        while let s = n {
            let (hit, next) = s._withUnsafeGuaranteedRef { (body($0), $0.next) }
            if hit { return (s, before) }
            before = s
            n = next
        }
        return nil
    }

    /// The flow's slot of type `S`, if one was made; setting it replaces it (nil removes it).
    subscript<S: FlowSlot>(_: S.Type) -> S? {
        get {
            guard let (s, _) = first(where: { ObjectIdentifier(type(of: $0)) == ObjectIdentifier(S.self) }) else { return nil }
            return unsafeDowncast(s.takeUnretainedValue(), to: S.self)
        }
        set {
            if let (s, before) = first(where: { ObjectIdentifier(type(of: $0)) == ObjectIdentifier(S.self) }) {
                let next = s._withUnsafeGuaranteedRef { $0.next }
                if let before { before._withUnsafeGuaranteedRef { $0.next = next } } else { slots = next }
                s.release()
            }
            if let newValue { add(newValue) }
        }
    }

    /// The flow's slot of type `S`, made by `make` on first use.
    func slot<S: FlowSlot>(_ make: @autoclosure () -> S) -> S {
        if let s = self[S.self] { return s }
        let s = make()
        add(s)
        return s
    }

    /// Calls `body` with the flow's slot of type `S`, made by `make` on first use, lent
    /// without a retain: the record's list holds the slot.
    @inline(__always)
    func withSlot<S: FlowSlot, R>(_ make: @autoclosure () -> S, _ body: (S) -> R) -> R {
        let found: Unmanaged<FlowSlot>
        if let (s, _) = first(where: { ObjectIdentifier(type(of: $0)) == ObjectIdentifier(S.self) }) {
            found = s
        } else {
            add(make())
            found = slots.unsafelyUnwrapped
        }
        return found._withUnsafeGuaranteedRef { body(unsafeDowncast($0, to: S.self)) }
    }

    private func add(_ s: FlowSlot) {
        if s.reports { slotsReport = true }
        s.next = slots
        slots = Unmanaged.passRetained(s)
    }

    /// Some protocol's slot is still reading a handshake that needs every byte of the
    /// stream, and more packets than the follow budget (`FlowSlot.readingHandshake`).
    var readingHandshake: Bool { first(where: { $0.readingHandshake }) != nil }

    /// Inspection of the flow ends: each slot notes what it did not read.
    func giveUp() {
        var n = slots
        while let s = n {
            let slot = s.takeUnretainedValue()
            slot.giveUp(self)
            n = slot.next
        }
    }

    /// What reports take of a flow's record. Read here in one call: other modules' reads of
    /// these fields would each make the dynamic exclusivity check (a runtime call), which
    /// this module's skip. A protocol's own report fields (`http`) come from its slot
    /// (`FlowSlot.report`).
    public struct Reported {
        public var sni: String?
        public var certificate: CertificateInfo?
        public var note: String?
        public var httpHost: String?
        public var httpMethod: String?
        public var httpPath: String?
        public var banner: String?
        public var credentials: [Credential]
        public var exportedPackets: UInt64
        public var exportedBytes: UInt64
        /// A TLS handshake was given up before the server's flight was read in full.
        public var tlsIncomplete: Bool
        public var negotiated: Negotiated?
    }

    public var reported: Reported {
        var r = Reported(sni: sni, certificate: certificate, note: note, httpHost: nil, httpMethod: nil,
                         httpPath: nil, banner: banner, credentials: credentials, exportedPackets: exportedPackets,
                         exportedBytes: exportedBytes, tlsIncomplete: handshakeIncomplete, negotiated: negotiated)
        guard slotsReport else { return r }
        var n = slots
        while let s = n {
            let slot = s.takeUnretainedValue()
            slot.report(&r)
            n = slot.next
        }
        return r
    }
}

/// One protocol's state for one flow, kept in the flow's `FlowDetails`. A protocol
/// declares its slot as a final subclass in its own file and reaches it by its type:
/// `c.details().slot(MyState())` makes it on first use, `c.existingDetails()?[MyState.self]`
/// reads it, assigning nil frees it. A flow holds few slots (most none), so they are a
/// short list, newest first, found by comparing class metadata.
public class FlowSlot {
    /// The flow's next slot (the list's reference to it is held by hand: `FlowDetails`).
    @exclusivity(unchecked) fileprivate var next: Unmanaged<FlowSlot>?
    /// What this slot's buffers hold of the table's `ReassemblyBudget` (handshake
    /// buffers charge it; the rest hold nothing), given back when the slot goes.
    @exclusivity(unchecked) var reassembly = BudgetShare()

    init() {}

    deinit { reassembly.release() }

    /// Still reading a handshake: padding-sized segments are read too, and the flow is
    /// followed up to `PayloadInspector.handshakePacketLimit`. False unless overridden.
    var readingHandshake: Bool { false }

    /// Inspection of the flow ends before the protocol was read to its end.
    func giveUp(_ d: FlowDetails) {}

    /// Whether `report` adds anything to the report; false unless overridden.
    var reports: Bool { false }

    /// Adds to the report what this state shows; nothing unless overridden.
    func report(_ r: inout FlowDetails.Reported) {}
}

/// The server certificate as a report shows it.
public final class CertificateInfo: Sendable, Equatable {
    // A class: a flow's record passes through several values on its way to the report,
    // and a copy of one reference costs one retain, not one per string.
    public let subject: String
    public let issuer: String
    public let sha256: String
    public let notBefore: String
    public let notAfter: String
    /// The subject public key: `RSA`, `EC`, `Ed25519`…, its size in bits and, for EC, its
    /// curve; and the issuer's signature algorithm. Nil where the DER did not show them.
    public let key: CertificateKey?
    public let signature: String?

    public init(subject: String, issuer: String, sha256: String, notBefore: String, notAfter: String,
                key: CertificateKey? = nil, signature: String? = nil) {
        self.subject = subject; self.issuer = issuer; self.sha256 = sha256
        self.notBefore = notBefore; self.notAfter = notAfter
        self.key = key; self.signature = signature
    }

    public static func == (l: CertificateInfo, r: CertificateInfo) -> Bool {
        l === r || (l.subject == r.subject && l.issuer == r.issuer && l.sha256 == r.sha256
                    && l.notBefore == r.notBefore && l.notAfter == r.notAfter)
    }
}

/// The detail records of a table of flows, by the flow's slot: what an inspector reaches
/// of its own flow through `InspectionContext.details()`, never the flow table itself.
/// The flow table keeps one store and tells it when a slot is taken or freed.
public final class FlowDetailsStore {
    @usableFromInline @exclusivity(unchecked) var records: [FlowDetails?] = []
    /// Certificates this table's flows have shown, parsed once each.
    public let certificates = CertificateCache()
    /// JA4 list hashes this table's flows have needed.
    public let ja4Hashes = JA4Cache()
    /// The bytes this table's flows hold in handshake buffers, bounded in all.
    public let reassembly = ReassemblyBudget()
    /// Endpoints this table's control connections announced for data connections.
    public let announced = AnnouncedEndpoints()

    public init(capacity: Int = 0) { records.reserveCapacity(capacity) }

    /// A slot is taken for a new flow (the next one past those used, or a freed one).
    @inlinable
    public func occupy(_ slot: Int32) {
        if Int(slot) == records.count { records.append(nil) } else { records[Int(slot)] = nil }
    }

    /// A flow left its slot: its record goes with it.
    @inlinable
    public func release(_ slot: Int32) { records[Int(slot)] = nil }

    /// Every slot is freed at once (the table empties): the records go, the capacity stays.
    @inlinable
    public func releaseAll() { records.removeAll(keepingCapacity: true) }

    /// The slot's record, created on first use.
    @inlinable
    public func details(for slot: Int32) -> FlowDetails {
        if let d = records[Int(slot)] { return d }
        let d = FlowDetails()
        records[Int(slot)] = d
        return d
    }

    /// The slot's record if one was made; never allocates.
    @inlinable
    public func existing(_ slot: Int32) -> FlowDetails? { records[Int(slot)] }

    /// Calls `body` with the slot's record, created on first use, lent without a retain:
    /// the store holds the record until the flow leaves its slot, which no inspection
    /// call outlives.
    @inlinable @inline(__always)
    public func withDetails<R>(for slot: Int32, _ body: (FlowDetails) -> R) -> R {
        let i = Int(slot)
        if records[i] == nil { records[i] = FlowDetails() }
        let record = records.withUnsafeBufferPointer { Unmanaged.passUnretained($0[i].unsafelyUnwrapped) }
        return record._withUnsafeGuaranteedRef(body)
    }
}
