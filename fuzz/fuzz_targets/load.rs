//! Fuzzes the whole loader (TOML, spec, extends, compile) and a short run of what loads.
#![no_main]

use detente::{MemorySources, Overrides};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut sources = detente::bundled::sources();
    sources.files.insert("scenarios/lithuania_belarus/fuzz.toml".into(), text.into());
    let short = Overrides { parameters: Vec::new(), steps: Some(5) };
    if let Ok(model) = detente::load_model("scenarios/lithuania_belarus/fuzz.toml", &sources as &MemorySources, &short) {
        let _ = detente::run_once(&model, 0);
    }
});
