//! Build helper for the workspace: `cargo xtask <command>`.
//!
//! * `dist [--serve] [--no-opt] [--no-install]`: build the page into `dist/`
//!   (`dist/index.html` + assets, and the self-contained `dist/cmdhunt.html`).
//! * `serve [--port N]`: serve `dist/` at `http://127.0.0.1:8080` (loopback only).
//! * `wasm-test`: the web crate's wasm-bindgen tests in headless Chromium.
//! * `evtx-wasm-bench [--browser] [--rounds N] [FILE...]`: EVTX cost in wasm,
//!   cmdhunt's scan against the `evtx` crate's `records()` (Node or Chromium).

mod digest;
mod dist;
mod evtx_wasm_bench;
mod page;
mod serve;
mod tools;
mod wasm_test;

use std::path::PathBuf;

const USAGE: &str = "usage: cargo xtask dist [--serve] [--no-opt] [--no-install]
       cargo xtask serve [--port N]
       cargo xtask wasm-test
       cargo xtask evtx-wasm-bench [--browser] [--profile web-release|release] [--no-opt] [--rounds N] [FILE.evtx...]";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("xtask: error: {e}");
        std::process::exit(1);
    }
}

fn root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

fn port(args: &[String]) -> Result<u16, String> {
    match args.iter().position(|a| a == "--port") {
        None => Ok(8080),
        Some(i) => args
            .get(i + 1)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("--port needs a number\n{USAGE}")),
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let root = root();
    let flag = |f: &str| args.iter().any(|a| a == f);
    match args.first().map(String::as_str) {
        Some("dist") => {
            let opts = dist::Options {
                no_opt: flag("--no-opt"),
                no_install: flag("--no-install"),
            };
            dist::dist(&root, &opts)?;
            if flag("--serve") {
                serve::serve(&root.join("dist"), port(args)?)?;
            }
            Ok(())
        }
        Some("serve") => serve::serve(&root.join("dist"), port(args)?),
        Some("wasm-test") => wasm_test::wasm_test(&root),
        Some("evtx-wasm-bench") => {
            let opts = evtx_wasm_bench::Options::parse(&args[1..])?;
            evtx_wasm_bench::evtx_wasm_bench(&root, &opts)
        }
        _ => Err(USAGE.into()),
    }
}
