//! The plain baseline: the `csv` crate's reader plus an Aho-Corasick
//! automaton over the command-line column, with KQL's term-boundary check so
//! that its count can be compared with cmdhunt's.

use std::fs::File;
use std::io;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use cmdhunt_core::rule::{Needle, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};

/// What a baseline pass counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Data records read.
    pub records: u64,
    /// Records whose `FileName` is `cmd.exe` (ASCII case-insensitive).
    pub shell: u64,
    /// Shell records with a suspicious pattern or parent.
    pub flagged: u64,
}

/// One needle list with its term-boundary requirements.
pub struct Needles {
    automaton: AhoCorasick,
    edges: Vec<(bool, bool)>,
}

impl Needles {
    fn new(needles: &[Needle]) -> Self {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(needles.iter().map(|n| n.value))
            .expect("a few short literals");
        let edges = needles
            .iter()
            .map(|n| {
                let b = n.value.as_bytes();
                (
                    b.first().is_some_and(u8::is_ascii_alphanumeric),
                    b.last().is_some_and(u8::is_ascii_alphanumeric),
                )
            })
            .collect();
        Needles { automaton, edges }
    }

    /// KQL `has_any` for ASCII text: an occurrence on term boundaries.
    fn has_any(&self, haystack: &[u8]) -> bool {
        let alnum = |i: usize| haystack.get(i).is_some_and(u8::is_ascii_alphanumeric);
        self.automaton.find_overlapping_iter(haystack).any(|m| {
            let (left, right) = self.edges[m.pattern().as_usize()];
            let left_ok = !left || m.start() == 0 || !alnum(m.start() - 1);
            let right_ok = !right || !alnum(m.end());
            left_ok && right_ok
        })
    }
}

/// The rule's two lists, compiled.
pub struct Baseline {
    patterns: Needles,
    parents: Needles,
}

impl Default for Baseline {
    fn default() -> Self {
        Self::new()
    }
}

impl Baseline {
    /// Compile both lists.
    pub fn new() -> Self {
        Baseline {
            patterns: Needles::new(&SUSPICIOUS_PATTERNS),
            parents: Needles::new(&SUSPICIOUS_PARENTS),
        }
    }

    /// Read `path` with `csv::Reader::read_byte_record` (one reused record,
    /// no UTF-8 validation: the fastest ordinary use of the crate).
    pub fn scan_byte_records(&self, path: &Path) -> io::Result<Counts> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(File::open(path)?);
        let (file, cmd, parent) = columns(reader.byte_headers()?)?;
        let mut record = csv::ByteRecord::new();
        let mut counts = Counts::default();
        while reader.read_byte_record(&mut record)? {
            let field = |i: usize| record.get(i).unwrap_or(b"");
            self.count(&mut counts, field(file), field(cmd), field(parent));
        }
        Ok(counts)
    }

    /// Read `path` with the `csv::Reader::records()` iterator (a fresh,
    /// UTF-8-validated `StringRecord` per row: the crate's tutorial style).
    pub fn scan_string_records(&self, path: &Path) -> io::Result<Counts> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(File::open(path)?);
        let (file, cmd, parent) = columns(reader.byte_headers()?)?;
        let mut counts = Counts::default();
        for record in reader.records() {
            let record = record?;
            let field = |i: usize| record.get(i).unwrap_or("").as_bytes();
            self.count(&mut counts, field(file), field(cmd), field(parent));
        }
        Ok(counts)
    }

    fn count(&self, counts: &mut Counts, file: &[u8], cmd: &[u8], parent: &[u8]) {
        counts.records += 1;
        if !file.eq_ignore_ascii_case(b"cmd.exe") {
            return;
        }
        counts.shell += 1;
        if self.patterns.has_any(cmd) || self.parents.has_any(parent) {
            counts.flagged += 1;
        }
    }
}

fn columns(header: &csv::ByteRecord) -> io::Result<(usize, usize, usize)> {
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h == name.as_bytes())
            .ok_or_else(|| io::Error::other(format!("no {name} column")))
    };
    Ok((
        find("FileName")?,
        find("ProcessCommandLine")?,
        find("InitiatingProcessFileName")?,
    ))
}
