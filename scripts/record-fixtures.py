#!/usr/bin/env python3
"""Writes the byte sequences the inspector unit tests replay (Tests/DemarcCoreTests/Fixtures).

Every exchange comes from a real implementation, never typed by hand:
  * TLS, HTTP, SSH, DNS, SMB and PostgreSQL payloads cut from this project's own
    captures (captures/*.pcap, recorded by scripts/record-captures.sh with OpenSSL,
    curl, OpenSSH, Python's ssl and socket servers);
  * QUIC v1 and v2 client Initials built by aioquic (PyPI) for server name
    quic.demarc.test, ALPN h3;
  * SMTP with STARTTLS, FTP, POP3 and IMAP clients from Python's standard library
    (smtplib with a real TLS upgrade, ftplib, poplib, imaplib), recorded through a
    TCP proxy, against small scripted servers;
  * Debian's command-line clients, recorded the same way: rsh and rlogin
    (rsh-redone-client), redis-cli (redis-tools),
    mosquitto_pub (mosquitto-clients), ldapsearch (ldap-utils), telnet, logger over TCP;
    logger (util-linux) and snmpget (snmp) over UDP.

File format, one exchange per file:
  # transport PORT — where the bytes came from
  > HEX     a payload from client to server
  < HEX     a payload from server to client

  * git ls-remote against git daemon; the gearman client against gearmand (Debian);
  * from PyPI libraries, in the interpreter --pypi-python names: websockets client and
    server (the text frames after the upgrade), FIX Logon messages encoded by simplefix,
    a pymodbus request, an aiocoap-client request, kafka-python's first request, pika's
    AMQP connection start, an irc client registering, pymemcache against memcached;
  * whois, tftp-hpa, radclient (freeradius-utils), rsync (with rsync --daemon),
    FreeTDS's tsql (freetds-bin), softflowd's NetFlow/IPFIX and pmacct's sFlow exports
    from Debian;
  * nats-server (Debian) with the nats-py client (PyPI), plain and with TLS required;
  * ICE then SRTP: aioice's STUN messages, aiortc's RTP and RTCP, libsrtp through
    pylibsrtp (PyPI), with two SRTP profiles, and the same media unprotected;
  * GTP-C version 1 and GTP-U from Osmocom's sgsnemu and osmo-ggsn (Debian, root only);
  * iSCSI: libiscsi's iscsi-inq against tgt's userspace target (Debian, root only);
  * OpenFlow 1.3 and OVSDB from Open vSwitch's ovs-ofctl, ovs-vsctl, ovs-vswitchd and
    ovsdb-server (Debian), run from a temporary directory;
  * ONC RPC from rpcinfo against rpcbind (Debian, root only);
  * PPTP's control connection from Debian's pptp client against pptpd (root only);
  * L2TP from two xl2tpd daemons, LAC and LNS (Debian, root only);
  * DCE/RPC binds from impacket (PyPI), with NTLMSSP privacy and without authentication;
  * a SIP INVITE offering SRTP with SDES keys from Debian's baresip;
  * VNC from TigerVNC's viewer (on Xvfb) against Xvnc, with VeNCrypt TLS and without;
  * the Linux kernel's VXLAN device (ip link add … type vxlan, root only; skipped
    otherwise): the encapsulated datagram it sends for a UDP packet to an address behind it.

  record-fixtures.py [--pypi-python PYTHON]   (aioquic and the libraries above are imported there)
"""
import argparse, contextlib, functools, os, socket, ssl, struct, subprocess, sys, tempfile, threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DemarcCoreTests", "Fixtures")


def write(name, transport, port, source, exchange):
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write(f"# {transport} {port} — {source}\n")
        for direction, data in exchange:
            f.write(f"{direction} {data.hex()}\n")
    print(f"{name}: {len(exchange)} payloads")


def capture_exchange(pcap, server_port, limit=8, server_ip=None):
    """Payloads, in order, of the first flow to server_port in a classic Ethernet pcap."""
    d = open(os.path.join(ROOT, "captures", pcap), "rb").read()
    off, flow, out, count = 24, None, [], {">": 0, "<": 0}
    while off + 16 <= len(d):
        _, _, incl, _ = struct.unpack("<IIII", d[off:off + 16]); off += 16
        fr = d[off:off + incl]; off += incl
        if fr[12:14] != b"\x08\x00":
            continue
        ip = fr[14:]; ihl = (ip[0] & 15) * 4; proto = ip[9]
        src, dst = ip[12:16], ip[16:20]
        l4 = ip[ihl:struct.unpack(">H", ip[2:4])[0]]
        sp, dp = struct.unpack(">HH", l4[:4])
        payload = l4[(l4[12] >> 4) * 4:] if proto == 6 else l4[8:]
        if server_ip and socket.inet_aton(server_ip) not in (src, dst):
            continue
        toward = dp == server_port and (sp != server_port or server_ip is None or dst == socket.inet_aton(server_ip))
        key = (src, sp, dst, dp) if toward else (dst, dp, src, sp) if sp == server_port else None
        if key is None or (flow and key != flow):
            continue
        flow = key
        if payload:
            direction = ">" if toward else "<"
            if count[direction] < limit:
                out.append((direction, payload)); count[direction] += 1
    return out


def from_captures():
    src = "captures/%s (scripts/record-captures.sh: %s)"
    write("tls12-certificate", "tcp", 8443, src % ("overlay-network.pcap", "OpenSSL s_server, curl"),
          capture_exchange("overlay-network.pcap", 8443, server_ip="198.51.100.20"))
    write("tls13", "tcp", 7443, src % ("overlay-network.pcap", "OpenSSL s_server, curl"),
          capture_exchange("overlay-network.pcap", 7443))
    write("tls10-weak", "tcp", 443, src % ("overlay-network.pcap", "OpenSSL s_server -tls1, curl"),
          capture_exchange("overlay-network.pcap", 443, server_ip="35.171.100.10"))
    write("http", "tcp", 8080, src % ("overlay-network.pcap", "curl, python3 http.server"),
          capture_exchange("overlay-network.pcap", 8080))
    write("ssh", "tcp", 22, src % ("overlay-network.pcap", "OpenSSH client and sshd"),
          capture_exchange("overlay-network.pcap", 22))
    write("dns", "udp", 53, src % ("overlay-network.pcap", "Python DNS client and responder"),
          capture_exchange("overlay-network.pcap", 53))
    write("smb", "tcp", 445, src % ("overlay-network.pcap", "SMB negotiate probe"),
          capture_exchange("overlay-network.pcap", 445))
    write("postgresql-tls", "tcp", 5432, src % ("data-platform.pcap", "PostgreSQL wire SSLRequest, Python ssl"),
          capture_exchange("data-platform.pcap", 5432, server_ip="10.60.0.5"))
    write("postgresql-plain", "tcp", 5432, src % ("data-platform.pcap", "PostgreSQL wire startup"),
          capture_exchange("data-platform.pcap", 5432, server_ip="10.60.0.6"))


