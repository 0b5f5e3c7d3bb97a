//! `detente sweep`: one ensemble per point of a design over parameters, rows written as points
//! finish, then the sensitivity analysis.

use super::output::{self, Output};
use super::{load, parse_set, threads, CliResult, Failure, FileSystem};
use detente::ensemble::Options;
use detente::report::sweep as export;
use detente::report::{Format, MetricId};
use detente::sweep::{Design, Factor, FactorRange, Plan, SweepError};
use detente::Overrides;
use std::process::ExitCode;

#[derive(clap::Args, Debug, Clone)]
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
    /// Run only shard K of N of the sweep's points (K from 1 to N) and write a part to --out,
    /// for `detente merge` to put together: the merged sweep is the unsharded one, byte for
    /// byte.
    #[arg(long, value_name = "K/N", value_parser = detente::part::Shard::parse)]
    shard: Option<detente::part::Shard>,
    /// Keep finished points in FILE as the sweep goes; after an interruption (Ctrl-C, SIGTERM,
    /// a kill) the same command continues from there, with the same result.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<String>,
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

/// A sweep ready to run: its model, plan, ensemble options, and the manifest its parts and
/// checkpoints record.
struct Prepared {
    model: detente::Model,
    plan: Plan,
    options: Options,
    base: Overrides,
    manifest: detente::part::Manifest,
}

/// Everything before the first point: the scenario, the [sweep] table's defaults, the plan.
fn prepare(args: &mut SweepArgs, threads_asked: Option<usize>) -> Result<Prepared, Failure> {
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
    let design = args.design(config.as_ref().map(|c| c.design));
    let factors = args.vary.clone();
    let plan = Plan::new(&model, factors.clone(), design, design_seed, &metrics)
        .map_err(|e| Failure::from(format!("error: {e}\n")))?;
    let options = Options {
        runs,
        seed,
        threads: threads(threads_asked)?,
    };
    // The arguments that define the result, resolved, in a canonical order.
    let mut canonical = Vec::new();
    for f in &factors {
        let range = match &f.range {
            FactorRange::Interval(lo, hi) => format!("{lo:?}..{hi:?}"),
            FactorRange::Values(v) => v
                .iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(","),
        };
        canonical.extend(["--vary".into(), format!("{}={range}", f.name)]);
        if f.whole {
            canonical.extend(["--whole".into(), f.name.clone()]);
        }
    }
    let sized = |flag: &str, n: u32| [flag.to_string(), n.to_string()];
    canonical.push("--design".into());
    match design {
        Design::Grid { levels } => {
            canonical.push("grid".into());
            canonical.extend(sized("--levels", levels));
        }
        Design::Oat => canonical.push("oat".into()),
        Design::Lhs { points } => {
            canonical.push("lhs".into());
            canonical.extend(sized("--points", points));
        }
        Design::Sobol { base } => {
            canonical.push("sobol".into());
            canonical.extend(sized("--points", base));
        }
        Design::Morris {
            trajectories,
            levels,
        } => {
            canonical.push("morris".into());
            canonical.extend(sized("--trajectories", trajectories));
            canonical.extend(sized("--levels", levels));
        }
    }
    canonical.extend(["--runs".into(), runs.to_string()]);
    canonical.extend(["--seed".into(), seed.to_string()]);
    canonical.extend(["--design-seed".into(), design_seed.to_string()]);
    for m in &metrics {
        canonical.extend(["--metric".into(), m.to_string()]);
    }
    for (name, value) in &args.set {
        canonical.extend(["--set".into(), format!("{name}={value:?}")]);
    }
    let manifest = detente::part::Manifest::new(
        "sweep",
        Some(&args.scenario),
        canonical,
        &format!("{:016x}", model.content_hash()),
    );
    Ok(Prepared {
        model,
        plan,
        options,
        base,
        manifest,
    })
}

/// The sweep's rows and its analysis, written to one output as points come.
struct Writer {
    out: Output,
    format: Format,
    head: export::Head,
    /// An HTML page is not streamed: it is written once at the end, so its rows are kept, one
    /// small `Point` (the factor values and each output's estimate) per point. The other formats
    /// write each row as it comes and keep nothing.
    kept: Vec<detente::sweep::Point>,
}

