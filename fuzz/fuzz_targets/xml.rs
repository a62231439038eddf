//! Forced-format scan of arbitrary bytes with the xml decoder, in
//! fuzzer-chosen chunks; checks the scan invariants (see `cmdhunt_fuzz::check`).
#![no_main]

use cmdhunt_core::format::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cmdhunt_fuzz::run(Some(Format::Xml), data));
