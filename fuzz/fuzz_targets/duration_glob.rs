#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| imageupdate::fuzzing::duration_glob(data));
