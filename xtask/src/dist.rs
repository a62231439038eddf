//! `cargo xtask dist`: build the page's wasm, bind it, shrink it and write
//! `dist/` (the served page and its assets) and `dist/cmdhunt.html` (one
//! self-contained file).

use std::fs;
use std::path::Path;

use crate::digest::base64;
use crate::page::{self, Parts};
use crate::tools;

/// Options of `dist`.
#[derive(Debug, Default)]
pub struct Options {
    /// Skip wasm-opt.
    pub no_opt: bool,
    /// Do not install binaryen from npm when wasm-opt is missing.
    pub no_install: bool,
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn size(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Build everything into `root/dist`.
pub fn dist(root: &Path, opts: &Options) -> Result<(), String> {
    tools::check_wasm_target()?;
    tools::check_wasm_bindgen(root)?;
    let raw = tools::build_wasm(root, "cmdhunt-web", "web-release")?;
    let bound = root.join("target/web-bindgen");
    tools::bind_wasm(&raw, "no-modules", &bound)?;
    let bound_wasm = bound.join("cmdhunt_web_bg.wasm");
    let final_wasm = if opts.no_opt {
        bound_wasm.clone()
    } else {
        let out = bound.join("cmdhunt_web_opt.wasm");
        tools::wasm_opt(root, !opts.no_install, "-Oz", &bound_wasm, &out)?;
        out
    };
    let wasm = fs::read(&final_wasm).map_err(|e| format!("{}: {e}", final_wasm.display()))?;
    let glue = read(&bound.join("cmdhunt_web.js"))?;
    let bootstrap = read(&root.join("static/bootstrap.js"))?;
    let app_js = format!("{glue}\n{bootstrap}");
    let style = read(&root.join("static/style.css"))?;
    let template = read(&root.join("index.html"))?;
    let wasm_base64 = base64(&wasm);

    let dist = root.join("dist");
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(&dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    let single = page::single_file(&Parts {
        template: &template,
        style: &style,
        app_js: &app_js,
        wasm_base64: &wasm_base64,
    })?;
    write(&dist.join("cmdhunt.html"), single.as_bytes())?;
    write(
        &dist.join("index.html"),
        page::served_index(&template)?.as_bytes(),
    )?;
    write(&dist.join("cmdhunt.js"), app_js.as_bytes())?;
    write(
        &dist.join("cmdhunt_wasm.js"),
        page::wasm_script(&wasm_base64).as_bytes(),
    )?;
    write(&dist.join("cmdhunt_bg.wasm"), &wasm)?;
    write(&dist.join("style.css"), style.as_bytes())?;
    write(&dist.join("_headers"), page::headers_file().as_bytes())?;

    eprintln!(
        "xtask: wasm {} raw -> {} bound -> {} final",
        size(&raw),
        size(&bound_wasm),
        wasm.len()
    );
    for name in [
        "cmdhunt.html",
        "index.html",
        "cmdhunt.js",
        "cmdhunt_wasm.js",
        "cmdhunt_bg.wasm",
        "style.css",
    ] {
        eprintln!("xtask: dist/{name}: {} bytes", size(&dist.join(name)));
    }
    eprintln!(
        "xtask: open {} directly, or `cargo xtask serve`",
        dist.join("cmdhunt.html").display()
    );
    Ok(())
}
