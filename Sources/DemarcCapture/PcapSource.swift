import DemarcBase
import DemarcDecode
import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// What one read from a capture produced.
public enum ReadStatus: Equatable {
    case packet
    /// Live capture only: the read timed out with nothing to deliver.
    case timeout
    case end
    /// The file stops in the middle of a packet.
    case truncated(String)
    /// Reading failed; what was read before stands.
    case failed(String)
}

/// Records a source skipped: their count and original lengths.
public struct SkippedRecords: Equatable, Sendable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public init() {}
}

/// A libpcap handle: a pcap or pcapng file, or a live interface. Packets are handed out
/// as borrowed buffers, valid until the next read; nothing is copied.
public final class PcapSource {
    @usableFromInline let handle: OpaquePointer
    public let name: String
    public let isLive: Bool
    public let linkType: Int32
    /// The file's size, for progress; nil for interfaces.
    public let fileSize: Int64?
    static let fileBufferSize = 1 << 20
    /// The stdio buffer of a file capture (glibc ignores setvbuf's size unless it is
    /// given the buffer itself); freed after libpcap closes the FILE.
    private let fileBuffer: UnsafeMutablePointer<CChar>?

    /// A pipe, FIFO or standard input: read once, never reopened.
    public let isStream: Bool

    /// Opens a capture file (pcap or pcapng) with microsecond timestamps; `-` is
    /// standard input, and a FIFO or /dev/fd/N is read as the stream it is.
    public init(file path: String) throws {
        var st = stat()
        let isStdin = path == "-"
        guard (isStdin ? fstat(0, &st) : stat(path, &st)) == 0 else {
            throw DemarcError.badInput("\(path): \(String(cString: strerror(errno)))")
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFIFO || type == S_IFCHR || type == S_IFSOCK else {
            throw DemarcError.badInput("\(path): \(type == S_IFDIR ? "is a directory, not a capture" : "not a regular file")")
        }
        var err = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        // Our own FILE with a large buffer: libpcap reads each packet with two small
        // freads, and stdio's default 4 KB buffer would make that one read(2) per 4 KB
        // (a third of a replay's time went to those system calls).
        // A FIFO's open waits for a writer: with a notice if none comes within a second.
        guard let file = isStdin ? fdopen(dup(0), "rb") : FIFOWait.watching(path, what: "capture", { fopen(path, "rb") }) else {
            throw DemarcError.badInput("\(path): \(String(cString: strerror(errno)))")
        }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: PcapSource.fileBufferSize)
        setvbuf(file, buffer, _IOFBF, PcapSource.fileBufferSize)
        // Only the reading thread touches this FILE: spare each fread its lock.
        __fsetlocking(file, Int32(FSETLOCKING_BYCALLER))
        guard let h = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_MICRO), &err) else {
            fclose(file)
            buffer.deallocate()
            let why = cText(err)
            throw DemarcError.badInput("\(path): not a readable pcap or pcapng capture (\(why.isEmpty ? "empty" : why))")
        }
        handle = h
        fileBuffer = buffer
        name = path
        isLive = false
        isStream = type != S_IFREG || isStdin
        linkType = pcap_datalink(h)
        // libpcap reports a pcapng section's version (1.x) and a classic file's (2.4).
        classicFile = pcap_major_version(h) == 2
        fileSize = type == S_IFREG && !isStdin ? Int64(st.st_size) : nil
        identity = FileIdentity(st)
        if type == S_IFREG && !isStdin { buffered = BufferedPcap(path: path, size: Int(st.st_size), snapshot: pcap_snapshot(h)) }
    }

    /// A classic pcap file read in large windows (see BufferedPcap); nil where libpcap
    /// reads (pcapng, streams, a filter, or once a record needs libpcap's judgement).
    /// Read for every packet from the one thread that reads the source: no dynamic
    /// exclusivity check.
    @usableFromInline @exclusivity(unchecked) var buffered: BufferedPcap?

    /// The file's device and inode (nil for an interface).
    public let identity: FileIdentity?

    /// A classic pcap file (not pcapng, not an interface): its records' seconds are an
    /// unsigned 32-bit count (0xffffffff is 2106), which libpcap hands out sign-extended.
    @usableFromInline let classicFile: Bool

    /// Records whose time is corrupt (outside what `Timestamps.micros` accepts): not
    /// handed out, counted here for the input's `undecoded`.
    public var badTimestamps: SkippedRecords { skippedTimestamps }
    @usableFromInline var skippedTimestamps = SkippedRecords()

    /// Opens a live interface. Errors name the interfaces that exist, or the capability
    /// that is missing.
    public init(interface: String, snaplen: Int32, promiscuous: Bool, bufferMB: Int32 = 64) throws {
        var err = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(interface, &err) else {
            throw DemarcError.badInput("\(interface): \(cText(err))")
        }
        pcap_set_snaplen(h, snaplen)
        pcap_set_promisc(h, promiscuous ? 1 : 0)
        pcap_set_timeout(h, 100)
        // libpcap takes the kernel buffer's size as an int: 2048 MiB and more is its
        // largest, 2 GiB less a byte.
        pcap_set_buffer_size(h, Int32(clamping: Int(bufferMB) << 20))
        pcap_set_tstamp_precision(h, Int32(PCAP_TSTAMP_PRECISION_MICRO))
        let rc = pcap_activate(h)
        if rc < 0 {
            let detail = String(cString: pcap_geterr(h))
            pcap_close(h)
            switch rc {
            case PCAP_ERROR_NO_SUCH_DEVICE:
                throw DemarcError.badInput("no such interface: \(interface). Interfaces: \(PcapSource.interfaceNames().joined(separator: ", "))")
            case PCAP_ERROR_PERM_DENIED:
                throw DemarcError.badInput("not permitted to capture on \(interface) (\(detail)): run as root or grant CAP_NET_RAW and CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin=eip $(which demarc))")
            default:
                throw DemarcError.badInput("cannot capture on \(interface): \(detail)")
            }
        }
        // Non-blocking, so the capture loop can wake on a deadline or a signal even
        // when no packet arrives (see waitReadable).
        pcap_setnonblock(h, 1, &err)
        handle = h
        fileBuffer = nil
        name = interface
        isLive = true
        isStream = true
        identity = nil
        classicFile = false
        linkType = pcap_datalink(h)
        fileSize = nil
    }

    deinit {
        pcap_close(handle)
        fileBuffer?.deallocate()
        buffered?.release()
    }

    /// libpcap's name for the link type ("EN10MB", "LINUX_SLL"…).
    public var linkTypeName: String {
        if let n = pcap_datalink_val_to_name(linkType) { return String(cString: n) }
        return "DLT_\(linkType)"
    }

    /// Compiles and installs a BPF filter.
    public func setFilter(_ expression: String) throws {
        var prog = try compile(expression)
        defer { pcap_freecode(&prog) }
        try install(&prog, expression)
    }

    /// The capture's snapshot length (a compiled filter depends on it and the link type).
    public var snapshot: Int32 { pcap_snapshot(handle) }

    /// Installs a filter that `compile` made for the same link type and snapshot length.
    func install(_ program: inout bpf_program, _ expression: String) throws {
        // Filtered reading goes through libpcap.
        handOverToLibpcap()
        if pcap_setfilter(handle, &program) != 0 {
            throw DemarcError.badInput("cannot apply --filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
    }

    /// Checks a filter against Limits and compiles it for `linkType` without a capture.
    public static func checkFilter(_ expression: String, linkType: Int32 = 1, snaplen: Int32 = 65535) throws {
        guard let h = pcap_open_dead(linkType, snaplen) else { return }
        defer { pcap_close(h) }
        var prog = try compile(expression, on: h)
        pcap_freecode(&prog)
    }

    /// Compiles a filter against this capture's link type (checked against `Limits`).
    func compile(_ expression: String) throws -> bpf_program { try PcapSource.compile(expression, on: handle) }

    /// The one place a filter is checked against Limits and compiled by libpcap.
    private static func compile(_ expression: String, on h: OpaquePointer) throws -> bpf_program {
        try Limits.checkFilter(expression)
        var prog = bpf_program()
        if pcap_compile(h, &prog, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw DemarcError.badInput("invalid --filter '\(expression)': \(String(cString: pcap_geterr(h)))")
        }
        return prog
    }

    /// Reads the next packet and hands it to `body` (captured bytes, original length,
    /// timestamp in microseconds since the epoch).
    @inlinable
    public func next(_ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> ReadStatus {
        if buffered != nil {
            if buffered!.next(body) { return .packet }
            // libpcap judges this record (the end, a cut or corrupt record, an odd
            // timestamp); buffered reading resumes after it if it was a packet.
            guard let f = pcap_file(handle), fseeko(f, off_t(buffered!.offset), SEEK_SET) == 0 else {
                handOverToLibpcap()
                return ended(libpcapNext(body))
            }
            let status = libpcapNext(body)
            if case .packet = status {
                buffered!.offset = Int(ftello(f))
                return status
            }
            handOverToLibpcap()
            return ended(status)
        }
        let status = libpcapNext(body)
        if case .packet = status { return status }
        return ended(status)
    }

    /// How a capture file ends: one that is now smaller than when it was opened was
    /// shortened while it was read (logrotate's copytruncate), and ends as a truncated
    /// capture whatever libpcap made of its new end.
    @usableFromInline func ended(_ status: ReadStatus) -> ReadStatus {
        switch status {
        case .end, .truncated: break
        default: return status
        }
        guard let opened = fileSize, let f = pcap_file(handle) else { return status }
        var st = stat()
        guard fstat(fileno(f), &st) == 0, Int64(st.st_size) < opened else { return status }
        return .truncated("the file shrank from \(opened) to \(st.st_size) bytes while it was read")
    }

    /// Reads up to `limit` packets, handing each to `body` as `next` does; returns how
    /// many were read and how reading stopped (`.packet` when the limit was reached). One
    /// call for many packets: the closure's context is made once, not once per packet.
    @inlinable
    public func next(upTo limit: Int, _ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> (count: Int, status: ReadStatus) {
        var n = 0
        while n < limit {
            let status = next(body)
            guard status == .packet else { return (n, status) }
            n += 1
        }
        return (n, .packet)
    }

    @inlinable
    func libpcapNext(_ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> ReadStatus {
        var hdr: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let rc = pcap_next_ex(handle, &hdr, &data)
        switch rc {
        case 1:
            guard let hdr, let data else { return .failed("libpcap returned no packet") }
            let h = hdr.pointee
            // A corrupt record can claim any original length: never less than what was
            // captured, never more than a signed 32-bit length (as tshark clamps it).
            let wire = max(Int(h.caplen), min(Int(h.len), Int(Int32.max)))
            let seconds = classicFile ? Int64(UInt32(truncatingIfNeeded: h.ts.tv_sec)) : Int64(h.ts.tv_sec)
            // pcapng's 64-bit counts at any resolution and offset can name any time, or
            // overflow: such a record is counted and skipped, and reading goes on.
            guard let ts = Timestamps.micros(seconds: seconds, fraction: Int64(h.ts.tv_usec)) else {
                skippedTimestamps.packets &+= 1
                skippedTimestamps.bytes &+= UInt64(wire)
                return .packet
            }
            body(UnsafeRawBufferPointer(start: data, count: Int(h.caplen)), wire, ts)
            return .packet
        case 0:
            return .timeout
        case PCAP_ERROR_BREAK:
            return .end
        case -2:
            return .end
        default:
            let msg = String(cString: pcap_geterr(handle))
            if msg.contains("truncated") { return .truncated(msg) }
            return .failed(msg)
        }
    }

    /// Reads each window of a classic pcap file into a buffer `lender` gives (see
    /// `BufferedPcap.lend`); false where the file is not read in windows. Records libpcap
    /// reads stay in its own buffer.
    @discardableResult
    public func lendWindows(_ lender: any WindowLender) -> Bool {
        guard buffered != nil else { return false }
        buffered!.lend(lender)
        return true
    }

    /// The size of a window `lendWindows` reads into.
    public static var windowBytes: Int { BufferedPcap.window }

    /// libpcap reads from here on, from where the buffered reading stopped.
    @usableFromInline func handOverToLibpcap() {
        guard let m = buffered else { return }
        buffered = nil
        m.release()
        if let f = pcap_file(handle) { fseeko(f, off_t(m.offset), SEEK_SET) }
    }

    /// How much of the next capture of a replay the kernel is asked to read ahead.
    public static let readAheadBytes = 32 << 20

    /// Asks the kernel to start reading the head of the capture at `path` into its cache
    /// while the current one is analysed (rotated captures are read one after another, in
    /// order: the disk works on the next file while the CPU works on this one). A hint
    /// only: nothing is read here, and a path that cannot be opened is left to the open
    /// that reports it. Opened without blocking (a named pipe with no writer yet would
    /// otherwise stall the replay here, before the current file is analysed), and only a
    /// regular file is advised.
    public static func readAhead(_ path: String) {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return }
        _ = posix_fadvise(fd, 0, off_t(readAheadBytes), POSIX_FADV_WILLNEED)
    }

    /// Bytes of the file read so far, for progress.
    public var fileOffset: Int64? {
        if let m = buffered { return Int64(m.offset) }
        guard !isLive, let f = pcap_file(handle) else { return nil }
        return Int64(ftell(f))
    }

    /// Kernel statistics for a live capture: (received, dropped).
    public func stats() -> (received: UInt64, dropped: UInt64)? {
        var s = pcap_stat()
        guard isLive, pcap_stats(handle, &s) == 0 else { return nil }
        return (UInt64(s.ps_recv), UInt64(s.ps_drop) + UInt64(s.ps_ifdrop))
    }

    /// Live capture: joins this handle's socket to AF_PACKET fanout group `group`
    /// (`PACKET_FANOUT_CBPF` with `PACKET_FANOUT_FLAG_DEFRAG`, running `FanoutHash`'s
    /// program), so that the kernel hands each packet to one handle of the group, the
    /// one its two addresses hash to, taken after IPv4 reassembly. Returns nil once
    /// joined, or why the kernel (or the platform) refused.
    public func joinFanout(group: UInt16) -> String? {
        #if os(Linux)
        let fd = pcap_fileno(handle)
        guard isLive, fd >= 0 else { return "no socket to join" }
        // From <linux/if_packet.h>: SOL_PACKET 263, PACKET_FANOUT 18, PACKET_FANOUT_DATA 22,
        // PACKET_FANOUT_CBPF 6, PACKET_FANOUT_FLAG_DEFRAG 0x8000.
        let solPacket: Int32 = 263, packetFanout: Int32 = 18, packetFanoutData: Int32 = 22
        let typeFlags: UInt32 = 6 | 0x8000
        var arg = UInt32(group) | typeFlags << 16
        guard setsockopt(fd, solPacket, packetFanout, &arg, socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
            return String(cString: strerror(errno))
        }
        var program = FanoutHash.program
        let rc = program.withUnsafeMutableBufferPointer { insns in
            // struct sock_fprog: an unsigned short count, then the instructions' address.
            var fprog = SocketFilterProgram(len: UInt16(insns.count), filter: insns.baseAddress)
            return setsockopt(fd, solPacket, packetFanoutData, &fprog, socklen_t(MemoryLayout<SocketFilterProgram>.size))
        }
        guard rc == 0 else { return "the fanout program was refused (\(String(cString: strerror(errno))))" }
        return nil
        #else
        return "AF_PACKET fanout is Linux only"
        #endif
    }

    /// Live capture, as it stops: the kernel queues no more packets for this handle (a
    /// socket filter that takes none replaces the handle's own; the kernel counts a packet
    /// it refuses neither received nor dropped), so the packets already queued can be read
    /// to the last and every packet the interface handed this handle is either read or
    /// counted dropped. Returns false where the filter could not be set.
    @discardableResult
    public func admitNoMore() -> Bool {
        #if os(Linux)
        let fd = pcap_fileno(handle)
        guard isLive, fd >= 0 else { return false }
        // BPF_RET | BPF_K with 0: take no byte of any packet.
        var none = [bpf_insn(code: 0x06, jt: 0, jf: 0, k: 0)]
        return none.withUnsafeMutableBufferPointer { insns in
            var fprog = SocketFilterProgram(len: 1, filter: insns.baseAddress)
            return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, socklen_t(MemoryLayout<SocketFilterProgram>.size)) == 0
        }
        #else
        return false
        #endif
    }

    /// Live capture: waits until a packet may be read, at most `milliseconds`.
    public func waitReadable(milliseconds: Int32) {
        let fd = pcap_get_selectable_fd(handle)
        guard fd >= 0 else { usleep(UInt32(milliseconds) * 1000); return }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, milliseconds)
    }

    /// Makes a blocked read return (safe from a signal handler or another thread).
    public func breakLoop() { pcap_breakloop(handle) }

    /// Names of capture devices, for error messages.
    public static func interfaceNames() -> [String] {
        var err = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &err) == 0 else { return [] }
        defer { pcap_freealldevs(list) }
        var names: [String] = []
        var cur = list
        while let c = cur {
            names.append(String(cString: c.pointee.name))
            cur = c.pointee.next
        }
        return names
    }
}

/// One compiled BPF program per link type and snapshot length: a replay of many files
/// compiles the filter once, not once per file (a long filter can take a while).
package final class FilterPrograms {
    let expression: String
    private var programs: [Int64: bpf_program] = [:]

    package init(_ expression: String) { self.expression = expression }

    package func apply(to source: PcapSource) throws {
        let key = Int64(source.linkType) << 32 | Int64(source.snapshot)
        if programs[key] == nil { programs[key] = try source.compile(expression) }
        try source.install(&programs[key]!, expression)
    }

    deinit {
        for k in Array(programs.keys) { pcap_freecode(&programs[k]!) }
    }
}

/// Linux's `struct sock_fprog`, which the C headers Swift sees here do not declare.
private struct SocketFilterProgram {
    var len: UInt16
    var filter: UnsafeMutablePointer<bpf_insn>?
}
