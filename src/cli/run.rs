//! `detente run`: one run, or an ensemble of runs, of a scenario.

use super::output::{self, Output};
use super::{
    bundled, check_interrupt, check_plots, load, parse_plot, parse_set, plot_files, threads,
    write_plots, CliResult, Failure,
};
use detente::ensemble::Options;
use detente::part::Shard;
use detente::report::{self, csv, html, json, markdown, text, ChartId, ChartKind, Format};
use detente::{Model, Overrides};
use std::process::ExitCode;

#[derive(clap::Args, Debug, Default, Clone)]
pub struct RunArgs {
    /// Scenario file (default: the bundled Lithuania–Belarus baseline).
    pub(super) scenario: Option<String>,
    /// Seed of the random draws (default: the scenario's `seed`).
    #[arg(long)]
    pub(super) seed: Option<u64>,
    /// Number of steps (default: the scenario's `steps`).
    #[arg(long)]
    pub(super) steps: Option<u32>,
    /// Override a parameter: --set name=value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    pub(super) set: Vec<(String, f64)>,
    /// Number of runs (default 1): more than one makes an ensemble (run i draws from the seed and i).
    #[arg(long)]
    pub(super) runs: Option<u64>,
    /// Worker threads for an ensemble (default: one per core); results do not depend on it.
    #[arg(long)]
    pub(super) threads: Option<usize>,
    /// Run only run I of the ensemble (same numbers as in the ensemble), with its full report.
    #[arg(long, value_name = "I")]
    pub(super) replay: Option<u64>,
    /// Write the report here ("-" for standard output).
    #[arg(long, short)]
    pub(super) out: Option<String>,
    /// Format of --out: json, md, csv, text or html (default: from the file's extension, else
    /// json). For an ensemble, csv is one row per run; for one run, the trajectory. html is a
    /// self-contained page with SVG charts.
    #[arg(long, value_enum)]
    pub(super) format: Option<Format>,
    /// Write the per-step values of the report's series here as CSV (one run).
    #[arg(long)]
    pub(super) trajectory: Option<String>,
    /// Write the per-step bands (mean and quantiles across runs) here as CSV (ensembles).
    #[arg(long)]
    pub(super) bands: Option<String>,
    /// Write the per-run table here as CSV (ensembles; streamed as runs finish), as --format
    /// csv writes it to --out.
    #[arg(long)]
    pub(super) rows: Option<String>,
    /// Run only shard K of N of the ensemble's runs (K from 1 to N) and write a part to --out,
    /// for `detente merge` to put together: the merged report is the unsharded run's, byte for
    /// byte.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub(super) shard: Option<Shard>,
    /// Keep finished runs in FILE as the ensemble goes; after an interruption (Ctrl-C, SIGTERM,
    /// a kill) the same command continues from there, with the same result.
    #[arg(long, value_name = "FILE")]
    pub(super) checkpoint: Option<String>,
    /// Seconds between the checkpoint's records (default 10; 0: after every block of runs). A
    /// kill loses at most this much work.
    #[arg(long, value_name = "SECONDS", requires = "checkpoint", value_parser = parse_every)]
    pub(super) checkpoint_every: Option<f64>,
    /// Write one chart alone as SVG: CHART=FILE (repeatable), e.g. fan:tension_ltu_blr=f.svg.
    /// One run: trajectory:<series>, graph; an ensemble: fan:<series>, outcomes, reached, graph.
    #[arg(long = "plot", value_name = "CHART=FILE", value_parser = parse_plot)]
    pub(super) plot: Vec<(ChartId, String)>,
    /// Print no summary, no notice and no progress bar (warnings and errors still print).
    #[arg(long, short)]
    pub(super) quiet: bool,
}

/// `--checkpoint-every SECONDS`: a number of seconds from 0 to a day.
fn parse_every(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..=86_400.0).contains(&x) => Ok(x),
        _ => Err(format!("`{s}` is not a number of seconds from 0 to 86400")),
    }
}

