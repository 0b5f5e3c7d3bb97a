//! Helpers shared by the integration tests: scenarios from text, runs, series by name.
#![allow(dead_code)]

use detente::{MemorySources, Model, Overrides, RunRecord, Sources};

/// Reads files from disk, as the CLI does (not-UTF-8 is an error, not a panic).
pub struct Disk;

impl Sources for Disk {
    fn read(&self, path: &str) -> Result<String, String> {
        detente::load::decode_utf8(std::fs::read(path).map_err(|e| e.to_string())?)
    }
}

/// Compiles a one-file scenario.
pub fn model(text: &str) -> Model {
    model_with(&[("s.toml", text)], "s.toml", &Overrides::default())
}

/// Compiles `main` from a set of in-memory files.
pub fn model_with(files: &[(&str, &str)], main: &str, overrides: &Overrides) -> Model {
    let sources = MemorySources::new(files.iter().copied());
    match detente::load_model(main, &sources, overrides) {
        Ok(m) => m,
        Err(d) => panic!("scenario did not compile:\n{}", d.render()),
    }
}

/// The rendered diagnostics of a scenario that must fail to compile.
pub fn errors(text: &str) -> String {
    errors_with(&[("s.toml", text)], "s.toml")
}

/// The rendered diagnostics of a one-file scenario that must fail to compile with these
/// `--set` values.
pub fn errors_with_overrides(text: &str, set: &[(&str, f64)]) -> String {
    let sources = MemorySources::new([("s.toml", text)]);
    let overrides = Overrides {
        parameters: set.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        steps: None,
    };
    match detente::load_model("s.toml", &sources, &overrides) {
        Ok(_) => panic!("scenario compiled but should not have"),
        Err(d) => d.render(),
    }
}

pub fn errors_with(files: &[(&str, &str)], main: &str) -> String {
    let sources = MemorySources::new(files.iter().copied());
    match detente::load_model(main, &sources, &Overrides::default()) {
        Ok(_) => panic!("scenario compiled but should not have"),
        Err(d) => d.render(),
    }
}

/// Compiles and runs a one-file scenario with `seed`.
pub fn run(text: &str, seed: u64) -> (Model, RunRecord) {
    let m = model(text);
    let r = detente::run_once(&m, seed).unwrap_or_else(|e| panic!("run failed: {e}"));
    (m, r)
}

/// The values of a report series over time.
pub fn series<'a>(m: &Model, r: &'a RunRecord, name: &str) -> &'a [f64] {
    r.series_values(m, name)
        .unwrap_or_else(|| panic!("no series {name}"))
}

/// How often `actor` took `action`.
pub fn count(m: &Model, r: &RunRecord, actor: &str, action: &str) -> u64 {
    r.action_count(m, actor, action)
        .unwrap_or_else(|| panic!("no actor {actor} or action {action}"))
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
