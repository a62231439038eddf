//! The template-value path against the rendering path, on every real log.
//!
//! Every record of every `.evtx` of the test data ([`shared`]) is decoded both ways
//! (the decoder with `from_values` off renders every record, as before the
//! value path existed) and must look the same through every method of
//! [`Record`]: class, time, `FileName`, the whole event, process ids, every
//! field, and the skips. The value path must also be the one taken for
//! nearly every record of the Sysmon and Security logs (else this compares
//! nothing).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::walk::RecordBytes;
use super::EvtxDecoder;
use crate::event::{Record, RecordClass, RecordSink, Skip};
use crate::format::Decoder;
use crate::testing::{evtx_files, shared};

/// What a record shows through [`Record`], one line per record or skip.
#[derive(Default)]
pub(super) struct Views(pub(super) Vec<String>);

impl RecordSink for Views {
    fn record(&mut self, r: &dyn Record) {
        // The fields first: a value record gives them from its values
        // unless something before rendered it.
        let fields = r.fields();
        let class = r.class();
        let mut line = format!(
            "{:?} {class:?} {:?} {:?} {:?}",
            r.position(),
            r.timestamp(),
            r.file_name(),
            r.process_ids()
        );
        if class == RecordClass::ProcessCreation {
            let event = r.event();
            if let Some((command_line, parent)) = r.rule_inputs() {
                assert_eq!(command_line, event.process_command_line, "{line}");
                assert_eq!(parent, event.initiating_process_file_name, "{line}");
            }
            line.push_str(&format!(" {event:?}"));
        }
        line.push_str(&format!(" {fields:?}"));
        self.0.push(line);
    }
    fn skip(&mut self, skip: Skip) {
        self.0.push(format!("skip {skip:?}"));
    }
}

/// The views of `bytes` decoded in 64 KiB slices, and how many records were read from values.
fn decode(bytes: &[u8], from_values: bool) -> (Vec<String>, u64) {
    decode_in(bytes, from_values, 65536)
}

/// What `decoder` gives of `bytes`, pushed in slices of `slice` bytes,
/// through a new sink `S`; the sink and the decoder after.
pub(super) fn run<S: RecordSink + Default>(
    mut decoder: EvtxDecoder,
    bytes: &[u8],
    slice: usize,
) -> (S, EvtxDecoder) {
    let mut sink = S::default();
    for slice in bytes.chunks(slice) {
        decoder.push(slice, &mut sink).expect("an EVTX file");
    }
    decoder.finish(&mut sink).expect("an EVTX file");
    (sink, decoder)
}

/// The views of `bytes` decoded in slices of `slice` bytes.
fn decode_in(bytes: &[u8], from_values: bool, slice: usize) -> (Vec<String>, u64) {
    let decoder = EvtxDecoder {
        from_values,
        ..EvtxDecoder::new()
    };
    let (views, decoder) = run::<Views>(decoder, bytes, slice);
    (views.0, decoder.read_from_values)
}

#[test]
fn records_read_from_values_look_as_rendered_records_do() {
    let files = evtx_files(&shared(""));
    assert!(files.len() > 200, "{} logs", files.len());
    let (mut records, mut from_values) = (0, 0);
    for path in &files {
        let bytes = std::fs::read(path).expect("a readable log");
        let (rendered, none) = decode(&bytes, false);
        assert_eq!(none, 0);
        let (read, n) = decode(&bytes, true);
        assert_eq!(rendered.len(), read.len(), "{}", path.display());
        for (a, b) in rendered.iter().zip(&read) {
            assert_eq!(a, b, "{}", path.display());
        }
        records += read.len();
        from_values += n;
    }
    // Most records of real logs take the value path.
    assert!(
        from_values * 10 > records as u64 * 8,
        "{from_values} of {records}"
    );
}

