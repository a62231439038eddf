//! Reading a named file (or standard input for `-`) into a push consumer:
//! the one read loop of `cmdhunt scan` and `cmdhunt validate`.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use cmdhunt_core::event::Position;
use cmdhunt_core::format::{DecodeError, DecodeErrorKind};
use cmdhunt_core::scan::FileScan;
use cmdhunt_core::validation::FileValidation;

/// How much of a file is read at a time (the decoders stream; this only sets
/// the system-call granularity). 64 KiB keeps the buffer in the L2 cache: the
/// kernel's copy and the decoder then work on cached bytes (1 MiB made a warm
/// 100 MB scan ~40% slower in CPU time; see bench/README.md).
pub const READ_CHUNK: usize = 64 << 10;

/// What a file's bytes are pushed into.
pub trait Feed {
    /// The next bytes of the file.
    fn push(&mut self, chunk: &[u8]);
    /// Bytes taken so far (the position of a read error).
    fn bytes(&self) -> u64;
    /// The decoder gave up: the rest of the file need not be read.
    fn failed(&self) -> bool {
        false
    }
}

impl Feed for FileScan<'_> {
    fn push(&mut self, chunk: &[u8]) {
        FileScan::push(self, chunk);
    }
    fn bytes(&self) -> u64 {
        self.summary().bytes
    }
    fn failed(&self) -> bool {
        FileScan::failed(self)
    }
}

impl Feed for FileValidation<'_> {
    fn push(&mut self, chunk: &[u8]) {
        FileValidation::push(self, chunk);
    }
    fn bytes(&self) -> u64 {
        self.summary().bytes
    }
}

/// Push every byte of `path` (standard input for `-`) into `feed`, in
/// [`READ_CHUNK`] pieces, stopping early when the feed has failed. An error
/// opening or reading the file comes back with its position, for the feed's
/// `abandon`.
pub fn read_into(path: &Path, feed: &mut dyn Feed) -> Result<(), DecodeError> {
    let reader: io::Result<Box<dyn Read>> = if path == Path::new("-") {
        Ok(Box::new(io::stdin().lock()))
    } else {
        File::open(path).map(|f| Box::new(f) as Box<dyn Read>)
    };
    let mut reader = reader.map_err(|e| {
        DecodeError::new(
            DecodeErrorKind::Read,
            Position::default(),
            format!("cannot open: {e}"),
        )
    })?;
    let mut buf = vec![0; READ_CHUNK];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => feed.push(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let position = Position {
                    byte: feed.bytes(),
                    ..Position::default()
                };
                return Err(DecodeError::new(
                    DecodeErrorKind::Read,
                    position,
                    format!("read error: {e}"),
                ));
            }
        }
        if feed.failed() {
            return Ok(()); // the decoder gave up; don't read the rest for nothing
        }
    }
}
