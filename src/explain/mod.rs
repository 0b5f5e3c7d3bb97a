//! Explanations: which rule, event, shock and dynamics line moved a variable, by how much, and
//! what would have happened without each.
//!
//! - **Accounting** ([`explain`], one run or an ensemble): every step's change of a variable is
//!   a sum of amounts from known sources, applied at once and then clamped to the variable's
//!   range. A run is made again with a trace (the stepper's hook for watching a run) that records, for the watched places only, each
//!   amount as it lands — an effect of an action (direct, delayed, lasting or spilled, credited to
//!   the taking that caused it), a shock's, a dynamics line's change — and, after each step, what
//!   the range clamp removed. The run is the same run, bit for bit (the trace only watches), and
//!   `start + Σ contributions = end` up to rounding.
//! - **Counterfactual** ([`counterfactual`]): a source's total effect includes what the other
//!   rules and the dynamics did in answer to it. Each rule, event, shock, dynamics line or action
//!   is switched off in turn (`enabled = false`) and the scenario run again with the same seed;
//!   random draws are keyed by names, so every run is paired with its twin (common random
//!   numbers), and the differences get paired intervals.
//!
//! Nothing here changes the stepper's ordinary path: ordinary runs use the empty trace.

use crate::load::Resolved;
use crate::model::Model;
use crate::report::explain::{
    Account, Counterfactual, CounterfactualRow, Explanation, OutcomeEffect, SourceRow, StepRow,
    StepSource,
};
use crate::report::scenario_info;
use crate::sim::trace::{Indices, Landed, Trace, Values};
use crate::sim::{Cause, RuntimeError, Sim};
use crate::stats::{self, DiffTest, PairedTable};
use crate::Overrides;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

/// The format name of an explanation report.
pub const EXPLAIN_FORMAT: &str = "detente-explanation";
/// Its version.
pub const EXPLAIN_FORMAT_VERSION: u32 = 1;

/// What is explained: one variable at one place, or an outcome.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A relation variable at a relation, or an actor variable at an actor.
    Place(Place),
    /// An outcome: the places its condition reads, up to the step it is first reached (made by
    /// [`Target::parse`]).
    #[non_exhaustive]
    Outcome {
        /// The outcome's index in the model.
        index: usize,
        /// Its name.
        name: String,
        /// The named places its condition reads (aggregates over many are not decomposed).
        places: Vec<Place>,
        /// Whether its condition also reads what is not a variable at a named place —
        /// aggregates, actions taken (`did`, `times`, …), the step, random draws — which the
        /// explanation leaves out.
        aggregates: bool,
    },
}

/// One variable at one place, with the text that names it (`tension(LTU, BLR)`).
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub(crate) relation: bool,
    pub(crate) var: u16,
    pub(crate) index: u32,
    /// The place as written: `tension(LTU, BLR)` or `resolve(BLR)`.
    pub label: String,
}

impl Target {
    /// Reads `tension(LTU, BLR)`, `resolve(BLR)` or `outcome.crisis` against `model`.
    ///
    /// # Errors
    ///
    /// A message (with a did-you-mean) when the variable, an actor, the relation or the outcome
    /// does not exist.
    pub fn parse(model: &Model, text: &str) -> Result<Target, String> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix("outcome.") {
            let Some(index) = model.outcome_index(name) else {
                let names: Vec<&str> = model.outcomes().map(|(n, _)| n).collect();
                return Err(with_hint(
                    format!("the scenario has no outcome `{name}`"),
                    name,
                    &names,
                ));
            };
            use crate::expr::{Op, Who};
            let aggregates = model.outcomes[index].cond.uses(|op| {
                matches!(
                    op,
                    Op::AggActor(..)
                        | Op::AggScalar(_)
                        | Op::DidPair(..)
                        | Op::DidAny(..)
                        | Op::Since(..)
                        | Op::Times(..)
                        | Op::PairSince(..)
                        | Op::PairTimes(..)
                        | Op::PairWithin(..)
                        | Op::Within(..)
                        | Op::Step
                        | Op::Random(_)
                        | Op::RelPair(..)
                        | Op::ActorVar(_, Who::Me | Who::Target)
                )
            });
            return Ok(Target::Outcome {
                index,
                name: name.to_string(),
                places: outcome_places(model, index),
                aggregates,
            });
        }
        Ok(Target::Place(Place::parse(model, text)?))
    }

    /// The places watched.
    pub fn places(&self) -> &[Place] {
        match self {
            Target::Place(p) => std::slice::from_ref(p),
            Target::Outcome { places, .. } => places,
        }
    }

    /// The target as written.
    pub fn label(&self) -> String {
        match self {
            Target::Place(p) => p.label.clone(),
            Target::Outcome { name, .. } => format!("outcome.{name}"),
        }
    }
}

