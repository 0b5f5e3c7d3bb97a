//! Compares a variant with the baseline, paired on common random numbers, and prints the
//! headlines and the Markdown table.
//!
//! `cargo run --release --example compare_variants`

use detente::report::{compare, markdown};
use detente::{bundled, ensemble, Overrides};
use std::sync::atomic::AtomicBool;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sources = bundled::sources();
    let paths = [
        bundled::DEFAULT,
        "scenarios/lithuania_belarus/monitoring.toml",
    ];
    let mut models = Vec::new();
    for path in paths {
        models.push(detente::load_model(path, &sources, &Overrides::default())?);
    }
    // The same seed and number of runs for both: run i of each draws the same random numbers
    // wherever the two scenarios agree, so the per-run differences are sharp.
    let options = ensemble::Options {
        runs: 500,
        seed: 42,
        threads: 1,
    };
    let cancel = AtomicBool::new(false);
    let mut ensembles = Vec::new();
    for model in &models {
        ensembles.push(ensemble::run(model, options, &mut |_| {}, &cancel)?);
    }
    let runs: Vec<compare::Run> = paths
        .iter()
        .zip(models.iter().zip(&ensembles))
        .map(|(path, (model, ensemble))| compare::Run {
            label: path.rsplit('/').next().unwrap_or(path).to_string(),
            model,
            ensemble,
        })
        .collect();
    let comparison = compare::paired(&runs)?;
    for line in comparison.headlines() {
        println!("- {line}");
    }
    println!();
    print!("{}", markdown::comparison(&comparison, false));
    Ok(())
}
