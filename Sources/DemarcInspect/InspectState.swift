import DemarcBase
import DemarcDecode
/// Whether a flow's payload is encrypted, as far as demarc can tell.
public enum EncryptionState: UInt8, Sendable {
    case unknown, encrypted, cleartext

    public var name: String {
        switch self {
        case .unknown: return "unknown"
        case .encrypted: return "encrypted"
        case .cleartext: return "cleartext"
        }
    }
}

/// How the encryption state was reached.
public enum VerdictBasis: UInt8, Sendable {
    case none, `protocol`, heuristic

    public var name: String {
        switch self {
        case .none: return "none"
        case .protocol: return "protocol"
        case .heuristic: return "heuristic"
        }
    }
}

/// Per-flow inspection progress: a small plain value kept inside the flow table's state. Anything
/// that needs memory (names, certificates, a reassembly buffer) lives in FlowDetails,
/// allocated only for flows that need it.
public struct InspectState: Sendable {
    /// Payload is still worth reading: the verdict can still change.
    public var active = true
    public var state: EncryptionState = .unknown
    public var basis: VerdictBasis = .none
    public var app: AppProtocol = .unknown
    /// The protocol's own version code (TLS 0x0303, SSH 2, QUIC version…); 0 when unseen.
    public var version: UInt32 = 0
    /// Which protocol the version code belongs to (TLS and DTLS share codes with others).
    public var versionKind: VersionKind = .none
    /// SSL 3.0, TLS 1.0/1.1, or a NULL/export/anonymous cipher suite was negotiated.
    public var weak = false
    /// The flow upgraded to TLS in band (STARTTLS and its kin).
    public var upgraded = false
    /// A cleartext protocol announced an upgrade that has not yet happened.
    public var upgradePending = false
    /// Payload-bearing packets looked at, client→server and server→client.
    public var packetsToServer: UInt8 = 0
    public var packetsToClient: UInt8 = 0
    public var heuristic = HeuristicTally()
    /// 1 + index of the inspector that claimed the flow; 0 while none has.
    public var owner: UInt8 = 0
    /// Inspectors that said "not mine".
    public var excluded = InspectorSet()
    /// The owning inspector's progress, read and written only as that inspector's own
    /// `ProtocolPhase` type through `InspectionContext.phase(_:)` and `enter(_:)`.
    @usableFromInline var ownerPhase: UInt8 = 0

    public init() {}
}

/// A set of inspectors by their index in `PayloadInspector.inspectors`: three words, so a
/// flow's state stays small and a visit costs a couple of bit operations.
public struct InspectorSet: Equatable, Sendable {
    public static let capacity = 192
    public var words: (UInt64, UInt64, UInt64) = (0, 0, 0)

    public init() {}
    init(_ a: UInt64, _ b: UInt64, _ c: UInt64) { words = (a, b, c) }

    /// Word `w` (0, 1 or 2) of the set.
    @inline(__always) public func word(_ w: Int) -> UInt64 {
        w == 0 ? words.0 : w == 1 ? words.1 : words.2
    }

    public mutating func insert(_ i: Int) {
        let bit: UInt64 = 1 << UInt64(i & 63)
        switch i >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        default: words.2 |= bit
        }
    }

    /// Adds `bits` to word `w` (0, 1 or 2).
    @inline(__always) mutating func formUnion(word w: Int, _ bits: UInt64) {
        switch w {
        case 0: words.0 |= bits
        case 1: words.1 |= bits
        default: words.2 |= bits
        }
    }

    public func contains(_ i: Int) -> Bool { word(i >> 6) & (1 << UInt64(i & 63)) != 0 }

    public func subtracting(_ other: InspectorSet) -> InspectorSet {
        InspectorSet(words.0 & ~other.words.0, words.1 & ~other.words.1, words.2 & ~other.words.2)
    }

    public static func == (a: InspectorSet, b: InspectorSet) -> Bool { a.words == b.words }
}

/// Which protocol `InspectState.version` belongs to.
public enum VersionKind: UInt8, Sendable {
    case none, tls, dtls, ssh, quic
}

/// Running totals for judging payload by its bytes.
public struct HeuristicTally: Sendable {
    public var packets: UInt8 = 0
    /// Packets whose bytes look random (high entropy, no structure).
    public var randomPackets: UInt8 = 0
    /// Packets with nearly as many distinct values as random bytes that fail the
    /// chi-square test or hold a run random bytes do not (`Heuristic.Kind.nearRandom`).
    public var nearRandomPackets: UInt8 = 0
    /// Packets that are mostly printable text.
    public var textPackets: UInt8 = 0
    /// Binary packets with clear structure (few distinct bytes, runs of zeros).
    public var structuredPackets: UInt8 = 0
    /// Of those, the ones padded with zeros (`Heuristic.Kind.sparse`).
    public var sparsePackets: UInt8 = 0
    /// Random-looking packets in each direction.
    public var randomToServer: UInt8 = 0
    public var randomToClient: UInt8 = 0
    /// A packet repeated most of the sampled bytes of the one before it in its direction
    /// (`Heuristic.headerStart`): a cleartext header, which ciphertext does not have.
    public var repeated = false
    /// Per direction, the bytes the last packet had at the sampled offsets,
    /// and whether there was one.
    public var headerToServer: UInt64 = 0
    public var headerToClient: UInt64 = 0
    public var headerSeen: UInt8 = 0

    public init() {}
}
