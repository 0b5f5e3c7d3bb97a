//! The report of an explanation ([`crate::explain`]): per watched place a waterfall of sources
//! (start, each source, the range clamp, end), the steps with the largest changes, and the
//! counterfactual table; exported as text, Markdown, CSV (and JSON through serde, HTML in
//! `html.rs`).

use super::markdown::cell;
use super::number::{num, pct};
use super::run::ScenarioInfo;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// An explanation of a variable (or an outcome's variables) over a window.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// Always [`crate::explain::EXPLAIN_FORMAT`].
    pub format: &'static str,
    /// Always [`crate::explain::EXPLAIN_FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of detente that made it.
    pub detente_version: &'static str,
    /// Which scenario.
    pub scenario: ScenarioInfo,
    /// Every parameter's value, `--set` applied.
    pub parameters: BTreeMap<String, f64>,
    /// The seed.
    pub seed: u64,
    /// What is explained, as written: `tension(LTU, BLR)` or `outcome.crisis`.
    pub target: String,
    /// `run` (one run) or `ensemble`.
    pub mode: &'static str,
    /// The run explained, for a run.
    pub run: Option<u64>,
    /// How many runs.
    pub runs: u64,
    /// One account per place (an outcome's condition may read several).
    pub accounts: Vec<Account>,
    /// How the numbers are made, in words.
    pub method: &'static str,
    /// Each source's total effect, if asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterfactual: Option<Counterfactual>,
}

/// Where one place's change came from.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    /// The place: `tension(LTU, BLR)`.
    pub place: String,
    /// The window: from the value after step `from` to the value after step `to` (for an
    /// outcome over an ensemble, `to` differs per run and is left out).
    pub from: Option<u32>,
    /// See `from`.
    pub to: Option<u32>,
    /// Runs with a window (an outcome's places: the runs that reached it).
    pub runs: u64,
    /// The value at the start of the window (ensemble: the mean).
    pub start: f64,
    /// The value at its end (ensemble: the mean).
    pub end: f64,
    /// Each source, largest first; the range clamp last.
    pub sources: Vec<SourceRow>,
    /// `end − start − Σ sources`: rounding only.
    pub residual: f64,
    /// One run: the steps with the largest changes, largest first.
    pub timeline: Vec<StepRow>,
    /// Why there is nothing to account, or what the window is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Account {
    pub(crate) fn empty(place: &str, note: &str) -> Account {
        Account {
            place: place.to_string(),
            from: None,
            to: None,
            runs: 0,
            start: 0.0,
            end: 0.0,
            sources: Vec::new(),
            residual: 0.0,
            timeline: Vec::new(),
            note: Some(note.to_string()),
        }
    }
}

/// One source's contribution.
#[derive(Clone, Debug, Serialize)]
pub struct SourceRow {
    /// `rule`, `event`, `shock`, `dynamics` or `clamp`.
    pub kind: &'static str,
    /// The rule's, event's, shock's or dynamics line's name.
    pub name: Option<String>,
    /// The action taken.
    pub action: Option<String>,
    /// Who took it.
    pub actor: Option<String>,
    /// Toward whom.
    pub target: Option<String>,
    /// For spill-over: the actor it spilled to.
    pub spilled_to: Option<String>,
    /// All of it in words.
    pub label: String,
    /// What it added over the window (ensemble: the mean over the runs).
    pub amount: f64,
    /// Ensemble: the mean's 95% interval.
    pub ci95: Option<[f64; 2]>,
    /// Ensemble: the share of runs in which it contributed.
    pub share: Option<f64>,
    /// One run: the steps of the takings whose amounts landed in the window (a delayed or
    /// lasting effect lands after its taking).
    pub fired: Vec<u32>,
}

/// One step's change and its largest sources.
#[derive(Clone, Debug, Serialize)]
pub struct StepRow {
    /// The step.
    pub step: u32,
    /// The value after it minus the value before.
    pub change: f64,
    /// Its largest sources (at most four).
    pub sources: Vec<StepSource>,
}

