import DemarcBase
import DemarcDecode
/// What inspection learned about a flow that needs memory: names, certificate, and a
/// bounded buffer for records that span segments. Allocated once per flow that needs it.
public final class FlowDetails {
    // One flow's record, only ever touched by the thread that tracks the flow: the
    // dynamic exclusivity check on each access (a runtime call) is skipped.
    @exclusivity(unchecked) public var sni: String?
    @exclusivity(unchecked) public var alpn: String?
    @exclusivity(unchecked) public var httpHost: String?
    @exclusivity(unchecked) public var httpMethod: String?
    @exclusivity(unchecked) public var httpPath: String?
    @exclusivity(unchecked) public var banner: String?
    @exclusivity(unchecked) public var certificate: CertificateInfo?
    @exclusivity(unchecked) public var note: String?
    /// TLS record streams being parsed (TLS flows, and flows that upgraded to TLS).
    @exclusivity(unchecked) public var tls: TLSStreams?
    /// What the handshake showed of key exchange, cipher and client fingerprint.
    @exclusivity(unchecked) public var negotiated: Negotiated?
    /// SSH's KEXINIT messages being gathered.
    @exclusivity(unchecked) var sshKex: SSHKexStreams?
    /// A QUIC flow's ClientHello being gathered from its client Initials.
    @exclusivity(unchecked) var quicCrypto: QUICCryptoStream?
    /// A QUIC flow's client Initial DCID and the server's CRYPTO stream, until the
    /// ServerHello in the server's Initials is read.
    @exclusivity(unchecked) var quicServer: QUICServerHello?
    /// What inspectors that have not claimed the flow remember of its first packets.
    @exclusivity(unchecked) var candidates = Candidates()
    /// Reusable secrets seen in cleartext: kind and user name, never the secret.
    @exclusivity(unchecked) public var credentials: [Credential] = []
    /// A user name sent before its password (FTP/POP3 USER, SASL LOGIN).
    @exclusivity(unchecked) var pendingUser: String?
    /// Where a SASL exchange stands.
    @exclusivity(unchecked) var sasl: SASLStep = .none
    /// Live metrics (monitor --metrics): the packets and bytes already counted while the
    /// flow was open; the rest are counted when it ends. Kept here, not in the flow
    /// table's plain values, so that a replay's flows stay as small as they were.
    @exclusivity(unchecked) public var exportedPackets: UInt64 = 0
    @exclusivity(unchecked) public var exportedBytes: UInt64 = 0

    public init() {}

    /// What reports take of a flow's record. Read here in one call: other modules' reads of
    /// these fields would each make the dynamic exclusivity check (a runtime call), which
    /// this module's skip.
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
        Reported(sni: sni, certificate: certificate, note: note, httpHost: httpHost, httpMethod: httpMethod,
                 httpPath: httpPath, banner: banner, credentials: credentials, exportedPackets: exportedPackets,
                 exportedBytes: exportedBytes, tlsIncomplete: tls?.incomplete ?? false,
                 negotiated: negotiated)
    }
}

/// What an inspector remembers of a first packet while it waits for the answer that
/// confirms its protocol. Several inspectors wait on the same flow at once (a WireGuard
/// handshake also looks like a Zoom set-up), so each has a typed slot of its own. The
/// slots share one presence byte: the whole is the size of two optional words.
public struct Candidates {
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private var present: UInt8 = 0

    /// Slot `i`'s word, if set.
    private func get(_ i: Int) -> UInt64? {
        guard present & (1 << i) != 0 else { return nil }
        return i == 0 ? words.0 : i == 1 ? words.1 : words.2
    }

    private mutating func set(_ i: Int, _ v: UInt64?) {
        let w = v ?? 0
        if i == 0 { words.0 = w } else if i == 1 { words.1 = w } else { words.2 = w }
        present = v == nil ? present & ~(1 << i) : present | (1 << i)
    }

    /// WireGuard: an initiation's sender index, or a transport packet's receiver index,
    /// counter and direction (`WireGuardInspector.Mark`).
    var wireGuard: WireGuardInspector.Mark? {
        get { get(0).map(WireGuardInspector.Mark.init(raw:)) }
        set { set(0, newValue?.raw) }
    }

    /// OpenVPN: the session id of the hard reset that made the candidate.
    var openVPNSession: UInt64? {
        get { get(1) }
        set { set(1, newValue) }
    }

    /// Zoom: a relayed session's id from the client's set-up, until the server echoes it.
    var zoomSession: UInt64? {
        get { get(2) }
        set { set(2, newValue) }
    }
}

/// The step a SASL exchange has reached: the next client line is PLAIN's response,
/// LOGIN's user name, or LOGIN's password.
enum SASLStep: UInt8 { case none, plain, loginUser, loginPassword }

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

    public init(capacity: Int = 0) { records.reserveCapacity(capacity) }

    /// A slot is taken for a new flow (the next one past those used, or a freed one).
    @inlinable
    public func occupy(_ slot: Int32) {
        if Int(slot) == records.count { records.append(nil) } else { records[Int(slot)] = nil }
    }

    /// A flow left its slot: its record goes with it.
    @inlinable
    public func release(_ slot: Int32) { records[Int(slot)] = nil }

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
}
