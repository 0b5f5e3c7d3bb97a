//! `detente explain`: which rule, event, shock and dynamics line moved a variable, by how much,
//! and (with `--counterfactual`) what would have happened without each.

use super::output::{self, Output};
use super::{
    color, interrupted, parse_plot, parse_set, plot_files, threads, warnings, write_plots,
    CliResult, Failure, FileSystem,
};
use detente::explain::{self, ExplainError, Removal, Runs, Target, Window};
use detente::report::chart::waterfall_subject;
use detente::report::{self, ChartId, ChartKind, Format};
use detente::Overrides;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The scenario file.
    scenario: String,
    /// What to explain: a variable at a place, e.g. "tension(LTU, BLR)" or "resolve(BLR)", or
    /// an outcome, e.g. outcome.crisis (the variables its condition reads, up to the step it is
    /// first reached).
    target: String,
    /// The window's start: the value after this step (default 0, the initial state).
    #[arg(long, default_value_t = 0)]
    from: u32,
    /// The window's end: the value after this step (default: the last).
    #[arg(long)]
    to: Option<u32>,
    /// Explain an ensemble of N runs: each source's mean with a 95% interval and the share of
    /// runs it contributed in.
    #[arg(long, value_name = "N")]
    runs: Option<u64>,
    /// Explain run I of the ensemble (the default is run 0), with its largest steps.
    #[arg(long, value_name = "I", conflicts_with = "runs")]
    replay: Option<u64>,
    /// Seed (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Also run the scenario without each rule, event and shock — or without those named
    /// (rules, events, shocks, dynamics lines, actions; `rule:NAME` where a name is two of
    /// them) — paired with the same runs, and report each one's total effect. It takes the
    /// names that follow it: put it after SCENARIO and TARGET.
    #[arg(long, value_name = "NAME", num_args = 0..)]
    counterfactual: Option<Vec<String>>,
    /// Adjust the counterfactual's intervals and p-values for making many at once: none (each
    /// at 95%) or holm (Holm–Bonferroni over every row's effect on the value and on each
    /// outcome).
    #[arg(long, value_enum, default_value_t = Adjust::None)]
    adjust: Adjust,
    /// Runs per variant for --counterfactual (default: --runs, else 200).
    #[arg(long, value_name = "N")]
    counterfactual_runs: Option<u64>,
    /// Override a parameter: --set name=value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    set: Vec<(String, f64)>,
    /// Worker threads (default: one per core); results do not depend on them.
    #[arg(long)]
    threads: Option<usize>,
    /// Write the explanation here (default: standard output).
    #[arg(long, short)]
    out: Option<String>,
    /// Format: text, json, md, csv or html (default: from the --out file's extension, else
    /// text). html is a self-contained page with a waterfall chart per place.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write one chart alone as SVG: CHART=FILE (repeatable): waterfall:<place> (the place
    /// without spaces, e.g. waterfall:tension(LTU,BLR), or its number from 0), and with
    /// --counterfactual forest:counterfactual (the value) and forest:outcomes.
    #[arg(long = "plot", value_name = "CHART=FILE", value_parser = parse_plot)]
    plot: Vec<(ChartId, String)>,
    /// Print nothing but warnings and errors (with --out).
    #[arg(long, short)]
    quiet: bool,
}

/// `--adjust`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Adjust {
    None,
    Holm,
}

