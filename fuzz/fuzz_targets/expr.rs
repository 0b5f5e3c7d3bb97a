//! Fuzzes the expression parser, including the outcome form with `for N steps`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = detente::test_support::parse_expression(text);
    }
});
