// cmdhunt bootstrap, appended by `cargo xtask dist` to wasm-bindgen's
// `--target no-modules` glue (one classic script; `wasm_bindgen` is in
// scope). The same script runs in two places:
//
// * the page: decode the wasm (base64, inline or from cmdhunt_wasm.js),
//   compile it once, start the Yew app; define cmdhuntSpawnWorker().
// * a worker (spawned from this very script): wait for the page's
//   { module, msg, file } message, instantiate the posted WebAssembly.Module
//   and scan the file. Nothing is ever fetched.
//
// Workers are classic, not module workers: a page opened from file:// has an
// opaque origin, and Chromium refuses module workers from its Blob URLs.
if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  self.onmessage = (event) => {
    self.onmessage = null;
    const { module, msg, file } = event.data;
    wasm_bindgen.initSync({ module });
    try {
      wasm_bindgen.worker_run(msg, file);
    } catch (e) {
      // A wasm trap: a Rust panic (its hook has already posted Panicked with
      // the panic message) or an abort without one (out of memory). Report it
      // as a message too, not as an uncaught error: messages arrive in order,
      // while an error event may overtake the hook's message and hide it.
      let job = 0;
      try {
        job = JSON.parse(msg).job ?? 0;
      } catch (_) {}
      self.postMessage(JSON.stringify({ Panicked: { job, message: String(e) } }));
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
