import DemarcBase
import DemarcDecode
/// What a protocol inspector sees of one packet's flow, and what it may change.
public struct InspectionContext {
    /// The flow's inspection state, read and written where the flow table keeps it: a
    /// packet's inspection copies none of it. Valid for the `PayloadInspector.inspect`
    /// call that made the context, which no context outlives.
    @usableFromInline let statePointer: UnsafeMutablePointer<InspectState>
    public var state: InspectState {
        @inline(__always) unsafeAddress { UnsafePointer(statePointer) }
        @inline(__always) nonmutating unsafeMutableAddress { statePointer }
    }
    public let proto: UInt8
    public let clientPort: UInt16
    public let serverPort: UInt16
    public let fromClient: Bool
    public let tcpSeq: UInt32
    /// Payload packets already seen in this packet's direction (0 for the first).
    public let index: Int
    /// This flow's detail record, and nothing else of the flow table: the store outlives
    /// every context (no reference counting per packet).
    unowned(unsafe) let store: FlowDetailsStore
    let slot: Int32

    public var isTCP: Bool { proto == IPProtocol.tcp }
    public var isUDP: Bool { proto == IPProtocol.udp }

    /// Either endpoint uses this port.
    public func port(_ p: UInt16) -> Bool { serverPort == p || clientPort == p }
    public func port(in ports: [UInt16]) -> Bool { ports.contains(serverPort) || ports.contains(clientPort) }

    /// The flow's detail record, created on first use.
    public func details() -> FlowDetails {
        // The store outlives the context: it is used without a retain of its own.
        Unmanaged.passUnretained(store)._withUnsafeGuaranteedRef { $0.details(for: slot) }
    }

    /// Calls `body` with the context and the flow's detail record, created on first use
    /// and lent without a retain (the store holds it: `FlowDetailsStore.withDetails`).
    @inline(__always)
    static func withDetails<R>(_ c: inout InspectionContext, _ body: (inout InspectionContext, FlowDetails) -> R) -> R {
        let store = c.store, slot = c.slot
        return Unmanaged.passUnretained(store)._withUnsafeGuaranteedRef { $0.withDetails(for: slot) { body(&c, $0) } }
    }

    /// The flow's detail record if one was made; never allocates.
    public func existingDetails() -> FlowDetails? {
        Unmanaged.passUnretained(store)._withUnsafeGuaranteedRef { $0.existing(slot) }
    }

    /// Announces that a connection of protocol `app` is to come to `port` on this flow's
    /// server's host (`listenerIsServer`) or its client's: that connection is handed to
    /// inspector `owner` (an `InspectState.owner` value) in phase `phase`
    /// (`AnnouncedEndpoints`).
    public func announce<P: ProtocolPhase>(port: UInt16, listenerIsServer: Bool, _ app: AppProtocol, _ phase: P, owner: UInt8) {
        store.announced.note(slot: slot, port: port, listenerIsServer: listenerIsServer, app: app,
                             owner: owner, phase: phase.rawValue)
    }

    /// The owning inspector's progress through its protocol, as its own phase type. A flow
    /// has one owner, so the value is that inspector's alone; it starts at raw value 0.
    public func phase<P: ProtocolPhase>(_: P.Type) -> P? { P(rawValue: state.ownerPhase) }

    /// Moves the owning inspector to `phase` (call it after `identify`).
    public mutating func enter<P: ProtocolPhase>(_ phase: P) { state.ownerPhase = phase.rawValue }

    /// Settles the flow's protocol and what it says of encryption.
    public mutating func identify(_ app: AppProtocol, _ state: EncryptionState? = nil, keepInspecting: Bool = false) {
        self.state.app = app
        self.state.state = state ?? app.inherent
        self.state.basis = .protocol
        self.state.active = keepInspecting
    }
}

/// An inspector's own steps through a flow it owns (PostgreSQL: SSLRequest sent; TDS:
/// PRELOGIN offered, TLS awaited…). Raw value 0 is the step before any: a flow starts there.
public protocol ProtocolPhase: RawRepresentable where RawValue == UInt8 {}

/// An inspector's answer for a flow it has not claimed yet.
public enum Identification {
    /// Not this protocol: do not ask again for this flow.
    case no
    /// Cannot tell yet: ask again with the next packet.
    case notYet
    /// This protocol: the inspector has called `identify` on the context.
    case yes
}

/// One protocol's recogniser. Inspectors are small and independent: each reads only the
/// payload it is handed (bounds-checked) and says whether the flow is its protocol.
public protocol ProtocolInspector: Sendable {
    /// Transports the protocol runs over.
    static var transports: Transports { get }
    static func identify(_ c: inout InspectionContext, _ payload: Bytes) -> Identification
    /// Later packets of a flow this inspector identified, while `state.active` holds.
    static func follow(_ c: inout InspectionContext, _ payload: Bytes)
    /// The flow is a control connection whose later messages announce other connections
    /// (FTP's PASV and PORT): it is followed as long as a handshake may be,
    /// `PayloadInspector.handshakePacketLimit` payload packets each way, not
    /// `followPacketLimit`.
    static var announcesConnections: Bool { get }
}

extension ProtocolInspector {
    public static func follow(_ c: inout InspectionContext, _ payload: Bytes) { c.state.active = false }
    public static var announcesConnections: Bool { false }
}

public struct Transports: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let tcp = Transports(rawValue: 1)
    public static let udp = Transports(rawValue: 2)
    public static let both: Transports = [.tcp, .udp]
}
