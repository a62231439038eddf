#!/usr/bin/env python3
"""Chromium runner of the wasm EVTX benchmark (see bench.mjs, src/lib.rs).

    python3 bench/evtx-wasm/browser.py BOUND_DIR [--rounds N] FILE.evtx...

BOUND_DIR holds the crate bound with `wasm-bindgen --target web`;
`cargo xtask evtx-wasm-bench --browser` builds it and calls this script. It
serves browser.html, worker.mjs, bench.mjs, BOUND_DIR (as pkg/) and the files
(as file/N) on 127.0.0.1 only, drives headless Chromium through chromedriver
(plain WebDriver HTTP, no Python packages) with the flags that keep Chromium
off the network, waits for the worker's lines and prints them. Exits non-zero
when a file cannot be read or the run fails.
"""
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM = os.environ.get("CMDHUNT_CHROMIUM", "/usr/bin/chromium")
TYPES = {".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript",
         ".wasm": "application/wasm"}


def parse(argv):
    args = list(argv)
    rounds = 30
    if "--rounds" in args:
        at = args.index("--rounds")
        rounds = int(args[at + 1])
        del args[at:at + 2]
    if len(args) < 2 or rounds < 1:
        sys.exit("usage: browser.py BOUND_DIR [--rounds N] FILE.evtx...")
    return args[0], rounds, args[1:]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(bound, files):
    """Serve the bench page, the bound module and the files on loopback."""
    routes = {"/browser.html": os.path.join(HERE, "browser.html"),
              "/worker.mjs": os.path.join(HERE, "worker.mjs"),
              "/bench.mjs": os.path.join(HERE, "bench.mjs")}
    for name in os.listdir(bound):
        routes["/pkg/" + name] = os.path.join(bound, name)
    for i, path in enumerate(files):
        routes["/file/%d" % i] = path

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            path = routes.get(urllib.parse.urlsplit(self.path).path)
            if path is None:
                self.send_error(404)
                return
            with open(path, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", TYPES.get(os.path.splitext(path)[1],
                                                       "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            # Cross-origin isolation: performance.now() at 5 us instead of 100 us.
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())["value"]


def run(driver, url, profile):
    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-features=NetworkTimeServiceQuerying",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                 "--user-data-dir=" + profile]}}}}
    session = "/session/" + call(driver, "POST", "/session", caps)["sessionId"]
    try:
        call(driver, "POST", session + "/url", {"url": url})
        deadline = time.time() + 1200
        while time.time() < deadline:
            result = call(driver, "POST", session + "/execute/sync",
                          {"script": "return window.benchResult || null", "args": []})
            if result is not None:
                return result
            time.sleep(0.2)
        return {"error": "no result after 1200 s"}
    finally:
        call(driver, "DELETE", session)


def main():
    bound, rounds, paths = parse(sys.argv[1:])
    files = [p for p in paths if os.path.isfile(p)]
    for p in paths:
        if p not in files:
            print("%s: not a readable file" % p, file=sys.stderr)
    server = serve(bound, files)
    url = "http://127.0.0.1:%d/browser.html?%s" % (server.server_address[1], urllib.parse.urlencode(
        {"rounds": rounds, "names": json.dumps(files)}))
    port = free_port()
    chromedriver = subprocess.Popen([CHROMEDRIVER, "--port=%d" % port],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = "http://127.0.0.1:%d" % port
    try:
        for _ in range(100):
            try:
                call(driver, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory(prefix="cmdhunt-evtx-wasm-") as profile:
            result = run(driver, url, profile)
    finally:
        chromedriver.terminate()
        chromedriver.wait(10)
        server.shutdown()
    if result.get("error"):
        print("[evtx-wasm] " + result["error"], file=sys.stderr)
        sys.exit(1)
    print("[evtx-wasm] %s, cross-origin isolated (5 us clock): %s, %d rounds"
          % (result.get("agent", "?"), result.get("isolated"), rounds), file=sys.stderr)
    for line in result["lines"]:
        print(line)
    sys.exit(0 if len(files) == len(paths) else 1)


main()
