//! The report of one run: what it means for a reader (scenario, outcomes, key numbers of each
//! series, actions taken) and its trajectory. Built from a model and a run record; rendering is
//! the exporters' job.

use crate::model::Model;
use crate::sim::RunRecord;
use serde::Serialize;
use std::collections::BTreeMap;

/// Name of the JSON format of a single-run report.
pub const RUN_FORMAT: &str = "detente-run";
/// Version of that format; bumped on any incompatible change.
pub const RUN_FORMAT_VERSION: u32 = 1;

/// The report of one run: the `detente-run` JSON format.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Always [`RUN_FORMAT`].
    pub format: &'static str,
    /// Always [`RUN_FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of detente that made the run.
    pub detente_version: &'static str,
    /// Which scenario was run.
    pub scenario: ScenarioInfo,
    /// The seed the run was made with.
    pub seed: u64,
    /// The run's index in an ensemble of that seed (0 for a single run): `detente run --seed
    /// SEED --replay RUN` makes this run again.
    pub run: u64,
    /// Every parameter's value in the run, `--set` overrides applied.
    pub parameters: BTreeMap<String, f64>,
    /// One entry per outcome of the scenario, in the model's order.
    pub outcomes: Vec<OutcomeReport>,
    /// One entry per report series, in the model's order.
    pub series: Vec<SeriesReport>,
    /// Every (actor, action) pair with a count above zero, by actor, then action, in the
    /// model's order.
    pub actions: Vec<ActionCount>,
    /// One entry per shock of the scenario, in name order (absent from JSON when it has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<ShockCount>,
}

/// How often one shock happened in a run.
#[derive(Clone, Debug, Serialize)]
pub struct ShockCount {
    /// The shock's name.
    pub name: String,
    /// Its description (empty if none).
    pub description: String,
    /// How many steps it happened in.
    pub count: u32,
    /// The first step it happened, if it did.
    pub first_step: Option<u32>,
}

/// Which scenario a report is of, and its size.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ScenarioInfo {
    /// The scenario's `name` (or its file name).
    pub name: String,
    /// The scenario's `description` (empty if none).
    pub description: String,
    /// Hash of every file the scenario was loaded from (hex).
    pub content_hash: String,
    /// Steps per run (after any `--steps`).
    pub steps: u32,
    /// What a step is called, e.g. `week`.
    pub time_unit: String,
    /// The value of `dt` in expressions.
    pub dt: f64,
    /// How many actors.
    pub actors: usize,
    /// How many relations.
    pub relations: usize,
}

/// Whether and when one run reached an outcome.
#[derive(Clone, Debug, Serialize)]
pub struct OutcomeReport {
    /// The outcome's name.
    pub name: String,
    /// Its condition, as written.
    pub condition: String,
    /// Its description (empty if none).
    pub description: String,
    /// Whether it was reached at any step, 0 included.
    pub reached: bool,
    /// The first step it was reached at, if it was.
    pub first_step: Option<u32>,
    /// Whether its condition holds at the last step.
    pub holds_at_end: bool,
}

/// The key numbers of one series over one run.
#[derive(Clone, Debug, Serialize)]
pub struct SeriesReport {
    /// The series' name.
    pub name: String,
    /// Its expression, as written.
    pub expression: String,
    /// Its value at step 0.
    pub initial: f64,
    /// Its value at the last step (`final` in JSON).
    #[serde(rename = "final")]
    pub last: f64,
    /// Its minimum over steps 0..=steps.
    pub min: f64,
    /// Its maximum over steps 0..=steps.
    pub max: f64,
    /// The first step at which `max` was reached.
    pub peak_step: u32,
    /// Its mean over steps 0..=steps.
    pub mean: f64,
}

/// How often one actor took one action (only counts above zero are reported).
#[derive(Clone, Debug, Serialize)]
pub struct ActionCount {
    /// The actor's id.
    pub actor: String,
    /// The action's name.
    pub action: String,
    /// How many times the actor took it in the run (rules and events together, every target).
    pub count: u64,
}