impl Place {
    fn parse(model: &Model, text: &str) -> Result<Place, String> {
        const SHAPE: &str =
            "name a variable at a place, e.g. \"tension(LTU, BLR)\" or \"resolve(BLR)\", or an outcome, \"outcome.crisis\"";
        let (name, rest) = text
            .split_once('(')
            .ok_or_else(|| format!("`{text}`: {SHAPE}"))?;
        let args = rest
            .strip_suffix(')')
            .ok_or_else(|| format!("`{text}`: {SHAPE}"))?;
        let args: Vec<&str> = args
            .split(',')
            .map(|a| a.trim().trim_matches('"'))
            .collect();
        if args.iter().any(|a| a.is_empty() || a.contains(['(', ')'])) {
            return Err(format!("`{text}`: {SHAPE}"));
        }
        let name = name.trim();
        let actor = |id: &str| {
            model.actor_id(id).map(|a| a.0).ok_or_else(|| {
                let ids: Vec<&str> = (0..model.n_actors() as u32)
                    .map(|a| model.graph[a].id.as_str())
                    .collect();
                with_hint(format!("`{text}`: unknown actor `{id}`"), id, &ids)
            })
        };
        if let Some(var) = model.relation_vars.iter().position(|v| v.name == name) {
            let [a, b] = args[..] else {
                return Err(format!(
                    "`{text}`: `{name}` is a relation variable: name both ends, e.g. {name}(LTU, BLR)"
                ));
            };
            let (x, y) = (actor(a)?, actor(b)?);
            let e = model.adj.edge_or_none(x, y);
            if e as usize == model.n_relations() {
                return Err(format!("`{text}`: there is no relation {a} → {b}"));
            }
            return Ok(Place {
                relation: true,
                var: var as u16,
                index: e,
                label: format!("{name}({a}, {b})"),
            });
        }
        if let Some(var) = model.actor_vars.iter().position(|v| v.name == name) {
            let [a] = args[..] else {
                return Err(format!(
                    "`{text}`: `{name}` is an actor variable: name one actor, e.g. {name}(BLR)"
                ));
            };
            return Ok(Place {
                relation: false,
                var: var as u16,
                index: actor(a)?,
                label: format!("{name}({a})"),
            });
        }
        let vars: Vec<&str> = model
            .relation_vars
            .iter()
            .chain(&model.actor_vars)
            .map(|v| v.name.as_str())
            .collect();
        Err(with_hint(
            format!("`{text}`: the scenario has no variable `{name}`"),
            name,
            &vars,
        ))
    }

    fn range(&self, m: &Model) -> Option<(f64, f64)> {
        let vars = if self.relation {
            &m.relation_vars
        } else {
            &m.actor_vars
        };
        vars[self.var as usize].range
    }
}

/// `message` with a did-you-mean, or else the names there are (the first ten).
fn with_hint(message: String, name: &str, known: &[&str]) -> String {
    match crate::diag::did_you_mean(name, known.iter().copied()) {
        Some(best) => format!("{message} (did you mean `{best}`?)"),
        None if known.is_empty() => message,
        None => {
            let shown: Vec<&str> = known.iter().take(10).copied().collect();
            let more = if known.len() > 10 { ", …" } else { "" };
            format!("{message}; it has {}{more}", shown.join(", "))
        }
    }
}

/// The named places an outcome's condition reads: relation variables at fixed relations and
/// actor variables of named actors, in the order first read.
fn outcome_places(m: &Model, index: usize) -> Vec<Place> {
    use crate::expr::{Op, Who};
    let mut places: Vec<Place> = Vec::new();
    for op in &m.outcomes[index].cond.ops {
        let place = match *op {
            Op::RelEdge(var, e) => {
                let (a, b) = (m.adj.src[e as usize], m.adj.dst[e as usize]);
                Place {
                    relation: true,
                    var,
                    index: e,
                    label: format!(
                        "{}({}, {})",
                        m.relation_vars[var as usize].name, m.graph[a].id, m.graph[b].id
                    ),
                }
            }
            Op::ActorVar(var, Who::Fixed(a)) => Place {
                relation: false,
                var,
                index: a,
                label: format!("{}({})", m.actor_vars[var as usize].name, m.graph[a].id),
            },
            _ => continue,
        };
        if !places.contains(&place) {
            places.push(place);
        }
    }
    places
}

/// Where an amount came from. Effects are keyed by the taking that caused them (rule or event,
/// action, actor → target; spill-over apart, by the actor it spilled to), so the delayed and
/// lasting portions of one taking add up under one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Effect {
        cause: Cause,
        action: Option<u16>,
        actor: u32,
        target: u32,
        spilled_to: Option<u32>,
    },
    Dynamics(u16),
    Clamp,
}

/// One amount that landed on a watched place.
#[derive(Clone, Copy, Debug)]
struct Entry {
    place: usize,
    /// The step it landed in, and the step its taking happened (the same but for delays and
    /// lasting effects).
    step: u32,
    fired: u32,
    key: Key,
    amount: f64,
}

/// The trace of an explained run: what landed on the watched places, and their values.
struct Recorder<'m> {
    m: &'m Model,
    places: &'m [Place],
    ranges: Vec<Option<(f64, f64)>>,
    /// Per place, its value after each step 0..=steps.
    values: Vec<Vec<f64>>,
    /// Per place and step, the sum of what landed (to tell what the clamp removed).
    sums: Vec<Vec<f64>>,
    entries: Vec<Entry>,
    /// The steps whose amounts are kept (`from + 1 ..= to`), when known before the run: a
    /// variable's window. An outcome's is known only after the run, so all are kept.
    keep: Option<(u32, u32)>,
}

