//! Command-line interface: argument parsing and the commands. All I/O lives here.

mod bench;
mod color;
mod compare;
mod docs;
mod explain;
mod output;
mod run;
mod scale;
mod schema;
mod sweep;
mod test;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use detente::load::Sources;
use detente::{bundled, Model, Overrides};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Exit status when a `--fail-if` condition holds.
const CONDITION_FAILED: u8 = 1;
/// Exit status for bad input or usage.
const BAD_INPUT: u8 = 2;
/// Exit status after Ctrl-C (SIGINT): 128 + 2, as shells report it.
const INTERRUPTED: u8 = 130;
/// Exit status after SIGTERM (what `timeout`, `kill` and schedulers send): 128 + 15.
const TERMINATED: u8 = 143;

#[derive(Parser, Debug)]
#[command(
    name = "detente",
    version,
    about = "Rule-based diplomatic scenario simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Let scenarios read files in DIR too (repeatable). By default a scenario reads only files
    /// under its own folder or the current folder.
    #[arg(long, value_name = "DIR", global = true)]
    allow_dir: Vec<String>,
    /// Treat warnings (printed by every command that loads a scenario) as errors: exit 2.
    #[arg(long, global = true)]
    deny_warnings: bool,
    /// Colour diagnostics on standard error: auto (on a terminal, unless NO_COLOR is set and
    /// not empty, or TERM is dumb), always, or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t, global = true)]
    color: color::Color,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario once or as an ensemble, print a summary, write reports
    /// (with no SCENARIO: the bundled Lithuania–Belarus baseline).
    Run(run::RunArgs),
    /// Compare scenario variants against the first (paired, common random numbers), or saved
    /// ensemble reports (.json, unpaired).
    Compare(compare::CompareArgs),
    /// Sweep parameters over a design (grid, one at a time, Latin hypercube, Sobol, Morris):
    /// one ensemble per point with common random numbers, rows written as points finish, then
    /// the sensitivity analysis.
    Sweep(sweep::SweepArgs),
    /// Put together the parts that shards of an ensemble or a sweep wrote (`--shard K/N`), given
    /// in any order: the report is the unsharded command's, byte for byte.
    Merge(scale::MergeArgs),
    /// Explain which rules, events, shocks and dynamics moved a variable (or an outcome's
    /// variables), by how much; with --counterfactual, what would have happened without each.
    Explain(explain::ExplainArgs),
    /// Check the expectations ([expect]) of scenario files, or of every scenario under folders:
    /// a line per expectation as `cargo test` prints them, then a summary (or JUnit XML); exit
    /// 1 if one fails (or is inconclusive, unless allowed), 2 on bad input.
    Test(test::TestArgs),
    /// Validate scenario files without running them; exit 2 if any has errors.
    Check {
        /// Scenario files to check.
        #[arg(required = true)]
        scenarios: Vec<String>,
    },
    /// Time loading and running a scenario: medians over repetitions, in relation-steps per second.
    Bench(bench::BenchArgs),
    /// Print a scenario's relation graph as Graphviz DOT.
    Graph {
        scenario: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        out: Option<String>,
    },
    /// Print a completion script for a shell (bash, zsh, fish, elvish or powershell).
    Completions(docs::CompletionsArgs),
    /// Print the man page detente(1) in roff, or write it and one page per command into a folder.
    Man(docs::ManArgs),
    /// Print the JSON Schema (draft-07) of the scenario format, for editors (taplo, Even Better TOML).
    Schema(schema::SchemaArgs),
}

/// `--set name=value`.
fn parse_set(s: &str) -> Result<(String, f64), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, found `{s}`"))?;
    // A number, or a constant expression of numbers (`4/5`, `2 * 52`), as in a scenario.
    let value: f64 = match value.trim().parse() {
        Ok(v) => v,
        Err(_) => detente::compile::constant_value(value.trim())
            .map_err(|why| format!("`{}`: {why}", value.trim()))?,
    };
    if !value.is_finite() {
        return Err(format!("`{s}`: the value must be a finite number"));
    }
    Ok((name.trim().to_string(), value))
}

/// `--plot CHART=FILE`: a chart id and the file its SVG goes to.
fn parse_plot(s: &str) -> Result<(detente::report::ChartId, String), String> {
    let (chart, path) = s.split_once('=').ok_or_else(|| {
        format!("expected CHART=FILE (e.g. fan:tension_ltu_blr=f.svg), found `{s}`")
    })?;
    Ok((chart.trim().parse()?, path.to_string()))
}

