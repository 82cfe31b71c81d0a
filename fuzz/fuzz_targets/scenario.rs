//! Scenario files: text → load and validate → a very short run (`scenario::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scenario::fuzzing::scenario_input(data));
