#if canImport(Glibc)
import Glibc
#endif

/// Opening a FIFO for reading blocks until something opens it for writing. A run given
/// a FIFO with no writer yet says so, once, after a second, instead of waiting silently.
public enum FIFOWait {
    /// How long an open may block before the notice.
    static let noticeAfterMilliseconds: Int32 = 1000

    /// Runs `body` (which opens and reads `path`). If `path` is a FIFO and, a second
    /// later, `body` is still running and this process has no descriptor open on it (its
    /// open is still waiting for a writer), says once on stderr that it is waiting for a
    /// writer on it; `what` names its use ("capture", "scenario").
    public static func watching<T>(_ path: String, what: String, _ body: () throws -> T) rethrows -> T {
        var st = stat()
        guard path != "-", stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFIFO else { return try body() }
        // The watch is a thread that waits a second on a pipe closed when `body` returns.
        var cancel: [Int32] = [-1, -1]
        guard pipe(&cancel) == 0 else { return try body() }
        let watch = UnsafeMutablePointer<Watch>.allocate(capacity: 1)
        watch.initialize(to: Watch(cancel: cancel[0], device: st.st_dev, inode: st.st_ino,
                                   message: "demarc: waiting for a writer on the FIFO \(path) (\(what))\n"))
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { arg in
            let watch = arg!.assumingMemoryBound(to: Watch.self).pointee
            var p = pollfd(fd: watch.cancel, events: Int16(POLLIN), revents: 0)
            var rc: Int32
            repeat { rc = poll(&p, 1, FIFOWait.noticeAfterMilliseconds) } while rc < 0 && errno == EINTR
            if rc == 0 && !FIFOWait.isOpen(device: watch.device, inode: watch.inode) { Console.error(watch.message) }
            return nil
        }, watch) == 0
        defer {
            close(cancel[1])
            if started { pthread_join(thread, nil) }
            close(cancel[0])
            watch.deinitialize(count: 1)
            watch.deallocate()
        }
        return try body()
    }

    private struct Watch {
        var cancel: Int32
        var device: dev_t
        var inode: ino_t
        var message: String
    }

    /// Whether one of this process's descriptors is open on the file (stat follows
    /// /proc/self/fd's links without opening anything).
    static func isOpen(device: dev_t, inode: ino_t) -> Bool {
        guard let dir = opendir("/proc/self/fd") else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            var st = stat()
            if name.first?.isNumber == true, stat("/proc/self/fd/\(name)", &st) == 0, st.st_dev == device, st.st_ino == inode {
                return true
            }
        }
        return false
    }
}
