//! Inputs for the native unit tests: the page's own sample and real exports
//! from `shared/data` (read in place, never copied).

use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

/// The built-in sample (the same bytes the page's "Try the sample" loads).
pub fn sample_csv() -> &'static [u8] {
    crate::sample::SAMPLE_CSV
}

/// A file under `shared/data`, or `None` when the checkout has no copy of it.
pub fn shared_data(relative: &str) -> Option<Vec<u8>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/").to_owned() + relative;
    std::fs::read(path).ok()
}

/// Every file under `shared/data` (recursively) whose extension is one of
/// `extensions`, sorted; none when the checkout has no copy of it.
pub fn shared_files(extensions: &[&str]) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, extensions: &[&str], out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, extensions, out);
            } else if path
                .extension()
                .is_some_and(|x| extensions.iter().any(|e| x == *e))
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
    walk(std::path::Path::new(root), extensions, &mut files);
    files.sort();
    files
}

/// Scan `bytes` in one go, as file number `file`.
pub fn scan_all(bytes: &[u8], file: u32, format: Option<Format>) -> (FileSummary, Vec<FlaggedRow>) {
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, file, "test", format);
    scan.push(bytes);
    scan.finish()
}
