//! `detente compare`: variants against a baseline, from scenario files (paired) or saved
//! ensemble reports (unpaired).

use super::output::{self, Output};
use super::{
    check_interrupt, check_plots, load, parse_plot, parse_set, plot_files, threads, write_plots,
    CliResult, Failure, CONDITION_FAILED,
};
use clap::builder::TypedValueParser;
use detente::ensemble::Options;
use detente::report::compare::{self, Comparison, Run};
use detente::report::{
    self, ensemble, html, json, markdown, ChartId, ChartKind, EnsembleReport, Format,
};
use detente::{Model, Overrides};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The baseline, then one or more variants: scenario files (.toml) or ensemble reports (.json).
    #[arg(required = true, num_args = 2..)]
    inputs: Vec<String>,
    /// Runs per scenario (scenario files only).
    #[arg(long, default_value_t = 1000)]
    runs: u64,
    /// Seed shared by every variant (default: the baseline scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Output format: md, json or html (default: json or html for an --out file ending in .json
    /// or .html, else md). html is a self-contained page with forest plots and fan charts.
    #[arg(long, value_parser = compare_format())]
    format: Option<Format>,
    /// Write the comparison here instead of standard output.
    #[arg(long, short)]
    out: Option<String>,
    /// Show every metric in the Markdown table (peaks, means over time, action counts), not only
    /// outcomes and final values.
    #[arg(long)]
    all: bool,
    /// Exit 1 when a variant significantly moves a metric this way, e.g.
    /// "final.tension_ltu_blr increases" or "outcome.normalization decreases" (repeatable).
    #[arg(long = "fail-if", value_name = "CONDITION")]
    fail_if: Vec<String>,
    /// Override a parameter in every scenario compared: --set name=value (repeatable; scenario
    /// files only, and each must have the parameter).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    set: Vec<(String, f64)>,
    /// No progress bar (warnings and errors still print).
    #[arg(long, short)]
    quiet: bool,
    /// Write one chart alone as SVG: CHART=FILE (repeatable), e.g. forest:outcomes=f.svg,
    /// forest:final.tension_ltu_blr=t.svg, fan:tension_ltu_blr=fan.svg or graph=g.svg.
    #[arg(long = "plot", value_name = "CHART=FILE", value_parser = parse_plot)]
    plot: Vec<(ChartId, String)>,
    /// Adjust the decisions for testing many differences at once: none (each at 95%) or holm
    /// (Holm–Bonferroni over every variant × metric and outcome of this command); the report
    /// and --fail-if use the same decisions.
    #[arg(long, value_enum, default_value_t = AdjustArg::None)]
    adjust: AdjustArg,
}

/// `--adjust`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum AdjustArg {
    None,
    Holm,
}

/// The formats a comparison is exported in: Markdown, JSON and HTML.
fn compare_format() -> impl TypedValueParser<Value = Format> {
    clap::builder::PossibleValuesParser::new(["md", "json", "html"])
        .try_map(|s| s.parse::<Format>())
}

/// The charts a comparison draws.
const CHARTS: [ChartKind; 3] = [ChartKind::Forest, ChartKind::Fan, ChartKind::Graph];

