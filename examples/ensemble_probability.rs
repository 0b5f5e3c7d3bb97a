//! Runs the bundled Lithuania–Belarus baseline as an ensemble and reads an outcome's probability
//! by name, with its 95% Wilson interval.
//!
//! `cargo run --release --example ensemble_probability`

use detente::report::ensemble as ensemble_report;
use detente::{bundled, ensemble, Overrides};
use std::sync::atomic::AtomicBool;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = detente::load_model(bundled::DEFAULT, &bundled::sources(), &Overrides::default())?;
    let options = ensemble::Options {
        runs: 2000,
        seed: model.seed(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    // Progress is reported between blocks of runs; raising the flag cancels the ensemble.
    let cancel = AtomicBool::new(false);
    let e = ensemble::run(&model, options, &mut |_done| {}, &cancel)?;
    let report = ensemble_report::build(&model, &e);
    for name in ["crisis", "normalization"] {
        let o = report
            .outcomes
            .iter()
            .find(|o| o.name == name)
            .ok_or("no such outcome")?;
        println!(
            "P({name}) = {:.3}  95% CI [{:.3}, {:.3}]  ({} of {} runs)",
            o.probability, o.ci95[0], o.ci95[1], o.reached, o.runs
        );
    }
    Ok(())
}