impl<'m> Recorder<'m> {
    fn new(m: &'m Model, places: &'m [Place], keep: Option<(u32, u32)>) -> Recorder<'m> {
        let n = m.steps as usize + 1;
        Recorder {
            m,
            places,
            ranges: places.iter().map(|p| p.range(m)).collect(),
            values: vec![vec![0.0; n]; places.len()],
            sums: vec![vec![0.0; n]; places.len()],
            entries: Vec::new(),
            keep,
        }
    }

    fn push(&mut self, place: usize, step: u32, fired: u32, key: Key, amount: f64) {
        self.sums[place][step as usize] += amount;
        if self
            .keep
            .is_some_and(|(from, to)| step <= from || step > to)
        {
            return;
        }
        self.entries.push(Entry {
            place,
            step,
            fired,
            key,
            amount,
        });
    }
}

impl Trace for Recorder<'_> {
    const AMOUNTS: bool = true;
    const TAKINGS: bool = false;

    fn landed(&mut self, t: u32, l: Landed) {
        for p in 0..self.places.len() {
            let place = &self.places[p];
            if (place.relation, place.var, place.index) != (l.relation, l.var, l.index) {
                continue;
            }
            let key = Key::Effect {
                cause: l.cause,
                action: l.action,
                actor: l.actor,
                target: l.target,
                spilled_to: l.spilled_to,
            };
            // It lands in steps t + delay .. t + delay + duration - 1 (those in the run).
            let first = t + l.delay;
            for step in first..first + l.duration.max(1) {
                if step > self.m.steps {
                    break;
                }
                self.push(p, step, t, key, l.amount);
            }
        }
    }

    fn dynamics(&mut self, t: u32, k: usize, indices: Indices, values: &[f64]) {
        let d = &self.m.dynamics[k];
        for p in 0..self.places.len() {
            let place = &self.places[p];
            if (place.relation, place.var) != (d.relation, d.var) {
                continue;
            }
            let i = match indices {
                Indices::Range(start) => {
                    let i = (place.index as usize).wrapping_sub(start);
                    (i < values.len()).then_some(i)
                }
                Indices::List(list) => list.binary_search(&place.index).ok(),
            };
            if let Some(i) = i {
                self.push(p, t, t, Key::Dynamics(k as u16), values[i]);
            }
        }
    }

    fn step_end(&mut self, t: u32, v: Values) {
        for p in 0..self.places.len() {
            let place = &self.places[p];
            let value = v.get(place.relation, place.var, place.index);
            self.values[p][t as usize] = value;
            if t == 0 {
                continue;
            }
            let unclamped = self.values[p][t as usize - 1] + self.sums[p][t as usize];
            if let Some((lo, hi)) = self.ranges[p] {
                // Only where the sum went past a bound and the value sits on it: a sum that
                // differs from the engine's by rounding alone is not a clamp.
                let kept = self.keep.is_none_or(|(from, to)| t > from && t <= to);
                if kept && ((value == lo && unclamped < lo) || (value == hi && unclamped > hi)) {
                    self.entries.push(Entry {
                        place: p,
                        step: t,
                        fired: t,
                        key: Key::Clamp,
                        amount: value - unclamped,
                    });
                }
            }
        }
    }
}

/// The steps explained: the change from the value after step `from` to the value after step
/// `to` (`from` 0: the initial state), so the amounts landing in steps `from + 1 ..= to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The step whose value is the start (0: the initial state).
    pub from: u32,
    /// The step whose value is the end (default: the last).
    pub to: Option<u32>,
}

impl Window {
    /// The window checked against the model's steps: (from, to).
    ///
    /// # Errors
    ///
    /// When `from` is not before `to`, or `to` is past the last step.
    pub fn resolve(self, model: &Model) -> Result<(u32, u32), String> {
        let to = self.to.unwrap_or(model.steps);
        if to > model.steps {
            return Err(format!(
                "--to {to}: the run has {} {}s",
                model.steps, model.time_unit
            ));
        }
        if self.from >= to {
            return Err(format!("--from {} must come before --to {to}", self.from));
        }
        Ok((self.from, to))
    }
}

/// Why an explanation could not be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExplainError {
    /// A run stopped: its index and the error.
    Runtime {
        /// The run.
        run: u64,
        /// What stopped it.
        error: RuntimeError,
    },
    /// A variant without one of the sources does not compile, or names nothing the scenario
    /// has.
    Variant {
        /// What was switched off.
        removed: String,
        /// Its diagnostics, rendered.
        message: String,
    },
    /// Asked to stop.
    Cancelled,
    /// The thread pool could not be built.
    Threads(String),
    /// What was asked does not fit the model: a window past the last step, no runs.
    Invalid(String),
}

