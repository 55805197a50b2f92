import Crypto

/// What parsing gave for certificates seen recently, keyed by their SHA-256. Real traffic
/// shows the same few server certificates over and over; X.509 parsing (and the
/// distinguished names' text) cost more than all the rest of a TLS flow, so each distinct
/// certificate is parsed once while it stays among the `capacity` most recently added.
/// One per flow table: a worker's own, no lock.
public final class CertificateCache {
    private var entries: [SHA256.Digest: CertificateInfo] = [:]
    /// Insertion order, for evicting the oldest entry once full.
    private var order: [SHA256.Digest] = []
    private var next = 0
    public let capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
        entries.reserveCapacity(self.capacity)
    }

    public var count: Int { entries.count }

    /// The cached info for `digest`, or what `parse` gives (then cached).
    func info(for digest: SHA256.Digest, parse: () -> CertificateInfo) -> CertificateInfo {
        if let hit = entries[digest] { return hit }
        let info = parse()
        if order.count < capacity {
            order.append(digest)
        } else {
            entries[order[next]] = nil
            order[next] = digest
            next = (next + 1) % capacity
        }
        entries[digest] = info
        return info
    }
}
