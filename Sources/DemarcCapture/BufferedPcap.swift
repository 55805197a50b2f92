import DemarcBase
#if canImport(Glibc)
import Glibc
#endif

/// A classic pcap file (microsecond or nanosecond, either byte order, version 2.4) read
/// in large windows with pread(2): each record is handed out where it lies in the
/// window, with no second copy into libpcap's buffer and one system call per 8 MB. It
/// delivers a record only when libpcap would deliver the same bytes unchanged: the whole
/// record is in the file and its captured length is within the file's snapshot length
/// (libpcap cuts longer ones, and rejects absurd ones with its own message), and its
/// timestamp is an ordinary one. Any other record, and the end, libpcap reads and judges
/// from the same offset (`PcapSource.next`); the buffered reading resumes after a record
/// libpcap delivered.
///
/// The file is read, not memory-mapped: a capture another program shortens while it is
/// read (logrotate's copytruncate, a size-rotating writer) gives a short read here, where
/// a mapping would kill the process with SIGBUS on the first page past the new end.
/// `size` then shrinks to what the file holds, and `PcapSource` ends the capture as
/// truncated.
@usableFromInline
struct BufferedPcap {
    /// A window holds this much past the record it starts at.
    @usableFromInline static let window = 8 << 20
    /// The longest record a window must hold whole: a header and libpcap's largest snapshot.
    @usableFromInline static let longest = 16 + 262_144
    @usableFromInline let fd: Int32
    /// Where the file ends, as far as reading goes: its size when opened, or less once a
    /// read came up short (the file shrank).
    @usableFromInline var size: Int
    @usableFromInline let swapped: Bool
    @usableFromInline let nanoseconds: Bool
    @usableFromInline let snapshot: UInt32
    @usableFromInline let buffer: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    /// The window: file bytes [start, start + length) at `buffer`.
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
        // A small file needs no more room than itself.
        capacity = min(size - 24, BufferedPcap.window + BufferedPcap.longest)
        buffer = .allocate(byteCount: max(capacity, 16), alignment: 16)
        guard fill(at: 24) else {
            buffer.deallocate()
            close(fd)
            return nil
        }
    }

    /// Reads the window that starts at file offset `at`. A read that comes up short of
    /// the size the file had means the file shrank: `size` becomes where it now ends.
    @usableFromInline
    mutating func fill(at: Int) -> Bool {
        let want = min(size - at, capacity)
        var got = 0
        while got < want {
            let n = pread(fd, buffer + got, want - got, off_t(at + got))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            got += n
        }
        if got < want { size = at + got }
        start = at
        length = got
        return got > 0
    }

    func release() {
        buffer.deallocate()
        close(fd)
    }

    @inline(__always) @usableFromInline
    func u32(_ at: Int) -> UInt32 {
        let v = buffer.loadUnaligned(fromByteOffset: at - start, as: UInt32.self)
        return swapped ? v.byteSwapped : v
    }

    /// Hands the next record to `body` (as PcapSource.next does) and returns true, or
    /// returns false where libpcap must judge (the end included).
    @inlinable
    mutating func next(_ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> Bool {
        guard size - offset >= 16 else { return false }
        if offset + BufferedPcap.longest > start + length && start + length < size {
            guard fill(at: offset), size - offset >= 16 else { return false }
        }
        let sec = u32(offset), frac = u32(offset + 4), caplen = u32(offset + 8), len = u32(offset + 12)
        // Seconds are the format's unsigned 32-bit count (up to 2106); a fraction of a
        // second or more is left to libpcap, as it stands in the file.
        guard caplen <= snapshot, size - offset - 16 >= Int(caplen),
              frac < (nanoseconds ? 1_000_000_000 : 1_000_000) else { return false }
        let ts = Int64(sec) * 1_000_000 + Int64(nanoseconds ? frac / 1000 : frac)
        // As PcapSource.next: never less than captured, never more than Int32.max.
        let wire = max(Int(caplen), min(Int(len), Int(Int32.max)))
        body(UnsafeRawBufferPointer(start: buffer + (offset - start) + 16, count: Int(caplen)), wire, ts)
        offset += 16 + Int(caplen)
        return true
    }
}
