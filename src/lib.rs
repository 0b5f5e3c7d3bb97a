//! detente: a rule-based diplomatic scenario simulator.
//!
//! Actors sit in a directed relation graph carrying variables such as tension and trust; a TOML
//! scenario says which actions they can take, what the actions do, and the policy rules that fire
//! them. detente steps the scenario forward synchronously, runs seeded ensembles to turn chance
//! into probabilities, and compares variants with confidence intervals.
//!
//! ```
//! use detente::{ensemble, MemorySources, Overrides};
//!
//! let scenario = r#"
//! [scenario]
//! steps = 20
//! [variables]
//! tension = { of = "relation", default = 0.5, range = [0, 1] }
//! [actors.A]
//! [actors.B]
//! [[relations]]
//! from = "A"
//! to = "B"
//! [actions.talk]
//! effects = [{ var = "tension", on = "relation", add = -0.05 }]
//! [rules.talk_when_tense]
//! actor = "A"
//! target = "B"
//! action = "talk"
//! when = "tension(self, target) > 0.3"
//! probability = 0.5
//! [outcomes]
//! calm = "tension(A, B) < 0.35"
//! "#;
//! let sources = MemorySources::new([("s.toml", scenario)]);
//! let model = detente::load_model("s.toml", &sources, &Overrides::default())?;
//!
//! // One run: series and counts by name.
//! let run = detente::run_once(&model, 7)?;
//! let tension = run.series_values(&model, "tension_A_B").expect("a default series");
//! assert!(tension[20] < tension[0]);
//! assert!(run.action_count(&model, "A", "talk").unwrap() > 0);
//!
//! // An ensemble: the probability of an outcome, with its 95% Wilson interval.
//! let options = ensemble::Options { runs: 200, seed: 1, threads: 1 };
//! let e = ensemble::run(&model, options, &mut |_| {}, &Default::default())?;
//! let report = detente::report::ensemble::build(&model, &e);
//! let calm = report.outcomes.iter().find(|o| o.name == "calm").unwrap();
//! assert!(calm.probability > 0.9 && calm.ci95[0] <= calm.probability);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The pipeline
//!
//! One module per arrow: TOML text → [`spec`] (serde types, every value with its source
//! location) → [`load`] (the `extends` chain merged, relation files read through
//! [`load::Sources`]) → [`compile`] (validated, names resolved to typed [`ids`], expressions
//! compiled) → [`Model`] → [`Sim`] (flat state arrays, synchronous steps) → [`RunRecord`] →
//! [`ensemble`] → [`report`] (run, ensemble and comparison reports, and one exporter per
//! format). Bad input at any stage comes back as [`Diagnostics`] (file, line, column, message,
//! hint), never a panic.
//!
//! The library does no I/O of its own, never prints and never exits: files come in through
//! [`load::Sources`], and everything goes out as values.
//!
//! # Stability
//!
//! The API is deliberate and documented, but detente is 0.x: the scenario spec ([`spec`]) and
//! the report types still change with the scenario language. The expression interpreter, the
//! random-number keying and the stepper's internals are not public.

#![warn(missing_docs)]

pub mod cameo;
pub mod compile;
pub mod diag;
pub mod ensemble;
pub mod expect;
pub mod explain;
pub(crate) mod expr;
pub mod graph;
pub mod ids;
pub mod load;
pub(crate) mod lookalike;
pub mod model;
pub mod part;
pub mod report;
pub(crate) mod rng;
pub mod sim;
pub(crate) mod simd;
pub mod spec;
pub mod stats;
pub mod sweep;

pub use compile::Overrides;
pub use diag::{Diagnostic, Diagnostics};
pub use ids::{ActionId, ActorId, ActorKindId, RelationId, RelationKindId, VarId};
pub use load::{MemorySources, Sources};
pub use model::Model;
pub use rng::PlaceRng;
pub use sim::{RunRecord, RuntimeError, Sim};

