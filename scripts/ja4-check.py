#!/usr/bin/env python3
"""demarc's JA4 (encryption.ja4) against PyPI's `ja4plus` (the reference, used only as a
test oracle) on every TLS, DTLS and QUIC flow of every capture at hand: the bundled
captures, the inspector fixtures (Tests/DemarcCoreTests/Fixtures, each written out as a
one-flow pcap) and, with --corpus, every capture of that directory.

  ja4-check.py --demarc BIN [--corpus DIR]

A flow is compared where the reference gives a fingerprint for its client's
ClientHello. Prints the counts per source and every disagreement: DIFFERS where demarc
gives another fingerprint (exit status 1), MISSED where it gives none. A hello inside an
IP overlay (VXLAN, Geneve, GRE…) belongs to the inner flow; where demarc reports the
overlay as its own flow instead (docs/crypto.md says why), it is listed as TUNNELLED and
not compared.
Run by `make ja4-test` (which makes the virtual environment with ja4plus first).
"""
import argparse, glob, json, logging, os, struct, subprocess, sys, tempfile

logging.disable(logging.CRITICAL)
from scapy.all import PcapReader  # noqa: E402
from scapy.error import Scapy_Exception  # noqa: E402
from scapy.all import IP, IPv6, TCP, UDP  # noqa: E402
from ja4plus.fingerprinters.ja4 import JA4Fingerprinter  # noqa: E402
from ja4plus.utils.packet_utils import get_ip_layer  # noqa: E402
from ja4plus.utils.tunnels import innermost_layer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "DemarcCoreTests", "Fixtures")


def outermost_ports(pkt):
    """The packet's first TCP or UDP layer, or None."""
    layer = pkt
    while layer is not None and layer.name != "NoPayload":
        if isinstance(layer, (TCP, UDP)):
            return layer
        layer = layer.payload
    return None


def reference(path):
    """(client ip, client port, server ip, server port) → (the reference's JA4s, the
    overlay's outer key or None), in order.

    A hello inside an IP overlay (VXLAN, Geneve, GRE…) is keyed by its inner addresses and
    ports (ja4plus's own result names the outer addresses with the inner ports), with the
    outer packet's key beside it: demarc reports such an overlay as its own flow."""
    fp, out = JA4Fingerprinter(thread_safe=False), {}
    try:
        for pkt in PcapReader(path):
            try:
                fingerprint = fp.process_packet(pkt)
            except Exception:  # the reference's own parse failures: no fingerprint
                continue
            if not fingerprint:
                continue
            outer, inner = get_ip_layer(pkt), innermost_layer(pkt, (IP, IPv6))
            l4 = innermost_layer(pkt, (TCP, UDP))
            key = (inner.src, int(l4.sport), inner.dst, int(l4.dport))
            overlay = None
            if inner is not outer:
                first = outermost_ports(pkt)
                ports = (int(first.sport), int(first.dport)) if first is not None and first is not l4 else (None, None)
                overlay = (outer.src, ports[0], outer.dst, ports[1])
            fps, _ = out.setdefault(key, ([], overlay))
            fps.append(fingerprint)
    except (Scapy_Exception, OSError, struct.error, EOFError):
        pass
    return out


def demarc(binary, path):
    """The same key → (demarc's JA4 or None, application) for each flow."""
    r = subprocess.run([binary, "replay", path, "--format", "jsonl", "--no-progress"], capture_output=True, text=True)
    flows = {}
    for line in r.stdout.splitlines():
        f = json.loads(line)
        if f.get("type") != "flow":
            continue
        c, s = f["client"], f["server"]
        flows[(c["ip"], c.get("port"), s["ip"], s.get("port"))] = (f["encryption"].get("ja4"), f.get("application"))
    return flows


