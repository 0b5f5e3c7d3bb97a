//! detente: a rule-based diplomatic scenario simulator.
//!
//! The pipeline, one module per arrow:
//! TOML text → [`spec`] (serde, with source locations) → [`load`] (extends chain merged, data
//! files read through [`load::Sources`]) → [`model`] (validated, names resolved, expressions
//! [`expr`]-compiled, relation graph built) → [`sim`] (flat state arrays, synchronous stepper) →
//! [`sim::RunRecord`] → [`report`].
//!
//! The library does no I/O of its own, never prints and never exits: files come in through
//! [`load::Sources`], and everything goes out as values.

pub mod cameo;
pub mod compile;
pub mod diag;
pub mod ensemble;
pub mod expr;
pub mod graph;
pub mod load;
pub mod model;
pub mod report;
pub mod rng;
pub mod sim;
pub mod simd;
pub mod spec;
pub mod stats;

pub use compile::Overrides;
pub use diag::{Diagnostic, Diagnostics};
pub use load::{MemorySources, Sources};
pub use model::Model;
pub use sim::{RunRecord, RuntimeError, Sim};

/// Loads, validates and compiles the scenario at `path`.
pub fn load_model(
    path: &str,
    sources: &dyn Sources,
    overrides: &Overrides,
) -> Result<Model, Diagnostics> {
    let resolved = load::load(path, sources)?;
    compile::compile(resolved, overrides)
}

/// Runs a model once with `seed` (run 0 of an ensemble).
pub fn run_once(model: &Model, seed: u64) -> Result<RunRecord, RuntimeError> {
    Sim::new(model).run(seed, 0)
}

/// The scenario files bundled into the library: the Lithuania–Belarus baseline and its variants,
/// under their paths in the source tree.
pub mod bundled {
    use crate::load::MemorySources;

    /// Path of the default scenario.
    pub const DEFAULT: &str = "scenarios/lithuania_belarus/baseline.toml";

    const FILES: [(&str, &str); 6] = [
        (
            DEFAULT,
            include_str!("../scenarios/lithuania_belarus/baseline.toml"),
        ),
        (
            "scenarios/lithuania_belarus/unified_front.toml",
            include_str!("../scenarios/lithuania_belarus/unified_front.toml"),
        ),
        (
            "scenarios/lithuania_belarus/monitoring.toml",
            include_str!("../scenarios/lithuania_belarus/monitoring.toml"),
        ),
        (
            "scenarios/lithuania_belarus/backchannel.toml",
            include_str!("../scenarios/lithuania_belarus/backchannel.toml"),
        ),
        (
            "scenarios/lithuania_belarus/multilateral.toml",
            include_str!("../scenarios/lithuania_belarus/multilateral.toml"),
        ),
        (
            "scenarios/lithuania_belarus/combined.toml",
            include_str!("../scenarios/lithuania_belarus/combined.toml"),
        ),
    ];

    /// The bundled files as an in-memory source.
    pub fn sources() -> MemorySources {
        MemorySources::new(FILES)
    }
}