/// Loads, validates and compiles the scenario at `path`, reading it and every file it names
/// through `sources`.
///
/// # Errors
///
/// Every problem found, as [`Diagnostics`] (file, line, column, message, hint): a file that
/// cannot be read or is not TOML, an unknown key, a name that resolves to nothing, a bad
/// expression, a value out of range.
pub fn load_model(
    path: &str,
    sources: &dyn Sources,
    overrides: &Overrides,
) -> Result<Model, Diagnostics> {
    let resolved = load::load(path, sources)?;
    compile::compile(resolved, overrides)
}

/// Runs a model once with `seed` (run 0 of an ensemble).
///
/// # Errors
///
/// When a value stops being a finite number: the [`RuntimeError`] names the step, the variable
/// and what caused it.
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

/// What the test suite, the benchmarks and the fuzz targets reach inside the crate. Not part of
/// the API: hidden, unstable, and free to change with the internals.
#[doc(hidden)]
pub mod test_support {
    /// Whether the stepper's hottest loops take their AVX2 copies (where the CPU has AVX2).
    pub fn set_wide(on: bool) {
        crate::simd::set_wide(on);
    }

    /// How many runs of `model` the ensembles run side by side (1: one at a time).
    pub fn lockstep_copies(model: &crate::Model) -> u32 {
        crate::sim::lockstep::copies_for(model)
    }

    /// Runs `first..first + copies` of the ensemble seeded `seed` in lockstep, `copies` side
    /// by side (whatever the model's size).
    ///
    /// # Errors
    ///
    /// When any of them stops with a runtime error (its places are the block's).
    pub fn run_lockstep(
        model: &crate::Model,
        copies: u32,
        seed: u64,
        first: u64,
    ) -> Result<Vec<crate::RunRecord>, crate::RuntimeError> {
        let wide = crate::sim::lockstep::replicate(model, copies);
        let never = std::sync::atomic::AtomicBool::new(false);
        let mut sim = crate::Sim::new(&wide);
        let records = sim.run_block(seed, first, &never)?;
        Ok(records.expect("a block nobody cancels completes").to_vec())
    }

    /// Run `run` of the ensemble seeded `seed`, watched by a trace that asks to be told every
    /// amount and every action taken (and keeps nothing): the record, which is the plain run's.
    ///
    /// # Errors
    ///
    /// When the run stops with a runtime error.
    pub fn run_watched(
        model: &crate::Model,
        seed: u64,
        run: u64,
    ) -> Result<crate::RunRecord, crate::RuntimeError> {
        struct Everything;
        impl crate::sim::trace::Trace for Everything {
            const AMOUNTS: bool = true;
            const TAKINGS: bool = true;
        }
        let never = std::sync::atomic::AtomicBool::new(false);
        let record = crate::Sim::new(model).run_traced(seed, run, &never, &mut Everything)?;
        Ok(record.expect("a run nobody cancels completes"))
    }

    /// Whether the AVX2 copies are in use.
    pub fn wide() -> bool {
        crate::simd::wide()
    }

    /// A uniform draw in [0, 1) from a 64-bit key, as the stepper makes them.
    pub fn uniform(key: u64) -> f64 {
        crate::rng::uniform(key)
    }

    /// The stepper's key mixer (SplitMix64's finaliser).
    pub fn mix(key: u64) -> u64 {
        crate::rng::mix(key)
    }

    /// Parses an expression (and, separately, the outcome form with `for N steps`); whether
    /// each parsed.
    pub fn parse_expression(text: &str) -> (bool, bool) {
        (
            crate::expr::parse::parse(text).is_ok(),
            crate::expr::parse::parse_held(text).is_ok(),
        )
    }

    /// The compiled ops of dynamics line `i` of `model`, as their debug text.
    pub fn dynamics_ops(model: &crate::Model, i: usize) -> Vec<String> {
        model.dynamics[i]
            .add
            .ops
            .iter()
            .map(|op| format!("{op:?}"))
            .collect()
    }
}
