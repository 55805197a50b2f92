#!/usr/bin/env python3
"""Protocol endpoints for scripts/record-captures.sh: real sockets, real TLS (Python's
ssl module over OpenSSL), speaking the protocols' actual wire formats.

  netsim.py dns-server IP                      answer A queries on udp/53 until killed
  netsim.py dns-query SERVER NAME [--bind IP]  one A query, print the answer
  netsim.py mdns-query NAME                    one multicast DNS A query (QM, from port 5353)
  netsim.py pg-server IP PORT CERT KEY         PostgreSQL-wire server: SSLRequest -> 'S' + TLS
  netsim.py pg-client SERVER PORT --tls|--plain [--bind IP] [--cafile F]
  netsim.py tcp-probe SERVER PORT [--bind IP] [--payload HEX]   connect, send, close
"""
import argparse, socket, ssl, struct, sys, time


def dns_server(ip):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 53))
    while True:
        data, peer = s.recvfrom(2048)
        if len(data) < 12:
            continue
        qid = data[:2]
        # Copy the question, answer it with one A record pointing at 172.16.5.20.
        end = 12
        while data[end] != 0:
            end += 1 + data[end]
        question = data[12:end + 5]
        header = qid + b"\x81\x80" + struct.pack(">HHHH", 1, 1, 0, 0)
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + socket.inet_aton("172.16.5.20")
        s.sendto(header + question + answer, peer)


def dns_query(server, name, bind):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if bind:
        s.bind((bind, 0))
    s.settimeout(3)
    s.sendto(dns_question(0x1234, name), (server, 53))
    data, _ = s.recvfrom(2048)
    print("dns answer: %d bytes" % len(data))


def dns_question(qid, name):
    """A DNS query message with one A question for NAME."""
    q = struct.pack(">HHHHHH", qid, 0x0100 if qid else 0, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def mdns_query(name):
    """Asks 224.0.0.251:5353 for NAME's A record as a full mDNS querier does (RFC 6762):
    from port 5353, ID 0, no recursion, TTL 255, so the answer is multicast too."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 5353))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("224.0.0.251") + socket.inet_aton("0.0.0.0"))
    s.settimeout(2)
    s.sendto(dns_question(0, name), ("224.0.0.251", 5353))
    try:
        while True:
            data, peer = s.recvfrom(9000)
            if len(data) > 12 and data[2] & 0x80:   # a response (its own query loops back)
                print("mdns answer from %s: %d bytes" % (peer[0], len(data)))
                return
    except socket.timeout:
        print("mdns: no answer")


def pg_message(kind, body):
    return kind + struct.pack(">I", len(body) + 4) + body


def pg_serve_session(conn):
    """After the startup message: authentication OK, parameters, ready; answer queries."""
    conn.sendall(pg_message(b"R", struct.pack(">I", 0))
                 + pg_message(b"S", b"server_version\x0016.0\x00")
                 + pg_message(b"Z", b"I"))
    while True:
        head = conn.recv(5)
        if len(head) < 5:
            return
        kind, length = head[:1], struct.unpack(">I", head[1:])[0]
        body = b""
        while len(body) < length - 4:
            chunk = conn.recv(length - 4 - len(body))
            if not chunk:
                return
            body += chunk
        if kind == b"X":
            return
        if kind == b"Q":
            row = b"42"
            conn.sendall(pg_message(b"T", struct.pack(">H", 1) + b"answer\x00" + struct.pack(">IHIhih", 0, 0, 23, 4, -1, 0))
                         + pg_message(b"D", struct.pack(">HI", 1, len(row)) + row)
                         + pg_message(b"C", b"SELECT 1\x00") + pg_message(b"Z", b"I"))


def read_startup(conn):
    head = conn.recv(4)
    length = struct.unpack(">I", head)[0]
    body = b""
    while len(body) < length - 4:
        body += conn.recv(length - 4 - len(body))
    return struct.unpack(">I", body[:4])[0]


def pg_server(ip, port, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ip, int(port)))
    ls.listen(4)
    while True:
        conn, _ = ls.accept()
        try:
            code = read_startup(conn)
            if code == 80877103:  # SSLRequest
                conn.sendall(b"S")
                conn = ctx.wrap_socket(conn, server_side=True)
                read_startup(conn)
            pg_serve_session(conn)
        except (OSError, ssl.SSLError, struct.error):
            pass
        finally:
            conn.close()


def pg_client(server, port, tls, bind, cafile):
    s = socket.socket()
    if bind:
        s.bind((bind, 0))
    s.settimeout(5)
    s.connect((server, int(port)))
    if tls:
        s.sendall(struct.pack(">II", 8, 80877103))
        assert s.recv(1) == b"S"
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = False
        s = ctx.wrap_socket(s)
    params = b"user\x00analytics\x00database\x00orders\x00\x00"
    s.sendall(struct.pack(">II", 8 + len(params), 196608) + params)
    s.recv(4096)
    s.sendall(pg_message(b"Q", b"SELECT card_number FROM payments LIMIT 1\x00"))
    time.sleep(0.2)
    s.recv(4096)
    s.sendall(pg_message(b"X", b""))
    s.close()
    print("postgres session done (%s)" % ("tls" if tls else "plain"))


def tcp_probe(server, port, bind, payload):
    s = socket.socket()
    if bind:
        s.bind((bind, 0))
    s.settimeout(3)
    try:
        s.connect((server, int(port)))
        if payload:
            s.sendall(bytes.fromhex(payload))
            time.sleep(0.2)
    except OSError as e:
        print("probe %s:%s: %s" % (server, port, e))
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command")
    ap.add_argument("args", nargs="*")
    ap.add_argument("--bind")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--cafile")
    ap.add_argument("--payload")
    a = ap.parse_args()
    if a.command == "dns-server":
        dns_server(*a.args)
    elif a.command == "dns-query":
        dns_query(a.args[0], a.args[1], a.bind)
    elif a.command == "mdns-query":
        mdns_query(a.args[0])
    elif a.command == "pg-server":
        pg_server(*a.args)
    elif a.command == "pg-client":
        pg_client(a.args[0], a.args[1], a.tls, a.bind, a.cafile)
    elif a.command == "tcp-probe":
        tcp_probe(a.args[0], a.args[1], a.bind, a.payload)
    else:
        sys.exit("unknown command " + a.command)


if __name__ == "__main__":
    main()