impl Writer {
    fn new(mut out: Output, format: Format, head: export::Head) -> Result<Writer, Failure> {
        out.write(
            match format {
                Format::Json => export::json_head(&head),
                Format::Csv => export::csv_head(&head),
                Format::Html => String::new(),
                _ => export::markdown_head(&head),
            }
            .as_bytes(),
        )?;
        Ok(Writer {
            out,
            format,
            head,
            kept: Vec::new(),
        })
    }

    fn row(&mut self, p: &detente::sweep::Point) -> Result<(), String> {
        let text = match self.format {
            Format::Json => export::json_row(p, p.index == 0),
            Format::Csv => export::csv_row(p),
            Format::Html => {
                self.kept.push(p.clone());
                return Ok(());
            }
            _ => export::markdown_row(&self.head, p),
        };
        self.out.write(text.as_bytes())
    }

    fn finish(self, plan: &Plan, summary: &detente::sweep::Summary) -> CliResult {
        let (sensitivity, noise) = plan.analyse(summary);
        let tail = match self.format {
            Format::Json => export::json_tail(&sensitivity, &noise),
            Format::Csv => String::new(),
            Format::Html => {
                detente::report::html::sweep(&self.head, &self.kept, &sensitivity, &noise)
            }
            _ => export::markdown_tail(&self.head, &sensitivity, &noise),
        };
        super::check_interrupt()?;
        self.out.commit(tail.as_bytes())?;
        Ok(ExitCode::SUCCESS)
    }
}

