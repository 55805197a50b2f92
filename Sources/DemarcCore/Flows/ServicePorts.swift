/// Ports that identify a service: every port below 1024 and the registered ports of
/// services demarc recognises. Used to orient flows whose opening was not seen.
public enum ServicePorts {
    /// Registered ports above 1023 that name a service.
    public static let registered: [UInt16] = [
        1080, 1194, 1241, 1433, 1434, 1521, 1645, 1646, 1701, 1723, 1812, 1813, 1883, 1900, 2049, 2055,
        2082, 2083, 2123, 2152, 2181, 2375, 2376, 2379, 2380, 2404, 2483, 2484, 3128, 3260, 3268, 3269,
        3306, 3389, 3478, 3479, 3690, 3799, 4222, 4369, 4433, 4500, 4730, 4739, 4789, 4790, 5004, 5005,
        5060, 5061, 5222, 5223, 5228, 5246, 5247, 5349, 5353, 5355, 5432, 5601, 5671, 5672, 5683, 5684,
        5900, 5938, 5984, 6081, 6343, 6379, 6443, 6514, 6633, 6640, 6653, 6660, 6665, 6666, 6667, 6668,
        6669, 6697, 6881, 7000, 7001, 7075, 7077, 7474, 7687, 8000, 8008, 8009, 8080, 8081, 8088, 8333,
        8443, 8444, 8883, 8888, 9000, 9042, 9092, 9093, 9100, 9200, 9300, 9418, 9443, 10050, 10051,
        11211, 19302, 20000, 27017, 27018, 30303, 30490, 50000, 51820,
    ]

    private static let bitmap: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: 1024)
        for p in 0..<1024 { bits[p >> 6] |= 1 << UInt64(p & 63) }
        for p in registered { bits[Int(p) >> 6] |= 1 << UInt64(p & 63) }
        return bits
    }()

    @inlinable
    public static func contains(_ port: UInt16) -> Bool {
        port < 1024 || lookup(port)
    }

    @usableFromInline
    static func lookup(_ port: UInt16) -> Bool {
        bitmap.withUnsafeBufferPointer { $0[Int(port) >> 6] & (1 << UInt64(port & 63)) != 0 }
    }
}
