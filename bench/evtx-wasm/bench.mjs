// The timing loop of the wasm EVTX benchmark, shared by run.mjs (Node) and
// browser.html (Chromium). It knows nothing of where the module came from:
// it gets the bound `Bench` class, the files' bytes and a clock.
//
// For each file: `records()` (the evtx crate's own iteration) and `scan()`
// (cmdhunt's FileScan, 64 KiB slices) run in turn, round after round, and the
// best time of each is kept, so that load from other processes weighs on both
// alike: the method of core/examples/evtx_speed.rs, so the lines compare.

/** Time `run` once, keep the best in `best[key]`, return what it returned. */
function timed(now, best, key, run) {
  const start = now();
  const out = run();
  best[key] = Math.min(best[key], now() - start);
  return out;
}

const ms = (t) => `${t.toFixed(3)}ms`;

/**
 * Run the comparison. `files` is a list of `{ name, bytes }`; `now` returns
 * milliseconds; `print` receives one line per file.
 */
export function compare(Bench, files, rounds, now, print) {
  for (const { name, bytes } of files) {
    const bench = new Bench(bytes);
    const best = { records: Infinity, scan: Infinity };
    let crateRecords = 0;
    let counts = null;
    for (let round = 0; round < rounds; round++) {
      crateRecords = timed(now, best, "records", () => bench.records());
      const c = timed(now, best, "scan", () => bench.scan());
      counts = {
        records: Number(c.records),
        analysed: Number(c.analysed),
        flagged: Number(c.flagged),
        failed: c.failed,
      };
      c.free();
    }
    bench.free();
    const ratio = best.scan / best.records;
    print(
      `${name}: ${bytes.length} bytes; evtx records() ${ms(best.records)} (${crateRecords} records); ` +
        `cmdhunt FileScan ${ms(best.scan)} (${counts.records} records, ${counts.analysed} analysed, ` +
        `${counts.flagged} flagged${counts.failed ? ", ended with a decode error" : ""}); ` +
        `scan / records() = ${ratio.toFixed(2)}`,
    );
  }
}