QUIC_SCRIPT = r'''
import sys
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.packet import QuicProtocolVersion
version = {"1": QuicProtocolVersion.VERSION_1, "2": QuicProtocolVersion.VERSION_2}[sys.argv[1]]
cfg = QuicConfiguration(is_client=True, alpn_protocols=["h3"], server_name="quic.demarc.test",
                        supported_versions=[version], original_version=version)
conn = QuicConnection(configuration=cfg)
conn.connect(("192.0.2.1", 443), now=0.0)
for data, _ in conn.datagrams_to_send(now=0.0):
    print(data.hex())
'''


def quic(python):
    for v in ("1", "2"):
        out = subprocess.run([python, "-c", QUIC_SCRIPT, v], check=True, capture_output=True, text=True).stdout.split()
        write(f"quic-v{v}-initial", "udp", 443, f"aioquic client Initial, QUIC version {v}, SNI quic.demarc.test",
              [(">", bytes.fromhex(h)) for h in out])


class Recorder:
    """A TCP proxy that logs what passes each way, as the payloads a capture would show."""

    def __init__(self, upstream):
        self.upstream, self.log, self.lock = upstream, [], threading.Lock()
        self.sock = socket.socket(); self.sock.bind(("127.0.0.1", 0)); self.sock.listen()
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def pump(self, a, b, direction):
        while True:
            try:
                data = a.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    b.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            with self.lock:
                self.log.append((direction, data))
            b.sendall(data)

    def serve(self):
        c, _ = self.sock.accept()
        s = socket.create_connection(("127.0.0.1", self.upstream))
        t = threading.Thread(target=self.pump, args=(s, c, "<"), daemon=True); t.start()
        self.pump(c, s, ">")
        t.join(5)


def line_server(script, tls_after=None, cert=None):
    """A scripted text-protocol server: greets, then answers each client line with the
    first matching reply; switches to TLS after the reply to `tls_after`."""
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()

    def run():
        conn, _ = srv.accept()
        f = conn.makefile("rb")
        conn.sendall(script["greeting"])
        while True:
            line = f.readline()
            if not line:
                break
            word = line.split(b" ")[0].strip().upper()
            if script.get("tagged"):
                word = line.split(b" ")[1].strip().upper() if b" " in line else word
            reply = script.get(word, script["default"])
            if callable(reply):
                reply = reply(line)
            conn.sendall(reply)
            if tls_after and word == tls_after:
                # The same dialogue goes on inside TLS.
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(*cert)
                conn = ctx.wrap_socket(conn, server_side=True)
                f = conn.makefile("rb")
                continue
            if word in (b"QUIT", b"LOGOUT"):
                break
        conn.close()

    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def text_protocols():
    import ftplib, imaplib, poplib, smtplib
    tmp = tempfile.mkdtemp()
    cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=mail.demarc.test"], check=True, capture_output=True)

    port = line_server({"greeting": b"220 mail.demarc.test ESMTP\r\n", b"QUIT": b"221 Bye\r\n",
                        b"EHLO": b"250-mail.demarc.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
                        b"STARTTLS": b"220 2.0.0 Ready to start TLS\r\n", "default": b"250 OK\r\n"},
                       tls_after=b"STARTTLS", cert=(cert, key))
    rec = Recorder(port)
    s = smtplib.SMTP("127.0.0.1", rec.port, local_hostname="client.demarc.test")
    s.ehlo(); ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    s.starttls(context=ctx); s.ehlo()
    try:
        s.quit()
    except Exception:
        pass
    threading.Event().wait(0.3)
    write("smtp-starttls", "tcp", 25, "Python smtplib (EHLO, STARTTLS with a real TLS handshake) against a scripted server", rec.log)

    port = line_server({"greeting": b"220 ftp.demarc.test FTP ready\r\n", b"USER": b"331 Password required\r\n",
                        b"PASS": b"230 Logged in\r\n", b"QUIT": b"221 Bye\r\n", "default": b"200 OK\r\n"})
    rec = Recorder(port)
    f = ftplib.FTP(); f.connect("127.0.0.1", rec.port); f.login("alice", "secret"); f.quit()
    threading.Event().wait(0.3)
    write("ftp", "tcp", 21, "Python ftplib login (USER/PASS in clear) against a scripted server", rec.log)

    port = line_server({"greeting": b"+OK POP3 ready\r\n", b"USER": b"+OK\r\n", b"PASS": b"+OK 0 messages\r\n",
                        b"STAT": b"+OK 0 0\r\n", b"QUIT": b"+OK bye\r\n", "default": b"+OK\r\n"})
    rec = Recorder(port)
    p = poplib.POP3("127.0.0.1", rec.port); p.user("alice"); p.pass_("secret"); p.stat(); p.quit()
    threading.Event().wait(0.3)
    write("pop3", "tcp", 110, "Python poplib login against a scripted server", rec.log)

    def tagged(reply):
        return lambda line: line.split(b" ")[0] + b" " + reply
    port = line_server({"greeting": b"* OK IMAP4rev1 ready\r\n", "tagged": True,
                        b"CAPABILITY": lambda line: b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + line.split(b" ")[0] + b" OK done\r\n",
                        b"LOGIN": tagged(b"OK LOGIN completed\r\n"),
                        b"LOGOUT": lambda line: b"* BYE\r\n" + line.split(b" ")[0] + b" OK bye\r\n",
                        "default": tagged(b"OK\r\n")})
    rec = Recorder(port)
    m = imaplib.IMAP4("127.0.0.1", rec.port); m.login("alice", "secret"); m.logout()
    threading.Event().wait(0.3)
    write("imap", "tcp", 143, "Python imaplib login against a scripted server", rec.log)


