import DemarcBase
import DemarcDecode

/// SSH's algorithm negotiation (RFC 4253 §7.1): after the banners each side sends one
/// KEXINIT listing, for each purpose, the algorithms it supports in preference order;
/// each purpose gets the first client algorithm the server also lists. Both KEXINITs are
/// gathered here (bounded), then inspection of the flow ends.
final class SSHKexStreams: FlowSlot {
    struct Direction {
        var buffer: [UInt8] = []
        var nextSeq: UInt32?
        var bannerPassed = false
        /// The KEXINIT's name-lists: kex, host key, cipher and MAC each way.
        var lists: [[Substring]]?
        var done = false
    }
    @exclusivity(unchecked) var toServer = Direction()
    @exclusivity(unchecked) var toClient = Direction()

    /// Bytes gathered per direction before giving up (a KEXINIT is a few kilobytes).
    static let limit = 35_000

    var done: Bool { toServer.done && toClient.done }

    func feed(_ c: inout InspectionContext, _ p: Bytes) {
        if c.fromClient { feed(&toServer, c, p) } else { feed(&toClient, c, p) }
        // Past the table's budget for handshake buffers, the negotiation is given up.
        if !reassembly.charge(toServer.buffer.count + toClient.buffer.count, c) {
            toServer = Direction(done: true)
            toClient = Direction(done: true)
        }
    }

    private func feed(_ dir: inout Direction, _ c: InspectionContext, _ p: Bytes) {
        guard !dir.done else { return }
        var start = 0
        if let next = dir.nextSeq {
            let delta = Int32(bitPattern: c.tcpSeq &- next)
            if delta > 0 { dir.done = true; return }
            start = Int(-delta)
            if start >= p.count { return }
        }
        dir.nextSeq = c.tcpSeq &+ UInt32(p.count)
        var pending = dir.buffer
        dir.buffer = []
        pending.consume(p.slice(start, -1)) { SSHKexStreams.read($0, &dir) }
        dir.buffer = dir.done ? [] : pending
        if dir.buffer.count > SSHKexStreams.limit { dir.done = true; dir.buffer = [] }
    }

    /// Reads the banner line (and any lines before it), then the first binary packet;
    /// returns the bytes used.
    private static func read(_ b: Bytes, _ dir: inout Direction) -> Int {
        var off = 0
        while !dir.bannerPassed {
            guard let nl = b.find(0x0a, from: off, limit: b.count - off) else { return off }
            dir.bannerPassed = b.starts(with: "SSH-", at: off)
            off = nl + 1
        }
        guard let len = b.u32(off) else { return off }
        guard len >= 6, len <= UInt32(limit), let padding = b.u8(off + 4) else { dir.done = true; return off }
        guard b.has(off, 4 + Int(len)) else { return off }
        let payload = b.slice(off + 5, Int(len) - 1 - Int(padding))
        dir.lists = payload.u8(0) == 20 ? kexinit(payload) : nil
        dir.done = true
        return off + 4 + Int(len)
    }

    /// A KEXINIT's first six name-lists (message type, 16-byte cookie, then each list as
    /// a 4-byte length and comma-separated names).
    static func kexinit(_ p: Bytes) -> [[Substring]]? {
        var off = 17
        var lists: [[Substring]] = []
        for _ in 0..<6 {
            guard let n = p.u32(off), n <= 8192, p.has(off + 4, Int(n)) else { return nil }
            lists.append(p.text(off + 4, Int(n)).split(separator: ","))
            off += 4 + Int(n)
        }
        return lists
    }

    /// The negotiated algorithms, once both KEXINITs were read.
    func negotiated() -> Negotiated? {
        guard let client = toServer.lists, let server = toClient.lists else { return nil }
        func pick(_ i: Int) -> String? { client[i].first { server[i].contains($0) }.map(String.init) }
        let kex = pick(0)
        let c2s = pick(2), s2c = pick(3)
        var cipher = c2s
        if let a = c2s, let b = s2c, a != b { cipher = a + "/" + b }
        // An AEAD cipher authenticates with its own tag: the MAC lists are not used.
        let aead = [c2s, s2c].allSatisfy { $0.map(SSHKexStreams.isAEAD) ?? false }
        var mac = aead ? nil : pick(4)
        if !aead, let a = mac, let b = pick(5), a != b { mac = a + "/" + b }
        return Negotiated(keyExchange: kex, postQuantum: kex.map(CryptoNames.isPostQuantumSSH), cipher: cipher,
                          mac: mac, hostKey: pick(1))
    }

    static func isAEAD(_ cipher: String) -> Bool {
        cipher.hasPrefix("chacha20-poly1305") || cipher.contains("-gcm")
    }
}

extension SSHInspector {
    /// Both directions' KEXINIT after the banners.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        let d = c.details()
        let kex = d.slot(SSHKexStreams())
        kex.feed(&c, p)
        if kex.done {
            if let n = kex.negotiated() { d.negotiated(n) }
            d[SSHKexStreams.self] = nil
            c.state.active = false
        }
    }
}
