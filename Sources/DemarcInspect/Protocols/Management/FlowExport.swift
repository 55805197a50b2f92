import DemarcBase
import DemarcDecode
/// Flow exports: NetFlow v5 and v9, IPFIX (RFC 7011) and sFlow v5, the records (or
/// sampled packet headers) of the traffic a router or probe saw, sent to a collector in
/// clear. Recognised by their headers: v5's
/// length is fixed by its record count; v9's and IPFIX's sets, walked to the end of the
/// datagram, must fill it exactly (templates, options, data sets of id 256 and up).
public enum FlowExportInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let version = p.u16(0) else { return .no }
        switch version {
        case 5:
            guard let count = p.u16(2), (1...30).contains(count), p.count == 24 + 48 * Int(count) else { return .no }
            c.identify(.netflow, .cleartext)
            c.details().banner = "NetFlow v5, \(count) records"
        case 9:
            guard p.count >= 24, sets(p, from: 20, templateIDs: 0...1) else { return .no }
            c.identify(.netflow, .cleartext)
            c.details().banner = "NetFlow v9"
        case 10:
            guard let length = p.u16(2), Int(length) == p.count, p.count >= 20, sets(p, from: 16, templateIDs: 2...3) else { return .no }
            c.identify(.ipfix, .cleartext)
            c.details().banner = "IPFIX"
        case 0:
            guard let samples = sflow(p) else { return .no }
            c.identify(.sflow, .cleartext)
            c.details().banner = "sFlow v5, \(samples) samples"
        default:
            return .no
        }
        return .yes
    }

    /// sFlow v5: version 5 (32 bits), the agent's address (IPv4 or IPv6), sub-agent,
    /// sequence number, uptime and sample count, then (format, length) samples that
    /// fill the datagram exactly. Returns the sample count.
    static func sflow(_ p: Bytes) -> Int? {
        guard p.u32(0) == 5, let type = p.u32(4), type == 1 || type == 2 else { return nil }
        var off = 8 + (type == 1 ? 4 : 16) + 12
        guard let count = p.u32(off), count > 0, count <= 256 else { return nil }
        off += 4
        for _ in 0..<count {
            guard let len = p.u32(off + 4), len <= 65_535, off + 8 + Int(len) <= p.count else { return nil }
            off += 8 + Int(len)
        }
        return off == p.count ? Int(count) : nil
    }

    /// Sets (id, length) from `start` that end exactly at the datagram's end; ids are
    /// the version's template and options ids, or data sets (256 and up).
    static func sets(_ p: Bytes, from start: Int, templateIDs: ClosedRange<UInt16>) -> Bool {
        var off = start
        var n = 0
        while off < p.count {
            guard let id = p.u16(off), let len = p.u16(off + 2), len >= 4, templateIDs.contains(id) || id >= 256,
                  off + Int(len) <= p.count, n < 256 else { return false }
            off += Int(len)
            n += 1
        }
        return n > 0 && off == p.count
    }
}
