import DemarcBase
import DemarcDecode
import DemarcInspect
/// Ports that identify a service: every port below 1024 and the registered ports of
/// services demarc recognises. Used to orient flows whose opening was not seen.
public enum ServicePorts {
    /// Registered ports above 1023 that name a service: those of the protocols demarc
    /// recognises (ProtocolRegistry), and of services it does not inspect but whose port
    /// still tells the server from the client: Nessus 1241, Oracle 1521/2483/2484, cPanel
    /// 2082/2083, ZooKeeper 2181, Docker 2375/2376, etcd 2379/2380, IEC 60870-5-104 2404,
    /// Subversion 3690, Erlang's epmd 4369, Google's push service 5228,
    /// Kibana 5601, TeamViewer 5938, CouchDB 5984, Spark 7077, Neo4j 7474/7687, AJP 8009,
    /// 8444, 9000, JetDirect 9100, Elasticsearch's HTTP API 9200, SAP 50000.
    public static let registered: [UInt16] = (ProtocolRegistry.servicePorts + otherServices).sorted()

    static let otherServices: [UInt16] = [
        1241, 1521, 2082, 2083, 2181, 2375, 2376, 2379, 2380, 2404, 2483, 2484, 3690, 4369, 5228, 5601, 5938, 5984, 7077, 7474, 7687, 8009, 8444, 9000, 9100, 9200, 50000
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