def compare(binary, path, label, tally, problems, missed, tunnelled):
    ref, ours = reference(path), demarc(binary, path)

    def find(k):
        # demarc may have oriented the flow the other way (its client is who spoke first).
        return ours.get(k) or ours.get((k[2], k[3], k[0], k[1]))

    for key, (fps, overlay) in ref.items():
        mine = find(key)
        if mine is None and overlay is not None and find(overlay) is not None:
            # The hello is inside an overlay demarc reports as its own (cleartext) flow;
            # the inner flow, whose fingerprint this is, is not one of demarc's.
            tally["tunnelled"] += 1
            tunnelled.append(f"TUNNELLED {label} {key}: reference {fps}; demarc reports the overlay flow"
                             f" {overlay} ({find(overlay)[1]})")
            continue
        tally["compared"] += 1
        if mine and mine[0] in fps:
            tally["agree"] += 1
        elif mine and mine[0]:
            problems.append(f"DIFFERS {label} {key}: reference {fps}, demarc {mine[0]} ({mine[1]})")
        else:
            tally["missed"] += 1
            missed.append(f"MISSED {label} {key}: reference {fps}, demarc none ({mine[1] if mine else 'no such flow'})")
    ports = {(r[1], r[3]) for r in ref} | {(r[3], r[1]) for r in ref}
    for k, v in ours.items():
        if v[0] and (k[1], k[3]) not in ports:
            tally["demarc_only"] += 1
            tally.setdefault("only", []).append(f"{label} ({v[1]})")


def fixture_pcap(name, out):
    """A fixture's exchange as a classic pcap: Ethernet, IPv4, TCP (with a handshake) or UDP."""
    lines = open(os.path.join(FIXTURES, name)).read().split("\n")
    head = lines[0].split(" ")
    transport, port = head[1], int(head[2])
    frames, seq = [], {">": 1000, "<": 5000}
    ip = {">": (bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 40000, port),
          "<": (bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1]), port, 40000)}

    def frame(d, payload, flags=0x18):
        src, dst, sp, dp = ip[d]
        if transport == "tcp":
            l4 = struct.pack(">HHIIBBHHH", sp, dp, seq[d], 0, 5 << 4, flags, 65535, 0, 0) + payload
        else:
            l4 = struct.pack(">HHHH", sp, dp, 8 + len(payload), 0) + payload
        proto = 6 if transport == "tcp" else 17
        iph = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0, src, dst)
        return b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00" + iph + l4

    if transport == "tcp":
        seq[">"] -= 1; frames.append(frame(">", b"", 0x02)); seq[">"] += 1
        seq["<"] -= 1; frames.append(frame("<", b"", 0x12)); seq["<"] += 1
    for line in lines[1:]:
        parts = line.split(" ")
        if len(parts) != 2:
            continue
        data = bytes.fromhex(parts[1])
        frames.append(frame(parts[0], data))
        seq[parts[0]] += len(data)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1_000_000 + i, 0, len(fr), len(fr)) + fr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--corpus")
    a = ap.parse_args()
    sources = [("captures", sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap"))))]
    work = tempfile.mkdtemp()
    fixtures = []
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".txt"):
            out = os.path.join(work, name[:-4] + ".pcap")
            fixture_pcap(name, out)
            fixtures.append(out)
    sources.append(("fixtures", fixtures))
    if a.corpus:
        sources.append(("corpus", sorted(p for p in glob.glob(os.path.join(a.corpus, "*")) if os.path.isfile(p))))
    else:
        print("corpus: skipped (no --corpus: ../shared/corpus/ndpi/pcap is not beside the project)")
    failed = False
    for label, paths in sources:
        tally, problems, missed, tunnelled = {"compared": 0, "agree": 0, "missed": 0, "demarc_only": 0, "tunnelled": 0}, [], [], []
        for p in paths:
            compare(a.demarc, p, os.path.basename(p), tally, problems, missed, tunnelled)
        print(f"{label}: {len(paths)} captures, {tally['compared']} flows with a reference JA4, {tally['agree']} agree"
              f" ({100.0 * tally['agree'] / max(1, tally['compared']):.1f} %); {tally['demarc_only']} flows where only"
              " demarc gives one" + (f": {', '.join(tally['only'])}" if tally.get("only") else "")
              + f"; {tally['missed']} where demarc gives none, {len(problems)} where it gives another"
              + f"; {tally['tunnelled']} inside an overlay demarc reports as its own flow (not compared)")
        for line in problems + missed + tunnelled:
            print("  " + line)
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
