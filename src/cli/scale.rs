//! Ensembles beyond one sitting: runs in blocks with the per-run rows streamed, a checkpoint
//! journal to resume from, and `detente merge` for the parts shards write.

use super::output::Output;
use super::{interrupts, CliResult, Failure};
use detente::ensemble::{self, EnsembleError, Options, Tally};
use detente::part::{self, Manifest, Record, Shard, Work};
use detente::report::{self, csv};
use detente::Model;
use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// An open checkpoint journal: the file, appended to.
pub(super) struct Journal {
    file: File,
    shown: String,
}

impl Journal {
    /// Opens the checkpoint at `path` for `manifest` and `shard` (whose records hold streamed
    /// rows if `rows`): each record it holds, if it exists, is handed to `record` as it is read
    /// (a torn last line is cut off), and the journal is returned to append to (a new one with
    /// its header, if it did not exist).
    pub(super) fn open(
        path: &str,
        manifest: &Manifest,
        shard: Option<Shard>,
        rows: bool,
        record: &mut dyn FnMut(Record) -> Result<(), Failure>,
    ) -> Result<Journal, Failure> {
        let fail = |why: String, hint: &str| {
            Failure::from(format!(
                "error: --checkpoint `{path}`: {why}\n      = hint: {hint}\n"
            ))
        };
        let refused =
            |why: String| fail(why, "give another file, or delete this one to start over");
        if path == "-" || super::output::is_descriptor_path(path) {
            return Err(fail(
                "a checkpoint is a file read back and appended to, not a stream".into(),
                "name a file",
            ));
        }
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => {
                return Err(fail(
                    "it is not a regular file".into(),
                    "name a regular file (it is created if missing)",
                ))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .map_err(|e| {
                        fail(
                            e.to_string(),
                            "the checkpoint's folder must exist and be writable",
                        )
                    })?;
                file.write_all(part::checkpoint_header(manifest, shard, rows).as_bytes())
                    .and_then(|()| file.sync_data())
                    .map_err(|e| fail(e.to_string(), "check the disk"))?;
                return Ok(Journal {
                    file,
                    shown: path.to_string(),
                });
            }
            Err(e) => return Err(fail(e.to_string(), "check the path")),
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| fail(e.to_string(), "check the file's permissions"))?;
        let mut reader = part::CheckpointReader::new(manifest, shard, rows);
        let mut input = std::io::BufReader::new(&file);
        let mut line = Vec::new();
        let mut valid = 0u64;
        loop {
            line.clear();
            let n = std::io::BufRead::read_until(&mut input, b'\n', &mut line)
                .map_err(|e| fail(e.to_string(), "check the file"))?;
            if n == 0 || line.last() != Some(&b'\n') {
                // The end, or a line cut short by a kill: dropped, and its work done again.
                break;
            }
            line.pop();
            if let Some(r) = reader.line(&line).map_err(refused)? {
                record(r)?;
            }
            valid += n as u64;
        }
        if reader.lines() == 0 {
            return Err(refused("it is empty, not a detente checkpoint".into()));
        }
        drop(input);
        file.set_len(valid)
            .map_err(|e| fail(e.to_string(), "check the file's permissions"))?;
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))
            .map_err(|e| fail(e.to_string(), "check the file"))?;
        Ok(Journal {
            file,
            shown: path.to_string(),
        })
    }

    /// Appends a record, on disk before it returns.
    pub(super) fn append(&mut self, record: &Record) -> Result<(), String> {
        self.file
            .write_all(part::checkpoint_line(record).as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| format!("error: cannot write the checkpoint `{}`: {e}\n", self.shown))
    }
}

