#!/usr/bin/env python3
"""demarc's JA4 (encryption.ja4) against PyPI's `ja4plus` (the reference, used only as a
test oracle) on every TLS, DTLS and QUIC flow of every capture at hand: the bundled
captures, the inspector fixtures (Tests/DemarcCoreTests/Fixtures, each written out as a
one-flow pcap) and, with --corpus, every capture of that directory.

  ja4-check.py --demarc BIN [--corpus DIR]

A flow is compared where the reference gives a fingerprint for its client's
ClientHello. Prints the counts per source and every disagreement: DIFFERS where demarc
gives another fingerprint (exit status 1), MISSED where it gives none (listed with the
reason in docs/crypto.md: demarc fingerprints only a ClientHello it read whole).
Run by `make ja4-test` (which makes the virtual environment with ja4plus first).
"""
import argparse, glob, json, logging, os, struct, subprocess, sys, tempfile

logging.disable(logging.CRITICAL)
from scapy.all import PcapReader  # noqa: E402
from scapy.error import Scapy_Exception  # noqa: E402
from ja4plus.fingerprinters.ja4 import JA4Fingerprinter  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "DemarcCoreTests", "Fixtures")


def reference(path):
    """(client ip, client port, server ip, server port) → the reference's JA4s, in order."""
    fp, out = JA4Fingerprinter(thread_safe=False), {}
    try:
        for pkt in PcapReader(path):
            try:
                fp.process_packet(pkt)
            except Exception:  # the reference's own parse failures: no fingerprint
                pass
    except (Scapy_Exception, OSError, struct.error, EOFError):
        pass
    for e in fp.get_fingerprints():
        key = (e.get("src"), e.get("srcport"), e.get("dst"), e.get("dstport"))
        out.setdefault(key, []).append(e["fingerprint"])
    return out


def demarc(binary, path):
    """The same key → (demarc's JA4 or None, application) for each flow."""
    r = subprocess.run([binary, "replay", path, "--format", "jsonl", "--no-progress"], capture_output=True, text=True)
    flows = {}
    for line in r.stdout.splitlines():
        f = json.loads(line)
        if f.get("type") != "flow" or f["client"].get("port") is None:
            continue
        c, s = f["client"], f["server"]
        flows[(c["ip"], c["port"], s["ip"], s["port"])] = (f["encryption"].get("ja4"), f.get("application"))
    return flows


def compare(binary, path, label, tally, problems, missed):
    ref, ours = reference(path), demarc(binary, path)
    for key, fps in ref.items():
        mine = ours.get(key)
        if mine is None:
            # demarc may have oriented the flow the other way (its client is who spoke first).
            mine = ours.get((key[2], key[3], key[0], key[1]))
        if mine is None:
            # In a tunnel the reference names the outer addresses with the inner ports
            # (ja4plus's packet_endpoints); demarc reports the inner flow: the one flow
            # with those ports.
            same = [v for k, v in ours.items() if (k[1], k[3]) == (key[1], key[3])]
            mine = same[0] if len(same) == 1 else None
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
        tally, problems, missed = {"compared": 0, "agree": 0, "missed": 0, "demarc_only": 0}, [], []
        for p in paths:
            compare(a.demarc, p, os.path.basename(p), tally, problems, missed)
        print(f"{label}: {len(paths)} captures, {tally['compared']} flows with a reference JA4, {tally['agree']} agree"
              f" ({100.0 * tally['agree'] / max(1, tally['compared']):.1f} %); {tally['demarc_only']} flows where only"
              " demarc gives one" + (f": {', '.join(tally['only'])}" if tally.get("only") else "")
              + f"; {tally['missed']} where demarc gives none, {len(problems)} where it gives another")
        for line in problems + missed:
            print("  " + line)
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
