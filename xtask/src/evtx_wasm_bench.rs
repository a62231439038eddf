//! `cargo xtask evtx-wasm-bench`: EVTX cost in WebAssembly, cmdhunt's scan
//! against the `evtx` crate's own `records()` over the same files (issue 4's
//! "native and wasm"; the native side is `core/examples/evtx_speed.rs`).
//!
//! Builds `bench/evtx-wasm` for `wasm32-unknown-unknown` with the page's
//! profile (`web-release`) and `wasm-opt -Oz`, as `cargo xtask dist` builds the
//! page, binds it for Node, and runs `bench/evtx-wasm/run.mjs`; with
//! `--browser`, binds it for the web and runs it in headless Chromium
//! (`bench/evtx-wasm/browser.py`), the engine the page's workers run in.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools;

/// The logs of the README's EVTX table, under `../shared/data`, used when no
/// file is named.
pub const DEFAULT_LOGS: [&str; 4] = [
    "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    "evtx-samples/samples/sysmon.evtx",
    "evtx-samples/samples/security.evtx",
    "security-4688/TA0005-Defense Evasion/T1562.004-Impair Defenses-Disable or Modify System Firewall/ID4688-5447-4950-Firewall disabled (command).evtx",
];

/// Options of `evtx-wasm-bench`, from its command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// Cargo profile of the wasm build (`web-release`, the page's, by default).
    pub profile: String,
    /// Skip wasm-opt.
    pub no_opt: bool,
    /// Run in headless Chromium instead of Node.
    pub browser: bool,
    /// Rounds per file (best time kept).
    pub rounds: u32,
    /// The `.evtx` files; empty for [`DEFAULT_LOGS`].
    pub files: Vec<PathBuf>,
}

/// The command's usage line.
pub const USAGE: &str = "cargo xtask evtx-wasm-bench [--browser] [--profile web-release|release] [--no-opt] [--rounds N] [FILE.evtx...]";

impl Options {
    /// Read the options that follow `evtx-wasm-bench`.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut opts = Options {
            profile: "web-release".into(),
            no_opt: false,
            browser: false,
            rounds: 30,
            files: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value\nusage: {USAGE}"))
            };
            match arg.as_str() {
                "--profile" => opts.profile = value("--profile")?,
                "--rounds" => {
                    opts.rounds = value("--rounds")?
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| {
                            format!("--rounds needs a positive number\nusage: {USAGE}")
                        })?
                }
                "--no-opt" => opts.no_opt = true,
                "--browser" => opts.browser = true,
                flag if flag.starts_with("--") => {
                    return Err(format!("unknown option {flag}\nusage: {USAGE}"))
                }
                file => opts.files.push(PathBuf::from(file)),
            }
        }
        Ok(opts)
    }

    /// wasm-opt's level for the profile: the page's `-Oz` for `web-release`
    /// (and any size profile), `-O3` for a speed profile.
    fn opt_level(&self) -> &'static str {
        if self.profile == "web-release" {
            "-Oz"
        } else {
            "-O3"
        }
    }
}

/// Build, bind and run the benchmark.
pub fn evtx_wasm_bench(root: &Path, opts: &Options) -> Result<(), String> {
    tools::check_wasm_target()?;
    tools::check_wasm_bindgen(root)?;
    let files: Vec<PathBuf> = if opts.files.is_empty() {
        let data = root.join("../shared/data");
        DEFAULT_LOGS.iter().map(|log| data.join(log)).collect()
    } else {
        opts.files.clone()
    };
    let raw = tools::build_wasm(root, "cmdhunt-evtx-wasm-bench", &opts.profile)?;
    let bindgen_target = if opts.browser { "web" } else { "nodejs" };
    let bound = root.join(format!(
        "target/evtx-wasm-bench/{}-{bindgen_target}",
        opts.profile
    ));
    tools::bind_wasm(&raw, bindgen_target, &bound)?;
    let wasm = bound.join("cmdhunt_evtx_wasm_bench_bg.wasm");
    if !opts.no_opt {
        let optimised = bound.join("optimised.wasm");
        tools::wasm_opt(root, true, opts.opt_level(), &wasm, &optimised)?;
        std::fs::rename(&optimised, &wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    }
    eprintln!(
        "xtask: evtx-wasm-bench: {} build, {}, {} bytes of wasm, {} rounds",
        opts.profile,
        if opts.no_opt {
            "no wasm-opt".to_owned()
        } else {
            format!("wasm-opt {}", opts.opt_level())
        },
        std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0),
        opts.rounds
    );
    let bench_dir = root.join("bench/evtx-wasm");
    let mut run = if opts.browser {
        let mut cmd = Command::new("python3");
        cmd.arg(bench_dir.join("browser.py")).arg(&bound);
        cmd
    } else {
        let mut cmd = Command::new("node");
        cmd.arg(bench_dir.join("run.mjs"))
            .arg(bound.join("cmdhunt_evtx_wasm_bench.js"));
        cmd
    };
    run.arg("--rounds")
        .arg(opts.rounds.to_string())
        .args(&files);
    tools::run(&mut run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_its_command_line() {
        let opts = Options::parse(&args(&["--rounds", "5", "a.evtx", "--browser", "b.evtx"]))
            .expect("valid");
        assert_eq!(opts.rounds, 5);
        assert!(opts.browser && !opts.no_opt);
        assert_eq!(opts.profile, "web-release");
        assert_eq!(opts.opt_level(), "-Oz");
        assert_eq!(
            opts.files,
            [PathBuf::from("a.evtx"), PathBuf::from("b.evtx")]
        );
        let release = Options::parse(&args(&["--profile", "release", "--no-opt"])).expect("valid");
        assert_eq!(release.opt_level(), "-O3");
        assert!(release.no_opt && release.files.is_empty());
    }

    #[test]
    fn refuses_bad_options() {
        for bad in [
            &["--rounds", "0"][..],
            &["--rounds"],
            &["--rounds", "x"],
            &["--fast"],
        ] {
            let err = Options::parse(&args(bad)).expect_err("refused");
            assert!(err.contains("usage:"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn the_default_logs_are_in_shared_data() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
        for log in DEFAULT_LOGS {
            assert!(data.join(log).is_file(), "{log}");
        }
    }
}