/// A log made of several logs' chunks, interleaved (as a merged log, or the
/// split benchmark's): chunks define other templates at offsets an earlier
/// chunk used, so a template shape kept from an earlier chunk is reused only
/// for a definition of the same canonical form (`super::canon`), wherever it
/// is. Every record still looks as rendered.
#[test]
fn interleaved_logs_reuse_only_the_shapes_of_their_own_templates() {
    let logs = [
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
        "evtx-samples/samples/security.evtx",
        "evtx-samples/samples/sysmon.evtx",
        "security-4688/TA0005-Defense Evasion/T1562.004-Impair Defenses-Disable or Modify System Firewall/ID4688-5447-4950-Firewall disabled (command).evtx",
    ];
    let files: Vec<Vec<u8>> = logs
        .iter()
        .map(|log| std::fs::read(shared(log)).expect("a readable log"))
        .collect();
    let mut chunks: Vec<Vec<&[u8]>> = Vec::new();
    for bytes in &files {
        let list = bytes[super::FILE_HEADER_BYTES..]
            .chunks_exact(super::CHUNK_BYTES)
            .filter(|c| c.starts_with(super::CHUNK_MAGIC))
            .collect();
        chunks.push(list);
    }
    let header = &files[0][..super::FILE_HEADER_BYTES];
    let mut log = header.to_vec();
    // Each chunk alone (a fresh decoder): how many of its records the value
    // path reads; the interleaved log must read as many of each.
    let mut alone = 0;
    let most = chunks.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..most * 2 {
        for list in &chunks {
            if let Some(chunk) = list.get((round * 7 + list.len() / 2) % list.len().max(1)) {
                log.extend_from_slice(chunk);
                alone += decode(&[header, chunk].concat(), true).1;
            }
        }
    }
    let (rendered, _) = decode(&log, false);
    let (read, n) = decode(&log, true);
    assert!(rendered.len() > 10_000, "{}", rendered.len());
    assert!(
        n as usize * 10 > rendered.len() * 8,
        "{n} of {}",
        rendered.len()
    );
    assert_eq!(n, alone, "records read from values");
    assert_eq!(rendered.len(), read.len());
    for (a, b) in rendered.iter().zip(&read) {
        assert_eq!(a, b);
    }
}

/// A log pushed in one slice and in 4,099-byte slices (never on a chunk
/// boundary) looks the same, on every real log (damaged ones included) and
/// on each cut inside its last chunk (read padded with zeros).
#[test]
fn one_slice_or_many_give_the_same_views() {
    for path in evtx_files(&shared("")) {
        let bytes = std::fs::read(&path).expect("a readable log");
        let cut = bytes.len() - bytes.len().min(30_000);
        for bytes in [&bytes[..], &bytes[..cut.max(super::FILE_HEADER_BYTES)]] {
            let (one, _) = decode_in(bytes, true, bytes.len());
            let (many, _) = decode_in(bytes, true, 4099);
            assert_eq!(one, many, "{}, {} bytes", path.display(), bytes.len());
        }
    }
}

#[test]
fn sysmon_and_security_logs_are_read_from_values() {
    for path in [
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
        "evtx-samples/samples/security.evtx",
        "evtx-samples/samples/sysmon.evtx",
    ] {
        let bytes = std::fs::read(shared(path)).expect("a readable log");
        let (views, n) = decode(&bytes, true);
        let records = views.iter().filter(|v| !v.starts_with("skip")).count() as u64;
        assert!(
            n * 100 >= records * 95,
            "{path}: {n} of {records} records read from values"
        );
    }
}

/// What the scanner would see of each `cmd.exe` process creation, and the skips.
#[derive(Default)]
struct Shells {
    /// `(FileName, ProcessCommandLine of the whole event)` of each one.
    events: Vec<(String, String)>,
    skips: Vec<Skip>,
}

impl RecordSink for Shells {
    fn record(&mut self, r: &dyn Record) {
        if r.class() == RecordClass::ProcessCreation
            && r.file_name()
                .eq_ignore_ascii_case(crate::rule::SHELL_FILE_NAME)
        {
            let event = r.event();
            self.events
                .push((event.file_name, event.process_command_line));
        }
    }
    fn skip(&mut self, skip: Skip) {
        self.skips.push(skip);
    }
}

