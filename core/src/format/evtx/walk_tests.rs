//! The walk (`super::walk`) against `evtx`'s iterator: a log decoded with
//! the walk on and off must give the same records, skips and positions,
//! field for field, on every real log, on synthetic logs, and on chunks
//! damaged at random after an intact copy of themselves (so that the walk
//! trusts their templates and meets the damage).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::value_tests::{run, Views};
use super::{EvtxDecoder, CHUNK_BYTES, FILE_HEADER_BYTES};
use crate::event::{Record, RecordClass, RecordSink, Skip};
use crate::testing::{evtx_files, shared, Rng};

/// What a scan asks of each record, one line per record or skip: the
/// class; a process creation's time, image, ids and rule inputs; a
/// `cmd.exe` one's whole event and fields. No more, so that records stay
/// walked (asking a non-creation's time, as [`Views`] does, renders it, and
/// the rest of its chunk is then `evtx`'s).
#[derive(Default)]
struct Scanned(Vec<String>);

impl RecordSink for Scanned {
    fn record(&mut self, r: &dyn Record) {
        let class = r.class();
        let mut line = format!("{:?} {class:?}", r.position());
        if class == RecordClass::ProcessCreation {
            line.push_str(&format!(
                " {:?} {:?} {:?} {:?}",
                r.timestamp(),
                r.file_name(),
                r.process_ids(),
                r.rule_inputs()
            ));
            if r.file_name().eq_ignore_ascii_case("cmd.exe") {
                line.push_str(&format!(" {:?} {:?}", r.event(), r.fields()));
            }
        }
        self.0.push(line);
    }
    fn skip(&mut self, skip: Skip) {
        self.0.push(format!("skip {skip:?}"));
    }
}

/// A sink whose lines can be compared.
trait Lines: RecordSink + Default {
    fn lines(self) -> Vec<String>;
}

impl Lines for Views {
    fn lines(self) -> Vec<String> {
        self.0
    }
}

impl Lines for Scanned {
    fn lines(self) -> Vec<String> {
        self.0
    }
}

/// What a decoder with the walk on (`walk`) shows of `bytes` through a
/// sink `S`, and how many records it walked.
fn decode<S: Lines>(bytes: &[u8], walk: bool) -> (Vec<String>, u64) {
    let decoder = EvtxDecoder {
        walk,
        ..EvtxDecoder::new()
    };
    let (sink, decoder) = run::<S>(decoder, bytes, 65536);
    (sink.lines(), decoder.walked)
}

/// The same lines through sink `S`, walked or built; how many lines, and
/// how many records were walked.
fn alike<S: Lines>(bytes: &[u8], what: &str) -> (usize, u64) {
    let (built, none) = decode::<S>(bytes, false);
    assert_eq!(none, 0, "{what}");
    let (walked, n) = decode::<S>(bytes, true);
    assert_eq!(built.len(), walked.len(), "{what}");
    for (a, b) in built.iter().zip(&walked) {
        assert_eq!(a, b, "{what}");
    }
    (walked.len(), n)
}

/// The same records walked or built, both as a scan reads them and with
/// everything asked of every record (renderings, and `evtx` going on after
/// them); how many records, and how many a scan walked.
fn same_walked_or_built(bytes: &[u8], what: &str) -> (usize, u64) {
    alike::<Views>(bytes, what);
    alike::<Scanned>(bytes, what)
}

#[test]
fn walked_records_look_as_built_records_do() {
    let files = evtx_files(&shared(""));
    assert!(files.len() > 200, "{} logs", files.len());
    let (mut records, mut walked) = (0, 0);
    for path in &files {
        let bytes = std::fs::read(path).expect("a readable log");
        let (r, w) = same_walked_or_built(&bytes, &path.display().to_string());
        records += r;
        walked += w;
    }
    // Most records of the real logs are walked: most logs are one or two
    // chunks, whose first record of each template `evtx` builds.
    assert!(walked * 2 > records as u64, "{walked} of {records}");
}

#[test]
fn synthetic_logs_are_walked_nearly_whole() {
    // 256 chunks: the first records of each template in a chunk that
    // defines it anew are built until `evtx` has built one of its shape.
    let bytes = crate::synth::log_of_size(16 << 20, 2);
    let (records, walked) = same_walked_or_built(&bytes, "synthetic, 16 MB");
    assert!(walked * 100 > records as u64 * 95, "{walked} of {records}");
}

/// A log of two chunks: `chunk` as it is, then damaged by `rng`.
fn damaged_twin(header: &[u8], chunk: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut log = header.to_vec();
    log.extend_from_slice(chunk);
    let mut twin = chunk.to_vec();
    let free = usize::from(u16::from_le_bytes([twin[48], twin[49]])).clamp(513, CHUNK_BYTES);
    for _ in 0..1 + rng.below(6) {
        // Mostly records, sometimes the header's tables and counts.
        let at = if rng.below(8) == 0 {
            rng.below(512)
        } else {
            512 + rng.below(free - 512)
        };
        twin[at] = match rng.below(4) {
            0 => 0,
            1 => 0xff,
            2 => twin[at] ^ (1 << rng.below(8)),
            _ => rng.next() as u8,
        };
    }
    log.extend_from_slice(&twin);
    log
}

#[test]
fn damaged_chunks_read_alike_walked_or_built() {
    let logs = [
        "evtx-samples/samples/security.evtx",
        "evtx-samples/samples/sysmon.evtx",
        "evtx-samples/samples/system.evtx",
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ];
    // More with CMDHUNT_WALK_ROUNDS (a longer search for a difference).
    let rounds: usize = std::env::var("CMDHUNT_WALK_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(150);
    let seed = std::env::var("CMDHUNT_WALK_SEED")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0x5eed_0fda_3a9e);
    let mut rng = Rng(seed);
    let mut walked = 0;
    for log in logs {
        let bytes = std::fs::read(shared(log)).expect("a readable log");
        let header = &bytes[..FILE_HEADER_BYTES];
        let chunks: Vec<&[u8]> = bytes[FILE_HEADER_BYTES..]
            .chunks_exact(CHUNK_BYTES)
            .filter(|c| c.starts_with(b"ElfChnk\0"))
            .collect();
        for round in 0..rounds {
            let chunk = chunks[rng.below(chunks.len())];
            let twin = damaged_twin(header, chunk, &mut rng);
            walked += same_walked_or_built(&twin, &format!("{log}, round {round}")).1;
        }
    }
    assert!(walked > 10_000, "{walked} records walked");
}