/// Refuses `--plot` charts this command does not draw (`kinds`), or of a series `model` does
/// not have, before any run.
fn check_plots(
    plots: &[(detente::report::ChartId, String)],
    kinds: &[detente::report::ChartKind],
    what: &str,
    model: &Model,
) -> Result<(), Failure> {
    use detente::report::ChartKind;
    for (id, _) in plots {
        if !kinds.contains(&id.kind) {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            return Err(Failure::from(format!(
                "error: --plot {id}: {what} draws no `{}` chart; it draws {}\n",
                id.kind.name(),
                names.join(", ")
            )));
        }
        if let (ChartKind::Fan | ChartKind::Trajectory, Some(series)) = (id.kind, &id.subject) {
            if model.series_index(series).is_none() {
                let names: Vec<&str> = model.series().map(|(n, _)| n).collect();
                let hint = detente::diag::did_you_mean(series, names.iter().copied())
                    .map_or(String::new(), |b| {
                        format!("\n      = hint: did you mean `{b}`?")
                    });
                return Err(Failure::from(format!(
                    "error: --plot {id}: the scenario has no series `{series}`; it has {}{hint}\n",
                    names.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// The standalone SVG of each `--plot` chart, found in `charts` before any output is written: a
/// missing chart writes nothing.
fn plot_files(
    plots: &[(detente::report::ChartId, String)],
    charts: &[detente::report::Chart],
) -> Result<Vec<String>, Failure> {
    plots
        .iter()
        .map(|(id, _)| detente::report::chart::find(charts, id).map(|c| c.to_svg_file()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::from(format!("error: {e}\n")))
}

/// Commits each `--plot` output, opened before the run, with its SVG.
fn write_plots(outs: Vec<output::Output>, files: Vec<String>) -> Result<(), Failure> {
    for (out, svg) in outs.into_iter().zip(files) {
        out.commit(svg.as_bytes())?;
    }
    Ok(())
}

/// Reads scenario files from disk: regular files only, and only under the folders a scenario
/// may read (its own folder, the current folder, and those given with --allow-dir), after
/// following links.
struct FileSystem {
    roots: Vec<std::path::PathBuf>,
}

/// Whether --deny-warnings was given.
static DENY_WARNINGS: AtomicBool = AtomicBool::new(false);

/// Folders given with --allow-dir, set once from the command line.
static ALLOWED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

impl FileSystem {
    /// The file system as the scenario at `main` may read it.
    fn for_scenario(main: &str) -> FileSystem {
        let folder = std::path::Path::new(main)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let extra = ALLOWED.get().map(Vec::as_slice).unwrap_or(&[]);
        let roots = [folder, std::path::Path::new(".")]
            .into_iter()
            .chain(extra.iter().map(std::path::Path::new))
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        FileSystem { roots }
    }
}

impl Sources for FileSystem {
    fn identity(&self, path: &str) -> String {
        std::path::Path::new(path)
            .canonicalize()
            .map_or_else(|_| path.to_string(), |p| p.to_string_lossy().into_owned())
    }

    fn read(&self, path: &str) -> Result<String, String> {
        let real = std::path::Path::new(path).canonicalize().map_err(|e| {
            if e.raw_os_error() == Some(40) {
                "it is reached through a loop of symbolic links".to_string()
            } else {
                e.to_string()
            }
        })?;
        if !self.roots.iter().any(|root| real.starts_with(root)) {
            return Err(
                "it is outside the scenario's folder and the current folder (a scenario reads \
                 only files there; pass --allow-dir DIR to let it read another folder)"
                    .into(),
            );
        }
        let meta = std::fs::metadata(&real).map_err(|e| e.to_string())?;
        if meta.is_dir() {
            return Err("it is a folder, not a file".into());
        }
        if !meta.is_file() {
            // A FIFO would block, a device like /dev/zero would never end.
            return Err("it is not a regular file (a pipe, a device or a socket)".into());
        }
        detente::load::decode_utf8(std::fs::read(&real).map_err(|e| e.to_string())?)
    }
}

/// A failed command: the message for stderr and the exit status.
pub(crate) struct Failure {
    message: String,
    code: u8,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            message,
            code: BAD_INPUT,
        }
    }
}

type CliResult = Result<ExitCode, Failure>;

pub fn main() -> ExitCode {
    // `--color` first, so that clap's usage errors and help follow it too.
    let color = color::Color::from_args(std::env::args_os());
    let matches = Cli::command().color(color.for_clap()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    color::init(cli.color);
    let _ = ALLOWED.set(cli.allow_dir.clone());
    DENY_WARNINGS.store(cli.deny_warnings, Ordering::Relaxed);
    // Installed before any output is opened: from then on Ctrl-C and SIGTERM stop cleanly.
    interrupts();
    let result = match cli.command {
        None => run::run(run::RunArgs::default()),
        Some(Command::Run(args)) => run::run(args),
        Some(Command::Compare(args)) => compare::compare(args),
        Some(Command::Sweep(args)) => sweep::sweep(args),
        Some(Command::Merge(args)) => scale::merge(args),
        Some(Command::Explain(args)) => explain::explain(args),
        Some(Command::Test(args)) => test::test(args),
        Some(Command::Check { scenarios }) => check(&scenarios),
        Some(Command::Bench(args)) => bench::bench(&args),
        Some(Command::Graph { scenario, out }) => graph(&scenario, out.as_deref()),
        Some(Command::Completions(args)) => docs::completions(&args),
        Some(Command::Man(args)) => docs::man(&args),
        Some(Command::Schema(args)) => schema::schema(&args),
    };
    match result {
        Ok(code) => code,
        Err(Failure { message, code }) => {
            // Messages may quote names from files: no control character reaches the terminal.
            let message = detente::diag::escape_controls_by_line(&message);
            eprint!("{}", color::message(&message));
            if !message.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(code)
        }
    }
}

/// Loads a scenario file, or the bundled baseline when there is none. Its diagnostics go to
/// standard error at once; the failure names the file and counts them.
fn load(scenario: Option<&str>, overrides: &Overrides) -> Result<Model, String> {
    let result = match scenario {
        Some(path) => detente::load_model(path, &FileSystem::for_scenario(path), overrides),
        None => detente::load_model(bundled::DEFAULT, &bundled::sources(), overrides),
    };
    let model = result.map_err(|d| {
        eprint!("{}", d.render_styled(color::style()));
        format!("{}: {}\n", scenario.unwrap_or(bundled::DEFAULT), d.counts())
    })?;
    warnings(&model)?;
    Ok(model)
}

/// Prints a model's warnings to standard error; with --deny-warnings, any warning is an error.
fn warnings(model: &Model) -> Result<(), String> {
    let w = model.warnings();
    if w.items.is_empty() {
        return Ok(());
    }
    eprint!("{}", w.render_styled(color::style()));
    if DENY_WARNINGS.load(Ordering::Relaxed) {
        return Err(format!(
            "error: {} found, and --deny-warnings makes them errors\n",
            w.counts()
        ));
    }
    Ok(())
}

/// Refuses work the machine cannot hold, before starting it (Linux: MemAvailable).
fn check_memory(model: &Model, runs: u64, threads: usize, keep: bool) -> Result<(), String> {
    let needed = detente::ensemble::memory_estimate(model, runs, threads, keep);
    let Some(available) = available_memory() else {
        return Ok(());
    };
    if needed > available {
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        return Err(format!(
            "error: this needs about {:.1} GiB of memory ({} relations, {} steps, {} series, {runs} run{}), \
             but {:.1} GiB is available\n      = hint: use fewer runs, steps or report series\n",
            gib(needed),
            model.n_relations(),
            model.steps(),
            model.series().len(),
            if runs == 1 { "" } else { "s" },
            gib(available)
        ));
    }
    Ok(())
}

fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Most worker threads a command starts: more only costs memory and start-up time.
const MAX_THREADS: usize = 1024;

/// Worker threads: the number asked for (refused past [`MAX_THREADS`]), or one per core.
fn threads(asked: Option<usize>) -> Result<usize, Failure> {
    match asked {
        Some(n) if n > MAX_THREADS => Err(Failure::from(format!(
            "error: --threads {n}: at most {MAX_THREADS}\n      = hint: one per core is the fastest; leave --threads out to get that\n"
        ))),
        Some(n) => Ok(n.max(1)),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Flags raised by SIGINT or SIGTERM (`stop`) and by SIGTERM alone (`terminated`), installed
/// once; later calls share them.
struct Interrupts {
    stop: Arc<AtomicBool>,
    terminated: Arc<AtomicBool>,
}

fn interrupts() -> &'static Interrupts {
    static FLAGS: std::sync::OnceLock<Interrupts> = std::sync::OnceLock::new();
    FLAGS.get_or_init(|| {
        let flags = Interrupts {
            stop: Arc::new(AtomicBool::new(false)),
            terminated: Arc::new(AtomicBool::new(false)),
        };
        // If a handler cannot be installed, the signal keeps its default effect (stop at once);
        // outputs are still safe because they are renamed into place only when complete.
        use signal_hook::consts::{SIGINT, SIGTERM};
        // A second signal ends the process at once (the first asked politely).
        let _ = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, flags.stop.clone());
        let _ = signal_hook::flag::register_conditional_shutdown(SIGTERM, 143, flags.stop.clone());
        let _ = signal_hook::flag::register(SIGINT, flags.stop.clone());
        let _ = signal_hook::flag::register(SIGTERM, flags.stop.clone());
        let _ = signal_hook::flag::register(SIGTERM, flags.terminated.clone());
        flags
    })
}

/// The failure for a run stopped by a signal: nothing was written, the status says which.
fn interrupted(what: String) -> Failure {
    interrupted_keeping(what, "")
}

/// [`interrupted`], saying what a checkpoint kept (`kept`, from "; " on, or empty).
fn interrupted_keeping(what: String, kept: &str) -> Failure {
    if kept.is_empty() {
        return Failure {
            message: format!("{what}; nothing was written\n"),
            code: signal_code(),
        };
    }
    Failure {
        message: format!("{what}; no output was written{kept}\n"),
        code: signal_code(),
    }
}

/// The exit status after a signal: 143 for SIGTERM, 130 for Ctrl-C.
fn signal_code() -> u8 {
    if interrupts().terminated.load(Ordering::SeqCst) {
        TERMINATED
    } else {
        INTERRUPTED
    }
}

/// Whether Ctrl-C or SIGTERM asked the command to stop.
fn stop_requested() -> bool {
    interrupts().stop.load(Ordering::SeqCst)
}

/// Stops a command that was interrupted before it wrote its outputs.
fn check_interrupt() -> Result<(), Failure> {
    if interrupts().stop.load(Ordering::SeqCst) {
        return Err(interrupted("interrupted".into()));
    }
    Ok(())
}

/// A bar over `runs` runs of `model`, labelled `label`, when `progress` (no `-q`), standard
/// error is a terminal and the work is long enough to want one.
fn runs_bar(
    model: &Model,
    runs: u64,
    label: &str,
    progress: bool,
) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    let work =
        runs as f64 * f64::from(model.steps()) * (model.n_relations() + model.n_actors()) as f64;
    if !(progress && std::io::stderr().is_terminal() && work > 2e7) {
        return None;
    }
    let bar = indicatif::ProgressBar::new(runs);
    let style =
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} runs, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(label.to_string());
    Some(bar)
}

/// Runs an ensemble with Ctrl-C handling and, when `progress` (no `-q`) and standard error is a
/// terminal, a progress bar for long work.
fn run_ensemble(
    model: &Model,
    options: detente::ensemble::Options,
    label: &str,
    progress: bool,
) -> Result<detente::ensemble::Ensemble, Failure> {
    let bar = runs_bar(model, options.runs, label, progress);
    let flag = interrupts().stop.clone();
    let result = detente::ensemble::run(
        model,
        options,
        &mut |done| {
            if let Some(b) = &bar {
                b.set_position(done);
            }
        },
        &flag,
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result.map_err(|e| match e {
        detente::ensemble::EnsembleError::Cancelled { completed } => interrupted(format!(
            "interrupted after {completed} of {} runs",
            options.runs
        )),
        other => Failure::from(format!("error: {label}: {other}\n")),
    })
}

fn check(scenarios: &[String]) -> CliResult {
    let mut failed = 0;
    for path in scenarios {
        match detente::load_model(path, &FileSystem::for_scenario(path), &Overrides::default()) {
            Ok(model) => {
                let w = model.warnings();
                eprint!("{}", w.render_styled(color::style()));
                let denied = DENY_WARNINGS.load(Ordering::Relaxed) && !w.items.is_empty();
                failed += usize::from(denied);
                let warned = match w.items.len() {
                    0 => String::new(),
                    _ if denied => format!(", but {} (--deny-warnings)", w.counts()),
                    _ => format!(", {}", w.counts()),
                };
                println!(
                    "{path}: ok ({} actors, {} relations, {} rules, {} steps){warned}",
                    model.n_actors(),
                    model.n_relations(),
                    model.rule_names().len(),
                    model.steps()
                )
            }
            Err(d) => {
                failed += 1;
                eprint!("{}", d.render_styled(color::style()));
                eprintln!("{path}: {}", d.counts());
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(BAD_INPUT)
    })
}

fn graph(scenario: &str, out: Option<&str>) -> CliResult {
    let outputs = [("--out", out.unwrap_or("-"))];
    output::check_outputs(&outputs)?;
    let model = load(Some(scenario), &Overrides::default())?;
    output::refuse_inputs(&outputs, model.source_files())?;
    let out = output::Output::create(outputs[0].1)?;
    let dot = detente::report::dot::to_dot(&model);
    check_interrupt()?;
    out.commit(dot.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
