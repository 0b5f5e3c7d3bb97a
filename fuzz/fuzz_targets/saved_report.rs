//! Fuzzes reading a saved ensemble report: parse and validate it, compare it unpaired with itself
//! and render the comparison, as `detente compare a.json b.json` does.
#![no_main]

use detente::report::{compare, ensemble, markdown};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(report) = ensemble::parse(text) else { return };
    let _ = markdown::ensemble(&report);
    let pair = [("a".to_string(), report.clone()), ("b".to_string(), report)];
    if let Ok(c) = compare::unpaired(&pair) {
        let _ = markdown::comparison(&c, true);
        let _ = c.headlines();
    }
});