/// The format of --out: as given, else from the file's extension, else JSON.
fn format_of(args: &RunArgs) -> Format {
    args.format
        .or_else(|| args.out.as_deref().and_then(Format::from_path))
        .unwrap_or(Format::Json)
}

pub fn run(args: RunArgs) -> CliResult {
    let runs = args.runs.unwrap_or(1);
    let ensemble = runs > 1 && args.replay.is_none();
    if runs == 0 {
        return Err(Failure::from(
            "error: --runs must be at least 1\n".to_string(),
        ));
    }
    if let (Some(i), Some(n)) = (args.replay, args.runs) {
        if i >= n {
            return Err(Failure::from(format!(
                "error: --replay {i} is not a run of --runs {n}: runs are numbered 0 to {}\n",
                n - 1
            )));
        }
    }
    if ensemble && args.trajectory.is_some() {
        return Err(Failure::from(
            "error: --trajectory is for one run; use --bands for an ensemble, or --replay I\n"
                .to_string(),
        ));
    }
    for (flag, given) in [
        ("--bands", args.bands.is_some()),
        ("--rows", args.rows.is_some()),
        ("--shard", args.shard.is_some()),
        ("--checkpoint", args.checkpoint.is_some()),
    ] {
        if !ensemble && given {
            return Err(Failure::from(format!(
                "error: {flag} needs an ensemble (--runs N with N > 1)\n"
            )));
        }
    }
    if args.shard.is_some() {
        if args.out.is_none() {
            return Err(Failure::from(
                "error: --shard writes a part for `detente merge`: give it a file with --out\n"
                    .to_string(),
            ));
        }
        let refused = [
            ("--format", args.format.is_some()),
            ("--bands", args.bands.is_some()),
            ("--plot", !args.plot.is_empty()),
        ];
        if let Some((flag, _)) = refused.iter().find(|(_, given)| *given) {
            return Err(Failure::from(format!(
                "error: {flag} is for the merged report: a shard writes a part (--out), and `detente merge` the report\n      = hint: give {flag} to `detente merge`\n"
            )));
        }
    }
    let outputs: Vec<(&str, &str)> = [
        ("--out", &args.out),
        ("--trajectory", &args.trajectory),
        ("--bands", &args.bands),
        ("--rows", &args.rows),
        ("--checkpoint", &args.checkpoint),
    ]
    .into_iter()
    .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
    .chain(args.plot.iter().map(|(_, path)| ("--plot", path.as_str())))
    .collect();
    output::check_outputs(&outputs)?;
    let overrides = Overrides {
        parameters: args.set.clone(),
        steps: args.steps,
    };
    let model = load(args.scenario.as_deref(), &overrides)?;
    if ensemble {
        let kinds = [
            ChartKind::Fan,
            ChartKind::Outcomes,
            ChartKind::Reached,
            ChartKind::Graph,
        ];
        check_plots(&args.plot, &kinds, "an ensemble", &model)?;
    } else {
        let kinds = [ChartKind::Trajectory, ChartKind::Graph];
        check_plots(&args.plot, &kinds, "one run", &model)?;
    }
    // No output may be a file the scenario was read from. Then the outputs are opened before
    // any run, so an unwritable path fails fast.
    output::refuse_inputs(&outputs, model.source_files())?;
    let open = |path: &Option<String>| path.as_deref().map(Output::create).transpose();
    let (report_out, trajectory_out, bands_out) = (
        open(&args.out)?,
        open(&args.trajectory)?,
        open(&args.bands)?,
    );
    let plot_outs = args
        .plot
        .iter()
        .map(|(_, path)| Output::create(path))
        .collect::<Result<Vec<_>, _>>()?;
    let format = format_of(&args);
    let graph =
        (format == Format::Html || !args.plot.is_empty()).then(|| report::relation_graph(&model));
    let seed = args.seed.unwrap_or(model.seed());
    let workers = if ensemble { threads(args.threads)? } else { 1 };
    super::check_memory(&model, if ensemble { runs } else { 1 }, workers, false)?;
    let to_stdout = report_out.as_ref().is_some_and(Output::is_stdout);
    // The summary is data, on standard output unless the report is; the notice is not.
    let show = !args.quiet && !to_stdout;
    if !args.quiet && args.scenario.is_none() {
        eprintln!("(bundled scenario {})", bundled::DEFAULT);
    }
    if !ensemble {
        let run_index = args.replay.unwrap_or(0);
        let stop = &super::interrupts().stop;
        // The charts mark the steps actions were taken in, from the run's firing log: the same
        // run, bit for bit, that keeps its takings too.
        let charted = (report_out.is_some() && format == Format::Html)
            || args
                .plot
                .iter()
                .any(|(id, _)| id.kind == ChartKind::Trajectory);
        let mut sim = detente::Sim::new(&model);
        let record = if charted {
            sim.run_logged_cancellable(seed, run_index, stop)
        } else {
            sim.run_cancellable(seed, run_index, stop)
        }
        .map_err(|e| Failure::from(format!("error: the run stopped at {e}\n")))?;
        let Some(record) = record else {
            return Err(super::interrupted("interrupted".into()));
        };
        let rep = report::run_report(&model, &record);
        let trajectory = report::trajectory(&model, &record);
        let plots = if args.plot.is_empty() {
            Vec::new()
        } else {
            plot_files(
                &args.plot,
                &report::chart::run_charts(&rep, &trajectory, graph.as_ref()),
            )?
        };
        check_interrupt()?;
        if show {
            print!("{}", text::run(&rep));
        }
        if let Some(out) = report_out {
            let exported = match format {
                Format::Json => json::to_string(&rep),
                Format::Markdown => markdown::run(&rep),
                Format::Csv => csv::trajectory(&trajectory),
                Format::Text => text::run(&rep),
                Format::Html => html::run(&rep, &trajectory, graph.as_ref()),
            };
            out.commit(exported.as_bytes())?;
        }
        if let Some(out) = trajectory_out {
            out.commit(csv::trajectory(&trajectory).as_bytes())?;
        }
        write_plots(plot_outs, plots)?;
        return Ok(ExitCode::SUCCESS);
    }
    let options = Options {
        runs,
        seed,
        threads: workers,
    };
    let outs = Outs {
        report: report_out,
        bands: bands_out,
        plots: plot_outs,
    };
    run_ensemble(&args, &model, options, outs, graph)
}

