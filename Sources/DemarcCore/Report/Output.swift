#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered writer to a file descriptor (stdout, or a file opened for `--output`).
public final class Output {
    private let fd: Int32
    private let ownsFD: Bool
    private var buffer: [UInt8] = []
    public let isTerminal: Bool
    public private(set) var failed: String?

    public init(fd: Int32 = 1) {
        self.fd = fd
        self.ownsFD = false
        self.isTerminal = isatty(fd) == 1
        buffer.reserveCapacity(1 << 16)
    }

    /// Opens (creating or truncating) a file for writing.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw DemarcError.badInput("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.ownsFD = true
        self.isTerminal = false
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        flush()
        if ownsFD { close(fd) }
    }

    public func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty, failed == nil else { buffer.removeAll(keepingCapacity: true); return }
        buffer.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = String(cString: strerror(errno))
                    return
                }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Errors with the exit status REPORT.md gives them.
public enum DemarcError: Error, CustomStringConvertible {
    /// Usage, unreadable or corrupt input, invalid scenario: exit 2.
    case badInput(String)
    /// A bug or an environment failure: exit 3.
    case `internal`(String)

    public var description: String {
        switch self {
        case .badInput(let m), .internal(let m): return m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .badInput: return 2
        case .internal: return 3
        }
    }
}
