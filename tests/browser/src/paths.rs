//! Where things are: the repository, `dist/`, the fixtures, the shared data.

use std::path::PathBuf;

/// The repository root (`tests/browser/../..`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The page's build output: `dist/`, or the directory in `CMDHUNT_E2E_DIST`
/// (tested as is, never rebuilt: a release to check, or a deliberately
/// broken copy to see the tests fail).
pub fn dist_dir() -> PathBuf {
    match std::env::var_os(DIST_OVERRIDE) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo_root().join("dist"),
    }
}

/// The variable naming another page directory to test.
pub const DIST_OVERRIDE: &str = "CMDHUNT_E2E_DIST";

/// A fixture under `tests/data/`.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/data").join(name)
}

/// The page's built-in sample (`static/sample.csv`, what "Try the sample" loads).
pub fn sample_csv() -> PathBuf {
    repo_root().join("static/sample.csv")
}

/// A file of the real public data set beside the repository (`../shared/data`),
/// read in place.
pub fn shared_data(relative: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(relative)
}

/// The absolute, normalised form of `path` (what a file input and `file://` need).
pub fn absolute(path: &std::path::Path) -> Result<PathBuf, crate::Error> {
    std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// The name a browser gives a picked file (its last path component).
pub fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
