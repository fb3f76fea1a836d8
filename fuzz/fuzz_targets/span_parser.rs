#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| imageupdate::fuzzing::span_parser(data));
