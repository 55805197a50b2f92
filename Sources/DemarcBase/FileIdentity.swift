#if canImport(Glibc)
import Glibc
#endif

/// A file's device and inode: the same file under any path.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    package init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// The file at `path` (following links), or nil if there is none.
    public init?(path: String) {
        var st = stat()
        guard (path == "-" ? fstat(0, &st) : stat(path, &st)) == 0 else { return nil }
        self.init(st)
    }
}

