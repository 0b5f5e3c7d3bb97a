//! `detente test`: every scenario file's `[expect]` table, checked, with a summary in the shape
//! of `cargo test` (or JUnit XML).

use super::output::{self, Output};
use super::{check_interrupt, color, interrupted, threads, CliResult, Failure, FileSystem};
use detente::expect::{self, Options, Report, Suite, Verdict};
use detente::report::expect as text;
use detente::report::junit::{self, FileOutcome, FileResult};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

/// Exit status when an expectation failed (or was inconclusive, unless allowed).
const FAILED: u8 = 1;

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Scenario files, or folders searched (recursively) for them. In a folder, `.toml` files
    /// without a [scenario] table are not scenarios and are passed over; scenarios without
    /// expectations are counted and skipped.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Runs per scenario, instead of each [expect] table's `runs`.
    #[arg(long)]
    runs: Option<u64>,
    /// Seed, instead of each [expect] table's `seed`.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Inconclusive results (an interval that straddles its bound) do not fail the test.
    #[arg(long)]
    allow_inconclusive: bool,
    /// What to write to --out (default standard output): text, the lines `cargo test` users
    /// know, or junit, JUnit XML for CI. With junit to a file, the text still goes to
    /// standard output.
    #[arg(long, value_enum, default_value_t)]
    format: TestFormat,
    /// Write the --format output here ("-" for standard output).
    #[arg(long, short)]
    out: Option<String>,
    /// Print only the failures and the summary.
    #[arg(long, short)]
    quiet: bool,
}

/// The formats of `detente test`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TestFormat {
    /// One line per expectation, failures, a summary.
    #[default]
    Text,
    /// JUnit XML.
    Junit,
}

/// A scenario file to test: its path, and its name in results (relative to the folder it was
/// found in).
struct Target {
    path: String,
    name: String,
    /// Whether it was found in a folder (rather than named).
    found: bool,
}

/// One file's part: loaded, its result, or why there is none.
enum Part {
    Suite(Box<Suite>),
    Checked(Report),
    Error(String),
    Empty,
}

pub fn test(args: TestArgs) -> CliResult {
    if args.runs == Some(0) {
        return Err(Failure::from(
            "error: --runs must be at least 1\n".to_string(),
        ));
    }
    let out_path = args.out.clone().unwrap_or_else(|| "-".into());
    let outputs = [("--out", out_path.as_str())];
    output::check_outputs(&outputs)?;
    let targets = targets(&args.paths)?;
    let workers = threads(args.threads)?;
    // Every file is loaded before any run: bad input shows at once, and no output may be a
    // file a scenario is read from.
    let mut parts: Vec<(Target, Part)> = Vec::new();
    for t in targets {
        if t.found && !is_scenario(&t.path) {
            continue;
        }
        let part = match expect::load(&t.path, &FileSystem::for_scenario(&t.path)) {
            Err(d) => {
                eprint!("{}", d.render_styled(color::style()));
                eprintln!("{}: {}", t.path, d.counts());
                Part::Error(format!("{}{}: {}\n", d.render(), t.path, d.counts()))
            }
            Ok(suite) => {
                let w = suite.warnings();
                if !w.items.is_empty() {
                    eprint!("{}", w.render_styled(color::style()));
                }
                if !w.items.is_empty() && super::DENY_WARNINGS.load(Ordering::Relaxed) {
                    let m = format!(
                        "{}: {}, and --deny-warnings makes them errors\n",
                        t.path,
                        w.counts()
                    );
                    eprint!("{}", color::message(&format!("error: {m}")));
                    Part::Error(format!("{}{m}", w.render()))
                } else {
                    output::refuse_inputs(&outputs, suite.source_files())?;
                    if suite.is_empty() {
                        Part::Empty
                    } else {
                        Part::Suite(Box::new(suite))
                    }
                }
            }
        };
        parts.push((t, part));
    }
    let out = Output::create(&out_path)?;
    let junit_to_stdout = args.format == TestFormat::Junit && out.is_stdout();
    let mut text_out = Printer {
        all: String::new(),
        stdout: !junit_to_stdout,
        quiet: args.quiet,
    };
    let expectations: usize = parts
        .iter()
        .map(|(_, p)| match p {
            Part::Suite(s) => s.len(),
            _ => 0,
        })
        .sum();
    let files = parts
        .iter()
        .filter(|(_, p)| !matches!(p, Part::Error(_)))
        .count();
    text_out.line(&format!(
        "running {expectations} expectation{} from {files} scenario file{}\n",
        if expectations == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" },
    ));
    let stop = &super::interrupts().stop;
    for (t, part) in &mut parts {
        let Part::Suite(suite) = part else { continue };
        let options = Options {
            runs: args.runs,
            seed: args.seed,
            threads: workers,
        };
        match suite.run(options, &mut |_| {}, stop) {
            Ok(report) => {
                for f in &report.findings {
                    text_out.line(&format!("{}\n", text::line(&t.name, &report, f)));
                }
                *part = Part::Checked(report);
            }
            Err(detente::ensemble::EnsembleError::Cancelled { completed }) => {
                return Err(interrupted(format!(
                    "interrupted in {} after {completed} runs",
                    t.path
                )));
            }
            Err(e) => {
                let m = format!("error: {}: {e}\n", t.path);
                eprint!("{}", color::message(&m));
                *part = Part::Error(m);
            }
        }
    }
    check_interrupt()?;
    let mut tally = text::Tally::default();
    let mut failures = String::new();
    for (t, part) in &parts {
        match part {
            Part::Checked(report) => {
                tally.files += 1;
                tally.add(report);
                let command = format!("detente run {}", t.path);
                for f in &report.findings {
                    let shown = f.verdict == Verdict::Fail
                        || (f.verdict == Verdict::Inconclusive && !args.allow_inconclusive);
                    if shown {
                        failures.push('\n');
                        failures.push_str(&text::failure(&t.name, &command, report, f));
                    }
                }
            }
            Part::Empty => {
                tally.files += 1;
                tally.without += 1;
            }
            Part::Error(_) => tally.errors += 1,
            Part::Suite(_) => {}
        }
    }
    if !failures.is_empty() {
        text_out.always(&format!("\nfailures:\n{failures}"));
    }
    text_out.always(&format!(
        "\n{}\n",
        text::summary(&tally, args.allow_inconclusive)
    ));
    let exported = match args.format {
        TestFormat::Text => text_out.all,
        TestFormat::Junit => {
            let commands: Vec<String> = parts
                .iter()
                .map(|(t, _)| format!("detente run {}", t.path))
                .collect();
            let results: Vec<FileResult> = parts
                .iter()
                .zip(&commands)
                .filter_map(|((t, part), command)| {
                    let outcome = match part {
                        Part::Checked(r) => FileOutcome::Checked(r),
                        Part::Error(m) => FileOutcome::Error(m),
                        Part::Empty | Part::Suite(_) => return None,
                    };
                    Some(FileResult {
                        name: &t.name,
                        command,
                        outcome,
                    })
                })
                .collect();
            junit::junit(&results, args.allow_inconclusive)
        }
    };
    if out.is_stdout() && args.format == TestFormat::Text {
        // Printed already, line by line.
        drop(out);
    } else {
        out.commit(exported.as_bytes())?;
    }
    Ok(if tally.errors > 0 {
        ExitCode::from(super::BAD_INPUT)
    } else if tally.ok(args.allow_inconclusive) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    })
}

