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
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "web", "perf"))
from chromedriver import call, running, session  # noqa: E402

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


def run(driver, url):
    """Open the bench page and wait for the worker's result."""
    with session(driver) as (s, js):
        call(driver, "POST", s + "/url", {"url": url})
        deadline = time.time() + 1200
        while time.time() < deadline:
            result = js("return window.benchResult || null")
            if result is not None:
                return result
            time.sleep(0.2)
        return {"error": "no result after 1200 s"}


def main():
    bound, rounds, paths = parse(sys.argv[1:])
    files = [p for p in paths if os.path.isfile(p)]
    for p in paths:
        if p not in files:
            print("%s: not a readable file" % p, file=sys.stderr)
    server = serve(bound, files)
    url = "http://127.0.0.1:%d/browser.html?%s" % (server.server_address[1], urllib.parse.urlencode(
        {"rounds": rounds, "names": json.dumps(files)}))
    try:
        with running() as driver:
            result = run(driver, url)
    finally:
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
