import DemarcDecode
import CPcap

/// The worker a live packet belongs to under AF_PACKET fanout, computed the same way by
/// the kernel (a classic BPF program, `PACKET_FANOUT_CBPF`) and by demarc's workers: a
/// symmetric hash of the packet's two addresses alone. Ports are left out so that every
/// fragment of a datagram, IPv6 ones included (the kernel reassembles IPv4 only), goes
/// where its flow's other packets go. The kernel hashes the outermost IP header; a worker
/// that decodes a frame whose flow addresses (inner, for a tunnel) hash elsewhere hands
/// it on, so the program is what spares the handoff, not what keeps a flow whole.
public enum FanoutHash {
    /// The worker, of `count`, that keeps the flows between `a` and `b`.
    @inlinable
    public static func worker(_ a: IPAddress, _ b: IPAddress, among count: Int) -> Int {
        Int(mix(words(a) &+ words(b)) % UInt32(count))
    }

    /// The address's 32-bit words, summed (the order of the program's loads does not
    /// matter, nor which address is the source).
    @inlinable
    static func words(_ a: IPAddress) -> UInt32 {
        if a.isV4 { return a.v4 }
        return UInt32(truncatingIfNeeded: a.hi >> 32) &+ UInt32(truncatingIfNeeded: a.hi)
            &+ UInt32(truncatingIfNeeded: a.lo >> 32) &+ UInt32(truncatingIfNeeded: a.lo)
    }

    /// Spreads the sum's bits (what the program's tail computes in 32-bit arithmetic).
    @inlinable
    static func mix(_ s: UInt32) -> UInt32 {
        var h = s ^ (s >> 16)
        h = h &* 0x045d_9f3b
        return h ^ (h >> 16)
    }

    /// The classic BPF program the kernel runs per packet; its result, modulo the group's
    /// size, picks the socket (sockets are numbered in the order they joined). Loads are
    /// relative to the network header (`SKF_NET_OFF`), which is right both for received
    /// frames and for frames the host sends; the protocol is `skb->protocol`. A frame
    /// that is neither IPv4 nor IPv6 goes to socket 0.
    static var program: [bpf_insn] {
        // Opcodes from <linux/bpf_common.h> and <linux/filter.h>.
        let ldW: UInt16 = 0x20, ldH: UInt16 = 0x28, jeqK: UInt16 = 0x15, tax: UInt16 = 0x07, addX: UInt16 = 0x0c
        let rshK: UInt16 = 0x74, xorX: UInt16 = 0xac, mulK: UInt16 = 0x24, retA: UInt16 = 0x16, retK: UInt16 = 0x06
        let net: UInt32 = 0xfff0_0000, proto: UInt32 = 0xffff_f000
        func i(_ code: UInt16, _ k: UInt32 = 0, jf: UInt8 = 0) -> bpf_insn { bpf_insn(code: code, jt: 0, jf: jf, k: k) }
        let tail = [i(tax), i(rshK, 16), i(xorX), i(mulK, 0x045d_9f3b), i(tax), i(rshK, 16), i(xorX), i(retA)]
        // IPv4: source and destination (header offsets 12 and 16).
        let v4 = [i(ldW, net + 12), i(tax), i(ldW, net + 16), i(addX)] + tail
        // IPv6: the eight words of source and destination (offsets 8 to 36).
        var v6 = [i(ldW, net + 8), i(tax)]
        for off in stride(from: UInt32(12), through: 36, by: 4) {
            v6 += [i(ldW, net + off), i(addX)]
            if off < 36 { v6.append(i(tax)) }
        }
        v6 += tail
        return [i(ldH, proto), i(jeqK, 0x0800, jf: UInt8(v4.count))] + v4
            + [i(jeqK, 0x86dd, jf: UInt8(v6.count))] + v6 + [i(retK, 0)]
    }
}
