import CHints

/// Cache hints for data another core wrote, read soon in order: frames a reader handed
/// over, text a worker rendered.
public enum Prefetch {
    /// Asks the CPU to load the cache line at `p` ahead of its use. A hint: it never
    /// faults (any address will do) and changes no result.
    @inlinable @inline(__always)
    public static func line(_ p: UnsafeRawPointer) { demarc_prefetch(p) }
}
