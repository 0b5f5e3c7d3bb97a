//! The text exporter: the summaries printed on a terminal after a run or an ensemble. For
//! people, so numbers are rounded; nothing here is meant to be parsed.

use super::ensemble::{EnsembleReport, MetricStats};
use super::metric::MetricKind;
use super::number::{num, pct};
use super::run::{ActionCount, RunReport};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Actors listed by name in a run summary; beyond this, the most active ones and totals.
const SHOWN_ACTORS: usize = 12;

/// The summary of one run: key numbers of each series, actions taken, outcomes.
/// Control characters in names from the scenario (say an ESC in its title) are shown escaped.
pub fn run(report: &RunReport) -> String {
    let sc = &report.scenario;
    let unit = &sc.time_unit;
    let mut out = String::new();
    let _ = writeln!(out, "{}", sc.name);
    let _ = writeln!(
        out,
        "{} {}s, seed {}{}, {} actors, {} relations, scenario hash {}",
        sc.steps,
        unit,
        report.seed,
        match report.run {
            0 => String::new(),
            i => format!(" run {i}"),
        },
        sc.actors,
        sc.relations,
        sc.content_hash
    );
    if !report.series.is_empty() {
        let width = report
            .series
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(10, 48);
        let _ = writeln!(
            out,
            "\n{:<width$}  {:>9}  {:>9}  {:>9}  {:>6}",
            "key numbers", "start", "final", "peak", unit
        );
        for s in &report.series {
            // By name: what `--fail-if final.NAME …` and the CSV columns call it.
            let label: String = s.name.chars().take(width).collect();
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
    actions_taken(&mut out, &report.actions);
    if !report.shocks.is_empty() {
        let _ = writeln!(out, "\nshocks");
        let width = report
            .shocks
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(0);
        for s in &report.shocks {
            let status = match s.first_step {
                Some(t) => format!("×{} (first at {unit} {t})", s.count),
                None => "did not happen".to_string(),
            };
            let _ = writeln!(out, "  {:<width$}  {status}", s.name);
        }
    }
    if !report.outcomes.is_empty() {
        let _ = writeln!(out, "\noutcomes");
        let width = report
            .outcomes
            .iter()
            .map(|o| o.name.len())
            .max()
            .unwrap_or(0);
        for o in &report.outcomes {
            let status = match o.first_step {
                Some(t) => format!("reached at {unit} {t}"),
                None => "not reached".to_string(),
            };
            let _ = writeln!(out, "  {:<width$}  {status:<22} ({})", o.name, o.condition);
        }
    }
    crate::diag::escape_controls_by_line(&out)
}

/// Actions per actor; for large networks, the most active actors, then totals per action.
fn actions_taken(out: &mut String, actions: &[ActionCount]) {
    if actions.is_empty() {
        let _ = writeln!(out, "  none");
    }
    let mut by_actor: BTreeMap<&str, (u64, Vec<String>)> = BTreeMap::new();
    for a in actions {
        let entry = by_actor.entry(&a.actor).or_default();
        entry.0 += a.count;
        entry.1.push(format!("{} ×{}", a.action, a.count));
    }
    let mut actors: Vec<(&str, (u64, Vec<String>))> = by_actor.into_iter().collect();
    let hidden = actors.len().saturating_sub(SHOWN_ACTORS);
    if hidden > 0 {
        actors.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    }
    for (actor, (_, list)) in actors.iter().take(SHOWN_ACTORS) {
        let _ = writeln!(out, "  {actor:<8} {}", list.join(", "));
    }
    if hidden > 0 {
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        for a in actions {
            *totals.entry(&a.action).or_default() += a.count;
        }
        let list: Vec<String> = totals.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
        let _ = writeln!(
            out,
            "  … and {hidden} more actors; all actors together: {}",
            list.join(", ")
        );
    }
}

/// The summary of an ensemble: outcome probabilities and the distribution of final values.
pub fn ensemble(report: &EnsembleReport) -> String {
    let mut out = String::new();
    let sc = &report.scenario;
    let _ = writeln!(out, "{}", sc.name);
    let _ = writeln!(
        out,
        "{} runs of {} {}s, seed {}, scenario hash {}",
        report.runs, sc.steps, sc.time_unit, report.seed, sc.content_hash
    );
    if !report.outcomes.is_empty() {
        let _ = writeln!(out, "\noutcomes (probability, 95% Wilson interval)");
        let w = report
            .outcomes
            .iter()
            .map(|o| o.name.len())
            .max()
            .unwrap_or(0);
        for o in &report.outcomes {
            let _ = writeln!(
                out,
                "  {:<w$}  {:>6}  [{}, {}]",
                o.name,
                pct(o.probability),
                pct(o.ci95[0]),
                pct(o.ci95[1])
            );
        }
    }
    if !report.shocks.is_empty() {
        let _ = writeln!(
            out,
            "\nshocks (share of runs it happened in, 95% Wilson interval; mean {}s it happened in)",
            sc.time_unit
        );
        let w = report
            .shocks
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0);
        for s in &report.shocks {
            let _ = writeln!(
                out,
                "  {:<w$}  {:>6}  [{}, {}]  {:.2}",
                s.name,
                pct(s.probability),
                pct(s.ci95[0]),
                pct(s.ci95[1]),
                s.mean_count
            );
        }
    }
    let finals: Vec<&MetricStats> = report
        .metrics
        .iter()
        .filter(|m| m.id.kind == MetricKind::Final)
        .collect();
    if !finals.is_empty() {
        let _ = writeln!(out, "\nfinal values (mean ± sd; median [5%, 95%])");
        // By metric id, as `--fail-if` takes it.
        let ids: Vec<String> = finals.iter().map(|m| m.id.to_string()).collect();
        let w = ids
            .iter()
            .map(|i| i.chars().count())
            .max()
            .unwrap_or(0)
            .min(48);
        for (m, id) in finals.into_iter().zip(&ids) {
            let label: String = id.chars().take(w).collect();
            let q = m.quantiles;
            let _ = writeln!(
                out,
                "  {label:<w$}  {} ± {}; {} [{}, {}]",
                num(m.mean),
                num(m.sd),
                num(q[2]),
                num(q[0]),
                num(q[4])
            );
        }
    }
    crate::diag::escape_controls_by_line(&out)
}