/// One source of one step.
#[derive(Clone, Debug, Serialize)]
pub struct StepSource {
    /// The source in words.
    pub label: String,
    /// What it added in the step.
    pub amount: f64,
    /// The step of the taking, when earlier (a delayed or lasting effect).
    pub fired: Option<u32>,
}

/// Each removal's total effect, from paired re-runs without it.
#[derive(Clone, Debug, Serialize)]
pub struct Counterfactual {
    /// Runs per variant.
    pub runs: u64,
    /// The step whose value is compared.
    pub to: u32,
    /// The interval of the effect on the value.
    pub value_method: &'static str,
    /// The interval of the effect on an outcome's probability.
    pub outcome_method: &'static str,
    /// `none`, or `holm`: every p-value and interval of the table adjusted as one family
    /// (Holm 1979), so that an interval excludes zero exactly when Holm's procedure rejects.
    pub adjustment: &'static str,
    /// One row per removal.
    pub rows: Vec<CounterfactualRow>,
}

impl Counterfactual {
    /// Adjusts every p-value and interval of the table (the effects on the value and on each
    /// outcome, one family) by Holm's step-down procedure at α = 0.05 ([`crate::stats::holm`]).
    pub fn adjust_holm(&mut self) {
        let mut p = Vec::new();
        for r in &self.rows {
            if let Some(t) = &r.value_test {
                p.push(t.p_value());
            }
            p.extend(r.outcomes.iter().map(|o| o.test.p_value()));
        }
        let adjusted = crate::stats::holm(&p, 0.05);
        let mut next = adjusted.into_iter();
        for r in &mut self.rows {
            if let Some(t) = r.value_test {
                let (p, level) = next.next().expect("one per test");
                let ci = t.interval(level);
                r.p_value = Some(p);
                r.ci95 = Some([ci.lo, ci.hi]);
                r.level = level;
            }
            for o in &mut r.outcomes {
                let (p, level) = next.next().expect("one per test");
                let ci = o.test.interval(level);
                o.p_value = p;
                o.ci95 = [ci.lo, ci.hi];
                o.level = level;
            }
        }
        self.adjustment = "holm";
    }
}

/// What one removal changes.
#[derive(Clone, Debug, Serialize)]
pub struct CounterfactualRow {
    /// What was switched off: `rule blr_push_migrants`.
    pub removed: String,
    /// The mean per-run value with it minus without it (a variable's target only).
    pub effect: Option<f64>,
    /// Its interval (95%, or Holm's level: see `level`).
    pub ci95: Option<[f64; 2]>,
    /// The interval's confidence level.
    pub level: f64,
    /// The p-value of "no effect".
    pub p_value: Option<f64>,
    /// Its effect on each outcome's probability.
    pub outcomes: Vec<OutcomeEffect>,
    /// What the interval and p-value come from, to adjust them.
    #[serde(skip)]
    pub(crate) value_test: Option<crate::stats::DiffTest>,
}

/// One outcome's probability with and without a source.
#[derive(Clone, Debug, Serialize)]
pub struct OutcomeEffect {
    /// The outcome.
    pub outcome: String,
    /// Its probability with the source.
    pub with: f64,
    /// Without it.
    pub without: f64,
    /// With − without.
    pub effect: f64,
    /// Its interval (95%, or Holm's level: see `level`).
    pub ci95: [f64; 2],
    /// The interval's confidence level.
    pub level: f64,
    /// The p-value of "no effect".
    pub p_value: f64,
    /// What the interval and p-value come from, to adjust them.
    #[serde(skip)]
    pub(crate) test: crate::stats::DiffTest,
}

