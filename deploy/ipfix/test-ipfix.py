#!/usr/bin/env python3
"""demarc's IPFIX export against a real collector and an independent dissector.

For each bundled deployment, `demarc replay --ipfix` sends to Debian's nfcapd (nfdump
1.7), which repeats every datagram (-R) to a socket here. Then:
1. nfdump reads back nfcapd's file: every flow of the replay's jsonl, with its addresses,
   ports, protocol, packets and bytes both ways (RFC 5103 reverse elements), first and
   last packet times (milliseconds), and no other flow.
2. tshark's IPFIX dissector (cflow) decodes the datagrams as sent: the same, plus the
   flow id, flowEndReason, biflowDirection, the enterprise-specific fields (demarc's
   segment, party, encryption state, finding codes, sensor) and no dissector error.
3. No secret demarc knows of a flow (credential user names, SNI, HTTP host and path,
   certificate names, banners) appears in any datagram.
As root, `demarc monitor --ipfix` on lo too: flows made here, sent as each ends, read
back by nfdump. Standard library only; nfcapd, nfdump and tshark from Debian.
"""
import argparse
import collections
import datetime
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AS_OF = "2026-12-01"
SENSOR = "gw-ipfix-test"
PEN = 32473


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def micros(text):
    """A jsonl timestamp (RFC 3339, UTC, microseconds) as microseconds since the epoch."""
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return (d - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)


def millis(text):
    return micros(text) // 1000


class Receiver(threading.Thread):
    """Keeps every datagram nfcapd repeats to it."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.datagrams, self.last, self.stop = [], time.time(), False

    def run(self):
        while not self.stop:
            try:
                d = self.sock.recv(65535)
            except socket.timeout:
                continue
            self.datagrams.append(d)
            self.last = time.time()


def write_pcap(path, datagrams, port):
    """The datagrams as IPv4/UDP packets to `port` (link type 228, raw IPv4) for tshark."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 228))
        for i, d in enumerate(datagrams):
            udp = struct.pack("!HHHH", 40000, port, 8 + len(d), 0) + d
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                             socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1")) + udp
            f.write(struct.pack("<IIII", i, 0, len(ip), len(ip)) + ip)


def expected(flow):
    """What a flow must be in any IPFIX reading: tuple, counts both ways, times (ms)."""
    c, s = flow["client"], flow["server"]
    return (str(ipaddress.ip_address(c["ip"])), str(ipaddress.ip_address(s["ip"])), c["port"] or 0, s["port"] or 0,
            flow["packets"]["to_server"], flow["bytes"]["to_server"],
            flow["packets"]["to_client"], flow["bytes"]["to_client"],
            millis(flow["first_seen"]), millis(flow["last_seen"]))


def nfdump_flows(directory):
    """nfdump's reading of nfcapd's files: one tuple per flow, as `expected` makes them."""
    fmt = "fmt:%sa|%da|%sp|%dp|%pr|%ipkt|%ibyt|%opkt|%obyt|%ts|%te"
    env = dict(os.environ, TZ="UTC")
    out = subprocess.run(["nfdump", "-R", directory, "-q", "-N", "-6", "-o", fmt], capture_output=True, text=True,
                         env=env, check=True).stdout
    flows = []
    for line in out.splitlines():
        if not line.strip():
            continue
        sa, da, sp, dp, _pr, ipkt, ibyt, opkt, obyt, tfs, tfe = [x.strip() for x in line.split("|")]
        # ICMP's destination port is shown as type.code (both 0: demarc sends no ports).
        dp = sum(int(x) for x in dp.split(".")) if "." in dp else int(dp)
        flows.append((str(ipaddress.ip_address(sa)), str(ipaddress.ip_address(da)), int(sp), dp, int(ipkt), int(ibyt), int(opkt), int(obyt),
                      nfdump_ms(tfs), nfdump_ms(tfe)))
    return flows


