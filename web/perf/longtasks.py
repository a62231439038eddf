#!/usr/bin/env python3
"""Main-thread long tasks while a file streams into the page.

Drives headless Chromium through chromedriver (plain WebDriver HTTP, no
Python packages), opens URL (dist/index.html served by `cargo xtask serve`),
registers a PerformanceObserver for 'longtask' entries, uploads FILE through
the file input, waits until the file's status is `done`, and prints the
number of long tasks (> 50 ms), how many exceed 100 ms, the longest and
when it started (seconds after the upload), their total, the shown row
count and the wall time. PROFILE=1 also prints the main thread's top
functions by self time (DevTools CPU profile) and the longest busy
stretches; ALL=1 lists every long task as [start s, duration ms]; LOAF=1
lists the long animation frames with their script and rendering times;
TRACE=1 breaks every task over 50 ms into its trace events (slow: the
tracing itself inflates the numbers).

    python3 web/perf/longtasks.py http://127.0.0.1:8093/ /tmp/flagged-20k.csv [RUNS]
"""
import json
import os
import re
import sys
import time

from chromedriver import ELEMENT, call, running, session

URL, FILE = sys.argv[1], os.path.abspath(sys.argv[2])
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
PROFILE = os.environ.get("PROFILE")  # set: print the main thread's top functions by self time
TRACE = os.environ.get("TRACE")  # set: break every task over 50 ms into its trace events


