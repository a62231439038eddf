//! Format auto-detection over arbitrary bytes: whatever `sniff` picks, the
//! scan, fed in fuzzer-chosen chunk sizes, must keep
//! records == analysed + skipped and give every skip a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cmdhunt_fuzz::run(None, data));
