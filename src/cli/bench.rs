//! `detente bench`: load and run times, medians over repetitions.

use super::{load, CliResult};
use detente::Overrides;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    scenario: String,
    /// Runs per repetition (an ensemble when more than one).
    #[arg(long, default_value_t = 1)]
    runs: u64,
    /// Worker threads for the runs.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Repetitions; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Number of steps (default: the scenario's).
    #[arg(long)]
    steps: Option<u32>,
    /// Seed (run i uses the seed and i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn bench(args: &BenchArgs) -> CliResult {
    let overrides = Overrides {
        parameters: Vec::new(),
        steps: args.steps,
    };
    let repeat = args.repeat.max(1);
    let workers = super::threads(Some(args.threads))?;
    let mut load_s = Vec::with_capacity(repeat);
    let mut run_s = Vec::with_capacity(repeat);
    let mut last = None;
    for _ in 0..repeat {
        let t0 = Instant::now();
        let model = load(Some(&args.scenario), &overrides)?;
        load_s.push(t0.elapsed().as_secs_f64());
        let options = detente::ensemble::Options {
            runs: args.runs,
            seed: args.seed,
            threads: workers,
        };
        let t1 = Instant::now();
        let ensemble = super::run_ensemble(&model, options, "bench", true)?;
        run_s.push(t1.elapsed().as_secs_f64());
        last = Some((model, ensemble));
    }
    let Some((model, ensemble)) = last else {
        return Ok(ExitCode::SUCCESS);
    };
    let (load, run) = (median(&mut load_s), median(&mut run_s));
    let edge_steps = model.n_relations() as f64 * f64::from(model.steps()) * args.runs as f64;
    println!(
        "scenario={} actors={} relations={} steps={} runs={} threads={} repeat={repeat}",
        model.name(),
        model.n_actors(),
        model.n_relations(),
        model.steps(),
        args.runs,
        args.threads
    );
    println!("load_s={load:.6}");
    println!("run_s={run:.6}");
    println!("edge_steps_per_s={:.4e}", edge_steps / run);
    let runs = args.runs.max(1) as f64;
    for (s, (name, _)) in model.series().enumerate() {
        let mean_last = ensemble.summaries.iter().map(|r| r.last[s]).sum::<f64>() / runs;
        println!("final_{name}={mean_last:.6}");
    }
    let totals: Vec<String> = model
        .action_names()
        .enumerate()
        .map(|(k, name)| {
            let total: u64 = ensemble.summaries.iter().map(|r| r.actions[k]).sum();
            format!("{name}={:.1}", total as f64 / runs)
        })
        .collect();
    println!("actions_per_run {}", totals.join(" "));
    Ok(ExitCode::SUCCESS)
}
