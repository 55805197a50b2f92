import DemarcBase
#if canImport(Glibc)
import Glibc
#endif

/// A classic pcap file (microsecond or nanosecond, either byte order, version 2.4) read
/// from a memory map: each record is handed out where it lies, with no read(2) copy into
/// stdio's buffer and no second copy into libpcap's, so several workers can read one
/// file at the cost of reading it once. It delivers a record only when libpcap would
/// deliver the same bytes unchanged: the whole record is in the file and its captured
/// length is within the file's snapshot length (libpcap cuts longer ones, and rejects
/// absurd ones with its own message), and its timestamp is an ordinary one. Any other
/// record, and the end, libpcap reads and judges from the same offset
/// (`PcapSource.next`); the mapped reading resumes after a record libpcap delivered.
/// A file cut short by another program while it is read is a risk of any mapping
/// (SIGBUS); captures are read as they were when opened.
@usableFromInline
struct MappedPcap {
    /// The file is mapped 8 MB at a time, populated in one go (no page fault per
    /// page) and unmapped once read, so the process's memory does not grow with the file.
    @usableFromInline static let window = 8 << 20
    /// The longest record a window must hold whole: a header and libpcap's largest snapshot.
    @usableFromInline static let longest = 16 + 262_144
    @usableFromInline let fd: Int32
    @usableFromInline let size: Int
    @usableFromInline let swapped: Bool
    @usableFromInline let nanoseconds: Bool
    @usableFromInline let snapshot: UInt32
    /// The mapped window: file bytes [start, start + length).
    @usableFromInline var base: UnsafeRawPointer
    @usableFromInline var start = 0
    @usableFromInline var length = 0
    /// Where the next record header starts, in the file.
    @usableFromInline var offset = 24

    init?(path: String, size: Int, snapshot: Int32) {
        guard size >= 24, snapshot > 0 else { return nil }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        var head = [UInt8](repeating: 0, count: 24)
        guard pread(fd, &head, 24, 0) == 24 else { close(fd); return nil }
        let u32 = { (at: Int) in UInt32(head[at]) | UInt32(head[at + 1]) << 8 | UInt32(head[at + 2]) << 16 | UInt32(head[at + 3]) << 24 }
        let u16 = { (at: Int) in UInt16(head[at]) | UInt16(head[at + 1]) << 8 }
        switch u32(0) {
        case 0xa1b2_c3d4: swapped = false; nanoseconds = false
        case 0xd4c3_b2a1: swapped = true; nanoseconds = false
        case 0xa1b2_3c4d: swapped = false; nanoseconds = true
        case 0x4d3c_b2a1: swapped = true; nanoseconds = true
        default:
            close(fd)
            return nil
        }
        let major = swapped ? u16(4).byteSwapped : u16(4), minor = swapped ? u16(6).byteSwapped : u16(6)
        let fileSnap = swapped ? u32(16).byteSwapped : u32(16)
        // Only what libpcap reads as it stands: version 2.4, and the snapshot length it
        // kept (it replaces a zero or oversized one, and then cuts records to its own).
        guard major == 2, minor == 4, fileSnap == UInt32(snapshot) else {
            close(fd)
            return nil
        }
        self.fd = fd
        self.size = size
        self.snapshot = fileSnap
        self.base = UnsafeRawPointer(bitPattern: 1)!
        guard map(at: 24) else {
            close(fd)
            return nil
        }
    }

    /// Maps the window holding file offset `at` (from the page it lies in).
    @usableFromInline
    mutating func map(at: Int) -> Bool {
        if length > 0 { munmap(UnsafeMutableRawPointer(mutating: base), length) }
        length = 0
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let from = at / page * page
        let count = min(size - from, MappedPcap.window + MappedPcap.longest)
        guard count > 0, let p = mmap(nil, count, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, off_t(from)), p != MAP_FAILED else {
            return false
        }
        base = UnsafeRawPointer(p)
        start = from
        length = count
        return true
    }

    func unmap() {
        if length > 0 { munmap(UnsafeMutableRawPointer(mutating: base), length) }
        close(fd)
    }

    @inline(__always) @usableFromInline
    func u32(_ at: Int) -> UInt32 {
        let v = base.loadUnaligned(fromByteOffset: at - start, as: UInt32.self)
        return swapped ? v.byteSwapped : v
    }

    /// Hands the next record to `body` (as PcapSource.next does) and returns true, or
    /// returns false where libpcap must judge (the end included).
    @inlinable
    mutating func next(_ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> Bool {
        guard size - offset >= 16 else { return false }
        if offset + MappedPcap.longest > start + length && start + length < size {
            guard map(at: offset) else { return false }
        }
        let sec = u32(offset), frac = u32(offset + 4), caplen = u32(offset + 8), len = u32(offset + 12)
        // Timestamps libpcap reads as they stand: seconds that fit a signed 32-bit count
        // (later ones it may wrap) and a fraction below one second (it corrects others).
        guard caplen <= snapshot, size - offset - 16 >= Int(caplen), sec < 0x8000_0000,
              frac < (nanoseconds ? 1_000_000_000 : 1_000_000) else { return false }
        let ts = Int64(sec) * 1_000_000 + Int64(nanoseconds ? frac / 1000 : frac)
        // As PcapSource.next: never less than captured, never more than Int32.max.
        let wire = max(Int(caplen), min(Int(len), Int(Int32.max)))
        body(UnsafeRawBufferPointer(start: base + (offset - start) + 16, count: Int(caplen)), wire, ts)
        offset += 16 + Int(caplen)
        return true
    }
}
