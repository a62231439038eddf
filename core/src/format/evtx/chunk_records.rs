//! A chunk's records, one by one: walked (`super::walk`) and read from
//! their values, or given by `evtx`'s iterator and read from their values
//! or their rendering. `EvtxDecoder::decode_chunk` (in `super`) checks the
//! chunk and reports what its header lists and no record gave.

use alloc::format;

use super::{chain, cut_or, error_offset, template, value_record, walk, EvtxDecoder, Kind};
use crate::event::{RecordSink, Skip};

impl EvtxDecoder {
    /// Walk a chunk's records (`walk`), reading from their values those the
    /// value path reads as `evtx` builds them; `Some(byte)` where `evtx` must
    /// go on (the header of the first record the walk does not take), `None`
    /// when the walk took every record. `next` is as in [`Self::cut_off`].
    pub(super) fn walk_chunk(
        &mut self,
        chunk: &walk::Lazy<'_>,
        header: &evtx::EvtxChunkHeader,
        next: &mut (u64, u64),
        truncated: &str,
        sink: &mut dyn RecordSink,
    ) -> Option<u64> {
        let offset = self.chunk_offset();
        let data = chunk.data();
        let mut nodes = 0usize;
        let mut rendered = false;
        for step in walk::Walk::new(data, header) {
            let walked = match step {
                // After a rendering `evtx` goes on: its pass reads the rest
                // of the chunk, so a chunk of many rendered records costs
                // two passes at most, not one per rendering (`walk::Lazy`).
                walk::Step::Record(walked) if rendered => return Some(walked.bytes.start()),
                walk::Step::Record(walked) => walked,
                walk::Step::Stop(at) => return Some(at),
            };
            let bytes = walked.bytes;
            let start = bytes.start();
            // A record whose size is not repeated at its end, or whose
            // values are not read here, or not as `evtx` builds them: `evtx`'s.
            if !bytes.size_repeated() {
                return Some(start);
            }
            let Some((view, class)) = self.templates.view(&bytes) else {
                return Some(start);
            };
            let bound = match self.templates.built_alike(data, &view) {
                Some(bound) if nodes.saturating_add(bound) <= walk::NODE_ALLOWANCE => bound,
                _ => return Some(start),
            };
            nodes += bound;
            *next = (walked.id.saturating_add(1), offset + bytes.end());
            let renders = chunk.renders();
            let source = walk::Source::Walked(chunk, bytes);
            self.walked += 1;
            self.hand_on_values(
                source,
                view,
                class,
                walked.id,
                offset + start,
                truncated,
                sink,
            );
            rendered = chunk.renders() > renders;
        }
        None
    }

    /// Hand on a record `evtx`'s iterator gave (or its error).
    pub(super) fn built_record(
        &mut self,
        record: Result<evtx::EvtxRecord<'_>, evtx::err::EvtxError>,
        next: &mut (u64, u64),
        truncated: &str,
        sink: &mut dyn RecordSink,
    ) {
        let (offset, number) = (self.chunk_offset(), self.chunk_number);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let byte = error_offset(&e).map_or(offset, |o| offset + o);
                let reason = format!("chunk {number}: {}{truncated}", chain(&e));
                self.skip(cut_or(truncated, Kind::EvtxRecord), byte, reason, sink);
                return;
            }
        };
        let bytes = walk::RecordBytes::of(&record);
        let byte = offset + bytes.start();
        let id = record.event_record_id;
        *next = (id.saturating_add(1), offset + bytes.end());
        // A record cut off (or zeroed) at its end was parsed from padding:
        // not the event.
        if !bytes.size_repeated() {
            let size = bytes.end() - bytes.start();
            let reason = format!(
                "record {id} in chunk {number}: incomplete, its size ({size} bytes) is not repeated at its end (cut off or zeroed){truncated}"
            );
            self.skip(cut_or(truncated, Kind::EvtxRecord), byte, reason, sink);
            next.1 = byte;
            return;
        }
        if self.try_values(&record, byte, truncated, sink) {
            return;
        }
        match (self.render)(record) {
            Ok(xml) => {
                let position = self.next_position(byte);
                self.rendering.read(&xml, position, id, sink);
            }
            Err(e) => {
                let reason = format!("record {id} in chunk {number}: {e}{truncated}");
                self.skip(cut_or(truncated, Kind::EvtxRecord), byte, reason, sink);
            }
        }
    }

    /// A record `evtx` built, read from its template values without
    /// rendering it (see the `template` module), or skipped when its
    /// rendering is needed and cannot be read (`value_record`); false when
    /// it is left to the rendering path.
    fn try_values(
        &mut self,
        record: &evtx::EvtxRecord<'_>,
        byte: u64,
        truncated: &str,
        sink: &mut dyn RecordSink,
    ) -> bool {
        if !self.from_values {
            return false;
        }
        let Some((view, class)) = self.templates.view(&walk::RecordBytes::of(record)) else {
            return false;
        };
        // `evtx` built it: it builds every record of this shape (`walk`).
        view.shape.trust();
        let source = walk::Source::Built(record);
        let id = record.event_record_id;
        self.hand_on_values(source, view, class, id, byte, truncated, sink);
        true
    }

    /// Hand on record `id` (at `byte`) read from its values, or the skip
    /// its rendering gives when it must be rendered and cannot be read.
    #[allow(clippy::too_many_arguments)]
    fn hand_on_values(
        &mut self,
        source: walk::Source<'_, '_>,
        view: template::View,
        class: crate::event::RecordClass,
        id: u64,
        byte: u64,
        truncated: &str,
        sink: &mut dyn RecordSink,
    ) {
        let position = self.next_position(byte);
        self.read_from_values += 1;
        let fast = value_record::ValueRecord::new(
            source,
            &self.templates,
            view,
            class,
            position,
            self.render,
        );
        // The same reasons as the rendering path's.
        let (kind, reason) = match fast.unreadable() {
            None => return sink.record(&fast),
            Some(value_record::Unreadable::Render(e)) => {
                let number = self.chunk_number;
                let reason = format!("record {id} in chunk {number}: {e}{truncated}");
                (cut_or(truncated, Kind::EvtxRecord), reason)
            }
            Some(value_record::Unreadable::Read(e)) => {
                let reason = format!("record {id}: unreadable rendered XML: {e}");
                (Kind::EvtxRecord, reason)
            }
        };
        sink.skip(Skip::new(kind, position, reason));
    }
}