/// An ensemble's outputs, opened before any run.
pub(super) struct Outs {
    pub report: Option<Output>,
    pub bands: Option<Output>,
    pub plots: Vec<Output>,
}

/// The arguments that define an ensemble's result, in a canonical order: what a part's or
/// checkpoint's manifest records and `detente merge` reads back.
fn canonical(args: &RunArgs, seed: u64, runs: u64) -> Vec<String> {
    let mut out: Vec<String> = vec!["--seed".into(), seed.to_string()];
    out.extend(["--runs".into(), runs.to_string()]);
    if let Some(steps) = args.steps {
        out.extend(["--steps".into(), steps.to_string()]);
    }
    for (name, value) in &args.set {
        out.extend(["--set".into(), format!("{name}={value:?}")]);
    }
    out
}

/// The arguments a part's manifest records, read back (outputs not set).
pub(super) fn from_canonical(manifest: &detente::part::Manifest) -> Result<RunArgs, String> {
    let args: Vec<String> = manifest
        .scenario
        .iter()
        .chain(&manifest.args)
        .cloned()
        .collect();
    #[derive(clap::Parser)]
    struct Wrap {
        #[command(flatten)]
        run: RunArgs,
    }
    use clap::Parser;
    Wrap::try_parse_from(std::iter::once("detente-run".to_string()).chain(args.iter().cloned()))
        .map(|w| w.run)
        .map_err(|e| e.to_string())
}