pub fn explain(args: ExplainArgs) -> CliResult {
    let target_out = args.out.as_deref().unwrap_or("-");
    let outputs: Vec<(&str, &str)> = std::iter::once(("--out", target_out))
        .chain(args.plot.iter().map(|(_, path)| ("--plot", path.as_str())))
        .collect();
    output::check_outputs(&outputs)?;
    let format = args
        .format
        .or_else(|| args.out.as_deref().and_then(Format::from_path))
        .unwrap_or(Format::Text);
    let overrides = Overrides {
        parameters: args.set.clone(),
        steps: None,
    };
    let sources = FileSystem::for_scenario(&args.scenario);
    let render = |d: detente::Diagnostics| {
        eprint!("{}", d.render_styled(color::style()));
        Failure::from(format!("{}: {}\n", args.scenario, d.counts()))
    };
    let resolved = detente::load::load(&args.scenario, &sources).map_err(render)?;
    let model = detente::compile::compile(resolved.clone(), &overrides).map_err(render)?;
    warnings(&model)?;
    output::refuse_inputs(&outputs, model.source_files())?;
    let bad = |e: String| Failure::from(format!("error: {e}\n"));
    let target = Target::parse(&model, &args.target).map_err(bad)?;
    let window = Window {
        from: args.from,
        to: args.to,
    }
    .resolve(&model)
    .map_err(bad)?;
    if let (Target::Outcome { .. }, true) = (&target, args.from != 0 || args.to.is_some()) {
        return Err(bad(
            "--from and --to are for a variable; an outcome is explained up to the step it is first reached".into(),
        ));
    }
    let removals = match &args.counterfactual {
        Some(names) => Some(Removal::list(&model, names).map_err(bad)?),
        None => None,
    };
    let plots = plot_ids(&args.plot, &target, removals.is_some()).map_err(bad)?;
    if let Some(n) = args.runs {
        if n < 2 {
            return Err(bad(
                "--runs must be at least 2 for intervals (or use --replay I for one run)".into(),
            ));
        }
    }
    let runs = Runs {
        seed: args.seed.unwrap_or(model.seed()),
        replay: match args.runs {
            Some(_) => None,
            None => Some(args.replay.unwrap_or(0)),
        },
        count: args.runs.unwrap_or(1),
        threads: threads(args.threads)?,
    };
    if args.counterfactual_runs.is_some() && removals.is_none() {
        return Err(bad(
            "--counterfactual-runs goes with --counterfactual".into()
        ));
    }
    let cf_runs = args.counterfactual_runs.or(args.runs).unwrap_or(200);
    if removals.is_some() && cf_runs < 2 {
        return Err(bad("--counterfactual-runs must be at least 2".into()));
    }
    let most = if removals.is_some() {
        runs.count.max(cf_runs)
    } else {
        runs.count
    };
    super::check_memory(&model, most, runs.threads, true)?;
    let out = Output::create(target_out)?;
    let plot_outs = args
        .plot
        .iter()
        .map(|(_, path)| Output::create(path))
        .collect::<Result<Vec<_>, _>>()?;
    let stop = &super::interrupts().stop;
    let fail = |e: ExplainError| match e {
        ExplainError::Cancelled => interrupted("interrupted".into()),
        other => Failure::from(format!("error: {other}\n")),
    };
    let mut explanation = explain::explain(&model, &target, window, runs, stop).map_err(fail)?;
    if let Some(removals) = removals {
        let cf_options = Runs {
            count: cf_runs,
            ..runs
        };
        let cf = explain::counterfactual(
            &resolved,
            &overrides,
            &model,
            &target,
            window.1,
            &removals,
            cf_options,
            stop,
            &mut |_| {},
        )
        .map_err(fail)?;
        let mut cf = cf;
        if args.adjust == Adjust::Holm {
            cf.adjust_holm();
        }
        explanation.counterfactual = Some(cf);
    }
    super::check_interrupt()?;
    let svgs = if plots.is_empty() {
        Vec::new()
    } else {
        plot_files(&plots, &report::chart::explanation_charts(&explanation))?
    };
    let text = match format {
        Format::Json => report::json::to_string(&explanation),
        Format::Markdown => report::explain::markdown(&explanation),
        Format::Csv => report::explain::csv(&explanation),
        Format::Html => report::html::explanation(&explanation),
        Format::Text => report::explain::text(&explanation),
    };
    if !(out.is_stdout() && args.quiet) {
        out.commit(text.as_bytes())?;
    }
    write_plots(plot_outs, svgs)?;
    Ok(ExitCode::SUCCESS)
}

/// The `--plot` charts as the explanation's chart ids, checked before any run: a waterfall of
/// a place the target watches (by its name, spaces ignored, or its number from 0), and the
/// counterfactual's forests only with `--counterfactual` (the value's only for a variable).
fn plot_ids(
    plots: &[(ChartId, String)],
    target: &Target,
    counterfactual: bool,
) -> Result<Vec<(ChartId, String)>, String> {
    let places: Vec<String> = target
        .places()
        .iter()
        .map(|p| waterfall_subject(&p.label))
        .collect();
    let variable = matches!(target, Target::Place(_));
    plots
        .iter()
        .map(|(id, path)| {
            let subject = id.subject.as_deref().unwrap_or("");
            match (id.kind, subject) {
                (ChartKind::Waterfall, _) => {
                    let wanted = waterfall_subject(subject);
                    let place = match wanted.parse::<usize>() {
                        Ok(i) => places.get(i),
                        Err(_) => places.iter().find(|p| **p == wanted),
                    };
                    let Some(place) = place else {
                        let known: Vec<String> = places
                            .iter()
                            .enumerate()
                            .map(|(i, p)| format!("waterfall:{p} (or waterfall:{i})"))
                            .collect();
                        return Err(format!(
                            "--plot {id}: the explanation has no place `{subject}`; it has {}",
                            known.join(", ")
                        ));
                    };
                    let id = ChartId {
                        kind: id.kind,
                        subject: Some(place.clone()),
                    };
                    Ok((id, path.clone()))
                }
                (ChartKind::Forest, "counterfactual" | "outcomes") if !counterfactual => {
                    Err(format!("--plot {id}: needs --counterfactual"))
                }
                (ChartKind::Forest, "counterfactual") if !variable => Err(format!(
                    "--plot {id}: an outcome's counterfactual has no value to plot; use forest:outcomes"
                )),
                (ChartKind::Forest, "counterfactual" | "outcomes") => Ok((id.clone(), path.clone())),
                (ChartKind::Forest, _) => Err(format!(
                    "--plot {id}: an explanation's forests are forest:counterfactual and forest:outcomes"
                )),
                (kind, _) => Err(format!(
                    "--plot {id}: an explanation draws no `{}` chart; it draws waterfall, forest",
                    kind.name()
                )),
            }
        })
        .collect()
}
