#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered writer to a file descriptor (stdout, or a file opened for `--output`).
/// The buffer is raw memory of fixed size: appending is a copy, and a chunk larger than
/// what is free goes out with what is buffered.
public final class Output {
    private let fd: Int32
    private let ownsFD: Bool
    static let capacity = 1 << 16
    private let base = UnsafeMutablePointer<UInt8>.allocate(capacity: Output.capacity)
    @exclusivity(unchecked) private var count = 0
    public let isTerminal: Bool
    public private(set) var failed: String?

    public init(fd: Int32 = 1) {
        self.fd = fd
        self.ownsFD = false
        self.isTerminal = isatty(fd) == 1
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
    }

    deinit {
        flush()
        if ownsFD { close(fd) }
        base.deallocate()
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        if count + bytes.count > Output.capacity {
            flush()
            if bytes.count > Output.capacity { writeOut(src, bytes.count); return }
        }
        (base + count).update(from: src.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count += bytes.count
        if count >= Output.capacity { flush() }
    }

    public func write(_ s: String) {
        var s = s
        s.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    public func flush() {
        defer { count = 0 }
        guard count > 0 else { return }
        writeOut(base, count)
    }

    /// write(2) until all is out; the first failure is kept and later output dropped.
    private func writeOut(_ p: UnsafeRawPointer, _ n: Int) {
        guard failed == nil else { return }
        var off = 0
        while off < n {
            let w = Glibc.write(fd, p + off, n - off)
            if w < 0 {
                if errno == EINTR { continue }
                failed = String(cString: strerror(errno))
                return
            }
            off += w
        }
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