/// Runs the runs `range` of the ensemble `options` describes, continuing from the checkpoint
/// `checkpoint` if given (and adding a record to it at most every `every`, and at the end or
/// an interruption), with the per-run rows streamed into
/// `rows` in run order. Returns the tally of the range.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_ensemble(
    model: &Model,
    options: Options,
    range: Range<u64>,
    manifest: &Manifest,
    shard: Option<Shard>,
    checkpoint: Option<&str>,
    every: Duration,
    rows: &mut [Output],
    label: &str,
    progress: bool,
) -> Result<Tally, Failure> {
    let mut total = ensemble::empty_tally(model, options);
    let mut journal = None;
    let streamed = !rows.is_empty();
    if let Some(path) = checkpoint {
        let j = Journal::open(path, manifest, shard, streamed, &mut |record| {
            let Work::Ensemble(t) = record.work else {
                return Err(Failure::from(format!(
                    "error: --checkpoint `{path}` holds a sweep's points, not an ensemble's runs\n"
                )));
            };
            t.validate(model)
                .map_err(|why| Failure::from(format!("error: --checkpoint `{path}`: {why}\n")))?;
            total
                .merge(t)
                .map_err(|e| Failure::from(format!("error: --checkpoint `{path}`: {e}\n")))?;
            for out in rows.iter_mut() {
                out.write(record.rows.as_bytes())?;
            }
            Ok(())
        })?;
        journal = Some(j);
    }
    // What the checkpoint holds must be the start of the range: the runs from there on remain.
    let from = match total.covers() {
        [] => range.start,
        [(a, b)] if *a == range.start && *b <= range.end => *b,
        _ => {
            return Err(Failure::from(format!(
                "error: --checkpoint `{}` holds runs that are not the first of runs {}..{}\n",
                checkpoint.unwrap_or_default(),
                range.start,
                range.end
            )))
        }
    };
    let bar = super::runs_bar(model, range.end - range.start, label, progress);
    if let Some(b) = &bar {
        b.set_position(from - range.start);
    }
    let mut pending: Option<Record> = None;
    let mut last = Instant::now();
    let flush = |pending: &mut Option<Record>, journal: &mut Option<Journal>| match (
        pending.take(),
        journal.as_mut(),
    ) {
        (Some(record), Some(j)) => j.append(&record),
        _ => Ok(()),
    };
    let flag = interrupts().stop.clone();
    let result = ensemble::run_blocks(
        model,
        options,
        from..range.end,
        &mut |block| {
            let text = if streamed {
                csv::runs_rows(&report::ensemble::runs_table_of(model, &block.summaries))
            } else {
                String::new()
            };
            for out in rows.iter_mut() {
                out.write(text.as_bytes())?;
            }
            if journal.is_some() {
                match &mut pending {
                    Some(Record {
                        work: Work::Ensemble(t),
                        rows,
                    }) => {
                        t.merge(block.tally.clone()).map_err(|e| e.to_string())?;
                        rows.push_str(&text);
                    }
                    _ => {
                        pending = Some(Record {
                            work: Work::Ensemble(block.tally.clone()),
                            rows: text,
                        })
                    }
                }
                if last.elapsed() >= every {
                    flush(&mut pending, &mut journal)?;
                    last = Instant::now();
                }
            }
            total.merge(block.tally).map_err(|e| e.to_string())?;
            if let Some(b) = &bar {
                b.set_position(block.runs.end - range.start);
            }
            Ok(())
        },
        &flag,
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    // Whatever finished is kept, also when the rest failed or was interrupted.
    flush(&mut pending, &mut journal).map_err(Failure::from)?;
    let kept = |done: u64| {
        match checkpoint {
        Some(path) => format!(
            "; the checkpoint `{path}` keeps the {done} finished: run the same command again to continue"
        ),
        None => String::new(),
    }
    };
    // Rows already sent to standard output cannot be taken back.
    let sent = if rows.iter().any(Output::is_stdout) {
        " to a file; the rows already sent to standard output are incomplete, and a resumed run sends them all again"
    } else {
        ""
    };
    match result {
        Ok(()) => Ok(total),
        Err(EnsembleError::Cancelled { .. }) => {
            let done = total.count();
            let what = format!("interrupted after {done} of {} runs", range.end - range.start);
            Err(super::interrupted_keeping(what, &format!("{sent}{}", kept(done))))
        }
        Err(EnsembleError::Handler(message)) => Err(Failure::from(message)),
        Err(other @ EnsembleError::Runtime { .. }) => Err(Failure::from(format!(
            "error: {label}: {other}\n      = hint: `--replay RUN` shows that run's full report; a checkpoint cannot get past it\n"
        ))),
        Err(other) => Err(Failure::from(format!(
            "error: {label}: {other}{}\n",
            kept(total.count())
        ))),
    }
}

/// `detente merge`: the parts of a sharded ensemble or sweep, put together.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The parts (`--shard K/N` outputs), in any order.
    #[arg(required = true)]
    parts: Vec<String>,
    /// Read the scenario from here instead of the path the parts record (it must have the same
    /// contents).
    #[arg(long)]
    scenario: Option<String>,
    /// Write the merged report here ("-" for standard output).
    #[arg(long, short)]
    out: Option<String>,
    /// Format of --out, as for `detente run` (an ensemble: json, md, text or html) or
    /// `detente sweep` (md, json, csv or html). Default: from the file's extension, else json
    /// for an ensemble and md for a sweep.
    #[arg(long, value_enum)]
    format: Option<report::Format>,
    /// An ensemble's per-step bands as CSV, as `detente run --bands`.
    #[arg(long)]
    bands: Option<String>,
    /// One chart alone as SVG, as `detente run --plot`: CHART=FILE (repeatable).
    #[arg(long = "plot", value_name = "CHART=FILE", value_parser = super::parse_plot)]
    plot: Vec<(report::ChartId, String)>,
    /// Print no summary.
    #[arg(long, short)]
    quiet: bool,
}

