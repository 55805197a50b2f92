import NIOCore
import NIOPosix
import NIOHTTP1
import DemarcBase

/// Serves `GET /metrics` (Prometheus' text format) on HOST:PORT with SwiftNIO, on one
/// event-loop thread of its own: a scrape never waits on the packet path, nor it on a
/// scrape. Anything else is 404; a method other than GET or HEAD is 405.
public final class MetricsServer: @unchecked Sendable {
    private let listener: HTTPListener

    /// Binds at once: a bad address, an address this host does not have or a port in use
    /// is a DemarcError (exit status 2) before any packet is read.
    public init(address: String, metrics: FleetMetrics) throws {
        let (host, port) = try Self.parse(address)
        listener = try HTTPListener(host: host, port: port, address: address, option: "--metrics") { ScrapeHandler(metrics: metrics) }
    }

    public var boundPort: Int { listener.boundPort }

    public func shutdown() { listener.shutdown() }

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

private final class ScrapeHandler: WholeRequestHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let metrics: FleetMetrics
    var request: HTTPRequestHead?

    init(metrics: FleetMetrics) { self.metrics = metrics }

    func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
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
        HTTPListener.send(context, head, status, type, body)
    }
}

/// HTTP/1.1 on HOST:PORT with SwiftNIO, on one event-loop thread of its own (the
/// metrics server's and the live view's).
final class HTTPListener: @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    /// The port bound (the one the kernel chose when 0 was asked).
    let boundPort: Int
    var loop: any EventLoop { channel.eventLoop }

    /// Binds at once: a bad address, an address this host does not have or a port in use
    /// is a DemarcError (exit status 2) before any packet is read. `handler` makes each
    /// connection's request handler.
    init(host: String, port: Int, address: String, option: String,
         writeBuffer: WriteBufferWaterMark = WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024),
         handler: @escaping @Sendable () -> any ChannelHandler) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: writeBuffer)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(handler()) }
            }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw DemarcError.badInput("\(option) \(address): cannot listen there: \(MetricsServer.describe(error))")
        }
        boundPort = channel.localAddress?.port ?? port
    }

    func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// A whole response: status, type, length and `extra` headers, then the body (none
    /// for HEAD); the connection closes after it unless the request kept it alive.
    static func send(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ type: String,
                     _ body: [UInt8], extra: HTTPHeaders = HTTPHeaders()) {
        var headers = extra
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }
}

/// A handler that answers each request once it has come whole (its body ignored: both
/// servers are read-only).
protocol WholeRequestHandler: ChannelInboundHandler, AnyObject where InboundIn == HTTPServerRequestPart {
    var request: HTTPRequestHead? { get set }
    func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead)
}

extension WholeRequestHandler {
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
}
