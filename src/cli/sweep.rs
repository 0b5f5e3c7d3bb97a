//! `detente sweep`: one ensemble per point of a design over parameters, rows written as points
//! finish, then the sensitivity analysis.

use super::output::{self, Output};
use super::{interrupted, load, parse_set, threads, CliResult, Failure, FileSystem};
use detente::ensemble::Options;
use detente::report::sweep as export;
use detente::report::{Format, MetricId};
use detente::sweep::{Design, Factor, FactorRange, Plan, SweepError};
use detente::Overrides;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// The scenario file.
    scenario: String,
    /// A parameter to vary: NAME=LO..HI (an interval) or NAME=V1,V2,V3 (values); repeatable.
    /// Default: the scenario's [sweep] table.
    #[arg(long, value_name = "NAME=RANGE", value_parser = parse_vary)]
    vary: Vec<Factor>,
    /// Parameters (among --vary) that take whole numbers only: their values are rounded.
    #[arg(long, value_name = "NAME")]
    whole: Vec<String>,
    /// The design: grid (every combination), oat (one at a time, a tornado), lhs (Latin
    /// hypercube), sobol (Sobol indices), morris (elementary effects). Default: the [sweep]
    /// table's, else grid.
    #[arg(long, value_enum)]
    design: Option<DesignArg>,
    /// Points of an lhs design (default 20), or base rows of a sobol design (default 256; the
    /// sweep runs (k + 2) × N points).
    #[arg(long)]
    points: Option<u32>,
    /// Values per interval of a grid (default 5), or grid levels of a morris design (even,
    /// default 4).
    #[arg(long)]
    levels: Option<u32>,
    /// Trajectories of a morris design (default 10; the sweep runs (k + 1) × R points).
    #[arg(long)]
    trajectories: Option<u32>,
    /// Runs per point (default: the [sweep] table's, else 100).
    #[arg(long)]
    runs: Option<u64>,
    /// Seed shared by every point's runs (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Seed of the design's own draws (Latin hypercube, Sobol scrambling, Morris trajectories,
    /// bootstrap; default: the run seed).
    #[arg(long)]
    design_seed: Option<u64>,
    /// An output to measure at every point, as a metric id (final.x, peak.x, mean.x,
    /// actions.a, outcome.o; repeatable). Default: every outcome and every final value.
    #[arg(long = "metric", value_name = "ID")]
    metrics: Vec<String>,
    /// Hold a parameter at another value for the whole sweep: --set name=value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    set: Vec<(String, f64)>,
    /// Worker threads per point's ensemble (default: one per core); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Write the sweep here (default: standard output).
    #[arg(long, short)]
    out: Option<String>,
    /// Format: md, json, csv or html (default: from the --out file's extension, else md).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DesignArg {
    Grid,
    Oat,
    Lhs,
    Sobol,
    Morris,
}

/// `--vary NAME=LO..HI` or `--vary NAME=V1,V2,…`.
fn parse_vary(s: &str) -> Result<Factor, String> {
    let (name, range) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=LO..HI or NAME=V1,V2, found `{s}`"))?;
    let number = |t: &str| -> Result<f64, String> {
        let v: f64 = t
            .trim()
            .parse()
            .map_err(|_| format!("`{}` is not a number", t.trim()))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("`{}`: values must be finite", t.trim()))
        }
    };
    let range = match range.split_once("..") {
        Some((lo, hi)) => {
            let (lo, hi) = (number(lo)?, number(hi)?);
            if lo >= hi {
                return Err(format!("`{s}`: the low end must be below the high end"));
            }
            FactorRange::Interval(lo, hi)
        }
        None => {
            let values = range
                .split(',')
                .map(number)
                .collect::<Result<Vec<_>, _>>()?;
            if values.len() < 2 {
                return Err(format!(
                    "`{s}`: give at least two values, or a range LO..HI"
                ));
            }
            FactorRange::Values(values)
        }
    };
    Ok(Factor {
        name: name.trim().to_string(),
        range,
        whole: false,
    })
}

impl SweepArgs {
    fn design(&self, from_file: Option<Design>) -> Design {
        let Some(design) = self.design else {
            return from_file.unwrap_or(Design::Grid {
                levels: self.levels.unwrap_or(5),
            });
        };
        match design {
            DesignArg::Grid => Design::Grid {
                levels: self.levels.unwrap_or(5),
            },
            DesignArg::Oat => Design::Oat,
            DesignArg::Lhs => Design::Lhs {
                points: self.points.unwrap_or(20),
            },
            DesignArg::Sobol => Design::Sobol {
                base: self.points.unwrap_or(256),
            },
            DesignArg::Morris => Design::Morris {
                trajectories: self.trajectories.unwrap_or(10),
                levels: self.levels.unwrap_or(4),
            },
        }
    }

    fn format(&self) -> Result<Format, Failure> {
        let format = self
            .format
            .or_else(|| self.out.as_deref().and_then(Format::from_path))
            .unwrap_or(Format::Markdown);
        match format {
            Format::Markdown | Format::Json | Format::Csv | Format::Html => Ok(format),
            other => Err(Failure::from(format!(
                "error: a sweep is written as md, json, csv or html, not {other}\n"
            ))),
        }
    }
}

