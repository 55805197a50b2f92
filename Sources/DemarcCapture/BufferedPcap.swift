import DemarcBase
#if canImport(Glibc)
import Glibc
#endif

/// A classic pcap file (microsecond or nanosecond, either byte order, version 2.4) read
/// in windows with pread(2): each record is handed out where it lies in the
/// window, with no second copy into libpcap's buffer and one system call per 320 KB. It
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
    /// A window's size: room for the longest record, and small enough that the records
    /// just read into it are still in the core's own cache (L2) when they are parsed.
    /// A window of several MB leaves them in L3 or memory by then, and every record's
    /// header load stalls (about 10 % of a replay's time, docs/performance.md).
    @usableFromInline static let window = max(320 << 10, longest)
    /// The longest record a window must hold whole: a header and libpcap's largest snapshot.
    @usableFromInline static let longest = 16 + 262_144
    @usableFromInline let fd: Int32
    /// Where the file ends, as far as reading goes: its size when opened, or less once a
    /// read came up short (the file shrank).
    @usableFromInline var size: Int
    @usableFromInline let swapped: Bool
    @usableFromInline let nanoseconds: Bool
    @usableFromInline let snapshot: UInt32
    /// The current window's bytes: `own`, or a buffer lent for each window (`lend`).
    @usableFromInline var buffer: UnsafeMutableRawPointer
    @usableFromInline let own: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    /// Replay whose reader hands frames to other threads by reference: gives the buffer
    /// for each window (one that no thread reads any more), or the window another thread
    /// has read ahead.
    @usableFromInline var lender: (any WindowLender)?
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
        capacity = min(size - 24, BufferedPcap.window)
        own = .allocate(byteCount: max(capacity, 16), alignment: 16)
        buffer = own
        guard fill(at: 24) else {
            own.deallocate()
            close(fd)
            return nil
        }
    }

    /// Reads the window that starts at file offset `at`. A read that comes up short of
    /// the size the file had means the file shrank: `size` becomes where it now ends.
    @usableFromInline
    mutating func fill(at: Int) -> Bool {
        let want = min(size - at, capacity)
        if let lender {
            let w = lender.window(at: at, want: want)
            buffer = w.buffer
            if w.got >= 0 {
                // Read ahead from an offset at most `at`, holding at least the 16 bytes there.
                if w.short { size = w.start + w.got }
                start = w.start
                length = w.got
                return true
            }
        }
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

    /// Reads every window from now on into a buffer `lender` gives, starting with the
    /// current one again (nothing from it has been handed out yet).
    mutating func lend(_ lender: any WindowLender) {
        self.lender = lender
        lender.begin(file: fd, size: size, window: capacity)
        _ = fill(at: offset)
    }

    func release() {
        own.deallocate()
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
        if offset + 16 > start + length {
            guard fill(at: offset), size - offset >= 16 else { return false }
        }
        var caplen = u32(offset + 8)
        guard caplen <= snapshot, size - offset - 16 >= Int(caplen) else { return false }
        if offset + 16 + Int(caplen) > start + length {
            // The window holds `longest` bytes at least: the whole record, once it starts
            // there. A window read ahead (`WindowLender`) may start before the record: it
            // then holds at least a window less the overlap from it (more than `longest`),
            // or is read again from the record.
            guard fill(at: offset), size - offset - 16 >= Int(caplen) else { return false }
            caplen = u32(offset + 8)
        }
        let sec = u32(offset), frac = u32(offset + 4), len = u32(offset + 12)
        // Seconds are the format's unsigned 32-bit count (up to 2106); a fraction of a
        // second or more is left to libpcap, as it stands in the file.
        guard frac < (nanoseconds ? 1_000_000_000 : 1_000_000) else { return false }
        let ts = Int64(sec) * 1_000_000 + Int64(nanoseconds ? frac / 1000 : frac)
        // As PcapSource.next: never less than captured, never more than Int32.max.
        let wire = max(Int(caplen), min(Int(len), Int(Int32.max)))
        body(UnsafeRawBufferPointer(start: buffer + (offset - start) + 16, count: Int(caplen)), wire, ts)
        offset += 16 + Int(caplen)
        return true
    }
}

/// Where a classic pcap file read in windows (`PcapSource.lendWindows`) takes each window's
/// buffer: replay's reader, which hands frames to other threads where they lie, and may
/// have another thread read windows ahead of it.
public protocol WindowLender: AnyObject {
    /// A file is read from here on: its descriptor (the lender may read ahead from a
    /// duplicate of it), its size when opened, and the bytes a window holds.
    func begin(file fd: Int32, size: Int, window: Int)
    /// The window of `want` bytes at file offset `at`: a buffer to read it into, or a
    /// window already read that starts at or before `at` and holds the 16 bytes there.
    func window(at: Int, want: Int) -> LentWindow
}

/// A window's buffer (`WindowLender.window`), and what was read into it ahead.
public struct LentWindow {
    public var buffer: UnsafeMutableRawPointer
    /// Read ahead: the file offset the bytes start at and how many there are (-1: not
    /// read), and whether the read came up short of the window (the file shrank).
    public var start: Int
    public var got: Int
    public var short: Bool

    public init(buffer: UnsafeMutableRawPointer, start: Int = 0, got: Int = -1, short: Bool = false) {
        self.buffer = buffer
        self.start = start
        self.got = got
        self.short = short
    }
}
