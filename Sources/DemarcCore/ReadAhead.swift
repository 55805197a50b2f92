import DemarcBase
#if canImport(Glibc)
import Glibc
#endif

/// Windows of the capture the dispatching reader will parse next, read by whichever
/// thread is idle: a receiving shard with no batch to take reads the next one (pread(2)
/// from its own duplicate of the file's descriptor) instead of sleeping. The reader reads
/// a window itself where no one has.
///
/// The reader alone copies the file in otherwise, a third of its time in reading: where
/// the capture's packets are long (much to copy, little to analyse per byte), the reader
/// is the slower of two threads and the receiver waits for it; elsewhere the receiver is
/// the busier one and leaves the reading to the reader.
///
/// Windows ahead lie at fixed offsets, each starting `overlap` bytes before the one
/// before it ends (the reader's window ends where a record no longer fits, and that
/// record then starts in the next one ahead unless it is longer than the overlap), so no
/// record boundary needs to be known to read ahead. A window ahead serves the reader as
/// it is where it holds the record header the reader asks for; otherwise the reader reads
/// it again from that header, as it would have without reading ahead: the bytes handed
/// out are the file's bytes either way.
final class ReadAhead: @unchecked Sendable {
    /// A window granted to be read ahead: its number (see `Dispatcher.window(at:want:)`), its
    /// buffer, and the file bytes [start, start + want) it is to hold.
    struct Window {
        let number: Int
        let buffer: UnsafeMutableRawPointer
        let start: Int
        let want: Int
        /// Bytes read (-1: not yet), and whether a thread is reading it now.
        var got = -1
        var reading = false
    }

    /// Bytes a window ahead starts before the end of the one before it: the longest record
    /// that can cross a window's end and still be read from the window ahead.
    static let overlap = 4096
    /// Windows granted ahead at most.
    static let depth = getenv("DEMARC_RA_DEPTH").map { Int(atoi($0)) } ?? 8

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let readDone = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [Window] = []
    /// A duplicate of the descriptor of the file being read (-1: none), read ahead from.
    private var fd: Int32 = -1

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(readDone, nil)
        queue.reserveCapacity(ReadAhead.depth)
    }

    deinit {
        if fd >= 0 { close(fd) }
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(readDone)
        mutex.deallocate()
        readDone.deallocate()
    }

    /// The reader: a new file from here on (a duplicate of `file` is read from); every
    /// window ahead of the last one is dropped. -1: no file (the end of input).
    func begin(file: Int32) {
        pthread_mutex_lock(mutex)
        dropAll()
        if fd >= 0 { close(fd) }
        fd = file >= 0 ? dup(file) : -1
        pthread_mutex_unlock(mutex)
    }

    /// The reader: windows granted and not yet taken or dropped.
    var count: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return fd >= 0 ? queue.count : ReadAhead.depth
    }

    /// The reader: a window to read ahead, after those granted before.
    func grant(_ w: Window) {
        pthread_mutex_lock(mutex)
        queue.append(w)
        pthread_mutex_unlock(mutex)
    }

    /// The reader: the next window ahead, for the record header at file offset `at`
    /// (nil if none is granted). It is read here if no thread has begun it, and waited for
    /// if one has; if it does not hold the 16 bytes at `at` (a record longer than the
    /// overlap crossed the last window's end, or the reader skipped ahead), its buffer is
    /// read again from `at` (`want` bytes), as the reader would have read it itself.
    /// Returns the window and whether its read came up short of what was asked.
    func take(at: Int, want: Int) -> (window: Window, short: Bool)? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !queue.isEmpty else { return nil }
        while queue[0].reading { pthread_cond_wait(readDone, mutex) }
        var w = queue.removeFirst()
        if w.got < 0 || !(w.start <= at && at + 16 <= w.start + w.got) {
            if !(w.got < 0 && w.start <= at && at + 16 <= w.start + w.want) {
                w = Window(number: w.number, buffer: w.buffer, start: at, want: want)
            }
            let fd = self.fd
            // Removed from the queue, so no other thread reads it.
            pthread_mutex_unlock(mutex)
            w.got = ReadAhead.read(fd, w)
            pthread_mutex_lock(mutex)
            if w.start != at && at + 16 > w.start + w.got {
                w = Window(number: w.number, buffer: w.buffer, start: at, want: want)
                pthread_mutex_unlock(mutex)
                w.got = ReadAhead.read(fd, w)
                pthread_mutex_lock(mutex)
            }
        }
        return (w, w.got < w.want)
    }

    /// An idle thread: reads the first window no thread has begun, after the reader's
    /// next (the reader would wait for it); false if there is none.
    func help() -> Bool {
        pthread_mutex_lock(mutex)
        guard fd >= 0, let i = queue.indices.dropFirst().first(where: { queue[$0].got < 0 && !queue[$0].reading }) else {
            pthread_mutex_unlock(mutex)
            return false
        }
        queue[i].reading = true
        let w = queue[i], fd = self.fd
        pthread_mutex_unlock(mutex)
        let got = ReadAhead.read(fd, w)
        pthread_mutex_lock(mutex)
        // Only the reader removes windows, and never one being read.
        let j = queue.firstIndex { $0.number == w.number }!
        queue[j].got = got
        queue[j].reading = false
        pthread_cond_broadcast(readDone)
        pthread_mutex_unlock(mutex)
        return true
    }

    /// Drops every window ahead, once no thread reads one. Called holding the lock.
    private func dropAll() {
        while queue.contains(where: \.reading) { pthread_cond_wait(readDone, mutex) }
        queue.removeAll(keepingCapacity: true)
    }

    /// Reads window `w` from `fd`: the bytes read (fewer than asked where the file ends
    /// sooner).
    private static func read(_ fd: Int32, _ w: Window) -> Int {
        var got = 0
        while got < w.want {
            let n = pread(fd, w.buffer + got, w.want - got, off_t(w.start + got))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            got += n
        }
        return got
    }
}
