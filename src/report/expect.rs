//! The text of `detente test`, in the shape `cargo test` prints: one line per expectation, a
//! block per failure, a summary line. For people, so numbers are rounded; JUnit XML is
//! [`super::junit`].

use crate::diag::escape_controls;
use crate::expect::{
    Bound, Estimate, EveryRun, Evidence, Finding, Miss, Report, Statistic, Verdict,
};
use std::fmt::Write;

/// What a finding's verdict shows as: `ok`, `FAILED`, `inconclusive`.
pub fn status(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "ok",
        Verdict::Fail => "FAILED",
        Verdict::Inconclusive => "inconclusive",
    }
}

/// `test PATH::NAME ... ok (P = 1.000, 95% [0.996, 1.000])`: one expectation of the scenario at
/// `path` (as the user should see it).
pub fn line(path: &str, report: &Report, f: &Finding) -> String {
    format!(
        "test {}::{} ... {} ({})",
        escape_controls(path),
        f.name,
        status(f.verdict),
        evidence(report, f)
    )
}

/// The evidence of a finding in a few words: the estimate and its interval, or how many runs
/// held the claim, and what the first run that did not showed.
pub fn evidence(report: &Report, f: &Finding) -> String {
    match &f.evidence {
        Evidence::Estimate(e) => estimate(e, f.verdict),
        Evidence::EveryRun(e) => every_run(report, e),
    }
}

fn estimate(e: &Estimate, verdict: Verdict) -> String {
    let shown = |x: f64| value(e, x);
    let mut s = format!(
        "{} = {}, 95% [{}, {}]",
        e.statistic.symbol(),
        shown(e.value),
        shown(e.interval.lo),
        shown(e.interval.hi)
    );
    match verdict {
        Verdict::Pass => {}
        Verdict::Fail => {
            let _ = write!(s, "; expected {}", e.bound.text());
        }
        Verdict::Inconclusive => {
            let _ = write!(s, " straddles {}", edges(&e.bound));
            match e.runs_to_decide {
                Some(n) => {
                    let _ = write!(s, "; about {} runs would likely decide it", round_up(n));
                }
                None => s.push_str("; the estimate sits on the bound: more runs may not decide it"),
            }
        }
    }
    s
}

/// A number of an estimate, with the precision its bound needs.
fn value(e: &Estimate, x: f64) -> String {
    if let Some(last) = e.never_after {
        return if x > f64::from(last) {
            format!(">{last}")
        } else if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        };
    }
    let decimals = match (e.statistic, e.bound) {
        (Statistic::Probability, _) => 3,
        (_, b) => decimals_for(b).unwrap_or(12),
    };
    fixed(x, decimals)
}

/// Decimals that show a number against `b`: four, or enough to see a narrow band's width, or
/// every digit (`None`) for a band of width 0.
fn decimals_for(b: Bound) -> Option<usize> {
    match b {
        Bound::Within { tolerance: 0.0, .. } => None,
        Bound::Within { tolerance, .. } if tolerance < 1e-3 => {
            Some(((-tolerance.log10()).ceil() as usize + 1).min(12))
        }
        _ => Some(4),
    }
}

/// `x` to `decimals` places; with `None` (a band of width 0, so every digit matters), as the
/// shortest text that reads back as `x`.
fn shown_in(x: f64, decimals: Option<usize>) -> String {
    match decimals {
        Some(d) => fixed(x, d),
        None => format!("{x}"),
    }
}

fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// The edge (or edges) of a bound, as `0.5` or `0.6 and 0.7`.
fn edges(b: &Bound) -> String {
    match *b {
        Bound::Above { value, .. } | Bound::Below { value, .. } => format!("{value}"),
        Bound::Within { centre, tolerance } => {
            format!("the band {} ± {tolerance}", centre)
        }
    }
}

/// `n` rounded up to two significant digits, with thousands separated: 9,600.
fn round_up(n: u64) -> String {
    let mut scale = 1u64;
    while n / scale >= 100 {
        scale *= 10;
    }
    let rounded = n.div_ceil(scale).saturating_mul(scale);
    let digits = rounded.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn runs_word(n: u64) -> &'static str {
    if n == 1 {
        "run"
    } else {
        "runs"
    }
}

fn every_run(report: &Report, e: &EveryRun) -> String {
    let unit = &report.time_unit;
    let mut s = if e.failed == 0 {
        match e.runs {
            1 => "1 run".to_string(),
            n => format!("all {n} runs"),
        }
    } else {
        format!("{} of {} {} failed", e.failed, e.runs, runs_word(e.runs))
    };
    if let (Some(values), Some((band, step))) = (e.values, e.band) {
        let d = decimals_for(band);
        if values.lo == values.hi {
            let _ = write!(s, ": {} at {unit} {step}", shown_in(values.lo, d));
        } else {
            let _ = write!(
                s,
                ": from {} to {} at {unit} {step}",
                shown_in(values.lo, d),
                shown_in(values.hi, d)
            );
        }
    }
    if let Some(c) = &e.first_failure {
        let _ = write!(s, "; run {}: {}", c.run, miss(report, &c.miss, e.band));
    }
    s
}

