import NIOCore
import NIOPosix
import NIOHTTP1
import DemarcBase

/// Serves `GET /metrics` (Prometheus' text format) on HOST:PORT with SwiftNIO, on one
/// event-loop thread of its own: a scrape never waits on the packet path, nor it on a
/// scrape. Anything else is 404; a method other than GET or HEAD is 405.
public final class MetricsServer: @unchecked Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The address bound (the port the kernel chose when 0 was asked).
    public let boundPort: Int

    /// Binds at once: a bad address, an address this host does not have or a port in use
    /// is a DemarcError (exit status 2) before any packet is read.
    public init(address: String, metrics: FleetMetrics) throws {
        let (host, port) = try Self.parse(address)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(ScrapeHandler(metrics: metrics))
                }
            }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw DemarcError.badInput("--metrics \(address): cannot listen there: \(Self.describe(error))")
        }
        boundPort = channel.localAddress?.port ?? port
    }

    public func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// The address as given, with the port actually bound.
    public static func display(_ address: String, port: Int) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        return "\(address[..<colon]):\(port)"
    }

    /// HOST:PORT, with an IPv6 host in brackets (`[::1]:9464`); the port 0 to 65535.
    static func parse(_ address: String, option: String = "--metrics") throws -> (String, Int) {
        let bad = DemarcError.badInput("\(option) \(address): expected HOST:PORT (e.g. 127.0.0.1:9464 or [::]:9464)")
        guard let colon = address.lastIndex(of: ":") else { throw bad }
        var host = String(address[..<colon])
        guard let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else { throw bad }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { throw bad }
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty, !host.contains("["), !host.contains("]"), !host.contains(":") || address.hasPrefix("[") else { throw bad }
        return (host, port)
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? IOError {
            switch e.errnoCode {
            case EADDRINUSE: return "the port is in use"
            case EADDRNOTAVAIL: return "this host has no such address"
            case EACCES: return "permission denied (ports below 1024 need privileges)"
            default: return String(cString: strerror(e.errnoCode))
            }
        }
        if error is SocketAddressError || error is SocketAddressError.UnknownHost { return "no such host" }
        return "\(error)"
    }
}

private final class ScrapeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let metrics: FleetMetrics
    private var request: HTTPRequestHead?

    init(metrics: FleetMetrics) { self.metrics = metrics }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(context, head)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        var status = HTTPResponseStatus.ok
        var body: [UInt8]
        var type = "text/plain; version=0.0.4; charset=utf-8"
        if head.method != .GET && head.method != .HEAD {
            status = .methodNotAllowed
            body = Array("GET /metrics\n".utf8)
            type = "text/plain; charset=utf-8"
        } else if path != "/metrics" {
            status = .notFound
            body = Array("demarc serves /metrics\n".utf8)
            type = "text/plain; charset=utf-8"
        } else {
            body = metrics.exposition()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }
}