impl std::fmt::Display for ExplainError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            ExplainError::Runtime { run, error } => write!(f, "run {run}: {error}"),
            ExplainError::Variant { removed, message } => {
                write!(
                    f,
                    "without {removed}, the scenario does not compile:\n{message}"
                )
            }
            ExplainError::Cancelled => write!(f, "interrupted"),
            ExplainError::Threads(e) => write!(f, "cannot start worker threads: {e}"),
            ExplainError::Invalid(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for ExplainError {}

/// What a recorded run gives: per watched place its value after each step, every amount that
/// landed on it, and the run's record.
struct Recorded {
    values: Vec<Vec<f64>>,
    entries: Vec<Entry>,
    record: crate::RunRecord,
}

/// Run `run` of `m`, recorded for `places` (`None` when cancelled).
fn record(
    sim: &mut Sim,
    m: &Model,
    target: &Target,
    window: (u32, u32),
    (seed, run): (u64, u64),
    cancel: &AtomicBool,
) -> Result<Option<Recorded>, ExplainError> {
    let keep = matches!(target, Target::Place(_)).then_some(window);
    let mut rec = Recorder::new(m, target.places(), keep);
    let r = sim
        .run_traced(seed, run, cancel, &mut rec)
        .map_err(|error| ExplainError::Runtime { run, error })?;
    Ok(r.map(|record| Recorded {
        values: rec.values,
        entries: rec.entries,
        record,
    }))
}

/// The window of each watched place in a run: `(from, to)` for a variable; for an outcome,
/// `(0, the step it was first reached)`, or why there is none.
fn windows(
    target: &Target,
    window: (u32, u32),
    record: &crate::RunRecord,
) -> Vec<Result<(u32, u32), &'static str>> {
    match target {
        Target::Place(_) => vec![Ok(window)],
        Target::Outcome { index, places, .. } => {
            let w = match record.reached[*index] {
                None => Err("the outcome was not reached in this run"),
                Some(0) => Err("the outcome held at the start: nothing moved it there"),
                Some(r) => Ok((0, r)),
            };
            vec![w; places.len()]
        }
    }
}

/// The start and end value of place `p` over `(from, to)` and the amount of each source landing
/// in it, by key.
fn totals(rec: &Recorded, p: usize, (from, to): (u32, u32)) -> (f64, f64, BTreeMap<Key, f64>) {
    let mut by_key = BTreeMap::new();
    for e in rec
        .entries
        .iter()
        .filter(|e| e.place == p && e.step > from && e.step <= to)
    {
        *by_key.entry(e.key).or_insert(0.0) += e.amount;
    }
    (
        rec.values[p][from as usize],
        rec.values[p][to as usize],
        by_key,
    )
}

/// How to run an explanation: which run, or how many.
#[derive(Clone, Copy, Debug)]
pub struct Runs {
    /// The seed.
    pub seed: u64,
    /// One run (`Some(index)`), or an ensemble of `count` runs.
    pub replay: Option<u64>,
    /// Runs of the ensemble (ignored with `replay`).
    pub count: u64,
    /// Worker threads (results do not depend on them).
    pub threads: usize,
}

/// The accounting of `target` over `window` in one run or an ensemble.
///
/// # Errors
///
/// A run that stops ([`ExplainError::Runtime`]), cancellation, or no thread pool.
pub fn explain(
    m: &Model,
    target: &Target,
    window: (u32, u32),
    runs: Runs,
    cancel: &AtomicBool,
) -> Result<Explanation, ExplainError> {
    check(m, target, window, runs)?;
    let places = target.places();
    let mut accounts: Vec<Account> = match runs.replay {
        Some(run) => {
            let mut sim = Sim::new(m);
            let rec = record(&mut sim, m, target, window, (runs.seed, run), cancel)?
                .ok_or(ExplainError::Cancelled)?;
            let wins = windows(target, window, &rec.record);
            places
                .iter()
                .enumerate()
                .map(|(p, place)| run_account(m, &rec, p, place, wins[p]))
                .collect()
        }
        None => ensemble_accounts(m, target, window, runs, cancel)?,
    };
    if let Target::Outcome {
        name, aggregates, ..
    } = target
    {
        if places.is_empty() {
            accounts.push(Account::empty(
                &format!("outcome.{name}"),
                "its condition reads no variable at a named place — only aggregates over many places, actions taken, the step or random draws, which are not decomposed: explain one of the places it aggregates instead",
            ));
        } else if *aggregates {
            for a in &mut accounts {
                let note = "the condition also reads what is not a variable at a named place (aggregates over many places, actions taken, the step or random draws), which is not decomposed here";
                a.note = Some(match a.note.take() {
                    Some(n) => format!("{n}; {note}"),
                    None => note.to_string(),
                });
            }
        }
    }
    let (mode, run, count) = match runs.replay {
        Some(run) => ("run", Some(run), 1),
        None => ("ensemble", None, runs.count),
    };
    Ok(Explanation {
        format: EXPLAIN_FORMAT,
        format_version: EXPLAIN_FORMAT_VERSION,
        detente_version: env!("CARGO_PKG_VERSION"),
        scenario: scenario_info(m),
        parameters: m.parameters.iter().cloned().collect(),
        seed: runs.seed,
        target: target.label(),
        mode,
        run,
        runs: count,
        accounts,
        method: if run.is_some() {
            "accounting: every amount that landed on the place in the window, by source; the range clamp is what clamping removed or added"
        } else {
            "accounting per run, then each source's mean over the runs with a 95% Student t interval (Student 1908); share: the runs in which it contributed"
        },
        counterfactual: None,
    })
}