/// A record read from its values whose rendering is needed (a column its
/// values cannot give: a command line with a tab, which the renderer
/// escapes) and cannot be read (never seen from `evtx`, so a renderer that
/// fails stands in for it) is a counted skip with its position and reason,
/// as on the rendering path: a `cmd.exe` event never reaches the rule empty.
/// Records whose columns are all in their values need no rendering.
#[test]
fn a_value_record_whose_rendering_cannot_be_read_is_a_skip() {
    fn unreadable(_: evtx::EvtxRecord<'_>) -> Result<Vec<u8>, String> {
        Ok(b"<Event><System>".to_vec())
    }
    fn failing(_: evtx::EvtxRecord<'_>) -> Result<Vec<u8>, String> {
        Err(String::from("cannot render"))
    }
    let mut bytes = std::fs::read(shared(
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ))
    .expect("a readable log");
    // `/c "vssadmin.exe delete` becomes `/c\t"vssadmin.exe delete` (chunk
    // checksums are not checked).
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let (from, to) = (
        utf16("/c \"vssadmin.exe delete"),
        utf16("/c\t\"vssadmin.exe delete"),
    );
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("the shadow-delete command line");
    bytes[at..at + from.len()].copy_from_slice(&to);
    let run = |render: super::Render| {
        let mut decoder = EvtxDecoder {
            render,
            ..EvtxDecoder::new()
        };
        let mut sink = Shells::default();
        decoder.push(&bytes, &mut sink).expect("an EVTX file");
        decoder.finish(&mut sink).expect("an EVTX file");
        sink
    };
    let healthy = run(super::render_xml);
    assert_eq!((healthy.events.len(), healthy.skips.len()), (155, 0));
    let tab = |(_, command_line): &&(String, String)| command_line.contains('\t');
    assert_eq!(healthy.events.iter().filter(tab).count(), 1);
    let cases: [(super::Render, &str); 2] = [
        (unreadable, "unreadable rendered XML: "),
        (failing, "record 67 in chunk 1: cannot render"),
    ];
    for (render, reason) in cases {
        let broken = run(render);
        let others: Vec<_> = healthy.events.iter().filter(|e| !tab(e)).cloned().collect();
        assert_eq!(broken.events, others, "{reason}");
        let [skip] = broken.skips.as_slice() else {
            panic!("{reason}: {:?}", broken.skips);
        };
        assert!(skip.reason.contains(reason), "{skip:?}");
        assert!(
            skip.position.byte > 0 && skip.position.record > 0,
            "{skip:?}"
        );
    }
}