/// Builds the report of one run: `record` must be a run of `model`.
pub fn run_report(model: &Model, record: &RunRecord) -> RunReport {
    let n_actions = model.actions.len();
    let mut actions = Vec::new();
    for a in 0..model.n_actors() {
        for (k, act) in model.actions.iter().enumerate() {
            let count = record.action_counts[a * n_actions + k];
            if count > 0 {
                actions.push(ActionCount {
                    actor: model.graph[a as u32].id.clone(),
                    action: act.name.clone(),
                    count,
                });
            }
        }
    }
    RunReport {
        format: RUN_FORMAT,
        format_version: RUN_FORMAT_VERSION,
        detente_version: env!("CARGO_PKG_VERSION"),
        scenario: scenario_info(model),
        seed: record.seed,
        run: record.run,
        parameters: model.parameters.iter().cloned().collect(),
        shocks: model
            .shocks
            .iter()
            .enumerate()
            .map(|(i, sh)| ShockCount {
                name: sh.name.clone(),
                description: sh.description.clone(),
                count: record.shock_counts[i],
                first_step: record.first_shock[i],
            })
            .collect(),
        outcomes: model
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| OutcomeReport {
                name: o.name.clone(),
                condition: o.text.clone(),
                description: o.description.clone(),
                reached: record.reached[i].is_some(),
                first_step: record.reached[i],
                holds_at_end: record.holds_at_end[i],
            })
            .collect(),
        series: model
            .series
            .iter()
            .zip(&record.series)
            .map(|(s, v)| series_report(&s.name, &s.text, v))
            .collect(),
        actions,
    }
}

/// The scenario part of every report: which scenario `model` is, and its size.
pub fn scenario_info(model: &Model) -> ScenarioInfo {
    ScenarioInfo {
        name: model.name.clone(),
        description: model.description.clone(),
        content_hash: format!("{:016x}", model.content_hash),
        steps: model.steps,
        time_unit: model.time_unit.clone(),
        dt: model.dt,
        actors: model.n_actors(),
        relations: model.n_relations(),
    }
}

fn series_report(name: &str, text: &str, v: &[f64]) -> SeriesReport {
    let (mut min, mut max, mut peak) = (f64::INFINITY, f64::NEG_INFINITY, 0);
    for (t, &x) in v.iter().enumerate() {
        min = min.min(x);
        if x > max {
            max = x;
            peak = t as u32;
        }
    }
    SeriesReport {
        name: name.to_string(),
        expression: text.to_string(),
        initial: v.first().copied().unwrap_or(0.0),
        last: v.last().copied().unwrap_or(0.0),
        min,
        max,
        peak_step: peak,
        mean: v.iter().sum::<f64>() / v.len().max(1) as f64,
    }
}

/// The series of one run, step by step (what the trajectory CSV holds), and the actions taken
/// at each step (what the trajectory charts mark). Borrows from the model and the run record.
#[derive(Clone, Debug)]
pub struct Trajectory<'a> {
    /// Series names, in report order.
    pub names: Vec<&'a str>,
    /// Per series, its value at steps 0..=steps.
    pub values: &'a [Vec<f64>],
    /// The run's last step.
    pub steps: u32,
    /// Every action taken, by step, when the run kept its firing log ([`crate::Sim::run_logged`]);
    /// empty otherwise, and then the charts mark no actions.
    pub actions: Vec<TakenAction<'a>>,
}

/// One action taken in a run, by name: when, by whom, toward whom, through which rule or event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TakenAction<'a> {
    /// The step it was taken in.
    pub step: u32,
    /// The action.
    pub action: &'a str,
    /// The actor's id.
    pub actor: &'a str,
    /// The target's id, if it has one.
    pub target: Option<&'a str>,
    /// `rule` or `event`.
    pub cause: &'static str,
    /// The rule's or event's name.
    pub by: &'a str,
}

impl TakenAction<'_> {
    /// The taking in words, without its step: `BLR push_migrants → LTU (rule blr_retaliates)`.
    pub fn describe(&self) -> String {
        match self.target {
            Some(t) => format!(
                "{} {} → {t} ({} {})",
                self.actor, self.action, self.cause, self.by
            ),
            None => format!(
                "{} {} ({} {})",
                self.actor, self.action, self.cause, self.by
            ),
        }
    }
}

/// The trajectory of one run: `record` must be a run of `model`.
pub fn trajectory<'a>(model: &'a Model, record: &'a RunRecord) -> Trajectory<'a> {
    let actor = |a: crate::ids::ActorId| model.graph[a.0].id.as_str();
    let actions = record
        .takings
        .iter()
        .map(|t| {
            let (cause, by) = match t.cause {
                crate::sim::Cause::Rule(i) => ("rule", model.rules[i].name.as_str()),
                crate::sim::Cause::Event(i) => ("event", model.events[i].name.as_str()),
                crate::sim::Cause::Shock(i) => ("shock", model.shocks[i].name.as_str()),
            };
            TakenAction {
                step: t.step,
                action: model.actions[t.action.index()].name.as_str(),
                actor: actor(t.actor),
                target: t.target.map(actor),
                cause,
                by,
            }
        })
        .collect();
    Trajectory {
        names: model.series.iter().map(|s| s.name.as_str()).collect(),
        values: &record.series,
        steps: record.steps,
        actions,
    }
}
