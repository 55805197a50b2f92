import DemarcBase
import DemarcDecode
#if canImport(Glibc)
import Glibc
#endif
/// Payload → protocol and encryption verdict. The flow tracker calls it for each packet
/// of a flow while `InspectState.active` holds. It asks the protocol inspectors in turn
/// until one claims the flow (then only that one follows it), keeps a byte-level tally
/// for the heuristic meanwhile, and stops as soon as the verdict can no longer change or
/// its packet budget is spent.
public struct PayloadInspector {
    /// The inspectors, most specific first: ProtocolRegistry's order. At most
    /// `InspectorSet.capacity` (192).
    public static let inspectors: [any ProtocolInspector.Type] = ProtocolRegistry.inspectors

    /// The inspectors that run over TCP (or UDP), kept here so that a packet reads them
    /// without a lazy global's check.
    let tcpCandidates = PayloadInspector.set(for: .tcp)
    let udpCandidates = PayloadInspector.set(for: .udp)

    private static func set(for t: Transports) -> InspectorSet {
        var s = InspectorSet()
        for (i, inspector) in inspectors.enumerated() where inspector.transports.contains(t) { s.insert(i) }
        return s
    }

    /// The `InspectState.owner` value of an inspector: what one inspector sets when it
    /// hands a flow over to another (STUN to the DTLS it set up).
    static func owner(of inspector: any ProtocolInspector.Type) -> UInt8 {
        let i = inspectors.firstIndex { ObjectIdentifier($0) == ObjectIdentifier(inspector) }
        return UInt8(i! + 1)
    }

    /// Payload packets per direction read while no inspector has claimed the flow.
    public var unidentifiedPacketLimit = 8
    /// Payload packets per direction an inspector may follow after claiming the flow.
    public var followPacketLimit = 32
    /// Payload packets per direction a TLS handshake may take before it is given up (a
    /// ClientHello padded over many segments must not hide the server's flight). The
    /// handshake parser's own byte bounds (`TLSStreams`) hold within it.
    public var handshakePacketLimit = 192
    /// Calibration mode: no inspector is asked, so the byte heuristic judges every flow
    /// with payload as if no protocol had been recognised (`DEMARC_HEURISTIC_ONLY=1`,
    /// read once here; docs/development.md). Off, it costs one test per unclaimed packet.
    public var heuristicOnly = false

    public init() {
        heuristicOnly = getenv("DEMARC_HEURISTIC_ONLY").map { String(cString: $0) == "1" } ?? false
    }

    /// The state a new flow starts in; transports that are encrypted by definition
    /// (ESP) need no payload at all.
    public func initialState(proto: UInt8, orphanFragments: Bool) -> InspectState {
        var s = InspectState()
        if proto == IPProtocol.esp {
            s.app = .esp
            s.state = .encrypted
            s.basis = .protocol
            s.active = false
        } else if orphanFragments || !(proto == IPProtocol.tcp || proto == IPProtocol.udp || proto == IPProtocol.gre) {
            s.active = false
        }
        return s
    }

    /// One packet of a flow: `state` is the flow's inspection state, `details` and `slot`
    /// its detail record; the flow's transport and ports as the tracker oriented them.
    public func inspect(_ state: inout InspectState, proto: UInt8, clientPort: UInt16, serverPort: UInt16,
                        details: FlowDetailsStore, slot: Int32,
                        packet: DecodedPacket, frame: UnsafeRawBufferPointer, fromClient: Bool) {
        guard packet.payloadLength > 0, packet.payloadOffset + packet.payloadLength <= frame.count else { return }
        let payload = Bytes(UnsafeRawBufferPointer(rebasing: frame[packet.payloadOffset..<(packet.payloadOffset + packet.payloadLength)]))
        // A few zero bytes on a TCP segment are padding on an ACK or a keep-alive, not the
        // application speaking: they must not use up the first look at its payload.
        // A handshake being read needs every byte, though: a TLS ClientHello's padding
        // extension can end in a segment of zeros of its own.
        if packet.proto == IPProtocol.tcp && PayloadInspector.isPadding(payload)
            && !(state.owner > 0 && details.existing(slot)?.readingHandshake == true) { return }
        withUnsafeMutablePointer(to: &state) { state in
            inspect(state, proto: proto, clientPort: clientPort, serverPort: serverPort, details: details, slot: slot,
                    payload: payload, tcpSeq: packet.tcpSeq, fromClient: fromClient)
        }
    }

