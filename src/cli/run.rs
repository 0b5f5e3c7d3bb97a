//! `detente run`: one run, or an ensemble of runs, of a scenario.

use super::output::{self, Output};
use super::{
    bundled, check_interrupt, check_plots, load, parse_plot, parse_set, plot_files, threads,
    write_plots, CliResult, Failure,
};
use detente::ensemble::Options;
use detente::report::{self, csv, html, json, markdown, text, ChartId, ChartKind, Format};
use detente::Overrides;
use std::process::ExitCode;

#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
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
    /// Number of runs (default 1): more than one makes an ensemble (run i draws from the seed and i).
    #[arg(long)]
    runs: Option<u64>,
    /// Worker threads for an ensemble (default: one per core); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run only run I of the ensemble (same numbers as in the ensemble), with its full report.
    #[arg(long, value_name = "I")]
    replay: Option<u64>,
    /// Write the report here ("-" for standard output).
    #[arg(long, short)]
    out: Option<String>,
    /// Format of --out: json, md, csv, text or html (default: from the file's extension, else
    /// json). For an ensemble, csv is one row per run; for one run, the trajectory. html is a
    /// self-contained page with SVG charts.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the per-step values of the report's series here as CSV (one run).
    #[arg(long)]
    trajectory: Option<String>,
    /// Write the per-step bands (mean and quantiles across runs) here as CSV (ensembles).
    #[arg(long)]
    bands: Option<String>,
    /// Write one chart alone as SVG: CHART=FILE (repeatable), e.g. fan:tension_ltu_blr=f.svg.
    /// One run: trajectory:<series>, graph; an ensemble: fan:<series>, outcomes, reached, graph.
    #[arg(long = "plot", value_name = "CHART=FILE", value_parser = parse_plot)]
    plot: Vec<(ChartId, String)>,
    /// Print no summary, no notice and no progress bar (warnings and errors still print).
    #[arg(long, short)]
    quiet: bool,
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
    if !ensemble && args.bands.is_some() {
        return Err(Failure::from(
            "error: --bands needs an ensemble (--runs N with N > 1)\n".to_string(),
        ));
    }
    let outputs: Vec<(&str, &str)> = [
        ("--out", &args.out),
        ("--trajectory", &args.trajectory),
        ("--bands", &args.bands),
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
    super::check_memory(&model, if ensemble { runs } else { 1 }, workers)?;
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
    let e = super::run_ensemble(&model, options, model.name(), !args.quiet)?;
    let rep = report::ensemble::build(&model, &e);
    let plots = if args.plot.is_empty() {
        Vec::new()
    } else {
        plot_files(
            &args.plot,
            &report::chart::ensemble_charts(&rep, graph.as_ref()),
        )?
    };
    check_interrupt()?;
    if show {
        print!("{}", text::ensemble(&rep));
    }
    if let Some(out) = report_out {
        let exported = match format {
            Format::Json => json::to_string(&rep),
            Format::Markdown => markdown::ensemble(&rep),
            Format::Csv => csv::runs(&report::ensemble::runs_table(&model, &e)),
            Format::Text => text::ensemble(&rep),
            Format::Html => html::ensemble(&rep, graph.as_ref()),
        };
        out.commit(exported.as_bytes())?;
    }
    if let Some(out) = bands_out {
        out.commit(csv::bands(&rep.bands).as_bytes())?;
    }
    write_plots(plot_outs, plots)?;
    Ok(ExitCode::SUCCESS)
}
