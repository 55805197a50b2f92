/// Payload → protocol and encryption verdict. Called by the flow tracker for each
/// packet of a flow while `InspectState.active` holds; stops itself as soon as the
/// verdict can no longer change.
public struct PayloadInspector {
    public init() {}

    /// The state a new flow starts in; transports that are encrypted by definition
    /// (ESP) need no payload at all.
    public func initialState(for key: FlowKey) -> InspectState {
        var s = InspectState()
        if key.proto == IPProtocol.esp {
            s.app = .esp
            s.state = .encrypted
            s.basis = .protocol
            s.active = false
        } else if key.orphanFragments || !(IPProtocol.hasPorts(key.proto)) {
            s.active = false
        }
        return s
    }

    public func inspect(flow: UnsafeMutablePointer<FlowState>, slot: Int32, table: FlowTable,
                        packet: DecodedPacket, frame: UnsafeRawBufferPointer, fromClient: Bool) {
    }

    /// Last word on a flow as it finishes.
    public func conclude(flow: UnsafeMutablePointer<FlowState>, details: FlowDetails?) {
    }
}
