"""Headless Chromium through chromedriver, in plain WebDriver HTTP (no Python
packages), and the helpers the page benchmarks share (wait, upload, serve_dir,
browser_memory): what web/perf/*.py and
bench/evtx-wasm/browser.py share.

    import chromedriver
    with chromedriver.running() as base:
        with chromedriver.session(base, ["--window-size=1400,1000"]) as (s, js):
            chromedriver.call(base, "POST", s + "/url", {"url": URL})
            print(js("return document.title"))

Chromium gets the flags of shared/notes/toolchain.md that keep it off the
network (only 127.0.0.1 resolves) and a fresh profile directory, removed
afterwards. CHROMEDRIVER and CMDHUNT_CHROMIUM override the binaries.
"""
import contextlib
import functools
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM = os.environ.get("CMDHUNT_CHROMIUM", "/usr/bin/chromium")
#: WebDriver's key for an element reference in a JSON answer.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
ARGS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                         "browser", "chromium-args.txt")
#: Headless, and nothing but 127.0.0.1 reachable (Chromium itself calls Google
#: hosts otherwise): tests/browser/chromium-args.txt, the e2e tests' flags.
with open(ARGS_FILE) as _f:
    ARGS = [line.strip() for line in _f if line.strip() and not line.startswith("#")]


def file_rounds_dist(doc, rounds=3):
    """`FILE [ROUNDS] [DIST]` from the command line: the file's absolute path,
    the rounds (`rounds` by default) and the dist directory (`dist/` of the
    repository by default); exits with `doc` when there is no FILE."""
    if len(sys.argv) < 2:
        sys.exit(doc)
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    path = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else rounds
    dist = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else os.path.join(root, "dist")
    return path, rounds, dist


def free_port():
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, timeout=600):
    """One WebDriver request; returns the answer's `value`."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())["value"]


@contextlib.contextmanager
def running(log=None):
    """Start chromedriver on a free loopback port; yield its base URL. With
    `log` (an open file), chromedriver and the browser's own log go there."""
    port = free_port()
    args = [CHROMEDRIVER, "--port=%d" % port] + (["--enable-chrome-logs"] if log else [])
    out = log or subprocess.DEVNULL
    driver = subprocess.Popen(args, stdout=out, stderr=out)
    base = "http://127.0.0.1:%d" % port
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        driver.terminate()
        driver.wait(10)


@contextlib.contextmanager
def session(base, extra_args=(), capabilities=None):
    """A browser session with ARGS + extra_args (and `capabilities` merged into
    alwaysMatch); yields its path ("/session/ID") and a `js(script)` helper
    that runs a synchronous script and returns its value."""
    with tempfile.TemporaryDirectory(prefix="cmdhunt-chromium-") as profile:
        match = {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM, "args": ARGS + list(extra_args) + ["--user-data-dir=" + profile]}}
        for key, value in (capabilities or {}).items():
            if isinstance(value, dict) and isinstance(match.get(key), dict):
                match[key].update(value)
            else:
                match[key] = value
        s = "/session/" + call(base, "POST", "/session",
                               {"capabilities": {"alwaysMatch": match}})["sessionId"]
        js = lambda script: call(base, "POST", s + "/execute/sync", {"script": script, "args": []})
        try:
            yield s, js
        finally:
            call(base, "DELETE", s)


def wait(js, script, limit=600):
    """Run `script` every 50 ms until it returns something true; return that
    (exit the program after `limit` seconds)."""
    start = time.time()
    while time.time() - start < limit:
        value = js(script)
        if value:
            return value
        time.sleep(0.05)
    sys.exit("timed out: " + script)


def upload(base, s, selector, path):
    """Give the file input at `selector` the file at `path`."""
    el = call(base, "POST", s + "/element", {"using": "css selector", "value": selector})[ELEMENT]
    call(base, "POST", s + "/element/%s/value" % el, {"text": path})


def serve_dir(root):
    """Serve the directory `root` on a free loopback port (quietly); returns
    the server (`server.server_address[1]` is the port; `shutdown()` it)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser_processes():
    """(pid, command line) of each process of the Chromium a `session`
    started (its profile directory is named cmdhunt-chromium-*; Chromium
    rewrites its argv into one string)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"cmdhunt-chromium-" in cmd:
            yield pid, cmd


def read_proc(path):
    """The text of a /proc file, or None once its process or thread is gone."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def cpu_seconds(stat):
    """User + system CPU seconds of a /proc `stat` line."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_memory():
    """(peak RSS of the largest renderer, RSS of all the browser's processes), MB
    (`browser_processes`)."""
    peak, total = 0, 0
    for pid, cmd in browser_processes():
        text = read_proc("/proc/%s/status" % pid)
        if text is None:
            continue
        status = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        kb = lambda key: int(status.get(key, "0 kB").split()[0])
        total += kb("VmRSS")
        if b"--type=renderer" in cmd:
            peak = max(peak, kb("VmHWM"))
    return peak / 1024, total / 1024


def browser_cpu():
    """CPU seconds (user + system) spent so far by the browser's processes,
    summed (`browser_processes`)."""
    stats = (read_proc("/proc/%s/stat" % pid) for pid, _ in browser_processes())
    return sum(cpu_seconds(stat) for stat in stats if stat)


def browser_threads():
    """CPU seconds (user + system) so far of every thread of the browser's
    processes, by (process type, thread name, thread id): the browser's
    threads, the renderer's main thread (`chromium`), its workers
    (`DedicatedWorker`) and its compiler and GC threads (`ThreadPoolForeg`).
    A thread that has ended is gone from /proc: sample while it runs
    (`cpu_by_thread`)."""
    out = {}
    for pid, cmd in browser_processes():
        kind = "browser"
        for part in cmd.replace(b"\0", b" ").split():
            if part.startswith(b"--type="):
                kind = part[7:].decode()
        try:
            tids = os.listdir("/proc/%s/task" % pid)
        except OSError:
            continue
        for tid in tids:
            stat = read_proc("/proc/%s/task/%s/stat" % (pid, tid))
            if stat:
                name = stat[stat.index("(") + 1:stat.rindex(")")]
                out[(kind, name, tid)] = cpu_seconds(stat)
    return out


def cpu_by_thread(before, after):
    """ms of CPU between two `browser_threads` samples, by process type and
    thread name, largest first."""
    spent = {}
    for key, seconds in after.items():
        d = seconds - before.get(key, 0)
        if d > 0:
            name = "%s:%s" % key[:2]
            spent[name] = spent.get(name, 0) + d * 1000
    return dict(sorted(((k, round(v)) for k, v in spent.items()), key=lambda kv: -kv[1]))
