import DemarcBase
import DemarcDecode
/// Endpoints a control connection announced for a connection of its own to come: FTP's
/// passive-mode replies (227, 229) and active-mode commands (PORT, EPRT) name a port on
/// one of the control connection's two hosts, and the data connection that follows has
/// no framing of its own. One table per flow table (per shard): shards hash the address
/// pair, so a data connection between the control connection's hosts is in the same
/// shard as its announcement.
///
/// Bounded: `capacity` entries in a ring, the oldest overwritten first, each forgotten
/// `lifetime` after it was made. Nothing is allocated after `init`. An announcement is
/// made in two steps: the inspector notes the port and which side listens (it does not
/// see addresses), then the flow tracker fills in the control flow's addresses and the
/// capture time right after that packet (`resolve`). New flows are looked up in it only
/// when they are created (`claim`), and only while it holds an entry. A new flow that
/// matches is handed to the announcing inspector in the phase it asked for, with no
/// verdict yet: a connection that carries no payload stays `unknown`.
public final class AnnouncedEndpoints {
    /// Entries kept at once.
    public static let capacity = 32
    /// Microseconds of capture time an announcement stays valid: a data connection
    /// follows its announcement within seconds.
    public static let lifetime: Int64 = 120_000_000

    struct Entry {
        var listener = IPAddress(hi: 0, lo: 0)
        var peer = IPAddress(hi: 0, lo: 0)
        var expires: Int64 = .min
        var port: UInt16 = 0
        var app: AppProtocol = .unknown
        var owner: UInt8 = 0
        var phase: UInt8 = 0
    }

    struct Pending {
        var slot: Int32
        var port: UInt16
        var listenerIsServer: Bool
        var app: AppProtocol
        var owner: UInt8
        var phase: UInt8
    }

    private let entries: UnsafeMutablePointer<Entry>
    /// The next entry to write (the oldest once the ring is full).
    @exclusivity(unchecked) private var next = 0
    /// Entries written and not yet all expired; false keeps `claim` off.
    public var live: Bool { isLive }
    /// An inspector noted an announcement whose addresses are not yet filled in.
    public var hasPending: Bool { isPending }
    // Read for every packet from another module, through the getters above: an access
    // inlined there would be checked for exclusivity at run time.
    @exclusivity(unchecked) private var isLive = false
    @exclusivity(unchecked) private var isPending = false
    @exclusivity(unchecked) private var pending = Pending(slot: -1, port: 0, listenerIsServer: false, app: .unknown, owner: 0, phase: 0)

    public init() {
        entries = .allocate(capacity: AnnouncedEndpoints.capacity)
        entries.initialize(repeating: Entry(), count: AnnouncedEndpoints.capacity)
    }

    deinit { entries.deallocate() }

    /// Notes that the flow in `slot` announced `port` on its server's host
    /// (`listenerIsServer`) or its client's, for a connection of protocol `app` that
    /// inspector `owner` (an `InspectState.owner` value) follows from phase `phase`.
    func note(slot: Int32, port: UInt16, listenerIsServer: Bool, app: AppProtocol, owner: UInt8, phase: UInt8) {
        guard port != 0, owner != 0 else { return }
        pending = Pending(slot: slot, port: port, listenerIsServer: listenerIsServer, app: app, owner: owner, phase: phase)
        isPending = true
    }

    /// Fills in the pending announcement with its control flow's addresses (the
    /// flow in `slot`, whose client and server are `client` and `server`) at capture
    /// time `now`.
    public func resolve(slot: Int32, client: IPAddress, server: IPAddress, now: Int64) {
        guard hasPending else { return }
        isPending = false
        let p = pending
        guard p.slot == slot else { return }
        entries[next] = Entry(listener: p.listenerIsServer ? server : client, peer: p.listenerIsServer ? client : server,
                              expires: now &+ AnnouncedEndpoints.lifetime, port: p.port, app: p.app, owner: p.owner, phase: p.phase)
        next = (next + 1) % AnnouncedEndpoints.capacity
        isLive = true
    }

    /// Forgets every announcement (the input ended: a next one starts afresh).
    public func clear() {
        for i in 0..<AnnouncedEndpoints.capacity { entries[i] = Entry() }
        next = 0
        isLive = false
        isPending = false
    }

    /// Hands a new TCP connection between `a`:`portA` and `b`:`portB`, created at capture
    /// time `now`, to the inspector that announced it, if one of its endpoints is an
    /// unexpired announced listener and the other end is that announcement's peer host.
    /// Its protocol is set, its verdict left to the inspector's first look at payload.
    public func claim(_ state: inout InspectState, _ a: IPAddress, _ portA: UInt16, _ b: IPAddress, _ portB: UInt16, now: Int64) {
        var unexpired = false
        var found = -1
        for i in 0..<AnnouncedEndpoints.capacity {
            let e = entries[i]
            guard e.expires >= now else { continue }
            unexpired = true
            if found < 0 && ((e.port == portA && e.listener == a && e.peer == b) || (e.port == portB && e.listener == b && e.peer == a)) {
                found = i
            }
        }
        // Every entry expired: no lookups until the next announcement.
        if !unexpired { isLive = false }
        guard found >= 0 else { return }
        state.app = entries[found].app
        state.owner = entries[found].owner
        state.ownerPhase = entries[found].phase
    }
}