/// Runs the ensemble (or its shard, continuing from a checkpoint) and writes its outputs.
fn run_ensemble(
    args: &RunArgs,
    model: &Model,
    options: Options,
    outs: Outs,
    graph: Option<report::RelationGraph>,
) -> CliResult {
    let format = format_of(args);
    let Outs {
        report: report_out,
        bands: bands_out,
        plots: plot_outs,
    } = outs;
    let manifest = detente::part::Manifest::new(
        "run",
        args.scenario.as_deref(),
        canonical(args, options.seed, options.runs),
        &format!("{:016x}", model.content_hash()),
    );
    // The per-run table, streamed: to --rows, and to --out as its csv format (not for a shard,
    // whose --out is its part).
    let (mut report_out, mut rows_outs) = (report_out, Vec::new());
    if args.shard.is_none() && format == Format::Csv {
        rows_outs.extend(report_out.take());
    }
    if let Some(path) = &args.rows {
        rows_outs.push(Output::create(path)?);
    }
    let head = csv::runs_head(&report::ensemble::runs_table_of(model, &[]));
    for out in &mut rows_outs {
        out.write(head.as_bytes())?;
    }
    let range = args
        .shard
        .map_or(0..options.runs, |s| s.range(options.runs));
    let label = match args.shard {
        Some(s) => format!("{} (shard {}/{})", model.name(), s.index, s.count),
        None => model.name().to_string(),
    };
    let tally = super::scale::run_ensemble(
        model,
        options,
        range,
        &manifest,
        args.shard,
        args.checkpoint.as_deref(),
        std::time::Duration::from_secs_f64(args.checkpoint_every.unwrap_or(10.0)),
        &mut rows_outs,
        &label,
        !args.quiet,
    )?;
    if let Some(shard) = args.shard {
        let part = detente::part::Part::new(manifest, shard, detente::part::Work::Ensemble(tally));
        super::check_interrupt()?;
        if let Some(out) = report_out {
            out.commit(part.to_json().as_bytes())?;
        }
        for out in rows_outs {
            out.commit(&[])?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let e = detente::ensemble::Ensemble::from_tally_on(options.seed, tally, options.threads)
        .map_err(|_| Failure::from("error: the ensemble is missing runs\n".to_string()))?;
    finish(
        args,
        model,
        &e,
        Outs {
            report: report_out,
            bands: bands_out,
            plots: plot_outs,
        },
        rows_outs,
        graph,
    )
}

/// Writes a finished ensemble's report and outputs (the per-run rows already streamed into
/// `rows_outs`): after a run, and after `detente merge`.
pub(super) fn finish(
    args: &RunArgs,
    model: &Model,
    e: &detente::ensemble::Ensemble,
    outs: Outs,
    rows_outs: Vec<Output>,
    graph: Option<report::RelationGraph>,
) -> CliResult {
    let format = format_of(args);
    let rep = report::ensemble::build(model, e);
    let plots = if args.plot.is_empty() {
        Vec::new()
    } else {
        plot_files(
            &args.plot,
            &report::chart::ensemble_charts(&rep, graph.as_ref()),
        )?
    };
    check_interrupt()?;
    let to_stdout = outs.report.as_ref().is_some_and(Output::is_stdout)
        || rows_outs.iter().any(Output::is_stdout);
    if !args.quiet && !to_stdout {
        print!("{}", text::ensemble(&rep));
    }
    if let Some(out) = outs.report {
        let exported = match format {
            Format::Json => json::to_string(&rep),
            Format::Markdown => markdown::ensemble(&rep),
            Format::Csv => String::new(), // streamed
            Format::Text => text::ensemble(&rep),
            Format::Html => html::ensemble(&rep, graph.as_ref()),
        };
        out.commit(exported.as_bytes())?;
    }
    for out in rows_outs {
        out.commit(&[])?;
    }
    if let Some(out) = outs.bands {
        out.commit(csv::bands(&rep.bands).as_bytes())?;
    }
    write_plots(outs.plots, plots)?;
    Ok(ExitCode::SUCCESS)
}