/// How a run missed its claim, in words.
fn miss(report: &Report, m: &Miss, band: Option<(Bound, u32)>) -> String {
    let unit = &report.time_unit;
    match *m {
        Miss::NotReached { by, first } => match (by, first) {
            (Some(b), Some(f)) => format!("not by {unit} {b} (first at {unit} {f})"),
            (Some(b), None) => format!("not by {unit} {b} (never reached)"),
            (None, _) => "never reached".to_string(),
        },
        Miss::Happened { step } => format!("happened at {unit} {step}"),
        Miss::Broken { step } => format!("did not hold at {unit} {step}"),
        Miss::False { step } => format!("did not hold at {unit} {step}"),
        Miss::Outside { step, value } => {
            let d = band.map_or(Some(4), |(b, _)| decimals_for(b));
            match band {
                Some((Bound::Within { centre, .. }, _)) => format!(
                    "{} at {unit} {step}, off by {}",
                    shown_in(value, d),
                    short(value - centre)
                ),
                _ => format!("{} at {unit} {step}", shown_in(value, d)),
            }
        }
    }
}

/// A small difference in three significant digits.
fn short(x: f64) -> String {
    format!("{:.3e}", x.abs())
}

/// The block `cargo test` prints under `failures:` for one finding: the claim, what it means,
/// the result, how its interval is computed (for an estimate), and the command that replays
/// the first failing run (`command` is how the user runs detente on the scenario, say
/// `detente run scenarios/x.toml`).
pub fn failure(name: &str, command: &str, report: &Report, f: &Finding) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "---- {}::{} ----", escape_controls(name), f.name);
    let _ = writeln!(s, "  claim:    {}", escape_controls(&f.claim));
    if !f.description.is_empty() {
        let _ = writeln!(s, "  meaning:  {}", escape_controls(&f.description));
    }
    let _ = writeln!(
        s,
        "  result:   {} ({})",
        status(f.verdict),
        evidence(report, f)
    );
    match &f.evidence {
        Evidence::Estimate(e) => {
            let _ = writeln!(
                s,
                "  interval: {}, {} runs, seed {}",
                e.statistic.method(),
                e.runs,
                report.seed
            );
        }
        Evidence::EveryRun(e) => {
            if let Some(c) = &e.first_failure {
                let _ = writeln!(
                    s,
                    "  replay:   {} --runs {} --seed {} --replay {}",
                    escape_controls(command),
                    report.runs,
                    report.seed,
                    c.run
                );
            }
        }
    }
    s
}

/// How many expectations had each verdict, over every file tested.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Expectations that passed.
    pub passed: usize,
    /// Expectations that failed.
    pub failed: usize,
    /// Expectations whose interval straddled their bound.
    pub inconclusive: usize,
    /// Scenario files tested.
    pub files: usize,
    /// Scenario files without expectations (skipped).
    pub without: usize,
    /// Files that could not be loaded or run (bad input).
    pub errors: usize,
}

impl Tally {
    /// Adds a report's findings.
    pub fn add(&mut self, report: &Report) {
        self.passed += report.count(Verdict::Pass);
        self.failed += report.count(Verdict::Fail);
        self.inconclusive += report.count(Verdict::Inconclusive);
    }

    /// Whether every expectation passed (inconclusive ones too, when they are allowed) and
    /// every file could be read.
    pub fn ok(&self, allow_inconclusive: bool) -> bool {
        self.failed == 0 && self.errors == 0 && (allow_inconclusive || self.inconclusive == 0)
    }
}

/// `test result: ok. 34 passed, 0 failed, 0 inconclusive (9 scenario files; 2 without
/// [expect], skipped)`.
pub fn summary(t: &Tally, allow_inconclusive: bool) -> String {
    let mut s = format!(
        "test result: {}. {} passed, {} failed, {} inconclusive{}",
        if t.ok(allow_inconclusive) {
            "ok"
        } else {
            "FAILED"
        },
        t.passed,
        t.failed,
        t.inconclusive,
        if allow_inconclusive && t.inconclusive > 0 {
            " (allowed)"
        } else {
            ""
        }
    );
    let files = if t.files == 1 { "file" } else { "files" };
    let _ = write!(s, " ({} scenario {files}", t.files);
    if t.without > 0 {
        let _ = write!(s, "; {} without [expect], skipped", t.without);
    }
    if t.errors > 0 {
        let _ = write!(s, "; {} could not be tested", t.errors);
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::round_up;

    #[test]
    fn runs_round_up_to_two_digits() {
        assert_eq!(round_up(7), "7");
        assert_eq!(round_up(96), "96");
        assert_eq!(round_up(9_512), "9,600");
        assert_eq!(round_up(1_000), "1,000");
        assert_eq!(round_up(1_234_567), "1,300,000");
    }
}
