#![no_main]

libfuzzer_sys::fuzz_target!(init: recupero::fuzzing::panic_hook(), |data: &[u8]| recupero::fuzzing::money(data));
