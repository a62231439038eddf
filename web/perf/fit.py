#!/usr/bin/env python3
"""Does the page fit a 1400 px wide window? Drives headless Chromium through
chromedriver (plain WebDriver HTTP, no Python packages), opens URL, uploads
FILE (give it a long name with separators: it checks how the name wraps),
waits until it is done, then checks, with the detail panel closed and open:

* the results table and the summary table do not scroll sideways
  (`scrollWidth <= clientWidth` of their scrollers);
* every piece of a file name (text between its <wbr>s) and of a column
  header sits on one line (a text node broken across lines has 2+ rects);

prints what it measured and exits non-zero when something does not fit.
SHOT=path.png also saves a screenshot.

    python3 web/perf/fit.py http://127.0.0.1:8093/ /tmp/fit/a_long_export_name.csv [WIDTH]
"""
import base64
import json
import os
import sys
import time

from chromedriver import ELEMENT, call, running, session

URL, FILE = sys.argv[1], os.path.abspath(sys.argv[2])
WIDTH = int(sys.argv[3]) if len(sys.argv) > 3 else 1400

CHECK = """
const wide = sel => { const e = document.querySelector(sel);
  return e ? [e.scrollWidth, e.clientWidth] : null; };
// Text nodes without a space split over several lines (a mid-word break).
const broken = sel => Array.from(document.querySelectorAll(sel)).flatMap(el =>
  Array.from(el.childNodes).filter(n => n.nodeType === 3 && /^\S+$/.test(n.textContent.trim())).filter(n => {
    const r = document.createRange(); r.selectNodeContents(n);
    const tops = new Set(Array.from(r.getClientRects(), x => Math.round(x.top)));
    return tops.size > 1; }).map(n => n.textContent));
return { results: wide('[data-testid=results-scroll]'), summary: wide('.summary .table-wrap'),
         page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
         broken_names: broken('.file-name').concat(broken('.summary th[scope=row]')),
         broken_headers: broken('table[data-testid=results] th .sort').concat(broken('.counts thead th')),
         columns: Array.from(document.querySelectorAll('table[data-testid=results] thead th'),
                             th => Math.round(th.getBoundingClientRect().width)) };
"""


def check(base):
    with session(base, ["--hide-scrollbars=false", "--window-size=%d,1000" % WIDTH]) as (s, js):
        call(base, "POST", s + "/url", {"url": URL})
        for _ in range(300):
            if js("return document.documentElement.dataset.cmdhunt") == "ready":
                break
            time.sleep(0.1)
        el = call(base, "POST", s + "/element",
                  {"using": "css selector", "value": "[data-testid=file-input]"})[ELEMENT]
        call(base, "POST", s + "/element/%s/value" % el, {"text": FILE})
        for _ in range(600):
            if js("const e = document.querySelector('[data-testid=file-status]');"
                  "return e ? e.textContent : ''") == "done":
                break
            time.sleep(0.1)
        ok = True
        for state in ("detail closed", "detail open"):
            if state == "detail open":
                row = call(base, "POST", s + "/element",
                           {"using": "css selector", "value": "[data-testid=result-row]"})[ELEMENT]
                call(base, "POST", s + "/element/%s/click" % row, {})
                time.sleep(0.5)
            m = js(CHECK)
            fits = all(m[k] is None or m[k][0] <= m[k][1] for k in ("results", "summary", "page"))
            fine = fits and not m["broken_names"] and not m["broken_headers"]
            ok = ok and fine
            print("%s (%d px): %s %s" % (state, WIDTH, "OK" if fine else "FAIL", json.dumps(m)))
            if os.environ.get("SHOT"):
                png = call(base, "GET", s + "/screenshot")
                with open(os.environ["SHOT"].replace(".png", "-%s.png" % state.split()[1]), "wb") as f:
                    f.write(base64.b64decode(png))
        return ok


def main():
    with running() as base:
        sys.exit(0 if check(base) else 1)


main()
