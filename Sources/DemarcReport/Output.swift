import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

nonisolated(unsafe) private var pendingTemporary: UnsafeMutablePointer<CChar>?
nonisolated(unsafe) private var cleanupInstalled = false

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
    /// Atomic output: written to `temporary` beside `destination`, renamed into place
    /// by `commit()`; removed if never committed. For an unnamed file, the start of the
    /// hidden name it is given at commit.
    private var temporary: String?
    private let destination: String?
    /// The report is an unnamed file in the destination's directory (O_TMPFILE), given a
    /// name only by `commit()`: a run killed by any signal, SIGKILL included, leaves
    /// nothing behind.
    private var unnamed = false

    public init(fd: Int32 = 1) {
        self.fd = fd
        self.ownsFD = false
        self.isTerminal = isatty(fd) == 1
        self.destination = nil
    }

    /// Opens a file for the report. A regular file (or a new one) is written beside
    /// itself and renamed into place by `commit()`, so a failed run never leaves half a
    /// report over a good one; `streaming` writes it in place instead, as do devices
    /// and FIFOs (`/dev/null`, a pipe).
    public init(path: String, streaming: Bool = false) throws {
        var st = stat()
        var target = path
        let exists = stat(path, &st) == 0
        if exists, let real = realpath(path, nil) {
            target = String(cString: real)
            free(real)
        }
        let cannot = { (what: String) in DemarcError.badInput("cannot write \(path): \(what)") }
        if exists && (st.st_mode & S_IFMT) == S_IFDIR { throw cannot("it is a directory") }
        if streaming || (exists && (st.st_mode & S_IFMT) != S_IFREG) {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw cannot(String(cString: strerror(errno))) }
            self.fd = fd
            self.destination = nil
        } else {
            let slash = target.lastIndex(of: "/")
            let dir = slash.map { String(target[..<$0]) } ?? "."
            let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
            let hidden = "\(dir.isEmpty ? "/" : dir)/.\(name).demarc-"
            let fd: Int32
            // An unnamed file where the filesystem makes one and /proc can name it at the
            // end; else a hidden one, removed on an error or a catchable signal.
            let anonymous = access("/proc/self/fd", X_OK) == 0 ? open(dir.isEmpty ? "/" : dir, Output.tmpfile | O_WRONLY, 0o600) : -1
            if anonymous >= 0 {
                fd = anonymous
                self.temporary = hidden
                self.unnamed = true
            } else {
                var template = Array("\(hidden)XXXXXX".utf8CString)
                fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
                guard fd >= 0 else { throw cannot(String(cString: strerror(errno))) }
                self.temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                Output.removeOnSignal(self.temporary!)
            }
            // Made 0600: give it the mode the report itself would have.
            let mask = umask(0)
            umask(mask)
            fchmod(fd, exists ? st.st_mode & 0o7777 : 0o666 & ~mask)
            self.fd = fd
            self.destination = target
        }
        self.ownsFD = true
        self.isTerminal = false
    }

    /// Refuses a report path that is one of the inputs under any name (the same device
    /// and inode): writing it would destroy the capture or scenario being read.
    public static func refuseOverwriting(_ path: String, inputs: [String]) throws {
        guard let out = FileIdentity(path: path) else { return }
        for input in inputs where FileIdentity(path: input) == out {
            throw DemarcError.badInput("--output \(path) is the input \(input == "-" ? "on standard input" : input); refusing to overwrite it")
        }
    }

    /// Flushes, and moves an atomic report into place. Throws (exit 3) if any write
    /// failed; the previous file, if any, is then left as it was.
    public func commit() throws {
        flush()
        if let failed {
            discard()
            throw DemarcError.internal("writing the report failed: \(failed)")
        }
        guard temporary != nil, let destination else { return }
        if fsync(fd) != 0 || (unnamed && !name()) || rename(temporary!, destination) != 0 {
            let why = String(cString: strerror(errno))
            discard()
            throw DemarcError.internal("writing the report to \(destination) failed: \(why)")
        }
        temporary = nil
        Output.removeOnSignal(nil)
    }

    /// O_TMPFILE: `__O_TMPFILE | O_DIRECTORY` (the C macro is not imported).
    static let tmpfile: Int32 = 0o20000000 | O_DIRECTORY

    /// Gives the unnamed report a hidden name beside its destination (for the rename
    /// into place): the prefix in `temporary` and a random suffix.
    private func name() -> Bool {
        guard let prefix = temporary else { return false }
        for _ in 0..<16 {
            let path = prefix + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            Output.removeOnSignal(path)
            if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 {
                temporary = path
                unnamed = false
                return true
            }
            Output.removeOnSignal(nil)
            if errno != EEXIST { return false }
        }
        return false
    }

    private func discard() {
        if let temporary, !unnamed { unlink(temporary) }
        temporary = nil
        Output.removeOnSignal(nil)
    }

    /// A run interrupted before its report is complete (SIGINT, SIGTERM, SIGHUP, or an
    /// exit on an error) removes the temporary file instead of leaving it beside the
    /// destination. One report is open at a time.
    private static func removeOnSignal(_ path: String?) {
        if let old = pendingTemporary { free(old) }
        pendingTemporary = path.flatMap { strdup($0) }
        guard path != nil, !cleanupInstalled else { return }
        cleanupInstalled = true
        atexit { if let p = pendingTemporary { unlink(p) } }
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // Only where nobody else handles the signal (monitor does, and commits).
            let old = signal(sig) { sig in
                if let p = pendingTemporary { unlink(p) }
                signal(sig, SIG_DFL)
                raise(sig)
            }
            if unsafeBitCast(old, to: Int.self) != unsafeBitCast(SIG_DFL, to: Int.self) { signal(sig, old) }
        }
    }

    deinit {
        if temporary != nil { discard() } else { flush() }
        if ownsFD { close(fd) }
        base.deallocate()
        pieces.deallocate()
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

    /// Writes `bytes` where they lie, not copied: they must stay as they are until the
    /// next `flush` (or a write that fills the buffer). The buffered bytes and these go
    /// out in order with one writev(2) per `Output.pieces` pieces, so text another thread
    /// wrote is handed to the kernel without this thread reading it. Short runs are copied.
    public func writeInPlace(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count >= Output.inPlaceFrom else { write(bytes); return }
        stage()
        pieces[pieceCount] = iovec(iov_base: UnsafeMutableRawPointer(mutating: src), iov_len: bytes.count)
        pieceCount += 1
        if pieceCount >= Output.pieces - 1 { flush() }
    }

    /// The most pieces one writev(2) takes here (IOV_MAX is 1024), and the shortest run
    /// `writeInPlace` does not copy.
    static let pieces = 512
    static let inPlaceFrom = 256
    private let pieces = UnsafeMutablePointer<iovec>.allocate(capacity: Output.pieces)
    @exclusivity(unchecked) private var pieceCount = 0
    /// The buffered bytes before this offset are in `pieces` already.
    @exclusivity(unchecked) private var staged = 0

    /// The buffered bytes not yet in `pieces` become the next piece.
    @inline(__always)
    private func stage() {
        guard count > staged else { return }
        pieces[pieceCount] = iovec(iov_base: UnsafeMutableRawPointer(base + staged), iov_len: count - staged)
        pieceCount += 1
        staged = count
    }

    public func write(_ s: String) {
        var s = s
        s.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    public func flush() {
        defer { count = 0 }
        if pieceCount > 0 {
            stage()
            writeOut(pieces, pieceCount)
            pieceCount = 0
            staged = 0
            return
        }
        guard count > 0 else { return }
        writeOut(base, count)
    }

    /// writev(2) until every piece is out; the first failure is kept and later output
    /// dropped.
    private func writeOut(_ iov: UnsafeMutablePointer<iovec>, _ n: Int) {
        guard failed == nil else { return }
        var first = 0
        while first < n {
            let w = writev(fd, iov + first, Int32(n - first))
            if w < 0 {
                if errno == EINTR { continue }
                failed = String(cString: strerror(errno))
                return
            }
            var left = w
            while first < n && left >= iov[first].iov_len {
                left -= iov[first].iov_len
                first += 1
            }
            if left > 0 {
                iov[first].iov_base += left
                iov[first].iov_len -= left
            }
        }
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