/// A signed number for a waterfall: `+0.1234` or `−0.0021`.
pub(crate) fn signed(x: f64) -> String {
    let s = num(x.abs());
    // `num` never gives a negative zero; a minus sign is the typographic one here.
    if s == "0.0000" {
        "0.0000".into()
    } else if x < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

/// A difference of probabilities in percentage points, signed: `+12.5 pp`.
pub(crate) fn signed_pct(x: f64) -> String {
    let s = format!("{:.1}", 100.0 * x.abs());
    if s == "0.0" {
        "0.0 pp".into()
    } else if x < 0.0 {
        format!("−{s} pp")
    } else {
        format!("+{s} pp")
    }
}

/// An interval of such a difference: `[10.1, 17.6] pp`.
pub(crate) fn pct_interval([lo, hi]: [f64; 2]) -> String {
    let p = |x: f64| {
        let s = format!("{:.1}", 100.0 * x);
        match s.strip_prefix('-') {
            Some("0.0") => "0.0".to_string(),
            Some(rest) => format!("−{rest}"),
            None => s,
        }
    };
    format!("[{}, {}] pp", p(lo), p(hi))
}

/// A number with the typographic minus the waterfall uses.
pub(crate) fn plain(x: f64) -> String {
    let s = num(x);
    match s.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => s,
    }
}

pub(crate) fn interval(ci: Option<[f64; 2]>) -> String {
    ci.map_or(String::new(), |[lo, hi]| {
        format!("[{}, {}]", plain(lo), plain(hi))
    })
}

