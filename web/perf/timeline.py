#!/usr/bin/env python3
"""Where the page's time goes on one file: a timeline of its workers (issue 15).

Copies DIST (default `dist/`) to a temporary directory and adds marks to the
copy's bootstrap (`cmdhunt.js`; each anchor is checked, so a bootstrap that
changed shape stops the script rather than timing nothing): when the page
asks for a worker (`spawn`: a worker started ahead by the pool, see
web/src/worker_pool.rs, shows it after the previous file), when a worker
gets its file (`msg`), has its scan ready (`init`), reads its first and last
chunk (`first`, `last`), and has finished (`finished`). Serves the copy,
drives headless Chromium (web/perf/chromedriver.py), picks FILE ROUNDS times
and prints every mark in ms after the file input's change event, up to the
file's status leaving "reading" (`DONE`, the time pagebench.py reports).

    python3 web/perf/timeline.py FILE [ROUNDS] [DIST] [FRAGMENT]

FRAGMENT is the page's (say `#split-threshold=99999999999` to read a big file
with one worker). A split file shows two of each worker mark.
"""
import os
import shutil
import sys
import tempfile

from chromedriver import call, file_rounds_dist, running, serve_dir, session, upload, wait
from pagebench import PAGE_HOOK


#: A mark's time on the page's clock (workers have their own time origin).
NOW = "(performance.timeOrigin + performance.now()).toFixed(1)"

#: (anchor in the bootstrap, text put before it, text put after it).
MARKS = [
    ("const run = async (event) => {", "", "console.log('TL msg ' + %s);" % NOW),
    ("wasm_bindgen.initSync({ module });", "", "console.log('TL init ' + %s);" % NOW),
    ("if (chunk.done) return true;",
     "if (!self.__first) { self.__first = 1; console.log('TL first ' + %s); }\n" % NOW,
     "\nif (chunk.done) console.log('TL last ' + %s);" % NOW),
    ("scan.finish();", "", "console.log('TL finished ' + %s);" % NOW),
    ("globalThis.cmdhuntSpawnWorker = () =>", "",
     " (console.log('TL spawn ' + %s), 0) ||" % NOW),
]


def marked_copy(dist, into):
    """Copy `dist` to `into` with MARKS added to its bootstrap."""
    shutil.copytree(dist, into)
    path = os.path.join(into, "cmdhunt.js")
    with open(path) as f:
        text = f.read()
    for anchor, before, after in MARKS:
        if text.count(anchor) != 1:
            sys.exit("timeline: %r is not once in %s's bootstrap" % (anchor, dist))
        if anchor == "if (chunk.done) return true;":
            # The last chunk's mark goes before the return.
            text = text.replace(anchor, before + after + "\n" + anchor)
        else:
            text = text.replace(anchor, before + anchor + after)
    with open(path, "w") as f:
        f.write(text)


def marks(logs, t0):
    """The TL marks of the browser's console `logs`, as (ms after t0, name)."""
    out = []
    for entry in logs:
        message = entry.get("message", "")
        if "TL " not in message:
            continue
        text = message.split('"')[1] if '"' in message else message
        name, at = text.split("TL ", 1)[1].rsplit(" ", 1)
        out.append((float(at) - t0, name))
    return out


def main():
    path, rounds, dist = file_rounds_dist(__doc__)
    fragment = sys.argv[4] if len(sys.argv) > 4 else ""
    with tempfile.TemporaryDirectory(prefix="cmdhunt-timeline-") as tmp:
        copy = os.path.join(tmp, "dist")
        marked_copy(dist, copy)
        server = serve_dir(copy)
        url = "http://127.0.0.1:%d/index.html%s" % (server.server_address[1], fragment)
        logging = {"goog:loggingPrefs": {"browser": "ALL"}}
        try:
            with running() as base:
                for _ in range(rounds):
                    with session(base, ["--window-size=1280,900"], logging) as (s, js):
                        call(base, "POST", s + "/url", {"url": url})
                        wait(js, "return document.documentElement.dataset.cmdhunt === 'ready'")
                        js(PAGE_HOOK)
                        call(base, "POST", s + "/se/log", {"type": "browser"})  # drop the load's
                        upload(base, s, "[data-testid=file-input]", path)
                        wait(js, "return window.__done > 0")
                        t0 = js("return performance.timeOrigin + window.__t0")
                        done = js("return window.__done - window.__t0")
                        events = marks(call(base, "POST", s + "/se/log", {"type": "browser"}), t0)
                        events.append((done, "DONE"))
                        print(" | ".join("%s %.0f" % (n, t) for t, n in sorted(events)), flush=True)
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