/// The hand-written value table (`values::Values::read`) against the `evtx`
/// crate's own `EvtxRecord::template_instances()` (typed values in a new
/// vector per record): both must find the same values in every record the
/// table reads, and the time each takes over every record of the README's
/// four logs is printed (best of 40 rounds). Run in release:
/// `cargo test --release -p cmdhunt-core --lib -- --ignored value_table_against --nocapture`.
#[test]
#[ignore = "a measurement (DESIGN.md, 'The EVTX value path'); run in release"]
fn value_table_against_the_crates_template_instances() {
    use std::time::{Duration, Instant};
    let logs = [
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
        "evtx-samples/samples/sysmon.evtx",
        "evtx-samples/samples/security.evtx",
        "security-4688/TA0005-Defense Evasion/T1562.004-Impair Defenses-Disable or Modify System Firewall/ID4688-5447-4950-Firewall disabled (command).evtx",
    ];
    let settings = alloc::sync::Arc::new(evtx::ParserSettings::new().indent(false));
    for log in logs {
        let bytes = std::fs::read(shared(log)).expect("a readable log");
        let mut chunks: Vec<evtx::EvtxChunkData> = bytes[super::FILE_HEADER_BYTES..]
            .chunks_exact(super::CHUNK_BYTES)
            .filter(|c| c.starts_with(super::CHUNK_MAGIC))
            .filter_map(|c| evtx::EvtxChunkData::new(c.to_vec(), false).ok())
            .collect();
        let (mut ours, mut theirs) = (Duration::MAX, Duration::MAX);
        let mut records = 0;
        for round in 0..40 {
            let (mut a, mut b) = (Duration::ZERO, Duration::ZERO);
            records = 0;
            for data in &mut chunks {
                let Ok(mut chunk) = data.parse(alloc::sync::Arc::clone(&settings)) else {
                    continue;
                };
                let list: Vec<_> = chunk.iter().filter_map(Result::ok).collect();
                records += list.len();
                let mut table = super::values::Values::default();
                let start = Instant::now();
                let read: Vec<Option<usize>> = list
                    .iter()
                    .map(|r| table.read(&RecordBytes::of(r)))
                    .collect();
                a += start.elapsed();
                let start = Instant::now();
                let instances: Vec<_> = list.iter().map(|r| r.template_instances()).collect();
                b += start.elapsed();
                if round == 0 {
                    for ((r, read), instances) in list.iter().zip(&read).zip(&instances) {
                        let (Some(_), Ok(instances)) = (read, instances) else {
                            continue;
                        };
                        table.read(&RecordBytes::of(r));
                        // The crate lists the record's own instance; nested
                        // ones stay inside its BinXML values.
                        let counts: Vec<usize> = instances.iter().map(|i| i.values.len()).collect();
                        let sizes = table.instance_sizes();
                        assert_eq!(sizes[..1], counts, "{log}: record {}", r.event_record_id);
                    }
                }
            }
            ours = ours.min(a);
            theirs = theirs.min(b);
        }
        std::println!(
            "{log}: {records} records; value table {ours:?}, template_instances() {theirs:?} ({:.2}x)",
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
}

/// The views of `bytes` decoded with the value path on, and how many
/// template shapes were read (`Shape::read`).
fn shape_reads(bytes: &[u8]) -> (Vec<String>, usize) {
    let mut decoder = EvtxDecoder::new();
    let mut views = Views::default();
    decoder.push(bytes, &mut views).expect("an EVTX file");
    decoder.finish(&mut views).expect("an EVTX file");
    (views.0, decoder.templates.shape_reads)
}

/// Synthetic logs (`synth`, chunks written as Windows writes them) look the
/// same read from values and rendered, and every record is read from its
/// values, none skipped.
#[test]
fn synthetic_logs_are_read_from_values_as_rendered() {
    for (records, seed) in [(50, 1), (3000, 2)] {
        let bytes = crate::synth::sysmon_and_security_log(records, seed);
        let (rendered, none) = decode(&bytes, false);
        assert_eq!(none, 0);
        let (read, n) = decode(&bytes, true);
        assert_eq!(read.len(), records, "{records} records, seed {seed}");
        assert!(read.iter().all(|v| !v.starts_with("skip")), "seed {seed}");
        assert_eq!(n as usize, records, "records read from values, seed {seed}");
        assert_eq!(rendered, read, "{records} records, seed {seed}");
    }
}

/// A template defined again in a later chunk, at another offset and with
/// its names elsewhere (referenced from an earlier definition instead of
/// inline), is not read again: chunk B is chunk A's events after one event
/// of another computer (another `System` template, written first), so B
/// reads only that event's shape.
#[test]
fn a_template_defined_again_in_another_chunk_is_read_once() {
    let events: Vec<_> = crate::synth::host_events(7).take(40).collect();
    let mut other = events[0].clone();
    other.computer = String::from("ANOTHER-HOST.example");
    let log = |events: &[crate::synth::SynthEvent]| {
        crate::synth::evtx::write_log(events.iter().cloned()).expect("a synthetic log")
    };
    let a = log(&events);
    let x = log(core::slice::from_ref(&other));
    let b = log(&[core::slice::from_ref(&other), &events[..]].concat());
    let chunk = |log: &[u8]| log[super::FILE_HEADER_BYTES..].to_vec();
    assert_eq!(a.len(), super::FILE_HEADER_BYTES + super::CHUNK_BYTES);
    assert_eq!(b.len(), super::FILE_HEADER_BYTES + super::CHUNK_BYTES);
    let both = [a.clone(), chunk(&b)].concat();
    let (_, reads_a) = shape_reads(&a);
    let (_, reads_x) = shape_reads(&x);
    let (_, reads_b) = shape_reads(&b);
    assert!(reads_a > 1, "{reads_a}");
    assert_eq!(reads_b, reads_a + reads_x, "chunk B alone");
    let (views, reads) = shape_reads(&both);
    assert_eq!(reads, reads_a + reads_x, "A then B");
    let (rendered, _) = decode(&both, false);
    assert_eq!(views, rendered);
}