/// Refuses a window outside the run, no runs, or an outcome the model does not have.
fn check(
    m: &Model,
    target: &Target,
    (from, to): (u32, u32),
    runs: Runs,
) -> Result<(), ExplainError> {
    if to > m.steps || from >= to {
        return Err(ExplainError::Invalid(format!(
            "the window {from}..{to} is not within the run's {} steps",
            m.steps
        )));
    }
    if runs.replay.is_none() && runs.count == 0 {
        return Err(ExplainError::Invalid(
            "an ensemble needs at least one run".into(),
        ));
    }
    if let Target::Outcome { index, .. } = target {
        if *index >= m.outcomes.len() {
            return Err(ExplainError::Invalid("no such outcome".into()));
        }
    }
    Ok(())
}

/// The account of place `p` in one recorded run.
fn run_account(
    m: &Model,
    rec: &Recorded,
    p: usize,
    place: &Place,
    window: Result<(u32, u32), &str>,
) -> Account {
    let (from, to) = match window {
        Ok(w) => w,
        Err(why) => return Account::empty(&place.label, why),
    };
    let (start, end, by_key) = totals(rec, p, (from, to));
    let mut sources: Vec<SourceRow> = by_key
        .iter()
        .map(|(&key, &amount)| {
            let mut fired: Vec<u32> = rec
                .entries
                .iter()
                .filter(|e| e.place == p && e.key == key && e.step > from && e.step <= to)
                .map(|e| e.fired)
                .collect();
            fired.sort_unstable();
            fired.dedup();
            if !matches!(key, Key::Effect { .. }) {
                fired.clear();
            }
            SourceRow {
                amount,
                ci95: None,
                share: None,
                fired,
                ..describe(m, key)
            }
        })
        .collect();
    sort_rows(&mut sources);
    let sum: f64 = sources.iter().map(|s| s.amount).sum();
    Account {
        place: place.label.clone(),
        from: Some(from),
        to: Some(to),
        runs: 1,
        start,
        end,
        residual: end - start - sum,
        sources,
        timeline: timeline(m, rec, p, (from, to)),
        note: None,
    }
}

/// The steps of the window with the largest changes (at most ten, largest first), each with its
/// largest sources.
fn timeline(m: &Model, rec: &Recorded, p: usize, (from, to): (u32, u32)) -> Vec<StepRow> {
    const STEPS: usize = 10;
    const SOURCES: usize = 4;
    let values = &rec.values[p];
    let mut steps: Vec<(u32, f64)> = (from + 1..=to)
        .map(|t| (t, values[t as usize] - values[t as usize - 1]))
        .filter(|(_, c)| *c != 0.0)
        .collect();
    steps.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    steps.truncate(STEPS);
    steps
        .into_iter()
        .map(|(t, change)| {
            let mut by: BTreeMap<(Key, u32), f64> = BTreeMap::new();
            for e in rec.entries.iter().filter(|e| e.place == p && e.step == t) {
                *by.entry((e.key, e.fired)).or_insert(0.0) += e.amount;
            }
            let mut sources: Vec<StepSource> = by
                .into_iter()
                .filter(|(_, a)| *a != 0.0)
                .map(|((key, fired), amount)| StepSource {
                    label: describe(m, key).label,
                    amount,
                    fired: (fired != t).then_some(fired),
                })
                .collect();
            sources.sort_by(|a, b| b.amount.abs().total_cmp(&a.amount.abs()));
            sources.truncate(SOURCES);
            StepRow {
                step: t,
                change,
                sources,
            }
        })
        .collect()
}

/// Largest first (by size), then by label.
fn sort_rows(rows: &mut [SourceRow]) {
    rows.sort_by(|a, b| {
        let clamp = |r: &SourceRow| r.kind == "clamp";
        clamp(a)
            .cmp(&clamp(b))
            .then(b.amount.abs().total_cmp(&a.amount.abs()))
            .then(a.label.cmp(&b.label))
    });
}