pub fn merge(args: MergeArgs) -> CliResult {
    let mut parts = Vec::with_capacity(args.parts.len());
    for path in &args.parts {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::from(format!("error: cannot read `{path}`: {e}\n")))?;
        let p = part::Part::parse(&text).map_err(|why| {
            Failure::from(format!(
                "error: `{path}` is not a part: {why}\n      = hint: parts are what `detente run --shard K/N -o FILE` and `detente sweep --shard K/N -o FILE` write\n"
            ))
        })?;
        parts.push((path.clone(), p));
    }
    let (manifest, work) =
        part::combine(parts).map_err(|e| Failure::from(format!("error: {e}\n")))?;
    match work {
        Work::Ensemble(tally) => merge_ensemble(&args, &manifest, tally),
        Work::Sweep(points) => {
            if args.bands.is_some() || !args.plot.is_empty() {
                return Err(Failure::from(
                    "error: --bands and --plot are an ensemble's: these parts are of a sweep\n      = hint: a sweep's charts are in its HTML page (-o sweep.html)\n"
                        .to_string(),
                ));
            }
            super::sweep::merge(
                &manifest,
                points,
                &args.parts,
                args.scenario.as_deref(),
                args.out.as_deref(),
                args.format,
                args.quiet,
            )
        }
    }
}

/// Loads the scenario a manifest names (or `scenario`, if given), refusing one whose contents
/// are not those the parts were made from.
pub(super) fn load_for(
    manifest: &Manifest,
    recorded: Option<&str>,
    scenario: Option<&str>,
    overrides: &detente::Overrides,
) -> Result<Model, Failure> {
    let path = scenario.or(recorded);
    let model = super::load(path, overrides)?;
    same_contents(manifest, &model, path.unwrap_or(detente::bundled::DEFAULT))?;
    Ok(model)
}

/// Refuses `model` (read from `shown`) when its contents are not those the parts of `manifest`
/// were made from.
pub(super) fn same_contents(
    manifest: &Manifest,
    model: &Model,
    shown: &str,
) -> Result<(), Failure> {
    let hash = format!("{:016x}", model.content_hash());
    if hash != manifest.content_hash {
        return Err(Failure::from(format!(
            "error: `{shown}` is not the scenario the parts were made from: its contents changed (hash {hash}, the parts' {})\n      = hint: merge with the scenario files as they were when the shards ran, or run the shards again\n",
            manifest.content_hash
        )));
    }
    Ok(())
}

fn merge_ensemble(args: &MergeArgs, manifest: &Manifest, tally: Tally) -> CliResult {
    let format = args
        .format
        .or_else(|| args.out.as_deref().and_then(report::Format::from_path))
        .unwrap_or(report::Format::Json);
    if format == report::Format::Csv {
        return Err(Failure::from(
            "error: the per-run table is not in the parts: each shard writes its own rows with --rows\n      = hint: concatenate the shards' --rows files in shard order, keeping the first header only\n"
                .to_string(),
        ));
    }
    let mut run = super::run::from_canonical(manifest).map_err(|e| {
        Failure::from(format!(
            "error: the parts record arguments this detente cannot read: {e}\n"
        ))
    })?;
    let overrides = detente::Overrides {
        parameters: run.set.clone(),
        steps: run.steps,
    };
    let model = load_for(
        manifest,
        run.scenario.as_deref(),
        args.scenario.as_deref(),
        &overrides,
    )?;
    tally
        .validate(&model)
        .map_err(|why| Failure::from(format!("error: the merged parts: {why}\n")))?;
    run.out = args.out.clone();
    run.format = args.format;
    run.bands = args.bands.clone();
    run.plot = args.plot.clone();
    run.quiet = args.quiet;
    let outputs: Vec<(&str, &str)> = [("--out", &run.out), ("--bands", &run.bands)]
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
        .chain(run.plot.iter().map(|(_, path)| ("--plot", path.as_str())))
        .collect();
    super::output::check_outputs(&outputs)?;
    let kinds = [
        report::ChartKind::Fan,
        report::ChartKind::Outcomes,
        report::ChartKind::Reached,
        report::ChartKind::Graph,
    ];
    super::check_plots(&run.plot, &kinds, "an ensemble", &model)?;
    let mut inputs: Vec<String> = model.source_files().to_vec();
    inputs.extend(args.parts.iter().cloned());
    super::output::refuse_inputs(&outputs, &inputs)?;
    let open = |path: &Option<String>| path.as_deref().map(Output::create).transpose();
    let outs = super::run::Outs {
        report: open(&run.out)?,
        bands: open(&run.bands)?,
        plots: run
            .plot
            .iter()
            .map(|(_, path)| Output::create(path))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let seed = run.seed.unwrap_or(model.seed());
    let e = ensemble::Ensemble::from_tally_on(seed, tally, super::threads(None)?).map_err(
        |missing| {
            Failure::from(format!(
                "error: the parts do not cover every run: runs {} are missing\n",
                missing
                    .iter()
                    .map(|(a, b)| format!("{a}..{b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        },
    )?;
    let graph = (format == report::Format::Html || !run.plot.is_empty())
        .then(|| report::relation_graph(&model));
    super::run::finish(&run, &model, &e, outs, Vec::new(), graph)?;
    Ok(ExitCode::SUCCESS)
}
