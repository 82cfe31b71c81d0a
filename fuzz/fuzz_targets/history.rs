//! `check-history`'s readers, then the checker on what they parsed (`check::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::fuzzing::history_input(data));
