// cmdhunt bootstrap, appended by `cargo xtask dist` to wasm-bindgen's
// `--target no-modules` glue (one classic script; `wasm_bindgen` is in
// scope). The same script runs in two places:
//
// * the page: decode the wasm (base64, inline or from cmdhunt_wasm.js),
//   compile it once, start the Yew app; define cmdhuntSpawnWorker().
// * a worker (spawned from this very script): wait for the page's
//   { module, msg, file, byob } message, instantiate the posted
//   WebAssembly.Module and feed the file's stream to a WorkerScan. Nothing
//   is ever fetched. A worker the page keeps warm for its next file
//   (web/src/bridge.rs, `Pool`) is sent { module } alone first: it
//   instantiates the module, answers "warm" and waits for its file. One
//   more worker, once per page, warms the code up (web/src/warm_up.rs).
//
// Workers are classic, not module workers: a page opened from file:// has an
// opaque origin, and Chromium refuses module workers from its Blob URLs.
if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  // The BYOB reader's buffer (see `feed`).
  const READ_BUFFER_BYTES = 4 << 20;
  const run = async (event) => {
    // The only later message: the page's word on the seam of a split EVTX
    // log or JSON lines file ({ readOn }), which may come while this worker
    // still reads.
    let decide;
    const decision = new Promise((resolve) => {
      decide = resolve;
    });
    self.onmessage = (e) => decide(e.data);
    const { module, msg, file } = event.data;
    const byob = event.data.byob !== false;
    // A wasm trap: a Rust panic (its hook has already posted Panicked with
    // the panic message) or an abort without one (out of memory). Report it
    // as a message too, not as an uncaught error: messages arrive in order,
    // while an error event may overtake the hook's message and hide it.
    // Every call into wasm below is synchronous and wrapped for this.
    const trapped = (e) => {
      let job = 0;
      try {
        job = JSON.parse(msg).job ?? 0;
      } catch (_) {}
      self.postMessage(JSON.stringify({ Panicked: { job, message: String(e) } }));
    };
    // A big CSV, EVTX log or JSON lines file split across workers
    // (web/src/split_job.rs): this worker reads one byte range; a later range
    // reads the file's header first (a CSV's header record, an EVTX log's
    // 4 KiB file header; nothing for JSON lines).
    let range = null;
    try {
      range = JSON.parse(msg).range ?? null;
    } catch (_) {}
    // The next byte to read, as an offset in the file.
    let offset = 0;
    // A stream's error is generic ("TypeError: network error"); a one-byte
    // synchronous read at the same place names the cause (NotFoundError for
    // a file deleted since it was picked, NotReadableError for one changed).
    const cause = (e) => {
      try {
        new FileReaderSync().readAsArrayBuffer(file.slice(offset, offset + 1));
      } catch (d) {
        return `${d.name}: ${d.message}`;
      }
      return `${e.name}: ${e.message}`;
    };
    let header;
    let headerError = null;
    if (range && range.start > 0) {
      try {
        header = new Uint8Array(await file.slice(0, range.header_end).arrayBuffer());
      } catch (e) {
        headerError = e;
      }
    }
    let scan;
    try {
      wasm_bindgen.initSync({ module });
      // A detail panel's process context (web/src/context_job.rs) reads
      // the file the same way, into a ContextJob.
      const job = JSON.parse(msg).type === "Context" ? wasm_bindgen.ContextJob : wasm_bindgen.WorkerScan;
      scan = job.start(msg, header);
    } catch (e) {
      return trapped(e);
    }
    if (!scan) return; // it could not start, and has said why
    const fail = (e) => {
      try {
        scan.fail_read(offset, cause(e));
      } catch (t) {
        trapped(t);
      }
      return false;
    };
    if (headerError) return fail(headerError);
    // Feed `blob`'s stream to the scan, one chunk in memory at a time; false
    // when the scan has ended (a failure, reported). A byte stream is read
    // with a BYOB reader into one reused 4 MiB buffer (1.1-1.5 GB/s in
    // Chromium against 0.87-0.97 GB/s for the default reader, which
    // allocates every chunk: `web/perf/readspeed.py`); a browser whose
    // Blob streams are not byte streams (or `byob: false` in the envelope,
    // `#reader=stream` on the page) gets the default reader. FileReaderSync
    // over File.slice read 0.3 GB/s.
    const feed = async (blob) => {
      let reader;
      let buffer = null;
      try {
        const stream = blob.stream();
        if (byob) {
          try {
            reader = stream.getReader({ mode: "byob" });
            buffer = new ArrayBuffer(READ_BUFFER_BYTES);
          } catch (_) {
            reader = undefined;
          }
        }
        reader ??= stream.getReader();
      } catch (e) {
        return fail(e);
      }
      for (;;) {
        let chunk;
        try {
          chunk = await (buffer ? reader.read(new Uint8Array(buffer)) : reader.read());
        } catch (e) {
          return fail(e);
        }
        if (chunk.done) return true;
        // The read handed the buffer back inside its view (transferred).
        if (buffer) buffer = chunk.value.buffer;
        try {
          scan.push(chunk.value);
        } catch (e) {
          trapped(e);
          return false;
        }
        offset += chunk.value.length;
      }
    };
    if (range) {
      offset = range.start;
      if (!(await feed(file.slice(range.start, range.end)))) return;
      // The first range asks whether its last record ended at the boundary
      // (the seam); if not, it reads on to the end and the page drops the
      // other range's work (the rescan).
      let readOn;
      let waits;
      try {
        readOn = scan.end_range();
        waits = scan.waits_for_seam();
      } catch (e) {
        return trapped(e);
      }
      // The first range of an EVTX log or JSON lines file: the page says,
      // from both ranges' words (the range after it stands alone; for JSON,
      // this one's lines were clean too), whether this one reads on through
      // the next.
      if (waits) readOn = Boolean((await decision)?.readOn);
      if (readOn && !(await feed(file.slice(range.end)))) return;
    } else if (!(await feed(file))) {
      return;
    }
    try {
      scan.finish();
    } catch (e) {
      trapped(e);
    }
  };
  self.onmessage = (event) => {
    if (typeof event.data?.msg === "string") return run(event);
    // A pooled worker: instantiate now (`run` then finds it done); a
    // failure is left for `run`, which reports it with the file's job.
    // The page's warm-up worker ({ module, warmUp: BYTES },
    // web/src/warm_up.rs): scan synthetic inputs so the hot code is
    // optimised before a file is picked, and report what it scanned.
    const warmUp = event.data?.warmUp;
    try {
      wasm_bindgen.initSync({ module: event.data.module });
      self.postMessage(warmUp ? { warmedUp: wasm_bindgen.warmUp(warmUp) } : "warm");
    } catch (e) {
      if (warmUp) self.postMessage({ warmUpFailed: String(e) });
    }
  };
} else {
  (() => {
    const showFatal = (text) => {
      const banner = document.getElementById("panic-banner");
      if (banner) {
        banner.textContent = text;
        banner.hidden = false;
      }
      console.error(text);
    };
    // Framed by another page, which could overlay or restyle it to get the
    // analyst to drop files on it: refuse to run. When served, the headers
    // already forbid framing (frame-ancestors 'none', X-Frame-Options: DENY;
    // a <meta> CSP cannot); this covers hosts that do not send them, and the
    // single file opened from disk.
    let framed = true;
    try {
      framed = window.top !== window.self;
    } catch (_) {}
    if (framed) {
      document.documentElement.dataset.cmdhunt = "framed";
      showFatal(
        "cmdhunt refuses to run inside a frame: another page is showing it to you. " +
          "Open it directly (its own address, or the cmdhunt.html file); no file was read."
      );
      return;
    }
    // Workers run this same script: a Blob of the inline script in the
    // single-file page (CSP worker-src blob:), or its URL when served.
    const me = document.currentScript;
    const workerUrl = me.src
      ? me.src
      : URL.createObjectURL(new Blob([me.textContent], { type: "text/javascript" }));
    // `#selftest-panic` lets the browser tests make a worker panic on purpose
    // (see SELF_TEST_PANIC in web/src/worker.rs).
    globalThis.cmdhuntSpawnWorker = () =>
      new Worker(workerUrl, {
        name: location.hash === "#selftest-panic" ? "cmdhunt-scan selftest-panic" : "cmdhunt-scan",
      });
    const base64 =
      document.getElementById("cmdhunt-wasm")?.textContent ?? globalThis.CMDHUNT_WASM_BASE64;
    (async () => {
      try {
        if (!base64) throw new Error("the page carries no wasm");
        // The wasm is built with SIMD (web/README.md, "wasm SIMD"); a browser
        // without it would fail to compile it with an obscure CompileError.
        // Probe: (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt).
        const simdProbe = new Uint8Array([
          0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0,
          253, 15, 253, 98, 11,
        ]);
        if (!WebAssembly.validate(simdProbe)) {
          document.documentElement.dataset.cmdhunt = "no-simd";
          showFatal(
            "cmdhunt needs WebAssembly SIMD, which this browser does not support. " +
              "Use a current Chrome/Edge (91+), Firefox (89+) or Safari (16.4+); no file was read."
          );
          return;
        }
        const text = atob(base64.trim());
        const bytes = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
        const module = await WebAssembly.compile(bytes);
        await wasm_bindgen({ module_or_path: module });
        // Renders the page, then warms it up in short tasks of its own.
        await wasm_bindgen.start_app();
        document.documentElement.dataset.cmdhunt = "ready";
      } catch (e) {
        showFatal("cmdhunt could not start: " + e);
      }
    })();
  })();
}