fn label(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

pub fn compare(args: CompareArgs) -> CliResult {
    let outputs: Vec<(&str, &str)> = std::iter::once(("--out", args.out.as_deref().unwrap_or("-")))
        .chain(args.plot.iter().map(|(_, path)| ("--plot", path.as_str())))
        .collect();
    output::check_outputs(&outputs)?;
    if let Some((id, _)) = args.plot.iter().find(|(id, _)| !CHARTS.contains(&id.kind)) {
        return Err(Failure::from(format!(
            "error: --plot {id}: a comparison draws no `{}` chart; it draws forest, fan and graph\n",
            id.kind.name()
        )));
    }
    let format =
        args.format
            .unwrap_or_else(|| match args.out.as_deref().and_then(Format::from_path) {
                Some(Format::Json) => Format::Json,
                Some(Format::Html) => Format::Html,
                _ => Format::Markdown,
            });
    // The ensemble reports and the baseline's graph feed the charts only.
    let charted = format == Format::Html || !args.plot.is_empty();
    let json = args.inputs.iter().filter(|p| p.ends_with(".json")).count();
    if json == 0 && args.runs < 2 {
        return Err(Failure::from(
            "error: --runs must be at least 2 for intervals\n".to_string(),
        ));
    }
    let (comparison, out, reports, graph) = if json == args.inputs.len() {
        if !args.set.is_empty() {
            return Err(Failure::from(
                "error: --set changes scenario files, and saved reports (.json) hold runs already made\n      \
                 = hint: run the scenarios again with --set, or compare the scenario files with --set\n"
                    .to_string(),
            ));
        }
        output::refuse_inputs(&outputs, &args.inputs)?;
        let out = Output::create(outputs[0].1)?;
        if let Some((id, _)) = args.plot.iter().find(|(id, _)| id.kind == ChartKind::Graph) {
            return Err(Failure::from(format!(
                "error: --plot {id}: saved reports hold no relation graph; compare the scenario files\n"
            )));
        }
        let mut reports = Vec::new();
        for path in &args.inputs {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("error: cannot read `{path}`: {e}\n"))?;
            let report = ensemble::parse(&text).map_err(|e| format!("error: {path}: {e}\n"))?;
            reports.push((label(path), report));
        }
        let comparison = compare::unpaired(&reports).map_err(|e| format!("error: {e}\n"))?;
        let reports = reports.into_iter().map(|(_, r)| r).collect();
        (comparison, out, reports, None)
    } else if json == 0 {
        let overrides = Overrides {
            parameters: args.set.clone(),
            steps: None,
        };
        // Every file is loaded, so that each one --set does not fit is named.
        let loaded: Vec<Result<Model, String>> = args
            .inputs
            .iter()
            .map(|p| load(Some(p), &overrides))
            .collect();
        let failed: String = loaded
            .iter()
            .filter_map(|r| r.as_ref().err())
            .cloned()
            .collect();
        if !failed.is_empty() {
            return Err(Failure::from(failed));
        }
        let models: Vec<Model> = loaded.into_iter().flatten().collect();
        let read: Vec<String> = models
            .iter()
            .flat_map(|m| m.source_files())
            .cloned()
            .collect();
        output::refuse_inputs(&outputs, &read)?;
        check_plots(&args.plot, &CHARTS, "a comparison", &models[0])?;
        let out = Output::create(outputs[0].1)?;
        let (comparison, reports) = paired(&args, &models, charted)?;
        let graph = charted.then(|| report::relation_graph(&models[0]));
        (comparison, out, reports, graph)
    } else {
        return Err(Failure::from(
            "error: compare either scenario files or saved .json reports, not both\n".to_string(),
        ));
    };
    let comparison = comparison.adjusted(match args.adjust {
        AdjustArg::None => compare::Adjustment::None,
        AdjustArg::Holm => compare::Adjustment::Holm,
    });
    let mut failing = Vec::new();
    for condition in &args.fail_if {
        for variant in comparison.failing(condition).map_err(|e| e.to_string())? {
            failing.push(format!("{variant}: {condition}"));
        }
    }
    let plot_outs = args
        .plot
        .iter()
        .map(|(_, path)| Output::create(path))
        .collect::<Result<Vec<_>, _>>()?;
    let plots = if args.plot.is_empty() {
        Vec::new()
    } else {
        let charts = report::chart::comparison_charts(&comparison, &reports, graph.as_ref(), true);
        plot_files(&args.plot, &charts)?
    };
    let text = match format {
        Format::Json => json::to_string(&comparison),
        Format::Markdown => markdown::comparison(&comparison, args.all),
        Format::Html => html::comparison(&comparison, &reports, graph.as_ref(), args.all),
        // `compare_format` admits only the three above.
        Format::Csv | Format::Text => {
            return Err(Failure::from(format!(
                "error: a comparison is written as md or json, not {format}\n"
            )))
        }
    };
    check_interrupt()?;
    out.commit(text.as_bytes())?;
    write_plots(plot_outs, plots)?;
    if failing.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure {
            message: format!("condition met: {}\n", failing.join("; ")),
            code: CONDITION_FAILED,
        })
    }
}

/// Runs the scenarios with the same seeds and compares them; with `reports`, also each one's
/// ensemble report (for the charts).
fn paired(
    args: &CompareArgs,
    models: &[Model],
    reports: bool,
) -> Result<(Comparison, Vec<EnsembleReport>), Failure> {
    let seed = args.seed.unwrap_or(models[0].seed());
    let options = Options {
        runs: args.runs,
        seed,
        threads: threads(args.threads)?,
    };
    for model in models {
        super::check_memory(model, options.runs, options.threads, true)?;
    }
    let mut ensembles = Vec::new();
    for (path, model) in args.inputs.iter().zip(models) {
        ensembles.push(super::run_ensemble(
            model,
            options,
            &label(path),
            !args.quiet,
        )?);
    }
    let runs: Vec<Run> = args
        .inputs
        .iter()
        .zip(models)
        .zip(&ensembles)
        .map(|((path, model), ensemble)| Run {
            label: label(path),
            model,
            ensemble,
        })
        .collect();
    let comparison = compare::paired(&runs).map_err(|e| Failure::from(format!("error: {e}\n")))?;
    let built = if reports {
        runs.iter()
            .map(|r| ensemble::build(r.model, r.ensemble))
            .collect()
    } else {
        Vec::new()
    };
    Ok((comparison, built))
}