/// Each place's account over an ensemble: per run, then the mean of each source over the runs
/// in which the place has a window, with a t interval and the share of runs it contributed in.
fn ensemble_accounts(
    m: &Model,
    target: &Target,
    window: (u32, u32),
    runs: Runs,
    cancel: &AtomicBool,
) -> Result<Vec<Account>, ExplainError> {
    let places = target.places();
    type PerRun = Vec<Option<(f64, f64, BTreeMap<Key, f64>)>>;
    let per_run: Vec<PerRun> = parallel(
        runs,
        |sim, i| {
            let rec = record(sim, m, target, window, (runs.seed, i), cancel)?
                .ok_or(ExplainError::Cancelled)?;
            let wins = windows(target, window, &rec.record);
            Ok((0..places.len())
                .map(|p| wins[p].ok().map(|w| totals(&rec, p, w)))
                .collect())
        },
        m,
    )?;
    let mut accounts = Vec::new();
    for (p, place) in places.iter().enumerate() {
        let had: Vec<&(f64, f64, BTreeMap<Key, f64>)> =
            per_run.iter().filter_map(|r| r[p].as_ref()).collect();
        if had.is_empty() {
            accounts.push(Account::empty(
                &place.label,
                "the outcome was reached in no run (after the start)",
            ));
            continue;
        }
        let n = had.len();
        let mut keys: Vec<Key> = had.iter().flat_map(|(_, _, k)| k.keys().copied()).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut sources: Vec<SourceRow> = keys
            .into_iter()
            .map(|key| {
                let xs: Vec<f64> = had
                    .iter()
                    .map(|(_, _, k)| k.get(&key).copied().unwrap_or(0.0))
                    .collect();
                let s = stats::summarize(&xs);
                let ci = stats::mean_ci(s);
                let share = xs.iter().filter(|x| **x != 0.0).count() as f64 / n as f64;
                SourceRow {
                    amount: s.mean,
                    ci95: Some([ci.lo, ci.hi]),
                    share: Some(share),
                    fired: Vec::new(),
                    ..describe(m, key)
                }
            })
            .collect();
        sort_rows(&mut sources);
        let start = had.iter().map(|(s, _, _)| s).sum::<f64>() / n as f64;
        let end = had.iter().map(|(_, e, _)| e).sum::<f64>() / n as f64;
        let sum: f64 = sources.iter().map(|s| s.amount).sum();
        let (from, to) = match target {
            Target::Place(_) => (Some(window.0), Some(window.1)),
            Target::Outcome { .. } => (Some(0), None),
        };
        accounts.push(Account {
            place: place.label.clone(),
            from,
            to,
            runs: n as u64,
            start,
            end,
            residual: end - start - sum,
            sources,
            timeline: Vec::new(),
            note: match target {
                Target::Place(_) => None,
                Target::Outcome { .. } => Some(format!(
                    "over the {n} runs that reached the outcome, each up to the step it was first reached"
                )),
            },
        });
    }
    Ok(accounts)
}

/// `f(sim, run)` for runs `0..runs.count` on a pool of `runs.threads`, in run order.
fn parallel<T: Send>(
    runs: Runs,
    f: impl Fn(&mut Sim, u64) -> Result<T, ExplainError> + Sync,
    m: &Model,
) -> Result<Vec<T>, ExplainError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(runs.threads.max(1))
        .build()
        .map_err(|e| ExplainError::Threads(e.to_string()))?;
    // Every run's result, then the first error in run order: which error is reported does not
    // depend on the threads (a cancelled run is only reported when no earlier run failed).
    let results: Vec<Result<T, ExplainError>> = pool.install(|| {
        (0..runs.count)
            .into_par_iter()
            .map_init(|| Sim::new(m), |sim, i| f(sim, i))
            .collect()
    });
    let mut out = Vec::with_capacity(results.len());
    let mut cancelled = false;
    for r in results {
        match r {
            Ok(x) => out.push(x),
            Err(ExplainError::Cancelled) => cancelled = true,
            Err(e) => return Err(e),
        }
    }
    if cancelled {
        return Err(ExplainError::Cancelled);
    }
    Ok(out)
}

/// A source's kind, names and label.
fn describe(m: &Model, key: Key) -> SourceRow {
    let id = |a: u32| (a as usize) < m.n_actors();
    let name = |a: u32| m.graph[a].id.clone();
    let blank = SourceRow {
        kind: "clamp",
        name: None,
        action: None,
        actor: None,
        target: None,
        spilled_to: None,
        label: "range clamp".into(),
        amount: 0.0,
        ci95: None,
        share: None,
        fired: Vec::new(),
    };
    match key {
        Key::Clamp => blank,
        Key::Dynamics(k) => {
            let n = m.dynamics[k as usize].name.clone();
            SourceRow {
                kind: "dynamics",
                label: format!("dynamics `{n}`"),
                name: Some(n),
                ..blank
            }
        }
        Key::Effect {
            cause,
            action,
            actor,
            target,
            spilled_to,
        } => {
            let (kind, who) = match cause {
                Cause::Rule(i) => ("rule", m.rules[i].name.clone()),
                Cause::Event(i) => ("event", m.events[i].name.clone()),
                Cause::Shock(i) => ("shock", m.shocks[i].name.clone()),
            };
            let action = action.map(|a| m.actions[a as usize].name.clone());
            let mut label = match (cause, &action) {
                (Cause::Shock(_), _) | (_, None) => format!("shock `{who}`"),
                (_, Some(a)) if id(target) => {
                    format!("{} {a} → {} ({kind} {who})", name(actor), name(target))
                }
                (_, Some(a)) => format!("{} {a} ({kind} {who})", name(actor)),
            };
            if let Some(k) = spilled_to {
                label.push_str(&format!(", spilled to {}", name(k)));
            }
            SourceRow {
                kind,
                name: Some(who),
                action,
                actor: id(actor).then(|| name(actor)),
                target: id(target).then(|| name(target)),
                spilled_to: spilled_to.map(name),
                label,
                ..blank
            }
        }
    }
}