def print_profile(profile):
    """Self time per function name, from a DevTools CPU profile; then the
    longest busy stretch (consecutive non-idle samples) with its own top
    functions by self and by total time, to attribute the longest task."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    name_of = lambda i: nodes[i]["callFrame"]["functionName"] or "(anonymous)"
    deltas = profile["timeDeltas"]
    self_us = {}
    for sample, dt in zip(profile["samples"], deltas):
        self_us[name_of(sample)] = self_us.get(name_of(sample), 0) + dt
    for name, us in sorted(self_us.items(), key=lambda kv: -kv[1])[:30]:
        print("%8.1f ms  %s" % (us / 1000, name[:120]))
    # Total (inclusive) time of the functions whose name matches PROFILE_TOTALS.
    pattern = re.compile(os.environ.get("PROFILE_TOTALS", "decode_frame|AppState::apply|run_scheduler|"
                                        "RenderRunner|Reconcilable|FunctionProvider>::run"))
    inclusive = {}
    for sample, dt in zip(profile["samples"], deltas):
        seen, i = set(), sample
        while i is not None:
            name = name_of(i)
            if name not in seen and pattern.search(name):
                seen.add(name)
                inclusive[name] = inclusive.get(name, 0) + dt
            i = parent.get(i)
    # PROFILE_FIRST=name: self time over the 150 ms from the first sample
    # with `name` on its stack (what the first flush, say, spends its time on).
    first = os.environ.get("PROFILE_FIRST")
    if first:
        t, t0, window = 0, None, {}
        for sample, dt in zip(profile["samples"], deltas):
            t += dt
            stack, i = [], sample
            while i is not None:
                stack.append(name_of(i))
                i = parent.get(i)
            if t0 is None and any(first in n for n in stack):
                t0 = t
            if t0 is not None and t - t0 < 150000 and name_of(sample) != "(idle)":
                for n in set(stack):
                    window[n] = window.get(n, 0) + dt
        print("inclusive time in the 150 ms after the first %s:" % first)
        for name, us in sorted(window.items(), key=lambda kv: -kv[1])[:40]:
            print("%8.1f ms  %s" % (us / 1000, name[:150]))
    print("inclusive time of PROFILE_TOTALS functions:")
    for name, us in sorted(inclusive.items(), key=lambda kv: -kv[1])[:25]:
        print("%8.1f ms  %s" % (us / 1000, name[:150]))
    # Busy stretches: runs of samples that are not (idle)/(program)/(garbage collector) gaps.
    t, stretches, cur = 0, [], None
    for sample, dt in zip(profile["samples"], deltas):
        t += dt
        idle = name_of(sample) == "(idle)"
        if idle:
            if cur:
                stretches.append(cur)
                cur = None
        else:
            cur = cur or [t, t, []]
            cur[1] = t
            cur[2].append((sample, dt))
    if cur:
        stretches.append(cur)
    stretches.sort(key=lambda s: -(s[1] - s[0]))
    for start, end, samples in stretches[:int(os.environ.get("STRETCHES", "2"))]:
        print("busy stretch at %.2f s, %.0f ms:" % (start / 1e6, (end - start) / 1e3))
        own, total = {}, {}
        for sample, dt in samples:
            own[name_of(sample)] = own.get(name_of(sample), 0) + dt
            seen, i = set(), sample
            while i is not None:
                if name_of(i) not in seen:
                    seen.add(name_of(i))
                    total[name_of(i)] = total.get(name_of(i), 0) + dt
                i = parent.get(i)
        for label, table in (("self", own), ("total", total)):
            for name, us in sorted(table.items(), key=lambda kv: -kv[1])[:15]:
                print("  %-5s %7.1f ms  %s" % (label, us / 1000, name[:110]))


def print_trace(log):
    """Every main-thread task over 50 ms with the trace events inside it
    (self time by event name, and the biggest single events)."""
    events = []
    for entry in log:
        m = json.loads(entry["message"])["message"]
        if m.get("method") == "Tracing.dataCollected":
            value = m["params"].get("value", m["params"])
            events.extend(value if isinstance(value, list) else [value])
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    main = [e for e in events if names.get((e.get("pid"), e.get("tid"))) == "CrRendererMain"
            and e.get("ph") == "X" and "dur" in e]
    main.sort(key=lambda e: (e["ts"], -e["dur"]))
    tasks = [e for e in main if e["name"] in ("RunTask", "ThreadControllerImpl::RunTask")
             and e["dur"] > 50000]
    t0 = tasks[0]["ts"] if tasks else 0
    for task in tasks:
        end = task["ts"] + task["dur"]
        inside = [e for e in main if task["ts"] <= e["ts"] < end and e is not task
                  and e["name"] not in ("RunTask", "ThreadControllerImpl::RunTask")]
        print("task at %+.2f s: %.0f ms" % ((task["ts"] - t0) / 1e6, task["dur"] / 1000))
        # Self time: each event's duration minus its direct children's.
        stack, own = [], {}
        for e in inside:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                stack.pop()
            if stack:
                own[id(stack[-1])] = own.get(id(stack[-1]), stack[-1]["dur"]) - e["dur"]
            stack.append(e)
        by_name = {}
        for e in inside:
            by_name[e["name"]] = by_name.get(e["name"], 0) + own.get(id(e), e["dur"])
        for name, us in sorted(by_name.items(), key=lambda kv: -kv[1])[:8]:
            print("    self %7.1f ms  %s" % (us / 1000, name))
        for e in sorted(inside, key=lambda e: -e["dur"])[:6]:
            args = e.get("args", {})
            detail = args.get("data", {})
            what = detail.get("functionName") or detail.get("url") or detail.get("type") or ""
            if e["name"] == "Layout" and "beginData" in args:
                what = "%s of %s objects dirty" % (args["beginData"].get("dirtyObjects"),
                                                   args["beginData"].get("totalObjects"))
            print("    span %7.1f ms  %s %s" % (e["dur"] / 1000, e["name"], str(what)[:60]))


def run_once(base):
    capabilities = {}
    if TRACE:
        capabilities = {"goog:loggingPrefs": {"performance": "ALL"}, "goog:chromeOptions": {
            "perfLoggingPrefs": {"traceCategories":
                                 "devtools.timeline,disabled-by-default-devtools.timeline,v8,v8.wasm,blink"}}}
    with session(base, ["--window-size=1280,900"], capabilities) as (s, js):
        call(base, "POST", s + "/url", {"url": URL})
        for _ in range(300):
            if js("return document.documentElement.dataset.cmdhunt") == "ready":
                break
            time.sleep(0.1)
        js("""window.__lt = []; window.__loaf = [];
              new PerformanceObserver(l => { for (const e of l.getEntries()) window.__lt.push([e.startTime - window.__t0, e.duration]); })
                .observe({ type: 'longtask', buffered: false });
              // Long animation frames: where a frame's time went (scripts, then style and layout, then paint).
              new PerformanceObserver(l => { for (const e of l.getEntries()) {
                  const end = e.startTime + e.duration;
                  const script = e.scripts.reduce((a, s) => a + s.duration, 0);
                  const layout = e.styleAndLayoutStart ? end - e.styleAndLayoutStart : 0;
                  const render = e.renderStart ? end - e.renderStart : 0;
                  window.__loaf.push([e.startTime - window.__t0, e.duration, script, render - layout, layout,
                                      e.scripts.map(s => s.invoker + ' ' + Math.round(s.duration)).join('; ')]); } })
                .observe({ type: 'long-animation-frame', buffered: false });""")
        cdp = lambda cmd, params={}: call(base, "POST", s + "/goog/cdp/execute",
                                          {"cmd": cmd, "params": params})
        if PROFILE:
            cdp("Profiler.enable")
            cdp("Profiler.setSamplingInterval", {"interval": 500})
            cdp("Profiler.start")
        el = call(base, "POST", s + "/element",
                  {"using": "css selector", "value": "[data-testid=file-input]"})[ELEMENT]
        start = time.time()
        js("window.__t0 = performance.now()")
        call(base, "POST", s + "/element/%s/value" % el, {"text": FILE})
        status = ""
        while time.time() - start < 600:
            status = js("const e = document.querySelector('[data-testid=file-status]');"
                        "return e ? e.textContent : ''")
            if status and status not in ("queued", "reading") and not status.startswith("reading"):
                break
            time.sleep(0.2)
        wall = time.time() - start
        time.sleep(1.0)  # let the last render and its long tasks land
        lt = js("return window.__lt")
        if os.environ.get("LOAF"):
            print("long animation frames: [start s, ms, scripts ms, rAF/ResizeObserver ms, style+layout+paint ms, scripts]")
            for start, dur, script, pre, layout, what in js("return window.__loaf.filter(e => e[0] === e[0])"):
                print("  [%.2f, %.0f, %.0f, %.0f, %.0f, %s]" % (start / 1000, dur, script, pre, layout, what[:100]))
        if PROFILE:
            print_profile(cdp("Profiler.stop")["profile"])
        if TRACE:
            print_trace(call(base, "POST", s + "/se/log", {"type": "performance"}))
        shown = js("const e = document.querySelector('[data-testid=flagged-count]');"
                   "return e ? e.textContent : ''")
        durations = [d for _, d in lt]
        worst = max(lt, key=lambda e: e[1]) if lt else (0, 0)
        return {"status": status, "shown": shown, "wall_s": round(wall, 1),
                "longtasks": len(lt), "over_100ms": sum(1 for d in durations if d > 100),
                "max_ms": round(worst[1]), "max_at_s": round(worst[0] / 1000, 1),
                "total_ms": round(sum(durations)),
                "tasks": [[round(t / 1000, 2), round(d)] for t, d in lt] if os.environ.get("ALL") else None}


def main():
    with running() as base:
        with open("/proc/loadavg") as f:
            print("load average:", f.read().split()[0], flush=True)
        for i in range(RUNS):
            print(json.dumps(run_once(base)), flush=True)


main()
