//! # cmdhunt-core
//!
//! The Microsoft Sentinel rule for MITRE ATT&CK **T1059.003** (Windows command
//! shell), run locally over exported telemetry with Kusto's semantics:
//! `=~`, `has`, `has_any`, the projection and the sort.
//!
//! The crate is `#![no_std]` with `alloc`; the default `std` feature only adds
//! conveniences. It is used by the `cmdhunt` command line and, compiled to
//! WebAssembly, by the analyst's page.
//!
//! ```
//! use cmdhunt_core::{matcher::CompiledRule, results, scan::FileScan};
//!
//! let rule = CompiledRule::new(); // build once
//! let export = "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
//!               2024-05-01T10:00:00Z,ws1,bob,cmd.exe,cmd /c vssadmin delete shadows /all /quiet,explorer.exe\n\
//!               2024-05-01T10:00:05Z,ws1,bob,cmd.exe,cmd /c dir,WINWORD.EXE\n\
//!               2024-05-01T10:00:09Z,ws1,bob,cmd.exe,cmd /c dir,explorer.exe\n";
//! let mut scan = FileScan::new(&rule, 0, "export.csv", None);
//! scan.push(export.as_bytes()); // any chunking gives the same result
//! let (summary, rows) = scan.finish();
//! assert_eq!((summary.records, summary.shell, summary.flagged), (3, 3, 2));
//!
//! let order = results::select(&rows, &results::Window::default(), summary.newest);
//! assert!(rows[order[0]].verdict.flags.suspicious_parent()); // newest first
//! assert!(rows[order[1]].verdict.flags.shadow_delete());
//! ```
//!
//! The data flow: bytes → [`format`] decoder → [`event::Record`] → [`matcher`]
//! → [`scan::FlaggedRow`] → [`results::select`] (window, sort).
#![no_std]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod binxml;
pub mod context;
pub mod display;
pub mod event;
pub mod export;
pub mod export_context;
#[cfg(feature = "std")]
pub mod export_xlsx;
pub mod feed;
pub mod format;
pub mod grouping;
pub mod hardened;
pub mod histogram;
pub mod kql;
pub mod mapping;
pub mod matcher;
pub mod results;
pub mod rule;
pub mod scan;
pub mod split;
pub mod synth;
pub mod time;
pub mod tuning;
pub mod validation;
pub mod why;

#[cfg(test)]
mod testing;