pub fn sweep(mut args: SweepArgs) -> CliResult {
    let out_path = args.out.clone().unwrap_or_else(|| "-".into());
    if args.shard.is_some() && args.out.is_none() {
        return Err(Failure::from(
            "error: --shard writes a part for `detente merge`: give it a file with --out\n"
                .to_string(),
        ));
    }
    if args.shard.is_some() && args.format.is_some() {
        return Err(Failure::from(
            "error: --format is for the merged sweep: a shard writes a part (--out)\n      = hint: give --format to `detente merge`\n"
                .to_string(),
        ));
    }
    let checkpoint = args.checkpoint.clone();
    let mut outputs = vec![("--out", out_path.as_str())];
    if let Some(c) = &checkpoint {
        outputs.push(("--checkpoint", c.as_str()));
    }
    output::check_outputs(&outputs)?;
    let format = args.format()?;
    let threads_asked = args.threads;
    let prepared = prepare(&mut args, threads_asked)?;
    let Prepared {
        model,
        plan,
        options,
        base,
        manifest,
    } = prepared;
    output::refuse_inputs(&outputs, model.source_files())?;
    super::check_memory(&model, options.runs, options.threads, true)?;
    let out = Output::create(&out_path)?;
    let (mut writer, part_out) = match args.shard {
        Some(_) => (None, Some(out)),
        None => {
            let head = export::head(&model, &plan, options.runs, options.seed);
            (Some(Writer::new(out, format, head)?), None)
        }
    };
    let units = plan.units();
    let range = args
        .shard
        .map_or(0..units.len() as u64, |s| s.range(units.len() as u64));
    let range = range.start as usize..range.end as usize;
    // What a checkpoint holds: its points' rows written again, and the units after them run.
    let mut points: Vec<detente::sweep::Point> = Vec::new();
    let mut oat = Vec::new();
    let mut journal = None;
    if let Some(path) = &args.checkpoint {
        let j = super::scale::Journal::open(path, &manifest, args.shard, false, &mut |record| {
            let detente::part::Work::Sweep(part) = record.work else {
                return Err(Failure::from(format!(
                    "error: --checkpoint `{path}` holds an ensemble's runs, not a sweep's points\n"
                )));
            };
            points.extend(part.points);
            oat.extend(part.oat);
            Ok(())
        })?;
        journal = Some(j);
    }
    let first = range.start
        + units[range.clone()]
            .iter()
            .take_while(|u| points.iter().any(|p| p.index == u.start))
            .count();
    let held: usize = units[range.start..first].iter().map(|u| u.len()).sum();
    if points.len() != held
        || points
            .iter()
            .zip(units[range.start..first].iter().flat_map(|u| u.clone()))
            .any(|(p, i)| p.index != i)
    {
        return Err(Failure::from(format!(
            "error: --checkpoint `{}` holds points that are not the first of this sweep's\n",
            args.checkpoint.as_deref().unwrap_or_default()
        )));
    }
    if let Some(w) = &mut writer {
        for p in &points {
            w.row(p).map_err(Failure::from)?;
        }
    }
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
    let bar = progress_bar(range.end - range.start, args.quiet);
    if let Some(b) = &bar {
        b.set_position((first - range.start) as u64);
    }
    let mut done = |finished: &[detente::sweep::Point], effects: &[detente::sweep::OatEffect]| {
        if let Some(w) = &mut writer {
            for p in finished {
                w.row(p)?;
            }
        }
        if let Some(j) = &mut journal {
            j.append(&detente::part::Record {
                work: detente::part::Work::Sweep(detente::part::SweepPart {
                    points: finished.to_vec(),
                    oat: effects.to_vec(),
                }),
                rows: String::new(),
            })?;
        }
        points.extend_from_slice(finished);
        oat.extend_from_slice(effects);
        Ok(())
    };
    let result = detente::sweep::run_units(
        &plan,
        &mut model_of,
        options,
        first..range.end,
        &mut done,
        &mut |u| {
            if let Some(b) = &bar {
                b.set_position((u - range.start) as u64);
            }
        },
        &super::interrupts().stop,
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let total: usize = units[range.clone()].iter().map(|u| u.len()).sum();
    let kept = match &args.checkpoint {
        Some(path) => format!(
            "; the checkpoint `{path}` keeps the {} finished: run the same command again to continue",
            points.len()
        ),
        None => String::new(),
    };
    result.map_err(|e| match e {
        SweepError::Cancelled { .. } => {
            let what = format!("interrupted after {} of {total} points", points.len());
            super::interrupted_keeping(what, &kept)
        }
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
    if let (Some(shard), Some(out)) = (args.shard, part_out) {
        let part = detente::part::Part::new(
            manifest,
            shard,
            detente::part::Work::Sweep(detente::part::SweepPart { points, oat }),
        );
        super::check_interrupt()?;
        out.commit(part.to_json().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let summary = plan.summary(&points, oat);
    match writer {
        Some(w) => w.finish(&plan, &summary),
        None => Ok(ExitCode::SUCCESS),
    }
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

/// `detente merge` of a sweep's parts: the sweep the manifest's arguments describe, its points
/// from the parts.
pub(super) fn merge(
    manifest: &detente::part::Manifest,
    part: detente::part::SweepPart,
    parts: &[String],
    scenario: Option<&str>,
    out: Option<&str>,
    format: Option<Format>,
    quiet: bool,
) -> CliResult {
    #[derive(clap::Parser)]
    struct Wrap {
        #[command(flatten)]
        sweep: SweepArgs,
    }
    use clap::Parser;
    let mut args = Wrap::try_parse_from(
        std::iter::once("detente-sweep".to_string())
            .chain(manifest.scenario.iter().cloned())
            .chain(manifest.args.iter().cloned()),
    )
    .map_err(|e| {
        Failure::from(format!(
            "error: the parts record arguments this detente cannot read: {e}\n"
        ))
    })?
    .sweep;
    if let Some(path) = scenario {
        args.scenario = path.to_string();
    }
    args.out = out.map(str::to_string);
    args.format = format;
    args.quiet = quiet;
    let out_path = args.out.clone().unwrap_or_else(|| "-".into());
    let outputs = [("--out", out_path.as_str())];
    output::check_outputs(&outputs)?;
    let format = args.format()?;
    let threads_asked = Some(1);
    let prepared = prepare(&mut args, threads_asked)?;
    // The contents are what must match, wherever the scenario is read from.
    super::scale::same_contents(manifest, &prepared.model, &args.scenario)?;
    let indices: Vec<usize> = part.points.iter().map(|p| p.index).collect();
    if indices != (0..prepared.plan.points.len()).collect::<Vec<_>>() {
        return Err(Failure::from(format!(
            "error: the parts hold {} points of the sweep's {}\n",
            indices.len(),
            prepared.plan.points.len()
        )));
    }
    let mut inputs: Vec<String> = prepared.model.source_files().to_vec();
    inputs.extend(parts.iter().cloned());
    output::refuse_inputs(&outputs, &inputs)?;
    let out = Output::create(&out_path)?;
    let head = export::head(
        &prepared.model,
        &prepared.plan,
        prepared.options.runs,
        prepared.options.seed,
    );
    let mut writer = Writer::new(out, format, head)?;
    for p in &part.points {
        writer.row(p).map_err(Failure::from)?;
    }
    let summary = prepared.plan.summary(&part.points, part.oat);
    writer.finish(&prepared.plan, &summary)
}