def scripted_server(replies, greeting=b"", close=False):
    """A TCP server that sends `greeting`, then answers the n-th chunk it receives with
    replies[n] (while there are replies), and closes when the client does (or, with
    `close`, after its last reply, as a WHOIS server does)."""
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()

    def run():
        conn, _ = srv.accept()
        if greeting:
            conn.sendall(greeting)
        n = 0
        while True:
            data = conn.recv(65536)
            if not data:
                break
            if n < len(replies) and replies[n]:
                conn.sendall(replies[n])
            n += 1
            if close and n >= len(replies):
                break
        conn.close()

    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def recorded(replies, command, greeting=b"", close=False):
    rec = Recorder(scripted_server(replies, greeting, close))
    try:
        subprocess.run([c.replace("{port}", str(rec.port)) for c in command], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        pass   # a client still waiting for a server that says nothing: what it sent is recorded
    threading.Event().wait(0.3)
    return rec.log


def udp_datagram(command):
    """The datagram a client sends to a UDP port (nobody answers). The client runs in a
    temporary folder: some (tftp) write what they fetch where they stand."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.settimeout(10)
    port = s.getsockname()[1]
    p = subprocess.Popen([c.replace("{port}", str(port)) for c in command], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.mkdtemp(),
                         start_new_session=True)
    data, _ = s.recvfrom(65536)
    # The whole process group: some exporters (pmacctd) fork helpers.
    try:
        os.killpg(p.pid, 9)
    except ProcessLookupError:
        pass
    p.wait()
    return [(">", data)]


def command_line_clients():
    write("redis", "tcp", 6379, "redis-cli PING (Debian redis-tools) against a scripted server",
          recorded([b"+PONG\r\n"], ["redis-cli", "-h", "127.0.0.1", "-p", "{port}", "PING"]))
    write("mqtt", "tcp", 1883, "mosquitto_pub (Debian mosquitto-clients) against a scripted broker",
          recorded([b"\x20\x02\x00\x00"], ["mosquitto_pub", "-h", "127.0.0.1", "-p", "{port}", "-t", "demarc/test",
                                          "-m", "hello", "-i", "demarc-fixture"]))
    bind_ok = bytes.fromhex("300c02010161070a010004000400")
    search_done = bytes.fromhex("300c02010265070a010004000400")
    write("ldap", "tcp", 389, "ldapsearch simple bind and search (Debian ldap-utils) against a scripted server",
          recorded([bind_ok, search_done], ["ldapsearch", "-x", "-H", "ldap://127.0.0.1:{port}", "-D",
                                            "cn=admin,dc=demarc,dc=test", "-w", "secret", "-b", "dc=demarc,dc=test",
                                            "(uid=alice)"]))
    write("telnet", "tcp", 23, "Debian's telnet client answering a server's option negotiation",
          recorded([b"login: "], ["sh", "-c", "sleep 1 | telnet 127.0.0.1 {port}"],
                   greeting=b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"))
    write("h2c", "tcp", 8080, "curl --http2-prior-knowledge (cleartext HTTP/2) against a scripted server",
          recorded([b""], ["curl", "-s", "-m", "2", "--http2-prior-knowledge", "http://127.0.0.1:{port}/api/v1/items"]))
    write("rsh", "tcp", 514, "rsh -l alice 127.0.0.1 uptime (Debian rsh-redone-client) against a scripted server",
          recorded([b"\0"], ["rsh", "-l", "alice", "-p", "{port}", "127.0.0.1", "uptime"], close=True))
    write("rlogin", "tcp", 513, "rlogin -l alice (Debian rsh-redone-client, on a pseudo-terminal) against a scripted server",
          recorded([b"\0"], ["script", "-q", "-c", "rlogin -l alice -p {port} 127.0.0.1", "/dev/null"], close=True))
    write("whois", "tcp", 43, "Debian whois client against a scripted server",
          recorded([b"% no entries found\r\n"], ["whois", "-h", "127.0.0.1", "-p", "{port}", "example.test"], close=True))
    write("tftp", "udp", 69, "tftp-hpa client read request (Debian tftp-hpa)",
          udp_datagram(["tftp", "127.0.0.1", "{port}", "-c", "get", "demarc.cfg"]))
    write("radius", "udp", 1812, "radclient Access-Request with a user name and password (Debian freeradius-utils)",
          udp_datagram(["sh", "-c", "echo 'User-Name = alice, User-Password = secret' | "
                                    "radclient -r 1 -t 5 127.0.0.1:{port} auth testing123"]))
    # FreeTDS's `encryption` setting: off sends ENCRYPT_NOT_SUP, request ENCRYPT_OFF (login
    # only), require ENCRYPT_ON.
    for setting in ("off", "request", "require"):
        conf = os.path.join(tempfile.mkdtemp(), "freetds.conf")
        rec = Recorder(scripted_server([]))
        with open(conf, "w") as f:
            f.write(f"[demo]\n\thost = 127.0.0.1\n\tport = {rec.port}\n\ttds version = 7.4\n\tencryption = {setting}\n")
        try:
            subprocess.run(["tsql", "-S", "demo", "-U", "sa", "-P", "secret"], env={"FREETDSCONF": conf, "PATH": os.environ["PATH"]},
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=5)
        except subprocess.TimeoutExpired:
            pass
        threading.Event().wait(0.3)
        write(f"tds-encryption-{setting}", "tcp", 1433, f"FreeTDS tsql PRELOGIN with encryption = {setting} (Debian freetds-bin)",
              rec.log)
    # Flow exports: softflowd (Debian) reading this project's own capture, NetFlow v5,
    # v9 and IPFIX (the first datagram: v9's and IPFIX's carry templates, then data).
    pcap = os.path.join(ROOT, "captures", "overlay-network.pcap")
    for name, version, port in (("netflow-v5", "5", 2055), ("netflow-v9", "9", 2055), ("ipfix", "10", 4739)):
        write(name, "udp", port, f"softflowd -v {version} exporting the flows of captures/overlay-network.pcap (Debian softflowd)",
              udp_datagram(["softflowd", "-d", "-r", pcap, "-n", "127.0.0.1:{port}", "-v", version]))
    # sFlow: pmacctd's sfprobe plugin (Debian pmacct) sampling the same capture; its
    # configuration names the receiver, filled in once the port is known.
    conf = os.path.join(tempfile.mkdtemp(), "pmacctd.conf")
    with open(conf, "w") as f:
        f.write(f"daemonize: false\npcap_savefile: {pcap}\nplugins: sfprobe\n"
                "sfprobe_receiver: 127.0.0.1:RECEIVER\nsampling_rate: 1\n")
    write("sflow", "udp", 6343, "pmacctd -P sfprobe (Debian pmacct) sampling captures/overlay-network.pcap, sFlow v5",
          udp_datagram(["sh", "-c", f"sed s/RECEIVER/{{port}}/ {conf} > {conf}.run && exec pmacctd -f {conf}.run"]))
    write("syslog", "udp", 514, "logger --udp --rfc5424 (util-linux)",
          udp_datagram(["logger", "--server", "127.0.0.1", "--port", "{port}", "--udp", "--rfc5424", "demarc fixture"]))
    write("syslog-tcp", "tcp", 601, "logger --tcp --rfc5424 --octet-count (util-linux) against a scripted collector",
          recorded([], ["logger", "--server", "127.0.0.1", "--port", "{port}", "--tcp", "--rfc5424", "--octet-count",
                        "demarc fixture over TCP"]))
    write("syslog-bsd-tcp", "tcp", 514, "logger --tcp --rfc3164 (util-linux) against a scripted collector",
          recorded([], ["logger", "--server", "127.0.0.1", "--port", "{port}", "--tcp", "--rfc3164", "demarc fixture"]))
    write("snmp", "udp", 161, "snmpget -v2c -c public sysDescr.0 (Debian snmp)",
          udp_datagram(["snmpget", "-v2c", "-c", "public", "-t", "5", "-r", "0", "127.0.0.1:{port}", "1.3.6.1.2.1.1.1.0"]))


def needs_root(why):
    """A recorder that runs only as root, saying why it was skipped otherwise."""
    def wrap(record):
        @functools.wraps(record)
        def run():
            if os.geteuid() != 0:
                print(f"{record.__name__}: skipped ({why})")
                return
            record()
        return run
    return wrap


@needs_root("the kernel's VXLAN device needs root")
def kernel_vxlan():
    """A VXLAN packet as the Linux kernel encapsulates it, read off `lo` (needs root)."""
    port, dev = free_port(), "demarcvx0"
    ip = lambda *a: subprocess.run(["ip", *a], check=True, capture_output=True)
    subprocess.run(["ip", "link", "del", dev], capture_output=True)
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    raw.bind(("lo", 0)); raw.settimeout(5)
    try:
        # A device with a fixed local remote would hand the frame straight to a local
        # VXLAN device instead of sending it; in metadata mode a route says where the
        # tunnel goes, and the encapsulated datagram travels over lo.
        ip("link", "add", dev, "type", "vxlan", "dstport", str(port), "external")
        ip("addr", "add", "10.199.0.1/24", "dev", dev)
        ip("link", "set", dev, "up")
        ip("route", "add", "10.199.0.2/32", "encap", "ip", "id", "4242", "dst", "127.0.0.1", "dev", dev)
        ip("neigh", "add", "10.199.0.2", "lladdr", "02:00:00:00:00:02", "dev", dev)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("10.199.0.1", 40000)); s.sendto(b"demarc overlay fixture", ("10.199.0.2", 9999)); s.close()
        while True:
            frame = raw.recv(65536)
            if frame[12:14] != b"\x08\x00" or frame[23] != 17:
                continue
            l4 = frame[14 + (frame[14] & 15) * 4:]
            if struct.unpack(">H", l4[2:4])[0] == port:
                write("vxlan", "udp", 4789, "the Linux kernel's VXLAN device (ip link add type vxlan external, route encap id 4242), "
                      "a UDP datagram from 10.199.0.1:40000 to 10.199.0.2:9999 behind it", [(">", l4[8:])])
                return
    finally:
        raw.close()
        subprocess.run(["ip", "link", "del", dev], capture_output=True)


@contextlib.contextmanager
def lo_capture(pcap, bpf):
    """tcpdump on `lo` around the body: started and settled before it, stopped after it
    (in immediate mode, so no packet waits in its buffer when it stops)."""
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-w", pcap, bpf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        threading.Event().wait(1.5)
        yield
        threading.Event().wait(0.5)
    finally:
        dump.terminate(); dump.wait()


@contextlib.contextmanager
def running(command, port=None, cwd=None):
    """A process for the body: started (and listening on `port`, when given) before it,
    terminated after."""
    proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if port:
            wait_port(port)
        yield proc
    finally:
        proc.terminate(); proc.wait()


def work_dir(files):
    """A temporary directory holding configuration files: `files(work)` gives each
    name's text, which may name paths inside the directory itself."""
    work = tempfile.mkdtemp()
    for name, text in files(work).items():
        with open(os.path.join(work, name), "w") as f:
            f.write(text)
    return work


@needs_root("osmo-ggsn's tun device needs root")
def osmocom_gtp():
    """GTP as a mobile core speaks it: Osmocom's sgsnemu (Debian's osmo-ggsn package)
    opens a PDP context with osmo-ggsn over GTP-C version 1 and pings through the GTP-U
    tunnel it gets; both read off `lo` (osmo-ggsn's tun device needs root)."""
    work = work_dir(lambda w: {
        "ggsn.cfg": "log stderr\n logging level set-all notice\nggsn ggsn0\n gtp state-dir " + w + "\n"
                    " gtp bind-ip 127.0.0.2\n apn internet\n  gtpu-mode tun\n  tun-device demarcgtp0\n"
                    "  type-support v4\n  ip prefix dynamic 10.45.0.0/24\n  ip dns 0 10.45.0.1\n"
                    "  ip ifconfig 10.45.0.0/24\n  no shutdown\n default-apn internet\n no shutdown ggsn\n"})
    pcap = os.path.join(work, "gtp.pcap")
    with running(["osmo-ggsn", "-c", os.path.join(work, "ggsn.cfg")], cwd=work), \
            lo_capture(pcap, "udp port 2123 or udp port 2152"):
        # sgsnemu waits for its pings' answers: coreutils' timeout ends it, and it
        # deletes the context as it goes. It keeps its restart counter and pid file in
        # its cwd.
        subprocess.run(["timeout", "5", "sgsnemu", "-l", "127.0.0.1", "-r", "127.0.0.2", "--apn", "internet",
                        "--imsi", "001010000000001", "--pinghost", "10.45.0.1", "--pingcount", "3"],
                       cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    write("gtp-c", "udp", 2123, "Osmocom sgsnemu creating a PDP context with osmo-ggsn (GTPv1-C, Debian's osmo-ggsn)",
          capture_exchange(pcap, 2123, server_ip="127.0.0.2"))
    write("gtp-u", "udp", 2152, "Osmocom sgsnemu pinging through the GTP-U tunnel osmo-ggsn set up (Debian's osmo-ggsn)",
          capture_exchange(pcap, 2152, server_ip="127.0.0.2"))


@needs_root("tgtd needs root")
def iscsi():
    """An iSCSI session: libiscsi's iscsi-inq (Debian's libiscsi-bin) logs in to tgt's
    userspace target (Debian's tgt) and inquires of a file-backed disk; read off `lo`."""
    work = tempfile.mkdtemp()
    disk = os.path.join(work, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(8 << 20)
    port = free_port()
    pcap = os.path.join(work, "iscsi.pcap")
    tgtd = subprocess.Popen(["tgtd", "-f", "--iscsi", f"portal=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        iqn = "iqn.2026-11.test.demarc:disk1"
        adm = lambda *a: subprocess.run(["tgtadm", "--lld", "iscsi", *a], check=True, capture_output=True)
        adm("--op", "new", "--mode", "target", "--tid", "1", "-T", iqn)
        adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", disk)
        adm("--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL")
        with lo_capture(pcap, f"tcp port {port}"):
            subprocess.run(["iscsi-inq", f"iscsi://127.0.0.1:{port}/{iqn}/1"], check=True, capture_output=True, timeout=10)
    finally:
        # tgtd ignores SIGTERM; this is how it is told to stop.
        subprocess.run(["tgtadm", "--op", "delete", "--mode", "system"], capture_output=True)
        try:
            tgtd.wait(5)
        except subprocess.TimeoutExpired:
            tgtd.kill(); tgtd.wait()
    write("iscsi", "tcp", 3260, "libiscsi's iscsi-inq (Debian) logging in to tgt's target (Debian) and inquiring of its disk",
          capture_exchange(pcap, port))


def openvswitch():
    """Open vSwitch's control planes (Debian's openvswitch-switch): ovs-ofctl asks a
    userspace (netdev) bridge of ovs-vswitchd for its features over OpenFlow 1.3, and
    ovs-vsctl lists bridges over OVSDB from ovsdb-server; both read off `lo`. Everything
    runs from a temporary directory (no system service is touched)."""
    work = tempfile.mkdtemp()
    env = dict(os.environ, OVS_RUNDIR=work, OVS_LOGDIR=work, OVS_DBDIR=work)
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True, env=env, timeout=20)
    db, sock = os.path.join(work, "conf.db"), "unix:" + os.path.join(work, "db.sock")
    of_port, db_port = free_port(), free_port()
    pcap = os.path.join(work, "ovs.pcap")
    run("ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema")
    run("ovsdb-server", db, "--remote=p" + sock, f"--remote=ptcp:{db_port}:127.0.0.1", "--detach", "--no-chdir",
        "--pidfile=" + os.path.join(work, "ovsdb.pid"), "--unixctl=" + os.path.join(work, "ovsdb.ctl"),
        "--log-file=" + os.path.join(work, "ovsdb.log"))
    try:
        run("ovs-vsctl", "--db=" + sock, "--no-wait", "init")
        run("ovs-vswitchd", sock, "--detach", "--no-chdir", "--pidfile=" + os.path.join(work, "vs.pid"),
            "--unixctl=" + os.path.join(work, "vs.ctl"), "--log-file=" + os.path.join(work, "vs.log"))
        run("ovs-vsctl", "--db=" + sock, "add-br", "demarcbr0", "--", "set", "bridge", "demarcbr0", "datapath_type=netdev",
            "--", "set-controller", "demarcbr0", f"ptcp:{of_port}:127.0.0.1")
        wait_port(of_port)
        with lo_capture(pcap, f"tcp port {of_port} or tcp port {db_port}"):
            run("ovs-ofctl", "-O", "OpenFlow13", "show", f"tcp:127.0.0.1:{of_port}")
            run("ovs-vsctl", f"--db=tcp:127.0.0.1:{db_port}", "list-br")
    finally:
        for pid in ("vs.pid", "ovsdb.pid"):
            try:
                os.kill(int(open(os.path.join(work, pid)).read()), 15)
            except (OSError, ValueError):
                pass
    write("openflow", "tcp", 6653, "ovs-ofctl (Open vSwitch, Debian) asking ovs-vswitchd's bridge for its features, OpenFlow 1.3",
          capture_exchange(pcap, of_port))
    ovsdb = capture_exchange(pcap, db_port, limit=2)
    write("ovsdb", "tcp", 6640, "ovs-vsctl list-br against ovsdb-server (Open vSwitch, Debian), the first requests and replies",
          [(d, data[:2048]) for d, data in ovsdb])


@needs_root("rpcbind needs root")
def onc_rpc():
    """ONC RPC over TCP: rpcinfo asking Debian's rpcbind for its registrations (a
    GETADDR call, then DUMP), read off `lo`; rpcbind takes port 111, so root only."""
    pcap = os.path.join(tempfile.mkdtemp(), "rpc.pcap")
    with running(["rpcbind", "-f", "-w"], port=111), lo_capture(pcap, "tcp port 111"):
        subprocess.run(["rpcinfo", "-p", "127.0.0.1"], check=True, capture_output=True, timeout=10)
    write("onc-rpc", "tcp", 111, "rpcinfo -p against rpcbind (Debian): portmapper calls with AUTH_SYS/AUTH_NULL over TCP",
          capture_exchange(pcap, 111))


@needs_root("pptpd needs root")
def pptp():
    """PPTP's control connection: Debian's pptp client (pptp-linux, without launching
    pppd) against pptpd, which answers the start and the outgoing call; read off `lo`.
    pptpd takes port 1723, so root only."""
    work = work_dir(lambda w: {
        "options": "name pptpd\nnodefaultroute\n",
        "pptpd.conf": f"option {w}/options\nlocalip 10.77.0.1\nremoteip 10.77.0.100-110\nlisten 127.0.0.1\n"})
    pcap = os.path.join(work, "pptp.pcap")
    with running(["pptpd", "-f", "-c", os.path.join(work, "pptpd.conf")], port=1723), lo_capture(pcap, "tcp port 1723"):
        subprocess.run(["timeout", "5", "pptp", "127.0.0.1", "--nolaunchpppd"], capture_output=True, timeout=20)
    write("pptp", "tcp", 1723, "Debian's pptp client (--nolaunchpppd) against pptpd: the control connection",
          capture_exchange(pcap, 1723))


@needs_root("xl2tpd needs root")
def l2tp():
    """An L2TP tunnel and session set up between two xl2tpd daemons (Debian), an LNS on
    127.0.0.2 and an LAC that dials it at once; the control exchange read off `lo`.
    Both take port 1701, so root only."""
    work = work_dir(lambda w: {
        "options": "noauth\n",
        "lns.conf": f"[global]\nlisten-addr = 127.0.0.2\nport = 1701\n[lns default]\nip range = 10.78.0.10-10.78.0.20\n"
                    f"local ip = 10.78.0.1\nrequire authentication = no\nhostname = demarc-lns\npppoptfile = {w}/options\n",
        "lac.conf": f"[global]\nlisten-addr = 127.0.0.1\nport = 1701\n[lac demarc]\nlns = 127.0.0.2\n"
                    f"require authentication = no\nhostname = demarc-lac\npppoptfile = {w}/options\nautodial = yes\n"})
    pcap = os.path.join(work, "l2tp.pcap")
    daemon = lambda role: ["xl2tpd", "-D", "-c", f"{work}/{role}.conf", "-p", f"{work}/{role}.pid", "-C", f"{work}/{role}.ctl"]
    with running(daemon("lns")), lo_capture(pcap, "udp port 1701"):
        subprocess.run(["timeout", "3", *daemon("lac")], capture_output=True, timeout=20)
    write("l2tp", "udp", 1701, "xl2tpd (Debian) as LAC dialling xl2tpd as LNS: tunnel and session set-up",
          capture_exchange(pcap, 1701, server_ip="127.0.0.2"))


def sip_sdes():
    """A SIP call offering SRTP with SDES keys: Debian's baresip (srtp module, an account
    with mediaenc=srtp-mand) dials a UDP socket that records its INVITE."""
    work = work_dir(lambda w: {
        "config": "poll_method epoll\nsip_listen 127.0.0.1:0\nmodule_path /usr/lib/baresip/modules\n"
                  "module stdio.so\nmodule g711.so\nmodule ausine.so\nmodule aufile.so\nmodule srtp.so\n"
                  "module_app account.so\nmodule_app menu.so\naudio_player aufile,/dev/null\n"
                  "audio_source ausine,440\naudio_alert aufile,/dev/null\n",
        "accounts": "<sip:alice@127.0.0.1>;regint=0;mediaenc=srtp-mand\n"})
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0)); s.settimeout(10)
    with s, running(["baresip", "-f", work, "-e", f"/dial sip:bob@127.0.0.1:{s.getsockname()[1]}"]):
        invite, _ = s.recvfrom(65535)
    write("sip-sdes", "udp", 5060, "baresip (Debian) with SRTP required dialling out: its INVITE, SDES keys in the SDP",
          [(">", invite)])


def vnc():
    """VNC as TigerVNC speaks it (Debian): its viewer, on an Xvfb display, connects to an
    Xvnc server once with VeNCrypt's TLSNone (a TLS handshake follows the security type)
    and once with security type None; read off `lo`."""
    work = tempfile.mkdtemp()
    display, port = ":%d" % (90 + os.getpid() % 5), free_port()
    with running(["Xvfb", display, "-screen", "0", "320x200x24"]):
        for _ in range(50):   # the viewer needs the display up (a stale socket file is not)
            try:
                with socket.socket(socket.AF_UNIX) as x:
                    x.connect("/tmp/.X11-unix/X" + display[1:])
                break
            except OSError:
                threading.Event().wait(0.1)
        for name, security in (("vnc-vencrypt", "TLSNone"), ("vnc", "None")):
            server_display = ":%d" % (95 + os.getpid() % 4)
            pcap = os.path.join(work, name + ".pcap")
            with running(["Xvnc", server_display, "-rfbport", str(port), "-localhost", "-SecurityTypes", security,
                          "-geometry", "320x200"], port=port), lo_capture(pcap, f"tcp port {port}"):
                subprocess.run(["timeout", "4", "vncviewer", "-SecurityTypes", security, f"127.0.0.1::{port}"],
                               env=dict(os.environ, DISPLAY=display), capture_output=True, timeout=20)
            write(name, "tcp", 5900, f"TigerVNC's viewer against Xvnc (Debian), security {security}",
                  capture_exchange(pcap, port, limit=6))


def wait_port(port, timeout=10):
    for _ in range(int(timeout * 20)):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            threading.Event().wait(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    return port


def daemons():
    """Real servers and their own clients: git daemon with git ls-remote, gearmand with
    the gearman client."""
    repo = tempfile.mkdtemp()
    subprocess.run(["git", "init", "-q", "--bare", os.path.join(repo, "demo.git")], check=True)
    port = free_port()
    d = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", f"--port={port}",
                          f"--base-path={repo}", repo], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        rec = Recorder(port)
        subprocess.run(["git", "ls-remote", f"git://127.0.0.1:{rec.port}/demo.git"], capture_output=True, timeout=20)
        threading.Event().wait(0.3)
        write("git", "tcp", 9418, "git ls-remote against git daemon (git://)", rec.log)
    finally:
        d.terminate(); d.wait()

    port = free_port()
    conf = os.path.join(repo, "rsyncd.conf")
    with open(conf, "w") as f:
        f.write(f"use chroot = no\n[demo]\npath = {repo}\nread only = yes\n")
    r = subprocess.Popen(["rsync", "--daemon", "--no-detach", f"--port={port}", "--address=127.0.0.1", f"--config={conf}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        rec = Recorder(port)
        subprocess.run(["rsync", f"rsync://127.0.0.1:{rec.port}/"], capture_output=True, timeout=20)
        threading.Event().wait(0.3)
        write("rsync", "tcp", 873, "rsync client listing modules of rsync --daemon (Debian rsync)", rec.log)
    finally:
        r.terminate(); r.wait()

    port = free_port()
    g = subprocess.Popen(["gearmand", "--listen=127.0.0.1", f"--port={port}", "--log-file=none"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        # wait_port's probe was the daemon's first connection; the recorder takes the next.
        rec = Recorder(port)
        subprocess.run(["gearman", "-h", "127.0.0.1", "-p", str(rec.port), "-f", "reverse", "-b", "--", "hello demarc"],
                       capture_output=True, timeout=20)
        threading.Event().wait(0.3)
        write("gearman", "tcp", 4730, "gearman client background job against gearmand (Debian gearman-tools, gearman-job-server)",
              rec.log)
    finally:
        g.terminate(); g.wait()


def pypi_protocols():
    """Clients and servers from PyPI libraries (run in the interpreter that has them)."""
    from websockets.sync.client import connect
    from websockets.sync.server import serve
    import simplefix

    def echo(ws):
        for message in ws:
            ws.send(message)
    srv = serve(echo, "127.0.0.1", 0, compression=None)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    rec = Recorder(srv.socket.getsockname()[1])
    with connect(f"ws://127.0.0.1:{rec.port}/chat", compression=None) as ws:
        ws.send("hello from the demarc fixture recorder")
        ws.recv()
    threading.Event().wait(0.3)
    srv.shutdown()
    # The frames after the HTTP upgrade: what a capture that began mid-connection shows.
    frames = rec.log[2:]
    write("websocket-frames", "tcp", 8765, "websockets (PyPI) client and echo server, text frames after the upgrade "
          "(permessage-deflate off)", frames)

    def fix_logon(sender, target):
        m = simplefix.FixMessage()
        m.append_pair(8, "FIX.4.4"); m.append_pair(35, "A"); m.append_pair(49, sender); m.append_pair(56, target)
        m.append_pair(34, 1); m.append_utc_timestamp(52); m.append_pair(98, 0); m.append_pair(108, 30)
        return m.encode()
    rec = Recorder(scripted_server([fix_logon(b"EXCHANGE", b"DEMARC")]))
    s = socket.create_connection(("127.0.0.1", rec.port)); s.sendall(fix_logon(b"DEMARC", b"EXCHANGE")); s.recv(4096); s.close()
    threading.Event().wait(0.3)
    write("fix", "tcp", 9878, "FIX 4.4 Logon both ways, encoded by simplefix (PyPI)", rec.log)

    write("modbus", "tcp", 502, "pymodbus (PyPI) read holding registers request",
          recorded([], [sys.executable, "-c", "import sys\nfrom pymodbus.client import ModbusTcpClient\n"
                        "c = ModbusTcpClient('127.0.0.1', port=int(sys.argv[1]), timeout=1, retries=0)\n"
                        "c.connect()\ntry:\n    c.read_holding_registers(100, count=2, device_id=1)\nexcept Exception:\n    pass\n",
                        "{port}"]))
    kafka = (
        "import sys\nfrom kafka import KafkaConsumer\ntry:\n"
        "    KafkaConsumer(bootstrap_servers=f'127.0.0.1:{sys.argv[1]}', client_id='demarc-fixture',\n"
        "                  request_timeout_ms=1500)\nexcept Exception:\n    pass\n")
    write("kafka", "tcp", 9092, "kafka-python (PyPI) client's first request against a silent broker",
          recorded([], [sys.executable, "-c", kafka, "{port}"]))
    amqp = (
        "import sys, pika\ntry:\n"
        "    pika.BlockingConnection(pika.ConnectionParameters('127.0.0.1', int(sys.argv[1]), socket_timeout=1,\n"
        "                            connection_attempts=1, blocked_connection_timeout=1))\nexcept Exception:\n    pass\n")
    write("amqp", "tcp", 5672, "pika (PyPI) AMQP 0-9-1 client opening a connection",
          recorded([], ["timeout", "5", sys.executable, "-c", amqp, "{port}"]))
    irc = (
        "import sys, irc.client\nr = irc.client.Reactor()\n"
        "r.server().connect('127.0.0.1', int(sys.argv[1]), 'demarcbot', username='demarc', ircname='demarc fixture')\n"
        "r.process_once(timeout=0.5)\n")
    write("irc", "tcp", 6667, "irc (PyPI) client registering (NICK, USER)", recorded([], [sys.executable, "-c", irc, "{port}"]))
    port = free_port()
    m = subprocess.Popen(["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "root"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        rec = Recorder(port)
        from pymemcache.client.base import Client
        mc = Client(("127.0.0.1", rec.port), connect_timeout=2, timeout=2)
        mc.set("session:42", "alice"); mc.get("session:42"); mc.close()
        threading.Event().wait(0.3)
        write("memcached", "tcp", 11211, "pymemcache (PyPI) set and get against memcached (Debian)", rec.log)
    finally:
        m.terminate(); m.wait()
    # NATS: Debian's nats-server and the nats-py client (PyPI) publishing one message,
    # then the same against a server that requires TLS (the client upgrades after INFO).
    nats_client = (
        "import asyncio, ssl, sys\nimport nats\n"
        "async def main():\n"
        "    tls = None\n"
        "    if sys.argv[2] == 'tls':\n"
        "        tls = ssl.create_default_context(); tls.check_hostname = False; tls.verify_mode = ssl.CERT_NONE\n"
        "    nc = await nats.connect(f'nats://127.0.0.1:{sys.argv[1]}', tls=tls, connect_timeout=3,\n"
        "                            allow_reconnect=False, name='demarc-fixture')\n"
        "    await nc.publish('orders.created', b'{\"id\": 42}')\n"
        "    await nc.flush(); await nc.close()\n"
        "asyncio.run(main())\n")
    certdir = tempfile.mkdtemp()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=nats.demarc.test",
                    "-keyout", f"{certdir}/key.pem", "-out", f"{certdir}/cert.pem"], check=True, capture_output=True)
    for name, extra in (("nats", []), ("nats-tls", ["--tls", "--tlscert", f"{certdir}/cert.pem", "--tlskey", f"{certdir}/key.pem"])):
        port = free_port()
        server = subprocess.Popen(["nats-server", "-a", "127.0.0.1", "-p", str(port), *extra],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            rec = Recorder(port)
            subprocess.run([sys.executable, "-c", nats_client, str(rec.port), "tls" if extra else "plain"],
                           check=True, capture_output=True, timeout=20)
            threading.Event().wait(0.3)
        finally:
            server.terminate(); server.wait()
        source = "nats-py (PyPI) publishing one message to Debian's nats-server"
        write(name, "tcp", 4222, source + (" with --tls (the client upgrades after INFO)" if extra else ""), rec.log)
    coap_client = os.path.join(os.path.dirname(sys.executable), "aiocoap-client")
    write("coap", "udp", 5683, "aiocoap-client (PyPI) GET request",
          udp_datagram([coap_client, "coap://127.0.0.1:{port}/sensors/temperature"]))


def ice_media():
    """ICE and the media it sets up on one 5-tuple, as WebRTC, WhatsApp and Signal calls
    send it: aioice's STUN binding request and success response, then RTP and an RTCP
    compound (sender report, source description) serialized by aiortc, protected by
    libsrtp through pylibsrtp (all PyPI), with an HMAC-SHA1-80 and an AEAD-GCM profile;
    and the same media left unprotected."""
    from aioice import stun
    from aiortc.rtp import RtpPacket, RtcpSrPacket, RtcpSenderInfo, RtcpSdesPacket, RtcpSourceInfo
    import pylibsrtp

    def check(request):
        m = stun.Message(stun.Method.BINDING, stun.Class.REQUEST if request else stun.Class.RESPONSE,
                         transaction_id=b"demarc-ice-1")
        if request:
            m.attributes["USERNAME"] = "demarcB:demarcA"
            m.attributes["PRIORITY"] = 1853824767
            m.attributes["ICE-CONTROLLING"] = 0x0123456789ABCDEF
        else:
            m.attributes["XOR-MAPPED-ADDRESS"] = ("10.0.0.1", 40000)
        m.add_message_integrity(b"demarc-ice-password")
        m.add_fingerprint()
        return bytes(m)

    def media(ssrc, n):
        rtp = [RtpPacket(payload_type=111, sequence_number=100 + i, timestamp=960 * i, ssrc=ssrc,
                         payload=os.urandom(60 + i)).serialize() for i in range(n)]
        sr = RtcpSrPacket(ssrc=ssrc, sender_info=RtcpSenderInfo(ntp_timestamp=0xE5982854F0F927C8, rtp_timestamp=960 * n,
                                                                 packet_count=n, octet_count=sum(len(p) - 12 for p in rtp)))
        sdes = RtcpSdesPacket(chunks=[RtcpSourceInfo(ssrc=ssrc, items=[(1, b"demarc-fixture")])])
        return rtp, bytes(sr) + bytes(sdes)

    for name, profile, key_len in (("srtp-sha1", pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 30),
                                   ("srtp-gcm", pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 28)):
        sides = {}
        for d, ssrc in ((">", 0x1234ABCD), ("<", 0x5678EF01)):
            session = pylibsrtp.Session(pylibsrtp.Policy(key=os.urandom(key_len), ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                                                         srtp_profile=profile))
            rtp, rtcp = media(ssrc, 3)
            sides[d] = [session.protect(p) for p in rtp] + [session.protect_rtcp(rtcp)]
        exchange = [(">", check(True)), ("<", check(False))]
        for i in range(4):
            exchange += [(">", sides[">"][i]), ("<", sides["<"][i])]
        write("ice-" + name, "udp", 3478, "aioice STUN check, then aiortc RTP and RTCP protected by libsrtp (pylibsrtp, "
              + ("AES128_CM_HMAC_SHA1_80" if key_len == 30 else "AEAD_AES_128_GCM") + ")", exchange)
    rtp, rtcp = media(0x1234ABCD, 3)
    write("ice-rtp", "udp", 3478, "aioice STUN check, then aiortc RTP and RTCP unprotected",
          [(">", check(True)), ("<", check(False))] + [(">", p) for p in rtp] + [(">", rtcp)])


def dcerpc():
    """DCE/RPC binds from impacket (PyPI), a full MS-RPC client, to the endpoint mapper:
    one with NTLMSSP at packet privacy, one without authentication; the server records
    the bind and says nothing."""
    from impacket.dcerpc.v5 import transport, epm
    from impacket.dcerpc.v5.rpcrt import RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_AUTHN_LEVEL_NONE

    for name, level in (("dcerpc-privacy", RPC_C_AUTHN_LEVEL_PKT_PRIVACY), ("dcerpc-plain", RPC_C_AUTHN_LEVEL_NONE)):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0)); srv.listen(1)
        received = []

        def serve():
            conn, _ = srv.accept()
            conn.settimeout(2)
            try:
                received.append(conn.recv(65536))
            except OSError:
                pass
            conn.close()
        t = threading.Thread(target=serve); t.start()
        rpc = transport.DCERPCTransportFactory(f"ncacn_ip_tcp:127.0.0.1[{srv.getsockname()[1]}]")
        if level != RPC_C_AUTHN_LEVEL_NONE:
            rpc.set_credentials("alice", "secret", "DEMARC")
        dce = rpc.get_dce_rpc()
        dce.set_auth_level(level)
        try:
            dce.connect()
            dce.bind(epm.MSRPC_UUID_PORTMAP)
        except Exception:
            pass   # the server never answers
        t.join(); srv.close()
        write(name, "tcp", 135, "impacket (PyPI) binding to the endpoint mapper" +
              (", NTLMSSP at packet privacy" if level == RPC_C_AUTHN_LEVEL_PKT_PRIVACY else ", no authentication"),
              [(">", received[0])])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quic-python", "--pypi-python", dest="pypi_python", default=sys.executable,
                    help="an interpreter with aioquic, websockets, simplefix, pymodbus, aiocoap, kafka-python, pika, irc, pymemcache, nats-py, aioice, aiortc, pylibsrtp and impacket")
    ap.add_argument("--only-pypi", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--only", choices=["ice_media", "osmocom_gtp", "iscsi", "openvswitch", "onc_rpc", "pptp", "l2tp", "dcerpc", "sip_sdes", "vnc"], help="record only this group (in this interpreter)")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if a.only:
        globals()[a.only]()
        return
    if a.only_pypi:
        pypi_protocols()
        ice_media()
        dcerpc()
        return
    from_captures()
    quic(a.pypi_python)
    text_protocols()
    command_line_clients()
    daemons()
    kernel_vxlan()
    osmocom_gtp()
    iscsi()
    openvswitch()
    onc_rpc()
    pptp()
    l2tp()
    sip_sdes()
    vnc()
    subprocess.run([a.pypi_python, os.path.abspath(__file__), "--only-pypi"], check=True)


if __name__ == "__main__":
    main()
