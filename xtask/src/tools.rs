//! The external tools `dist` needs, checked before use with messages that
//! say how to get the right version.

use std::path::{Path, PathBuf};
use std::process::Command;

/// binaryen release whose `wasm-opt` reads current rustc output (Debian's v108 cannot).
pub const BINARYEN_NPM: &str = "binaryen@132.0.0";
/// Oldest `wasm-opt` major version accepted from PATH.
const MIN_WASM_OPT: u32 = 116;

/// Run `cmd`, returning stdout, or an error naming the command.
pub fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Run `cmd` with inherited output; error if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

/// The version of `package` recorded in `Cargo.lock`.
pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"") {
            let version = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}

/// Check that the `wasm-bindgen` CLI matches the `wasm-bindgen` crate in
/// Cargo.lock (their schemas must agree exactly).
pub fn check_wasm_bindgen(root: &Path) -> Result<(), String> {
    let lock =
        std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let want =
        locked_version(&lock, "wasm-bindgen").ok_or("Cargo.lock has no wasm-bindgen entry")?;
    let install = format!("cargo install wasm-bindgen-cli --version {want}");
    let got = output(Command::new("wasm-bindgen").arg("--version"))
        .map_err(|e| format!("wasm-bindgen CLI not found ({e}); install it with `{install}`"))?;
    let got = got.split_whitespace().nth(1).unwrap_or("").to_owned();
    if got != want {
        return Err(format!(
            "wasm-bindgen CLI is {got} but Cargo.lock pins the wasm-bindgen crate at {want}; \
             they must match exactly: `{install}`"
        ));
    }
    Ok(())
}

/// `cargo build` the library of `package` for `wasm32-unknown-unknown` with
/// `profile`; returns the raw `.wasm`'s path.
pub fn build_wasm(root: &Path, package: &str, profile: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo).current_dir(root).args([
        "build",
        "--package",
        package,
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        profile,
    ]))?;
    Ok(root.join(format!(
        "target/wasm32-unknown-unknown/{profile}/{}.wasm",
        package.replace('-', "_")
    )))
}

/// Bind `raw` with `wasm-bindgen --target <target>` into a fresh `out_dir`.
pub fn bind_wasm(raw: &Path, target: &str, out_dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(out_dir);
    run(Command::new("wasm-bindgen")
        .args(["--target", target, "--no-typescript", "--out-dir"])
        .arg(out_dir)
        .arg(raw))
}

/// `wasm-opt <level> input -o output` with the `wasm-opt` [`find_wasm_opt`] finds.
pub fn wasm_opt(
    root: &Path,
    install: bool,
    level: &str,
    input: &Path,
    output: &Path,
) -> Result<(), String> {
    let exe = find_wasm_opt(root, install)?;
    run(Command::new(exe)
        .arg(level)
        .arg(input)
        .arg("-o")
        .arg(output))
}

/// Check that the wasm32 target is installed.
pub fn check_wasm_target() -> Result<(), String> {
    let libdir = output(Command::new("rustc").args([
        "--print",
        "target-libdir",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    if Path::new(libdir.trim()).is_dir() {
        Ok(())
    } else {
        Err("the wasm32-unknown-unknown target is missing: `rustup target add wasm32-unknown-unknown`".into())
    }
}

fn wasm_opt_major(exe: &Path) -> Option<u32> {
    let v = output(Command::new(exe).arg("--version")).ok()?;
    // "wasm-opt version 132 (version_132)"
    v.split_whitespace().nth(2)?.parse().ok()
}

/// Find a recent `wasm-opt`: `target/xtask-tools` (installed by this tool),
/// `node_modules` at the root, then PATH; install `binaryen` from npm into
/// `target/xtask-tools` when none is found and `install` is set.
pub fn find_wasm_opt(root: &Path, install: bool) -> Result<PathBuf, String> {
    let tools = root.join("target/xtask-tools");
    let candidates = [
        tools.join("node_modules/.bin/wasm-opt"),
        root.join("node_modules/.bin/wasm-opt"),
        PathBuf::from("wasm-opt"),
    ];
    for exe in &candidates {
        if wasm_opt_major(exe).is_some_and(|v| v >= MIN_WASM_OPT) {
            return Ok(exe.clone());
        }
    }
    if !install {
        return Err(format!("no wasm-opt >= {MIN_WASM_OPT} found (run without --no-install, or `npm install {BINARYEN_NPM}`)"));
    }
    eprintln!(
        "xtask: installing {BINARYEN_NPM} (wasm-opt) into {}",
        tools.display()
    );
    std::fs::create_dir_all(&tools).map_err(|e| format!("{}: {e}", tools.display()))?;
    run(Command::new("npm")
        .args(["install", "--prefix"])
        .arg(&tools)
        .args(["--no-save", "--no-audit", "--no-fund", BINARYEN_NPM]))
    .map_err(|e| {
        format!("{e}; install wasm-opt yourself (`npm install {BINARYEN_NPM}`) or pass --no-opt")
    })?;
    let exe = candidates[0].clone();
    match wasm_opt_major(&exe) {
        Some(v) if v >= MIN_WASM_OPT => Ok(exe),
        _ => Err(format!(
            "{} does not run after installing {BINARYEN_NPM}",
            exe.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_a_lock_file() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.1\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\nsource = \"x\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(lock, "wasm-bindgen-macro").as_deref(),
            Some("0.2.1")
        );
        assert_eq!(locked_version(lock, "yew"), None);
    }

    #[test]
    fn the_repository_lock_pins_wasm_bindgen() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
        let web = std::fs::read_to_string(root.join("web/Cargo.toml")).expect("web/Cargo.toml");
        let workspace = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
        let locked = locked_version(&lock, "wasm-bindgen").expect("wasm-bindgen locked");
        // The version is pinned once, in `[workspace.dependencies]`, and web takes it from there.
        assert!(
            workspace.contains(&format!("wasm-bindgen = \"={locked}\"")),
            "the workspace pins the locked version"
        );
        assert!(
            web.contains("wasm-bindgen = { workspace = true }"),
            "web takes wasm-bindgen from the workspace"
        );
    }
}
