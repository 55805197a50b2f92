import DemarcBase
import DemarcReport
#if canImport(Glibc)
import Glibc
#endif

/// What a gateway adds to a run: `--sensor` in every record, `--ipfix` export beside the
/// report.
public struct GatewayOptions {
    /// `--sensor NAME`; nil leaves every output as without it.
    public var sensor: String?
    /// `--ipfix HOST:PORT`: the collector's socket, opened when the options are read.
    public var ipfix: UDPSender?
    /// `--ipfix-pen`: the enterprise number of demarc's own IPFIX elements.
    public var ipfixPEN: UInt32 = IPFIX.documentationPEN
    /// `--ipfix-domain`: the observation domain id of every IPFIX message.
    public var ipfixDomain: UInt32 = 0
    public init() {}
}

extension RunOptions {
    /// The report's writer for this run: the format's, with IPFIX export beside it and the
    /// sensor named in both when given.
    func makeWriter(output: Output, options ro: ReportOptions) -> ReportWriter {
        var writer = format.makeWriter(output: output, options: ro)
        if let socket = gateway.ipfix {
            let ipfix = IPFIXWriter(template: IPFIXTemplate(pen: gateway.ipfixPEN, sensor: gateway.sensor != nil),
                                    domain: gateway.ipfixDomain, live: ro.live, send: socket.send)
            writer = FanOutWriter([writer, ipfix])
        }
        if let s = gateway.sensor { writer = SensorWriter(writer, name: s) }
        return writer
    }
}

/// A connected UDP socket to HOST:PORT (an IPv6 host in brackets). A datagram that cannot
/// be sent (no collector listening yet, a full buffer) is counted and dropped: export
/// never stops the analysis.
public final class UDPSender: @unchecked Sendable {
    private let fd: Int32
    public let address: String
    public private(set) var failed: UInt64 = 0
    public private(set) var sent: UInt64 = 0

    public init(address: String) throws {
        self.address = address
        let bad = DemarcError.badInput("--ipfix takes HOST:PORT (an IPv6 host in brackets), not '\(address)'")
        guard let colon = address.lastIndex(of: ":") else { throw bad }
        var host = String(address[..<colon])
        let port = String(address[address.index(after: colon)...])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let p = UInt16(port), p > 0 else { throw bad }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, port, &hints, &list)
        guard rc == 0, let first = list else {
            throw DemarcError.badInput("--ipfix: cannot resolve '\(host)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var fd: Int32 = -1
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let a = cursor {
            fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd >= 0 && connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { break }
            if fd >= 0 { close(fd); fd = -1 }
            cursor = a.pointee.ai_next
        }
        guard fd >= 0 else { throw DemarcError.badInput("--ipfix: cannot open a UDP socket to \(address): \(String(cString: strerror(errno)))") }
        // A replay sends its messages in a burst: a large send buffer keeps them.
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    public func send(_ datagram: [UInt8]) {
        let n = datagram.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        if n == datagram.count { sent += 1 } else { failed += 1 }
    }
}