pub fn sweep(mut args: SweepArgs) -> CliResult {
    let outputs = [("--out", args.out.as_deref().unwrap_or("-"))];
    output::check_outputs(&outputs)?;
    let format = args.format()?;
    let base = Overrides {
        parameters: args.set.clone(),
        steps: None,
    };
    let model = load(Some(&args.scenario), &base)?;
    let config = model.sweep_config().cloned();
    if args.vary.is_empty() {
        match &config {
            Some(c) => args.vary = c.factors.clone(),
            None => {
                return Err(Failure::from(format!(
                    "error: nothing to vary: give --vary NAME=LO..HI, or a [sweep] table in {}\n",
                    args.scenario
                )))
            }
        }
    }
    let runs = args
        .runs
        .or(config.as_ref().and_then(|c| c.runs))
        .unwrap_or(100);
    if runs < 2 {
        return Err(Failure::from(
            "error: --runs must be at least 2 for intervals\n".to_string(),
        ));
    }
    for name in &args.whole {
        match args.vary.iter_mut().find(|f| f.name == *name) {
            Some(f) => f.whole = true,
            None => {
                return Err(Failure::from(format!(
                    "error: --whole {name}: `{name}` is not among the --vary parameters\n"
                )))
            }
        }
    }
    output::refuse_inputs(&outputs, model.source_files())?;
    let seed = args
        .seed
        .or(config.as_ref().and_then(|c| c.seed))
        .unwrap_or(model.seed());
    let metrics = args
        .metrics
        .iter()
        .map(|m| {
            m.parse::<MetricId>()
                .map_err(|e| Failure::from(format!("error: --metric {m}: {e}\n")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metrics = if metrics.is_empty() {
        config
            .as_ref()
            .map(|c| c.metrics.clone())
            .unwrap_or_default()
    } else {
        metrics
    };
    let design_seed = args
        .design_seed
        .or(config.as_ref().and_then(|c| c.design_seed))
        .unwrap_or(seed);
    let plan = Plan::new(
        &model,
        std::mem::take(&mut args.vary),
        args.design(config.as_ref().map(|c| c.design)),
        design_seed,
        &metrics,
    )
    .map_err(|e| Failure::from(format!("error: {e}\n")))?;
    let options = Options {
        runs,
        seed,
        threads: threads(args.threads)?,
    };
    super::check_memory(&model, options.runs, options.threads)?;
    let mut out = Output::create(outputs[0].1)?;
    let head = export::head(&model, &plan, runs, seed);
    out.write(
        match format {
            Format::Json => export::json_head(&head),
            Format::Csv => export::csv_head(&head),
            Format::Html => String::new(),
            _ => export::markdown_head(&head),
        }
        .as_bytes(),
    )?;
    let sources = FileSystem::for_scenario(&args.scenario);
    let mut model_of = |point: &[(String, f64)]| {
        let mut parameters = base.parameters.clone();
        parameters.extend(point.iter().cloned());
        let overrides = Overrides {
            parameters,
            steps: None,
        };
        detente::load_model(&args.scenario, &sources, &overrides)
    };
    let bar = progress_bar(plan.points.len(), args.quiet);
    // An HTML page is not streamed: it is written once at the end, so its rows are kept, one
    // small `Point` (the factor values and each output's estimate) per point. The other formats
    // write each row as it comes and keep nothing.
    let mut kept: Vec<detente::sweep::Point> = Vec::new();
    let mut row = |p: &detente::sweep::Point| {
        let text = match format {
            Format::Json => export::json_row(p, p.index == 0),
            Format::Csv => export::csv_row(p),
            Format::Html => {
                kept.push(p.clone());
                return Ok(());
            }
            _ => export::markdown_row(&head, p),
        };
        out.write(text.as_bytes())
    };
    let result = detente::sweep::run(
        &plan,
        &mut model_of,
        options,
        &mut row,
        &mut |done| {
            if let Some(b) = &bar {
                b.set_position(done as u64);
            }
        },
        &super::interrupts().stop,
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let summary = result.map_err(|e| match e {
        SweepError::Cancelled { completed } => interrupted(format!(
            "interrupted after {completed} of {} points",
            plan.points.len()
        )),
        SweepError::Model {
            point,
            values,
            diagnostics,
        } => Failure::from(format!(
            "{}error: point {point} ({values}): the scenario does not compile\n",
            diagnostics.render()
        )),
        SweepError::Output(message) => Failure::from(message),
        other => Failure::from(format!("error: {other}\n")),
    })?;
    let (sensitivity, noise) = plan.analyse(&summary);
    let tail = match format {
        Format::Json => export::json_tail(&sensitivity, &noise),
        Format::Csv => String::new(),
        Format::Html => detente::report::html::sweep(&head, &kept, &sensitivity, &noise),
        _ => export::markdown_tail(&head, &sensitivity, &noise),
    };
    super::check_interrupt()?;
    out.commit(tail.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// A bar over the points on a terminal, unless quiet.
fn progress_bar(points: usize, quiet: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(points as u64);
    let style =
        indicatif::ProgressStyle::with_template("sweep {bar:40} {pos}/{len} points, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}
