#!/usr/bin/env python3
"""The live view (`demarc monitor --serve`) in a real browser.

  serve-test.py --demarc BIN [--chromium /usr/bin/chromium] [--screenshot FILE]

Runs `demarc monitor` on `lo` (root, or CAP_NET_RAW and CAP_NET_ADMIN) with the live view
on a non-loopback bind and a token, opens the page in headless Chromium driven over the
DevTools protocol (websocket-client), and makes HTTP, TLS and UDP traffic
(scripts/loopback-traffic.py, plus flows from a second client zone and one cleartext
connection held open). Checks:
  - a non-loopback bind without --serve-token exits 2 before capture; without the token
    a request gets 401; ?token= once gives an HttpOnly SameSite=Strict cookie;
  - the page sends a strict Content-Security-Policy;
  - every flow demarc writes (its jsonl output, streamed as flows end) is in the page's
    table, with its findings in the findings list, within 3 s of being written;
  - the open cleartext connection is listed under open flows before it ends;
  - the filter box and a click on a place in the boundary picture filter the table.
Exits 0 when all hold, 1 (saying which failed) otherwise, 77 when it cannot capture.
"""
import argparse, base64, http.client, json, os, re, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request

import websocket  # websocket-client, pinned by the Makefile

HERE = os.path.dirname(os.path.abspath(__file__))

SERVER, CLIENT, OFFICE = "127.0.0.2", "127.0.0.3", "127.0.0.4"
SCENARIO = f"""
scenario: live-view-test
nodes:
  edge-1: {{role: edge, addresses: [{CLIENT}]}}
zones:
  services: {{owner: customer, cidrs: [{SERVER}/32]}}
  office: {{owner: customer, cidrs: [{OFFICE}/32]}}
encryption:
  egress: required
  internal: required
filters:
  egress:
    default: deny
    rules:
      - {{name: tls, to: [services], ports: [tcp/8443]}}
      - {{name: web, to: [services], ports: [tcp/8080]}}
      - {{name: dns, to: [services], ports: [udp/53], cleartext: accepted}}
accept:
  - finding: unfiltered-egress
    to: [services]
    ports: [tcp/8081, tcp/8082]
    owner: test-team
    reason: the live view marks accepted findings
    until: 2099-12-31
"""
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


class Browser:
    """Headless Chromium and one page, over the DevTools protocol."""

    def __init__(self, chromium, workdir):
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
             f"--user-data-dir={workdir}/chromium", "--window-size=1400,1800", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.time() + 30
        while time.time() < deadline and port is None:
            line = self.proc.stderr.readline()
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                port = int(m.group(1))
        if port is None:
            raise SystemExit("chromium did not start")
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def click(self, x, y):
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            self.proc.wait(10)


