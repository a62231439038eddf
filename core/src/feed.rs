//! Driving a file's bytes through its format's decoder into any
//! [`RecordSink`]: the format is recognised from the first
//! [`SNIFF_BYTES`] unless forced, then every chunk goes to the decoder.
//!
//! [`crate::validation::observe::SignalScan`] (the validation's watch) and
//! the second pass for one row's process context ([`crate::context`]) each
//! give a [`Feed`] their own sink rather than keeping a decoder loop of their
//! own; [`crate::scan::FileScan`] drives the decoders the same way and keeps
//! the file's account (bytes, the error) in its summary.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::event::RecordSink;
use crate::format::{sniff_or_error, DecodeError, Decoder, Format, SNIFF_BYTES};

/// One file's decoder, fed chunk by chunk (any chunking gives the same
/// records). The first decoding error stops it; it is kept ([`Feed::error`]).
pub struct Feed {
    decoder: Option<Box<dyn Decoder>>,
    format: Option<Format>,
    head: Vec<u8>,
    error: Option<DecodeError>,
}

impl Feed {
    /// A feed for a file in `format`, or recognised from its content (`None`).
    pub fn new(format: Option<Format>) -> Self {
        Feed {
            decoder: format.map(Format::decoder),
            format,
            head: Vec::new(),
            error: None,
        }
    }

    /// A feed for a file in `format` through `decoder`, one set up for a
    /// purpose (the page's warm-up renders every EVTX record:
    /// `EvtxDecoder::rendering_every_record`).
    pub fn with_decoder(format: Format, decoder: Box<dyn Decoder>) -> Self {
        Feed {
            decoder: Some(decoder),
            format: Some(format),
            head: Vec::new(),
            error: None,
        }
    }

    /// The format decoded, once known.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The error that stopped decoding, if any.
    pub fn error(&self) -> Option<&DecodeError> {
        self.error.as_ref()
    }

    /// The next bytes of the file; complete records go to `sink`.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) {
        if self.error.is_some() {
            return;
        }
        if self.decoder.is_none() {
            self.head.extend_from_slice(chunk);
            if self.head.len() >= SNIFF_BYTES {
                self.start(sink);
            }
            return;
        }
        self.run(sink, |d, s| d.push(chunk, s));
    }

    /// End of the file: the last records go to `sink`; the error that
    /// stopped decoding, if any, is returned.
    pub fn finish(mut self, sink: &mut dyn RecordSink) -> Option<DecodeError> {
        if self.decoder.is_none() && self.error.is_none() {
            self.start(sink);
        }
        self.run(sink, |d, s| d.finish(s));
        self.error
    }

    fn start(&mut self, sink: &mut dyn RecordSink) {
        let head = core::mem::take(&mut self.head);
        match sniff_or_error(&head) {
            Ok(format) => {
                self.format = Some(format);
                self.decoder = Some(format.decoder());
                self.run(sink, |d, s| d.push(&head, s));
            }
            Err(error) => self.error = Some(error),
        }
    }

    fn run(
        &mut self,
        sink: &mut dyn RecordSink,
        step: impl FnOnce(&mut dyn Decoder, &mut dyn RecordSink) -> Result<(), DecodeError>,
    ) {
        if self.error.is_some() {
            return;
        }
        let Some(decoder) = self.decoder.as_deref_mut() else {
            return;
        };
        if let Err(e) = step(decoder, sink) {
            self.error = Some(e);
        }
    }
}
