import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// What parsing gave for certificates seen recently. Real traffic shows the same few
/// server certificates over and over; X.509 parsing (and the distinguished names' text)
/// cost more than all the rest of a TLS flow, and even the SHA-256 the report shows costs
/// more than the rest of the certificate's way through. So each distinct certificate is
/// hashed and parsed once while it stays among the `capacity` most recently added; a
/// certificate seen again is found by Swift's seeded hash of its bytes (SipHash, which a
/// crafted capture cannot aim collisions at) and confirmed byte for byte. The bytes held
/// are bounded (8 MB by default) as well as the number of certificates.
/// One per flow table: a worker's own, no lock.
public final class CertificateCache {
    private struct Entry {
        var der: [UInt8]
        var info: CertificateInfo
    }
    private var entries: [Int: Entry] = [:]
    /// Keys in insertion order from `head` on, for evicting the oldest first.
    private var order: [Int] = []
    private var head = 0
    /// Certificate bytes held, at most `byteBudget`.
    private var heldBytes = 0
    public let capacity: Int
    public let byteBudget: Int
    /// Longer certificates (rare) are parsed each time rather than held.
    static let longestHeld = 16_384

    public init(capacity: Int = 4096, byteBudget: Int = 8 << 20) {
        self.capacity = max(1, capacity)
        self.byteBudget = max(CertificateCache.longestHeld, byteBudget)
        entries.reserveCapacity(self.capacity)
    }

    public var count: Int { entries.count }

    /// The cached info for the certificate `der`, or what `parse` gives (then cached).
    func info(for der: UnsafeRawBufferPointer, parse: () -> CertificateInfo) -> CertificateInfo {
        var hasher = Hasher()
        hasher.combine(bytes: der)
        let key = hasher.finalize()
        if let hit = entries[key] {
            let same = hit.der.count == der.count && hit.der.withUnsafeBytes { memcmp($0.baseAddress!, der.baseAddress!, der.count) == 0 }
            if same { return hit.info }
            // Another certificate with the same 64-bit hash: parsed, not held.
            return parse()
        }
        let info = parse()
        guard der.count <= CertificateCache.longestHeld else { return info }
        // The oldest go until there is room, by count and by bytes.
        while entries.count >= capacity || heldBytes + der.count > byteBudget, head < order.count {
            if let gone = entries.removeValue(forKey: order[head]) { heldBytes -= gone.der.count }
            head += 1
        }
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        order.append(key)
        entries[key] = Entry(der: Array(der), info: info)
        heldBytes += der.count
        return info
    }
}
