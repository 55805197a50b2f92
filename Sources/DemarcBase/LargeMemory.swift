#if canImport(Glibc)
import Glibc
#endif

/// Memory for the tables that grow with the number of live flows (hundreds of MB on a
/// busy capture), taken from the kernel directly rather than from malloc:
/// - `reserve` takes address space only: pages are committed as they are first touched,
///   so a table reserved for its largest size grows in place and is never copied (each
///   doubling used to copy the whole table into fresh pages);
/// - it asks for transparent huge pages (`MADV_HUGEPAGE`, which the kernel may decline):
///   a 2 MB page instead of 512 small ones is one page fault instead of 512, and far fewer
///   TLB misses on the random accesses a hash table makes.
/// Where the kernel refuses (an address-space limit, strict overcommit), `reserve` returns
/// nil and the caller grows by copying as before.
public enum LargeMemory {
    /// Below this, malloc is as good.
    public static let threshold = 2 << 20

    /// Address space for `bytes`, zero-filled and committed page by page as it is
    /// touched; nil if the kernel refuses it.
    public static func reserve(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes > 0, let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              p != MAP_FAILED else { return nil }
        _ = madvise(p, bytes, MADV_HUGEPAGE)
        return p
    }

    /// Gives back what `reserve(bytes)` gave.
    public static func release(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
        munmap(p, bytes)
    }
}
