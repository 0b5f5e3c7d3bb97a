//! Command-line interface: argument parsing and the commands. All I/O lives here.

mod output;

use clap::{Parser, Subcommand};
use detente::load::Sources;
use detente::{bundled, Model, Overrides};
use output::Output;
use std::process::ExitCode;

/// Exit status for bad input or usage.
const BAD_INPUT: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "detente",
    version,
    about = "Rule-based diplomatic scenario simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and print a summary (with no SCENARIO: the bundled Lithuania–Belarus baseline).
    Run(RunArgs),
    /// Validate scenario files without running them; exit 2 if any has errors.
    Check {
        /// Scenario files to check.
        #[arg(required = true)]
        scenarios: Vec<String>,
    },
    /// Time loading and running a scenario: medians over repetitions, in relation-steps per second.
    Bench(BenchArgs),
    /// Print a scenario's relation graph as Graphviz DOT.
    Graph {
        scenario: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        out: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
struct BenchArgs {
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
    /// Seed of run 0 (run i uses the seed and i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(clap::Args, Debug, Default)]
struct RunArgs {
    /// Scenario file (default: the bundled Lithuania–Belarus baseline).
    scenario: Option<String>,
    /// Seed of the random draws (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Number of steps (default: the scenario's `steps`).
    #[arg(long)]
    steps: Option<u32>,
    /// Override a parameter: --set name=value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    set: Vec<(String, f64)>,
    /// Write the JSON report here ("-" for standard output).
    #[arg(long, short)]
    out: Option<String>,
    /// Write the per-step values of the report's series here as CSV ("-" for standard output).
    #[arg(long)]
    trajectory: Option<String>,
    /// Print no summary.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_set(s: &str) -> Result<(String, f64), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, found `{s}`"))?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a number", value.trim()))?;
    if !value.is_finite() {
        return Err(format!("`{s}`: the value must be a finite number"));
    }
    Ok((name.trim().to_string(), value))
}

/// Reads scenario files from disk.
struct FileSystem;

impl Sources for FileSystem {
    fn read(&self, path: &str) -> Result<String, String> {
        detente::load::decode_utf8(std::fs::read(path).map_err(|e| e.to_string())?)
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run(RunArgs::default()),
        Some(Command::Run(args)) => run(args),
        Some(Command::Check { scenarios }) => check(&scenarios),
        Some(Command::Bench(args)) => bench(&args),
        Some(Command::Graph { scenario, out }) => graph(&scenario, out.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprint!("{message}");
            if !message.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(BAD_INPUT)
        }
    }
}

fn load(scenario: Option<&str>, overrides: &Overrides) -> Result<Model, String> {
    let result = match scenario {
        Some(path) => detente::load_model(path, &FileSystem, overrides),
        None => detente::load_model(bundled::DEFAULT, &bundled::sources(), overrides),
    };
    result.map_err(|d| {
        let n = d.items.len();
        format!(
            "{}{n} error{} found\n",
            d.render(),
            if n == 1 { "" } else { "s" }
        )
    })
}

fn run(args: RunArgs) -> Result<ExitCode, String> {
    // Outputs are opened before any work, so an unwritable path fails fast.
    let report_out = args.out.as_deref().map(Output::create).transpose()?;
    let trajectory_out = args.trajectory.as_deref().map(Output::create).transpose()?;
    let overrides = Overrides {
        parameters: args.set.clone(),
        steps: args.steps,
    };
    let model = load(args.scenario.as_deref(), &overrides)?;
    let seed = args.seed.unwrap_or(model.seed);
    let record =
        detente::run_once(&model, seed).map_err(|e| format!("error: the run stopped at {e}\n"))?;
    let report = detente::report::run_report(&model, &record);
    if !args.quiet && report_out.as_ref().is_none_or(|o| !o.is_stdout()) {
        if args.scenario.is_none() {
            println!("(bundled scenario {})\n", bundled::DEFAULT);
        }
        print!("{}", report.summary());
    }
    if let Some(out) = report_out {
        out.commit(report.to_json().as_bytes())?;
    }
    if let Some(out) = trajectory_out {
        out.commit(detente::report::trajectory_csv(&model, &record).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn check(scenarios: &[String]) -> Result<ExitCode, String> {
    let mut failed = 0;
    for path in scenarios {
        match detente::load_model(path, &FileSystem, &Overrides::default()) {
            Ok(model) => println!(
                "{path}: ok ({} actors, {} relations, {} rules, {} steps)",
                model.n_actors(),
                model.n_relations(),
                model.rules.len(),
                model.steps
            ),
            Err(d) => {
                failed += 1;
                eprint!("{}", d.render());
                let n = d.items.len();
                eprintln!("{path}: {n} error{}", if n == 1 { "" } else { "s" });
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(BAD_INPUT)
    })
}

fn graph(scenario: &str, out: Option<&str>) -> Result<ExitCode, String> {
    let out = Output::create(out.unwrap_or("-"))?;
    let model = load(Some(scenario), &Overrides::default())?;
    out.commit(detente::graph::to_dot(&model).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn bench(args: &BenchArgs) -> Result<ExitCode, String> {
    use std::time::Instant;
    let overrides = Overrides {
        parameters: Vec::new(),
        steps: args.steps,
    };
    let repeat = args.repeat.max(1);
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
            threads: args.threads,
        };
        let never = std::sync::atomic::AtomicBool::new(false);
        let t1 = Instant::now();
        let ensemble = detente::ensemble::run(&model, options, &mut |_| {}, &never)
            .map_err(|e| format!("error: {e}\n"))?;
        run_s.push(t1.elapsed().as_secs_f64());
        last = Some((model, ensemble));
    }
    let (model, ensemble) = last.expect("at least one repetition");
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let (load, run) = (median(&mut load_s), median(&mut run_s));
    let edge_steps = model.n_relations() as f64 * f64::from(model.steps) * args.runs as f64;
    println!(
        "scenario={} actors={} relations={} steps={} runs={} threads={} repeat={repeat}",
        model.name,
        model.n_actors(),
        model.n_relations(),
        model.steps,
        args.runs,
        args.threads
    );
    println!("load_s={load:.6}");
    println!("run_s={run:.6}");
    println!("edge_steps_per_s={:.4e}", edge_steps / run);
    for (s, series) in model.series.iter().enumerate() {
        let mean_last =
            ensemble.summaries.iter().map(|r| r.last[s]).sum::<f64>() / args.runs.max(1) as f64;
        println!("final_{}={mean_last:.6}", series.name);
    }
    let totals: Vec<String> = model
        .actions
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let total: u64 = ensemble.summaries.iter().map(|r| r.actions[k]).sum();
            format!("{}={:.1}", a.name, total as f64 / args.runs.max(1) as f64)
        })
        .collect();
    println!("actions_per_run {}", totals.join(" "));
    Ok(ExitCode::SUCCESS)
}
