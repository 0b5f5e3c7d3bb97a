//! Reports: what a run means for a reader — the versioned JSON report, the text summary and the
//! trajectory table. Pure functions from a model and a run record to text; no I/O.

use super::number::num;
use crate::model::Model;
use crate::sim::RunRecord;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Name of the JSON format of a single-run report.
pub const RUN_FORMAT: &str = "detente-run";
/// Version of that format; bumped on any incompatible change.
pub const RUN_FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub format: &'static str,
    pub format_version: u32,
    pub detente_version: &'static str,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    pub parameters: BTreeMap<String, f64>,
    pub outcomes: Vec<OutcomeReport>,
    pub series: Vec<SeriesReport>,
    pub actions: Vec<ActionCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    /// Hash of every file the scenario was loaded from (hex).
    pub content_hash: String,
    pub steps: u32,
    pub time_unit: String,
    pub dt: f64,
    pub actors: usize,
    pub relations: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct OutcomeReport {
    pub name: String,
    pub condition: String,
    pub description: String,
    pub reached: bool,
    pub first_step: Option<u32>,
    pub holds_at_end: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct SeriesReport {
    pub name: String,
    pub expression: String,
    pub initial: f64,
    #[serde(rename = "final")]
    pub last: f64,
    pub min: f64,
    pub max: f64,
    /// The first step at which `max` was reached.
    pub peak_step: u32,
    pub mean: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ActionCount {
    pub actor: String,
    pub action: String,
    pub count: u64,
}

/// Builds the report of one run.
pub fn run_report(model: &Model, record: &RunRecord) -> RunReport {
    let n_actions = model.actions.len();
    let mut actions = Vec::new();
    for a in 0..model.n_actors() {
        for (k, act) in model.actions.iter().enumerate() {
            let count = record.action_counts[a * n_actions + k];
            if count > 0 {
                actions.push(ActionCount {
                    actor: model.actor(a as u32).id.clone(),
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
        parameters: model.parameters.iter().cloned().collect(),
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

impl RunReport {
    /// The report as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        super::json::to_string(self)
    }

    /// A summary for people: key numbers, actions taken, outcomes.
    pub fn summary(&self) -> String {
        let sc = &self.scenario;
        let unit = &sc.time_unit;
        let mut out = String::new();
        let _ = writeln!(out, "{}", sc.name);
        let _ = writeln!(
            out,
            "{} {}s, seed {}, {} actors, {} relations, scenario hash {}",
            sc.steps, unit, self.seed, sc.actors, sc.relations, sc.content_hash
        );
        if !self.series.is_empty() {
            let width = self
                .series
                .iter()
                .map(|s| s.expression.chars().count())
                .max()
                .unwrap_or(0)
                .clamp(10, 48);
            let _ = writeln!(
                out,
                "\n{:<width$}  {:>9}  {:>9}  {:>9}  {:>6}",
                "key numbers", "start", "final", "peak", unit
            );
            for s in &self.series {
                let label: String = s.expression.chars().take(width).collect();
                let _ = writeln!(
                    out,
                    "{label:<width$}  {:>9}  {:>9}  {:>9}  {:>6}",
                    num(s.initial),
                    num(s.last),
                    num(s.max),
                    s.peak_step
                );
            }
        }
        let _ = writeln!(out, "\nactions taken");
        if self.actions.is_empty() {
            let _ = writeln!(out, "  none");
        }
        let mut by_actor: BTreeMap<&str, (u64, Vec<String>)> = BTreeMap::new();
        for a in &self.actions {
            let entry = by_actor.entry(&a.actor).or_default();
            entry.0 += a.count;
            entry.1.push(format!("{} ×{}", a.action, a.count));
        }
        // Large networks: the most active actors, then totals per action.
        const SHOWN: usize = 12;
        let mut actors: Vec<(&str, (u64, Vec<String>))> = by_actor.into_iter().collect();
        let hidden = actors.len().saturating_sub(SHOWN);
        if hidden > 0 {
            actors.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        }
        for (actor, (_, list)) in actors.iter().take(SHOWN) {
            let _ = writeln!(out, "  {actor:<8} {}", list.join(", "));
        }
        if hidden > 0 {
            let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
            for a in &self.actions {
                *totals.entry(&a.action).or_default() += a.count;
            }
            let list: Vec<String> = totals.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
            let _ = writeln!(
                out,
                "  … and {hidden} more actors; all actors together: {}",
                list.join(", ")
            );
        }
        if !self.outcomes.is_empty() {
            let _ = writeln!(out, "\noutcomes");
            let width = self
                .outcomes
                .iter()
                .map(|o| o.name.len())
                .max()
                .unwrap_or(0);
            for o in &self.outcomes {
                let status = match o.first_step {
                    Some(t) => format!("reached at {unit} {t}"),
                    None => "not reached".to_string(),
                };
                let _ = writeln!(out, "  {:<width$}  {status:<22} ({})", o.name, o.condition);
            }
        }
        out
    }
}

/// The series over time as CSV: `step` then one column per series.
pub fn trajectory_csv(model: &Model, record: &RunRecord) -> String {
    let mut out = String::from("step");
    for s in &model.series {
        out.push(',');
        out.push_str(&s.name);
    }
    out.push('\n');
    for t in 0..=record.steps as usize {
        let _ = write!(out, "{t}");
        for v in &record.series {
            let _ = write!(out, ",{}", v[t]);
        }
        out.push('\n');
    }
    out
}