/// A sort of removable item: its prefix, the names the model has, and how to make one.
type Sort<'a> = (&'a str, &'a Vec<&'a str>, fn(String) -> Removal);

/// What a counterfactual switches off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    /// A rule.
    Rule(String),
    /// An event.
    Event(String),
    /// A shock.
    Shock(String),
    /// A dynamics line.
    Dynamics(String),
    /// An action: every rule and event that takes it.
    Action(String),
}

impl Removal {
    /// `rule x`, `action y`, …
    pub fn label(&self) -> String {
        match self {
            Removal::Rule(n) => format!("rule {n}"),
            Removal::Event(n) => format!("event {n}"),
            Removal::Shock(n) => format!("shock {n}"),
            Removal::Dynamics(n) => format!("dynamics {n}"),
            Removal::Action(n) => format!("action {n}"),
        }
    }

    /// What `names` switch off in `m`: each a rule, event, shock, dynamics line or action, by
    /// name (`rule:NAME` and the like where a name is two of them); none: every rule, event and
    /// shock.
    ///
    /// # Errors
    ///
    /// A name that is none of them, or more than one without a prefix.
    pub fn list(m: &Model, names: &[String]) -> Result<Vec<Removal>, String> {
        let rules: Vec<&str> = m.rules.iter().map(|r| r.name.as_str()).collect();
        let events: Vec<&str> = m.events.iter().map(|e| e.name.as_str()).collect();
        let shocks: Vec<&str> = m.shocks.iter().map(|s| s.name.as_str()).collect();
        let dynamics: Vec<&str> = m.dynamics.iter().map(|d| d.name.as_str()).collect();
        let actions: Vec<&str> = m.actions.iter().map(|a| a.name.as_str()).collect();
        if names.is_empty() {
            return Ok(rules
                .iter()
                .map(|n| Removal::Rule(n.to_string()))
                .chain(events.iter().map(|n| Removal::Event(n.to_string())))
                .chain(shocks.iter().map(|n| Removal::Shock(n.to_string())))
                .collect());
        }
        let sorts: [Sort; 5] = [
            ("rule", &rules, Removal::Rule),
            ("event", &events, Removal::Event),
            ("shock", &shocks, Removal::Shock),
            ("dynamics", &dynamics, Removal::Dynamics),
            ("action", &actions, Removal::Action),
        ];
        let mut out = Vec::new();
        for raw in names {
            let (prefix, name) = match raw.split_once(':') {
                Some((p, n)) => (Some(p), n),
                None => (None, raw.as_str()),
            };
            let found: Vec<&Sort> = sorts
                .iter()
                .filter(|(sort, list, _)| prefix.is_none_or(|p| p == *sort) && list.contains(&name))
                .collect();
            match found[..] {
                [(_, _, make)] => out.push(make(name.to_string())),
                [] => {
                    if let Some(p) = prefix.filter(|p| !sorts.iter().any(|(s, _, _)| s == p)) {
                        return Err(format!(
                            "`{raw}`: `{p}` is not rule, event, shock, dynamics or action"
                        ));
                    }
                    let all: Vec<&str> = sorts
                        .iter()
                        .flat_map(|(_, l, _)| l.iter().copied())
                        .collect();
                    return Err(with_hint(
                        format!("`{raw}` is no rule, event, shock, dynamics line or action of the scenario"),
                        name,
                        &all,
                    ));
                }
                _ => {
                    let kinds: Vec<String> = found
                        .iter()
                        .map(|(s, _, _)| format!("{s}:{name}"))
                        .collect();
                    return Err(format!(
                        "`{name}` names more than one thing: write {}",
                        kinds.join(" or ")
                    ));
                }
            }
        }
        Ok(out)
    }

    /// `resolved` with this switched off, or `None` if it names nothing enabled there.
    fn apply(&self, resolved: &Resolved) -> Option<Resolved> {
        let mut r = resolved.clone();
        let spec = &mut r.spec;
        let mut found = false;
        let mut off = |enabled: &mut Option<bool>| {
            found |= *enabled != Some(false);
            *enabled = Some(false);
        };
        match self {
            Removal::Rule(n) => {
                if let Some(x) = spec.rules.get_mut(n) {
                    off(&mut x.value.enabled);
                }
            }
            Removal::Event(n) => {
                if let Some(x) = spec.events.get_mut(n) {
                    off(&mut x.value.enabled);
                }
            }
            Removal::Shock(n) => {
                if let Some(x) = spec.shocks.get_mut(n) {
                    off(&mut x.value.enabled);
                }
            }
            Removal::Dynamics(n) => {
                if let Some(x) = spec.dynamics.get_mut(n) {
                    off(&mut x.value.enabled);
                }
            }
            Removal::Action(n) => {
                let takes =
                    |a: &Option<crate::spec::Name>| a.as_ref().is_some_and(|a| a.value == *n);
                for x in spec.rules.values_mut().filter(|x| takes(&x.value.action)) {
                    off(&mut x.value.enabled);
                }
                for x in spec.events.values_mut().filter(|x| takes(&x.value.action)) {
                    off(&mut x.value.enabled);
                }
            }
        }
        found.then_some(r)
    }
}

