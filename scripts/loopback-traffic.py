#!/usr/bin/env python3
"""Real traffic between two loopback addresses, for the `demarc monitor` end-to-end test.

  loopback-traffic.py SERVER_IP CLIENT_IP WORKDIR

Starts, on SERVER_IP, a TLS server (Python's ssl over OpenSSL, with a certificate made by
the openssl command), a plain HTTP server and a DNS responder on udp/53; then, from
CLIENT_IP, makes one TLS connection (SNI monitor.test) that exchanges data, one HTTP GET
and one DNS query. Prints one line per exchange and exits 0 when all three succeeded.
"""
import http.server, os, socket, ssl, subprocess, sys, threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netsim  # noqa: E402


def make_cert(workdir):
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=monitor.test"], check=True, capture_output=True)
    return cert, key


def tls_server(ip, port, cert, key, ready):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen()
    ready.set()
    conn, _ = s.accept()
    with ctx.wrap_socket(conn, server_side=True) as t:
        data = t.recv(1024)
        t.sendall(b"pong:" + data)


def tls_client(server, port, bind):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = socket.create_connection((server, port), timeout=5, source_address=(bind, 0))
    with ctx.wrap_socket(s, server_hostname="monitor.test") as t:
        t.sendall(b"ping")
        return t.recv(1024), t.version()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    server, client, workdir = sys.argv[1:4]
    cert, key = make_cert(workdir)
    ready = threading.Event()
    threading.Thread(target=tls_server, args=(server, 8443, cert, key, ready), daemon=True).start()
    httpd = http.server.ThreadingHTTPServer((server, 8080), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    threading.Thread(target=netsim.dns_server, args=(server,), daemon=True).start()
    ready.wait(5)

    reply, version = tls_client(server, 8443, client)
    print(f"tls: {version} {reply!r}")

    s = socket.create_connection((server, 8080), timeout=5, source_address=(client, 0))
    s.sendall(f"GET / HTTP/1.1\r\nHost: {server}:8080\r\nConnection: close\r\n\r\n".encode())
    status = s.recv(64).split(b"\r\n")[0]
    while s.recv(65536):
        pass
    s.close()
    print(f"http: {status.decode()}")

    netsim.dns_query(server, "db.monitor.test", client)
    print("dns: answered")
    httpd.shutdown()


if __name__ == "__main__":
    main()