/// The text of a test: printed as it comes (unless JUnit XML goes to standard output; with
/// `-q`, only failures and the summary), and kept whole for `--out`.
struct Printer {
    all: String,
    stdout: bool,
    quiet: bool,
}

impl Printer {
    /// A line `-q` leaves out.
    fn line(&mut self, s: &str) {
        if self.stdout && !self.quiet {
            print!("{s}");
        }
        self.all.push_str(s);
    }

    /// Text printed even with `-q`.
    fn always(&mut self, s: &str) {
        if self.stdout {
            print!("{s}");
        }
        self.all.push_str(s);
    }
}

/// The scenario files `paths` name: each file as given, and the `.toml` files under each folder
/// (recursively, in name order, hidden entries and `target` folders passed over), named relative
/// to it. A file named twice is tested once.
fn targets(paths: &[String]) -> Result<Vec<Target>, Failure> {
    let mut out: Vec<Target> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in paths {
        let path = Path::new(p);
        let meta = std::fs::metadata(path)
            .map_err(|e| Failure::from(format!("error: cannot read `{p}`: {e}\n")))?;
        let mut found = Vec::new();
        if meta.is_dir() {
            walk(path, &mut found)
                .map_err(|e| Failure::from(format!("error: cannot read `{p}`: {e}\n")))?;
            found.sort();
        } else {
            found.push(path.to_path_buf());
        }
        for f in found {
            let key = f.canonicalize().unwrap_or_else(|_| f.clone());
            if !seen.insert(key) {
                continue;
            }
            let name = if meta.is_dir() {
                f.strip_prefix(path)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .into_owned()
            } else {
                p.clone()
            };
            let path = f.to_string_lossy();
            out.push(Target {
                // `./a.toml`, found in `.`, is shown as `a.toml`.
                path: path.strip_prefix("./").unwrap_or(&path).to_string(),
                name,
                found: meta.is_dir(),
            });
        }
    }
    Ok(out)
}

/// Every `.toml` file under `dir`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, out)?;
        } else if name.ends_with(".toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a `.toml` file found in a folder is a scenario: it has a `[scenario]` table, or it is
/// not TOML at all (then loading it reports why).
fn is_scenario(path: &str) -> bool {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.parse::<toml::Table>() {
            Ok(table) => table.contains_key("scenario"),
            Err(_) => true,
        },
        Err(_) => true,
    }
}