    /// `inspect`'s work on the flow's state in place.
    @inline(__always)
    private func inspect(_ state: UnsafeMutablePointer<InspectState>, proto: UInt8, clientPort: UInt16, serverPort: UInt16,
                         details: FlowDetailsStore, slot: Int32, payload: Bytes, tcpSeq: UInt32, fromClient: Bool) {
        let index = Int(fromClient ? state.pointee.packetsToServer : state.pointee.packetsToClient)
        var c = InspectionContext(
            statePointer: state, proto: proto, clientPort: clientPort, serverPort: serverPort,
            fromClient: fromClient, tcpSeq: tcpSeq, index: index, store: details, slot: slot)
        if fromClient { c.state.packetsToServer &+= 1 } else { c.state.packetsToClient &+= 1 }
        if c.proto == IPProtocol.gre {
            // GRE is a transport of its own: its header and the packet inside decide.
            if !OverlayInspector.identifyGRE(&c, payload) && index + 1 >= unidentifiedPacketLimit {
                c.state.active = false
            }
            return
        }
        let transport: Transports = c.isTCP ? .tcp : .udp

        if c.state.owner > 0 {
            let owner = PayloadInspector.inspectors[Int(c.state.owner) - 1]
            owner.follow(&c, payload)
            if index >= followPacketLimit && (index >= handshakePacketLimit
                || !(PayloadInspector.readingHandshake(c) || owner.announcesConnections)) {
                PayloadInspector.giveUp(c)
                c.state.active = false
            }
        } else {
            var claimed = false
            // Only the inspectors for this transport that have not said "not mine", in
            // list order: one bit each, visited lowest first, word by word. A word's
            // "not mine" answers are added to the flow's state once, after its visit.
            let candidates = heuristicOnly ? InspectorSet()
                : (transport == .tcp ? tcpCandidates : udpCandidates).subtracting(c.state.excluded)
            // The list is read once, not once a candidate (a lazy global's check each time).
            let inspectors = PayloadInspector.inspectors
            for word in 0..<3 {
                var pending = candidates.word(word)
                var refused: UInt64 = 0
                while pending != 0 {
                    let bit = pending & (0 &- pending)
                    let i = word &* 64 &+ pending.trailingZeroBitCount
                    pending ^= bit
                    switch inspectors[i].identify(&c, payload) {
                    case .yes:
                        c.state.owner = UInt8(i + 1)
                        claimed = true
                    case .no:
                        refused |= bit
                    case .notYet:
                        break
                    }
                    if claimed { break }
                }
                if refused != 0 { c.state.excluded.formUnion(word: word, refused) }
                if claimed { break }
            }
            if !claimed {
                Heuristic.tally(&c.state.heuristic, payload, fromClient: c.fromClient, tcp: c.isTCP)
                let seen = max(Int(c.state.packetsToServer), Int(c.state.packetsToClient))
                if seen >= unidentifiedPacketLimit {
                    Heuristic.decide(&c.state)
                    c.state.active = false
                }
            }
        }
    }

    /// A handshake (a TLS one, direct or upgraded) is still being read in either direction.
    static func readingHandshake(_ c: InspectionContext) -> Bool {
        c.existingDetails()?.readingHandshake ?? false
    }

    /// Inspection ends before the flow's protocol was read to its end: its slots note it
    /// (TLS: a certificate that was not seen is not taken for one that was not sent).
    static func giveUp(_ c: InspectionContext) {
        c.existingDetails()?.giveUp()
    }

    static func isPadding(_ p: Bytes) -> Bool {
        guard p.count <= 6 else { return false }
        for i in 0..<p.count where p.base[i] != 0 { return false }
        return true
    }

    /// Last word on a flow as it finishes: the heuristic, if no protocol spoke.
    public func conclude(_ state: inout InspectState) {
        if state.app == .unknown && state.state == .unknown {
            Heuristic.decide(&state)
        }
    }
}