/// Records the watched places' values after step `to`: all a counterfactual run needs beside
/// its record. It watches nothing else (`AMOUNTS` and `TAKINGS` are false), so the run costs what a plain one does.
struct ValueAt<'a> {
    places: &'a [Place],
    to: u32,
    values: Vec<f64>,
}

impl Trace for ValueAt<'_> {
    const AMOUNTS: bool = false;
    const TAKINGS: bool = false;

    fn step_end(&mut self, t: u32, v: Values) {
        if t == self.to {
            self.values = self
                .places
                .iter()
                .map(|p| v.get(p.relation, p.var, p.index))
                .collect();
        }
    }
}

/// Per run: the watched places' values at `to`, and which outcomes were reached.
type Twin = (Vec<f64>, Vec<bool>);

fn twins(
    m: &Model,
    places: &[Place],
    to: u32,
    runs: Runs,
    cancel: &AtomicBool,
) -> Result<Vec<Twin>, ExplainError> {
    parallel(
        runs,
        |sim, i| {
            let mut at = ValueAt {
                places,
                to,
                values: Vec::new(),
            };
            let r = sim
                .run_traced(runs.seed, i, cancel, &mut at)
                .map_err(|error| ExplainError::Runtime { run: i, error })?
                .ok_or(ExplainError::Cancelled)?;
            Ok((at.values, r.reached.iter().map(Option::is_some).collect()))
        },
        m,
    )
}

/// Each removal's total effect on the target (its value at the window's end, for a variable)
/// and on every outcome's probability: the same runs (seed, run indices) with and without it,
/// paired. `m` is `resolved` compiled with `overrides`; `progress` hears of each variant done.
///
/// # Errors
///
/// A variant that does not compile, a run that stops, cancellation.
#[allow(clippy::too_many_arguments)]
pub fn counterfactual(
    resolved: &Resolved,
    overrides: &Overrides,
    m: &Model,
    target: &Target,
    to: u32,
    removals: &[Removal],
    runs: Runs,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize),
) -> Result<Counterfactual, ExplainError> {
    let runs = Runs {
        replay: None,
        ..runs
    };
    let places = target.places();
    let place_value = matches!(target, Target::Place(_));
    let with = twins(m, places, to, runs, cancel)?;
    let mut rows = Vec::new();
    for (i, removal) in removals.iter().enumerate() {
        let changed = removal
            .apply(resolved)
            .ok_or_else(|| ExplainError::Variant {
                removed: removal.label(),
                message:
                    "the scenario has no such item (or no enabled rule or event takes the action)"
                        .into(),
            })?;
        let variant =
            crate::compile::compile(changed, overrides).map_err(|d| ExplainError::Variant {
                removed: removal.label(),
                message: d.render(),
            })?;
        let without = twins(&variant, places, to, runs, cancel)?;
        let value_test = place_value.then(|| {
            let diffs: Vec<f64> = with
                .iter()
                .zip(&without)
                .map(|(a, b)| a.0[0] - b.0[0])
                .collect();
            DiffTest::PairedT(stats::summarize(&diffs))
        });
        let (effect, ci95, p_value) = match &value_test {
            Some(test) => {
                let ci = test.interval(0.95);
                (
                    Some(test.estimate()),
                    Some([ci.lo, ci.hi]),
                    Some(test.p_value()),
                )
            }
            None => (None, None, None),
        };
        let outcomes = m
            .outcomes
            .iter()
            .enumerate()
            .map(|(o, out)| {
                let mut t = PairedTable::default();
                for (a, b) in with.iter().zip(&without) {
                    match (a.1[o], b.1[o]) {
                        (true, true) => t.both += 1,
                        (true, false) => t.first_only += 1,
                        (false, true) => t.second_only += 1,
                        (false, false) => t.neither += 1,
                    }
                }
                let n = t.n().max(1) as f64;
                let test = DiffTest::NewcombePaired(t);
                let ci = test.interval(0.95);
                OutcomeEffect {
                    outcome: out.name.clone(),
                    with: (t.both + t.first_only) as f64 / n,
                    without: (t.both + t.second_only) as f64 / n,
                    effect: test.estimate(),
                    ci95: [ci.lo, ci.hi],
                    level: 0.95,
                    p_value: test.p_value(),
                    test,
                }
            })
            .collect();
        rows.push(CounterfactualRow {
            removed: removal.label(),
            effect,
            ci95,
            level: 0.95,
            p_value,
            outcomes,
            value_test,
        });
        progress(i + 1);
    }
    Ok(Counterfactual {
        runs: runs.count,
        to,
        value_method: "paired t interval on the per-run differences, with − without (Student 1908)",
        outcome_method: "Newcombe's paired score interval, with − without (Newcombe 1998, Stat Med 17:2635, method 10)",
        adjustment: "none",
        rows,
    })
}