/// The explanation for a terminal: a waterfall per place, the largest steps, the
/// counterfactual table.
pub fn text(e: &Explanation) -> String {
    let unit = &e.scenario.time_unit;
    let mut out = String::new();
    let what = match e.run {
        Some(r) => format!("run {r}, seed {}", e.seed),
        None => format!("mean over {} runs, seed {}", e.runs, e.seed),
    };
    let verb = if e.target.starts_with("outcome.") {
        "was reached"
    } else {
        "moved"
    };
    let _ = writeln!(out, "{}: why {} {verb} ({what})", e.scenario.name, e.target);
    for a in &e.accounts {
        let _ = writeln!(out);
        if a.sources.is_empty() && a.note.is_some() {
            let _ = writeln!(out, "{}: {}", a.place, a.note.as_deref().unwrap_or(""));
            continue;
        }
        let window = match (a.from, a.to) {
            (Some(f), Some(t)) => format!("{unit}s {f}–{t}"),
            (Some(_), None) => format!("from the start to the {unit} it was reached"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{}: {} → {}, {window}",
            a.place,
            plain(a.start),
            plain(a.end)
        );
        if let Some(n) = &a.note {
            let _ = writeln!(out, "  ({n})");
        }
        let width = a
            .sources
            .iter()
            .map(|s| s.label.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        let ensemble = e.run.is_none();
        let _ = writeln!(out, "  {:<width$}  {:>9}", "start", plain(a.start));
        for s in &a.sources {
            let extra = if ensemble {
                format!(
                    "  {}  in {} of runs",
                    interval(s.ci95),
                    pct(s.share.unwrap_or(0.0))
                )
            } else if !s.fired.is_empty() {
                let shown: Vec<String> = s.fired.iter().take(6).map(|f| f.to_string()).collect();
                let more = if s.fired.len() > 6 { ", …" } else { "" };
                let verb = if s.kind == "shock" {
                    "happened"
                } else {
                    "taken"
                };
                format!("  ({verb} in {unit} {}{more})", shown.join(", "))
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {:<width$}  {:>9}{extra}", s.label, signed(s.amount));
        }
        let _ = writeln!(out, "  {:<width$}  {:>9}", "end", plain(a.end));
        if !a.timeline.is_empty() {
            let _ = writeln!(out, "\n  largest changes");
            for st in &a.timeline {
                let parts: Vec<String> = st
                    .sources
                    .iter()
                    .map(|s| {
                        let when = s
                            .fired
                            .map_or(String::new(), |f| format!(", taken in {unit} {f}"));
                        format!("{} {}{when}", signed(s.amount), s.label)
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "  {unit} {}: {}  ({})",
                    st.step,
                    signed(st.change),
                    parts.join("; ")
                );
            }
        }
    }
    if let Some(cf) = &e.counterfactual {
        let _ = writeln!(
            out,
            "\ntotal effects: with − without each source ({} paired runs, the same seed and run indices)",
            cf.runs
        );
        for r in &cf.rows {
            match (r.effect, r.ci95) {
                (Some(x), ci) => {
                    let _ = writeln!(
                        out,
                        "  {}: {} after {unit} {} {} {}",
                        r.removed,
                        e.target,
                        cf.to,
                        signed(x),
                        interval(ci)
                    );
                }
                _ => {
                    let _ = writeln!(out, "  {}:", r.removed);
                }
            }
            let width = r
                .outcomes
                .iter()
                .map(|o| o.outcome.len())
                .max()
                .unwrap_or(0)
                + 3;
            for o in r.outcomes.iter().filter(|o| o.with != o.without) {
                let _ = writeln!(
                    out,
                    "      {:<width$}  {:>6} with, {:>6} without: {} {}",
                    format!("P({})", o.outcome),
                    pct(o.with),
                    pct(o.without),
                    signed_pct(o.effect),
                    pct_interval(o.ci95)
                );
            }
        }
        let adjusted = if cf.adjustment == "holm" {
            "; intervals and p-values adjusted by Holm's procedure over the whole table (Holm 1979)"
        } else {
            "; each interval 95%, unadjusted"
        };
        let _ = writeln!(
            out,
            "  (values: {}; outcomes: {}{adjusted}; an outcome not listed has the same probability with and without)",
            cf.value_method, cf.outcome_method
        );
    }
    crate::diag::escape_controls_by_line(&out)
}

/// The explanation as Markdown: one waterfall table per place, the steps, the counterfactual.
pub fn markdown(e: &Explanation) -> String {
    let unit = &e.scenario.time_unit;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Why {} moved: {}\n",
        cell(&e.target),
        cell(&e.scenario.name)
    );
    let what = match e.run {
        Some(r) => format!("Run {r} of seed {}", e.seed),
        None => format!("Mean over {} runs of seed {}", e.runs, e.seed),
    };
    let _ = writeln!(
        out,
        "{what}; scenario hash `{}`, detente {}. {}.\n",
        e.scenario.content_hash, e.detente_version, e.method
    );
    for a in &e.accounts {
        let _ = writeln!(out, "## {}\n", cell(&a.place));
        if let Some(n) = &a.note {
            let _ = writeln!(out, "{}\n", cell(n));
        }
        if a.sources.is_empty() {
            continue;
        }
        if let (Some(f), Some(t)) = (a.from, a.to) {
            let _ = writeln!(
                out,
                "From {} after {unit} {f} to {} after {unit} {t}.\n",
                num(a.start),
                num(a.end)
            );
        }
        let ensemble = e.run.is_none();
        if ensemble {
            let _ = writeln!(out, "| source | mean | 95% CI | share of runs |");
            let _ = writeln!(out, "|---|---:|---|---:|");
        } else {
            let _ = writeln!(out, "| source | amount | taken in {unit} |");
            let _ = writeln!(out, "|---|---:|---|");
        }
        let blank = if ensemble { " | |" } else { " |" };
        let _ = writeln!(out, "| start | {} |{blank}", num(a.start));
        for s in &a.sources {
            if ensemble {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    cell(&s.label),
                    signed(s.amount),
                    interval(s.ci95),
                    pct(s.share.unwrap_or(0.0))
                );
            } else {
                let fired: Vec<String> = s.fired.iter().map(|f| f.to_string()).collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    cell(&s.label),
                    signed(s.amount),
                    fired.join(", ")
                );
            }
        }
        let _ = writeln!(out, "| end | {} |{blank}\n", num(a.end));
        if !a.timeline.is_empty() {
            let _ = writeln!(out, "Largest changes:\n");
            let _ = writeln!(out, "| {unit} | change | sources |");
            let _ = writeln!(out, "|---:|---:|---|");
            for st in &a.timeline {
                let parts: Vec<String> = st
                    .sources
                    .iter()
                    .map(|s| {
                        let when = s
                            .fired
                            .map_or(String::new(), |f| format!(" (taken in {unit} {f})"));
                        format!("{} {}{when}", signed(s.amount), cell(&s.label))
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    st.step,
                    signed(st.change),
                    parts.join("; ")
                );
            }
            out.push('\n');
        }
    }
    if let Some(cf) = &e.counterfactual {
        let _ = writeln!(out, "## Without each source\n");
        let _ = writeln!(
            out,
            "{} paired runs per variant (same seed and run indices); effect = with − without, value after {unit} {}. Value: {}. Outcomes: {}.\n",
            cf.runs, cf.to, cf.value_method, cf.outcome_method
        );
        let names: Vec<&str> = cf
            .rows
            .first()
            .map(|r| r.outcomes.iter().map(|o| o.outcome.as_str()).collect())
            .unwrap_or_default();
        let _ = write!(out, "| without | effect on the value | 95% CI |");
        for n in &names {
            let _ = write!(out, " {} (with → without) |", cell(n));
        }
        out.push('\n');
        let _ = write!(out, "|---|---:|---|");
        for _ in &names {
            out.push_str("---|");
        }
        out.push('\n');
        for r in &cf.rows {
            let _ = write!(
                out,
                "| {} | {} | {} |",
                cell(&r.removed),
                r.effect.map_or(String::new(), signed),
                interval(r.ci95)
            );
            for o in &r.outcomes {
                let _ = write!(out, " {} → {} |", pct(o.with), pct(o.without));
            }
            out.push('\n');
        }
    }
    out
}

/// The explanation as CSV: per place a `start` row, one row per source, an `end` row
/// (`place,kind,name,action,actor,target,spilled_to,label,amount,ci_low,ci_high,share`; for
/// `start` and `end` the amount is the value), then, with a counterfactual, one row per removal
/// and outcome after a blank line.
pub fn csv(e: &Explanation) -> String {
    use super::csv::field;
    let opt = |s: &Option<String>| s.as_deref().map(field).unwrap_or_default().into_owned();
    let mut out = String::from(
        "place,kind,name,action,actor,target,spilled_to,label,amount,ci_low,ci_high,share\n",
    );
    for a in &e.accounts {
        if a.sources.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{},start,,,,,,start,{},,,", field(&a.place), a.start);
        for s in &a.sources {
            let (lo, hi) = s.ci95.map_or((String::new(), String::new()), |[l, h]| {
                (l.to_string(), h.to_string())
            });
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{lo},{hi},{}",
                field(&a.place),
                s.kind,
                opt(&s.name),
                opt(&s.action),
                opt(&s.actor),
                opt(&s.target),
                opt(&s.spilled_to),
                field(&s.label),
                s.amount,
                s.share.map_or(String::new(), |x| x.to_string())
            );
        }
        let _ = writeln!(out, "{},end,,,,,,end,{},,,", field(&a.place), a.end);
    }
    if let Some(cf) = &e.counterfactual {
        out.push_str("\nremoved,outcome,effect,ci_low,ci_high,with,without\n");
        for r in &cf.rows {
            if let (Some(x), Some([lo, hi])) = (r.effect, r.ci95) {
                let _ = writeln!(out, "{},,{x},{lo},{hi},,", field(&r.removed));
            }
            for o in &r.outcomes {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    field(&r.removed),
                    field(&o.outcome),
                    o.effect,
                    o.ci95[0],
                    o.ci95[1],
                    o.with,
                    o.without
                );
            }
        }
    }
    out
}