def start_monitor(demarc, args, errpath):
    err = open(errpath, "w")
    p = subprocess.Popen([demarc, "monitor", "--interface", "lo"] + args, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 30
    while time.time() < deadline and p.poll() is None:
        text = open(errpath).read()
        if "listening on lo" in text:
            return p, text
        time.sleep(0.05)
    return p, open(errpath).read()


def http_get(port, path, cookie=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), body


def held_cleartext(stop, opened, port):
    """An HTTP client on the edge node that keeps its connection open, sending a
    request every half second, until told to stop (then it closes)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((SERVER, port))
    srv.listen()

    def serve():
        conn, _ = srv.accept()
        while conn.recv(4096):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        conn.close()
    threading.Thread(target=serve, daemon=True).start()
    s = socket.create_connection((SERVER, port), timeout=5, source_address=(CLIENT, 0))
    opened.set()
    while not stop.is_set():
        s.sendall(f"GET /poll HTTP/1.1\r\nHost: {SERVER}\r\n\r\n".encode())
        s.recv(4096)
        stop.wait(0.5)
    s.close()
    srv.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--screenshot")
    a = ap.parse_args()
    demarc = os.path.abspath(a.demarc)
    work = tempfile.mkdtemp(prefix="demarc-serve-")
    scenario = os.path.join(work, "scenario.yaml")
    open(scenario, "w").write(SCENARIO)
    token = os.urandom(16).hex()
    tokfile = os.path.join(work, "token")
    open(tokfile, "w").write(token + "\n")

    # Refused: a non-loopback bind without a token, before any capture.
    r = subprocess.run([demarc, "monitor", "--interface", "lo", "--duration", "1", "--serve", "0.0.0.0:0"],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "--serve-token" in r.stderr and "listening on" not in r.stderr,
          f"non-loopback --serve without --serve-token exits 2 before capture (exit {r.returncode}: {r.stderr.strip()})")
    if "permission" in r.stderr.lower() or "operation not permitted" in r.stderr.lower():
        print("serve-test skipped: cannot capture on lo (needs root, or CAP_NET_RAW and CAP_NET_ADMIN)")
        return 77

    out = os.path.join(work, "flows.jsonl")
    errpath = os.path.join(work, "stderr.txt")
    mon, err = start_monitor(demarc, ["--filter", f"host {SERVER}", "--scenario", scenario, "--idle-timeout", "5",
                                      "--format", "jsonl", "--output", out, "--serve", "0.0.0.0:0",
                                      "--serve-token", tokfile, "--duration", "120", "--fail-on", "high"], errpath)
    if "listening on lo" not in err:
        if "ermission" in err or "not permitted" in err:
            print("serve-test skipped: cannot capture on lo: " + err.strip())
            return 77
        raise SystemExit("monitor did not start: " + err)
    port = int(re.search(r"live view on http://[^ ]*:(\d+)/", err).group(1))
    browser = None
    stop, stop_last = threading.Event(), threading.Event()
    try:
        # Without the token: 401 for every path; ?token= once: a cookie, then no token in URLs.
        for path in ("/", "/events", "/live.js"):
            status, _, _ = http_get(port, path)
            check(status == 401, f"GET {path} without the token: 401 (got {status})")
        status, headers, _ = http_get(port, "/?token=" + "0" * len(token))
        check(status == 401, f"a wrong token: 401 (got {status})")
        status, headers, _ = http_get(port, "/?token=" + token)
        cookie = headers.get("set-cookie", "")
        check(status == 303 and headers.get("location") == "/" and "HttpOnly" in cookie and "SameSite=Strict" in cookie,
              f"?token= gives a 303 to / with an HttpOnly SameSite=Strict cookie ({status}, {cookie.split(';', 1)[-1]})")
        status, headers, body = http_get(port, "/", cookie.split(";")[0])
        csp = headers.get("content-security-policy", "")
        check(status == 200 and "default-src 'none'" in csp and "script-src 'self'" in csp and b"<script src=\"/live.js\"" in body,
              f"the page with the cookie: 200 and a strict Content-Security-Policy ({csp})")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("POST", "/", body=b"x", headers={"Cookie": cookie.split(";")[0]})
        check(c.getresponse().status == 405, "read-only: POST gets 405")
        c.close()

        browser = Browser(a.chromium, work)
        browser.call("Page.enable")
        browser.call("Runtime.enable")
        browser.call("Page.navigate", url=f"http://127.0.0.1:{port}/?token={token}")
        deadline = time.time() + 15
        while time.time() < deadline:
            if browser.js("document.getElementById('conn') && document.getElementById('conn').textContent") == "live":
                break
            time.sleep(0.1)
        check(browser.js("document.getElementById('conn').textContent") == "live", "the page connects to its event stream")
        check(browser.js("location.search") == "", "the token is out of the page's address after the first visit")

        # Traffic: the held cleartext connection first (it must show while open), then
        # TLS, HTTP and DNS, then UDP from the office zone.
        # Two held connections: one ends before the flow checks, the other stays open
        # to the end (it is in the screenshot's open flows).
        opened, opened_too = threading.Event(), threading.Event()
        held = threading.Thread(target=held_cleartext, args=(stop, opened, 8081), daemon=True)
        held.start()
        threading.Thread(target=held_cleartext, args=(stop_last, opened_too, 8082), daemon=True).start()
        opened.wait(5)
        opened_too.wait(5)
        t = subprocess.run([sys.executable, os.path.join(HERE, "loopback-traffic.py"), SERVER, CLIENT, work],
                           capture_output=True, text=True, timeout=60)
        check(t.returncode == 0, "loopback traffic (TLS, HTTP, DNS): " + t.stdout.replace("\n", "; "))
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((OFFICE, 0))
        u.sendto(b"live view test datagram", (SERVER, 5514))
        u.close()

        # Open flows: the held connection, listed before it ends.
        seen_open = False
        deadline = time.time() + 6
        while time.time() < deadline and not seen_open:
            rows = browser.js("Array.from(document.querySelectorAll('#open tbody tr')).map(r => r.textContent)")
            seen_open = any(":8081" in r and "unencrypted" in r for r in rows)
            time.sleep(0.2)
        check(seen_open, "the open cleartext connection is listed under open flows while it is open")
        stop.set()
        held.join(5)

        # Every flow written (as it ends) appears in the page, with its findings, within 3 s.
        written = {}   # id -> (time first seen in the output, finding codes)
        shown = {}     # id -> time first seen in the page
        findings_shown = {}
        deadline = time.time() + 25
        while time.time() < deadline:
            now = time.time()
            if os.path.exists(out):
                for line in open(out):
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue
                    if rec.get("type") == "flow" and rec["id"] not in written:
                        written[rec["id"]] = (now, sorted({f["code"] for f in rec.get("findings", [])}))
            page = browser.js("""(() => {
                const ids = Array.from(document.querySelectorAll('#flows tbody tr')).map(r => +r.cells[0].textContent);
                const f = {};
                document.querySelectorAll('#findings > li').forEach(li => {
                  const code = li.querySelector('b').textContent;
                  li.querySelectorAll('li.entry a').forEach(a => { (f[a.textContent.slice(5)] ||= []).push(code); });
                });
                return {ids, f};
            })()""")
            for i in page["ids"]:
                shown.setdefault(i, now)
            for i, codes in page["f"].items():
                for code in codes:
                    findings_shown.setdefault((int(i), code), now)
            if len(written) >= 6 and all(i in shown and all((i, c) in findings_shown for c in written[i][1]) for i in written) \
                    and time.time() - max(w[0] for w in written.values()) > 1:
                break
            time.sleep(0.1)
        check(len(written) >= 6, f"demarc finished the test's flows ({len(written)}: TLS, HTTP, DNS, UDP, the held connection…)")
        worst = 0.0
        for i, (t0, codes) in sorted(written.items()):
            late = [c for c in codes if (i, c) not in findings_shown]
            lag = max([shown.get(i, float("inf"))] + [findings_shown.get((i, c), float("inf")) for c in codes]) - t0
            worst = max(worst, lag)
            check(i in shown and not late and lag <= 3.0,
                  f"flow {i} ({', '.join(codes) or 'no findings'}) in the page within 3 s of demarc finishing it ({lag:.2f} s)")
        print(f"slowest flow to appear: {worst:.2f} s after demarc wrote it")
        check(any(codes for _, codes in written.values()), "the traffic has findings (cleartext HTTP where encryption is required)")

        verdict = browser.js("document.getElementById('verdict').textContent")
        check(verdict.startswith("Fail") and "--fail-on high" in verdict, f"the verdict follows --fail-on: {verdict}")
        accepted = browser.js("Array.from(document.querySelectorAll('#findings li.entry.accepted')).map(e => e.textContent)")
        check(any("accepted by test-team" in e for e in accepted), f"accepted findings are marked: {accepted[:1]}")

        # The filter box: typing filters the table.
        total = browser.js("document.querySelectorAll('#flows tbody tr').length")
        browser.js("document.getElementById('filter').focus()")
        browser.call("Input.insertText", text="8443")
        visible = browser.js("Array.from(document.querySelectorAll('#flows tbody tr')).filter(r => !r.hidden).map(r => r.textContent)")
        check(0 < len(visible) < total and all("8443" in v for v in visible),
              f"the filter box keeps the matching rows ({len(visible)} of {total} shown)")
        check(browser.js("location.hash") == "#q=8443", "the filter is in the address as #q=")
        browser.js("const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'))")

        # A click on a place: the office zone, as a user clicks it.
        box = browser.js("""(() => { const g = document.querySelector('#boundary g.place[data-place="office"]');
            if (!g) return null; g.scrollIntoView({block: 'center'}); const r = g.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; })()""")
        check(box is not None, "the boundary picture shows the office zone")
        if box:
            browser.click(box[0], box[1])
            visible = browser.js("Array.from(document.querySelectorAll('#flows tbody tr')).filter(r => !r.hidden).map(r => r.textContent)")
            check(0 < len(visible) < total and all(OFFICE in v for v in visible),
                  f"a click on the office place keeps its flows only ({len(visible)} of {total} shown)")
            browser.js("document.getElementById('place-clear').click()")
            check(browser.js("Array.from(document.querySelectorAll('#flows tbody tr')).filter(r => !r.hidden).length") == total,
                  "clearing the place filter shows every flow again")

        if a.screenshot:
            browser.js("window.scrollTo(0, 0)")
            height = browser.js("Math.min(2600, document.documentElement.scrollHeight)")
            browser.call("Emulation.setDeviceMetricsOverride", width=1400, height=height, deviceScaleFactor=1, mobile=False)
            time.sleep(0.3)
            shot = browser.call("Page.captureScreenshot", format="png")["data"]
            open(a.screenshot, "wb").write(base64.b64decode(shot))
            print(f"screenshot: {a.screenshot}")
    finally:
        stop.set()
        stop_last.set()
        if browser:
            browser.close()
        if mon.poll() is None:
            mon.send_signal(signal.SIGINT)
            try:
                mon.wait(20)
            except subprocess.TimeoutExpired:
                mon.kill()
    check(mon.returncode == 1, f"monitor ends on SIGINT, with 1 for the findings at --fail-on high (exit {mon.returncode})")
    if failures:
        print(f"serve-test: {len(failures)} checks failed", file=sys.stderr)
        return 1
    print("serve-test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