def nfdump_ms(text):
    d = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    return (d - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(milliseconds=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--corpus", help="a folder of captures replayed as one more input (many flows, many datagrams)")
    a = ap.parse_args()
    demarc = os.path.abspath(a.demarc)
    deployments = [(name, [f"captures/{name}.pcap", "--scenario", f"scenarios/{name.removesuffix('-wan')}.yaml"])
                   for name in sorted(n[:-5] for n in os.listdir(os.path.join(ROOT, "captures")) if n.endswith(".pcap"))
                   if os.path.exists(os.path.join(ROOT, "scenarios", name.removesuffix("-wan") + ".yaml"))]
    if a.corpus:
        deployments.append(("corpus", sorted(os.path.join(d, f) for d, _, fs in os.walk(a.corpus) for f in fs
                                             if f.endswith((".pcap", ".pcapng", ".cap")))))
    total_flows = total_datagrams = 0
    for name, args in deployments:
        work = tempfile.mkdtemp(prefix="demarc-ipfix-")
        try:
            n, d = check(demarc, name, args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        total_flows += n
        total_datagrams += d
    if os.geteuid() == 0:
        work = tempfile.mkdtemp(prefix="demarc-ipfix-")
        try:
            total_flows += check_monitor(demarc, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    else:
        print("monitor check skipped: capturing on lo needs root")
    print(f"IPFIX: {len(deployments)} deployments, {total_flows} flows, {total_datagrams} datagrams: "
          f"nfdump and tshark agree with the jsonl")
    print(f"{len(deployments)} passed, 0 failed")


def fail(name, what, got=None, want=None):
    print(f"FAIL {name}: {what}")
    if got is not None:
        print(f"  got:  {got}\n  want: {want}")
    sys.exit(1)


def check_monitor(demarc, work):
    """`monitor --ipfix` on lo (root): UDP and TCP traffic made here; each flow goes to
    nfcapd as it ends, and nfdump must read what the jsonl reports."""
    port = free_udp_port()
    flowdir = os.path.join(work, "flows")
    os.mkdir(flowdir)
    nfcapd = subprocess.Popen(["nfcapd", "-b", "127.0.0.1", "-p", str(port), "-w", flowdir, "-t", "3600"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not udp_bound(port):
        time.sleep(0.05)
    out = os.path.join(work, "live.jsonl")
    monitor = subprocess.Popen([demarc, "monitor", "--interface", "lo", "--duration", "4", "--filter",
                                f"not udp port {port}", "--format", "jsonl", "--sensor", SENSOR,
                                "--ipfix", f"127.0.0.1:{port}", "-o", out], stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    client.sendall(b"x" * 3000)
    conn.recv(65536)
    conn.sendall(b"y" * 100)
    client.close(); conn.close(); server.close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for i in range(3):
            u.sendto(b"z" * (10 + i), ("127.0.0.1", free_udp_port()))
    err = monitor.communicate(timeout=30)[1]
    if monitor.returncode not in (0, 1):
        nfcapd.kill()
        fail("monitor", f"demarc monitor exited {monitor.returncode}: {err}")
    time.sleep(0.5)
    nfcapd.send_signal(signal.SIGTERM)
    nfcapd.wait(timeout=30)
    with open(out) as f:
        flows = [json.loads(x) for x in f if '"type":"flow"' in x]
    want = collections.Counter(expected(f) for f in flows)
    got = collections.Counter(nfdump_flows(flowdir))
    if not flows or got != want:
        fail("monitor", "nfdump's flows differ from monitor's jsonl", sorted(got - want)[:5], sorted(want - got)[:5])
    print(f"ok monitor on lo: {len(flows)} flows sent as they ended; nfdump agrees")
    return len(flows)


def check(demarc, name, args, work):
    receiver = Receiver()
    receiver.start()
    port = free_udp_port()
    flowdir = os.path.join(work, "flows")
    os.mkdir(flowdir)
    nfcapd = subprocess.Popen(["nfcapd", "-b", "127.0.0.1", "-p", str(port), "-w", flowdir, "-B", str(8 << 20),
                               "-R", f"127.0.0.1/{receiver.port}", "-t", "3600"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # nfcapd is ready when its socket is bound.
    deadline = time.time() + 10
    while time.time() < deadline and not udp_bound(port):
        time.sleep(0.05)
    if not udp_bound(port):
        nfcapd.kill()
        fail(name, f"nfcapd did not bind 127.0.0.1:{port}: {nfcapd.stderr.read()}")
    out = os.path.join(work, "out.jsonl")
    run = subprocess.run([demarc, "replay", *args, "--format", "jsonl",
                          "--as-of", AS_OF, "--no-progress", "--sensor", SENSOR, "--ipfix", f"127.0.0.1:{port}",
                          "-o", out], cwd=ROOT, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        nfcapd.kill()
        fail(name, f"demarc exited {run.returncode}: {run.stderr}")
    # Everything sent has arrived once the repeater has been quiet for a while.
    while time.time() - receiver.last < 1.0:
        time.sleep(0.1)
    nfcapd.send_signal(signal.SIGTERM)
    nfcapd.wait(timeout=30)
    receiver.stop = True
    receiver.join()
    with open(out) as f:
        lines = [json.loads(x) for x in f]
    flows = [x for x in lines if x["type"] == "flow"]
    if not flows:
        fail(name, "the replay reported no flow")
    want = collections.Counter(expected(f) for f in flows)

    # 1. nfcapd's file, read by nfdump.
    got = collections.Counter(nfdump_flows(flowdir))
    if got != want:
        fail(name, "nfdump's flows differ from the jsonl's", sorted(got - want)[:5], sorted(want - got)[:5])

    # 2. tshark's dissector over the datagrams as sent.
    pcap = os.path.join(work, "ipfix.pcap")
    write_pcap(pcap, receiver.datagrams, 4739)
    decoded = tshark_records(pcap, name)
    by_id = {f["id"]: f for f in flows}
    if sorted(r["flow_id"] for r in decoded) != sorted(by_id):
        fail(name, "tshark's flow ids differ from the jsonl's", len(decoded), len(by_id))
    for r in decoded:
        f = by_id[r["flow_id"]]
        if r["tuple"] != expected(f):
            fail(name, f"flow {f['id']}: tshark's reading differs", r["tuple"], expected(f))
        fields = {1: f["segment"], 2: f["responsible"], 3: f["encryption"]["state"],
                  4: ",".join(x["code"] for x in f["findings"]), 5: SENSOR}
        if {k: r["enterprise"].get(k, "") for k in fields} != fields or set(r["enterprise"]) - set(fields):
            fail(name, f"flow {f['id']}: enterprise fields differ", r["enterprise"], fields)
        if not r["reverse_marked"]:
            fail(name, f"flow {f['id']}: tshark does not read the second counters as RFC 5103 reverse elements")
        if r["end_reason"] not in (1, 3, 4) or r["direction"] != 1:
            fail(name, f"flow {f['id']}: flowEndReason {r['end_reason']}, biflowDirection {r['direction']}")

    # 3. Nothing secret, nor anything personal demarc read from the payload.
    blob = b"".join(receiver.datagrams)
    # What demarc does export as text (segments, parties, states, codes, the sensor): a
    # word inside one of these is no leak.
    exported = {SENSOR} | {x for f in flows for x in (f["segment"], f["responsible"], f["encryption"]["state"],
                                                        ",".join(c["code"] for c in f["findings"]))}
    for f in flows:
        e = f["encryption"]
        words = [c.get("user") for c in f.get("credentials") or []] + [e.get("sni"), f.get("banner")]
        words += [(f.get("http") or {}).get(k) for k in ("host", "path")]
        if e.get("certificate"):
            words += [e["certificate"]["subject"], e["certificate"]["issuer"]]
        for w in words:
            if w and len(w) >= 4 and w.encode() in blob and not any(w in x for x in exported):
                fail(name, f"flow {f['id']}: {w!r} appears in the IPFIX export")
    print(f"ok {name}: {len(flows)} flows in {len(receiver.datagrams)} datagrams; nfdump and tshark agree")
    return len(flows), len(receiver.datagrams)


def udp_bound(port):
    hexport = f":{port:04X} "
    with open("/proc/net/udp") as f:
        return any(hexport in line.split("\n")[0] for line in f.readlines()[1:])


def tshark_records(pcap, name):
    """Every data record tshark decodes (each a `Flow N` item in its PDML): the tuple as
    `expected` makes it, flow id, flowEndReason, biflowDirection and the enterprise
    strings, in template order."""
    import xml.etree.ElementTree as ET
    run = subprocess.run(["tshark", "-r", pcap, "-d", "udp.port==4739,cflow", "-T", "pdml"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        fail(name, f"tshark failed: {run.stderr}")
    records = []
    for packet in ET.fromstring(run.stdout).iter("packet"):
        for field in packet.iter("field"):
            if field.get("name") in ("_ws.malformed", "_ws.expert") or field.get("name", "").startswith("_ws.expert."):
                fail(name, f"tshark reports a problem: {field.get('showname') or field.get('show')}")
        for item in packet.iter("field"):
            if item.get("name") == "" and (item.get("show") or "").startswith("Flow "):
                records.append(record(item))
    return records


def record(item):
    fields = collections.defaultdict(list)
    for f in item.iter("field"):
        fields[f.get("name")].append(f)

    def num(n, i=0):
        return int(fields[n][i].get("show"), 0)

    def raw(n):
        return int(fields[n][0].get("value"), 16)

    v6 = "cflow.srcaddrv6" in fields
    src = fields["cflow.srcaddrv6" if v6 else "cflow.srcaddr"][0].get("show")
    dst = fields["cflow.dstaddrv6" if v6 else "cflow.dstaddr"][0].get("show")
    # Forward then reverse (RFC 5103): the second octets and packets are the reverse ones.
    tup = (str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)), num("cflow.srcport"), num("cflow.dstport"), num("cflow.packets", 0), num("cflow.octets", 0),
           num("cflow.packets", 1), num("cflow.octets", 1), raw("cflow.abstimestart"), raw("cflow.abstimeend"))
    # demarc's elements by number; tshark leaves out an empty one (no finding codes).
    enterprise = {}
    for e in fields["cflow.enterprise_private_entry"]:
        m = re.search(r"\(([^)]*)\) Type (\d+):", e.get("showname") or "")
        if not m or "Documentation" not in m.group(1):
            continue
        enterprise[int(m.group(2))] = bytes.fromhex((e.get("show") or "").replace(":", "")).decode()
    return {"tuple": tup, "flow_id": num("cflow.flow_id"), "end_reason": num("cflow.flow_end_reason"),
            "direction": num("cflow.biflow_direction"), "enterprise": enterprise,
            "reverse_marked": all("Reverse" in (f.get("showname") or "") for f in
                                  (fields["cflow.octets"][1], fields["cflow.packets"][1]))}


if __name__ == "__main__":
    main()
