//! The report of a sweep, written as it runs: a head (what was swept, how), one row per point
//! as each finishes, and a tail (the sensitivity analysis), in CSV, JSON or Markdown. Each
//! exporter is three functions, so a sweep of any size is written with the memory of one row.
//! The HTML page of a sweep ([`super::html::sweep`]) is not streamed: it is written at the end
//! from the rows the caller kept.

use super::number::{num, pct};
use super::run::ScenarioInfo;
use crate::model::Model;
use crate::report::metric::MetricKind;
use crate::sweep::{Design, FactorRange, Noise, Plan, Point, Sensitivity};
use serde::Serialize;
use std::fmt::Write;

/// Name of the JSON format of a sweep.
pub const FORMAT: &str = "detente-sweep";
/// Version of that format.
pub const FORMAT_VERSION: u32 = 1;

/// What was swept and how: everything needed to run the sweep again.
#[derive(Clone, Debug, Serialize)]
pub struct Head {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of detente that ran the sweep.
    pub detente_version: &'static str,
    /// The scenario at its defaults.
    pub scenario: ScenarioInfo,
    /// The design's name (`grid`, `oat`, `lhs`, `sobol`, `morris`).
    pub design: &'static str,
    /// The design's size: levels, points, base rows, or trajectories and levels.
    pub size: Vec<u32>,
    /// The seed of the design's own draws.
    pub design_seed: u64,
    /// Runs per point.
    pub runs: u64,
    /// The seed every point's runs share.
    pub seed: u64,
    /// The factors: name, range (`[lo, hi]` or the listed values), whole numbers or not.
    pub factors: Vec<FactorInfo>,
    /// The outputs, in row order: metric ids and labels.
    pub outputs: Vec<crate::sweep::Output>,
    /// How many points.
    pub points: usize,
    /// Common random numbers, in words.
    pub pairing: String,
}

/// One factor of a sweep, as reports show it.
#[derive(Clone, Debug, Serialize)]
pub struct FactorInfo {
    /// The parameter.
    pub name: String,
    /// Its value in the scenario.
    pub default: f64,
    /// `[lo, hi]` for an interval, else the listed values.
    pub values: Vec<f64>,
    /// Whether an interval's values are listed (`V1,V2,…`) rather than a range.
    pub listed: bool,
    /// Whole numbers only.
    pub whole: bool,
}

impl FactorInfo {
    /// Its values for people: "0.0500 to 0.2000", or the listed values, and "(whole numbers)".
    pub fn values_text(&self) -> String {
        let values = if self.listed {
            self.values
                .iter()
                .map(|v| num(*v))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            format!("{} to {}", num(self.values[0]), num(self.values[1]))
        };
        let whole = if self.whole { " (whole numbers)" } else { "" };
        format!("{values}{whole}")
    }
}

/// The head of the sweep `plan` of `model` with `runs` runs from `seed`.
pub fn head(model: &Model, plan: &Plan, runs: u64, seed: u64) -> Head {
    let size = match plan.design {
        Design::Grid { levels } => vec![levels],
        Design::Oat => vec![],
        Design::Lhs { points } => vec![points],
        Design::Sobol { base } => vec![base],
        Design::Morris {
            trajectories,
            levels,
        } => vec![trajectories, levels],
    };
    Head {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        detente_version: env!("CARGO_PKG_VERSION"),
        scenario: super::run::scenario_info(model),
        design: plan.design.name(),
        size,
        design_seed: plan.design_seed,
        runs,
        seed,
        factors: plan
            .factors
            .iter()
            .map(|f| FactorInfo {
                name: f.name.clone(),
                default: model.parameter(&f.name).unwrap_or(f64::NAN),
                values: match &f.range {
                    FactorRange::Interval(lo, hi) => vec![*lo, *hi],
                    FactorRange::Values(v) => v.clone(),
                },
                listed: matches!(f.range, FactorRange::Values(_)),
                whole: f.whole,
            })
            .collect(),
        outputs: plan.outputs.clone(),
        points: plan.points.len(),
        pairing: format!(
            "common random numbers: every point runs the same {runs} runs with seed {seed}, and run i draws the same keyed random numbers at every point, so differences between points come from the parameters, not the dice"
        ),
    }
}

/// CSV: the header line.
pub fn csv_head(h: &Head) -> String {
    let mut cols = vec!["point".to_string()];
    cols.extend(h.factors.iter().map(|f| f.name.clone()));
    for o in &h.outputs {
        let id = o.id.to_string();
        cols.extend([id.clone(), format!("{id}.lo"), format!("{id}.hi")]);
    }
    let cols: Vec<String> = cols
        .iter()
        .map(|c| super::csv::field(c).into_owned())
        .collect();
    format!("{}\n", cols.join(","))
}

/// CSV: one point's line (every digit).
pub fn csv_row(p: &Point) -> String {
    let mut cells = vec![p.index.to_string()];
    cells.extend(p.values.iter().map(|&v| super::csv::real(v)));
    for e in &p.estimates {
        cells.extend([e.value, e.ci[0], e.ci[1]].map(super::csv::real));
    }
    format!("{}\n", cells.join(","))
}

/// JSON: everything up to the first point.
pub fn json_head(h: &Head) -> String {
    let head = serde_json::to_string_pretty(h).unwrap_or_default();
    // The head's closing brace is reopened for the points.
    format!(
        "{},\n  \"rows\": [\n",
        head.trim_end().trim_end_matches('}').trim_end()
    )
}

/// JSON: one point (`first`: no comma before it).
pub fn json_row(p: &Point, first: bool) -> String {
    let row = serde_json::to_string(p).unwrap_or_default();
    format!("{}    {row}", if first { "" } else { ",\n" })
}

/// JSON: the analysis and the end of the document.
pub fn json_tail(sensitivity: &Sensitivity, noise: &[Noise]) -> String {
    #[derive(Serialize)]
    struct Tail<'a> {
        sensitivity: &'a Sensitivity,
        noise: &'a [Noise],
    }
    let tail = serde_json::to_string_pretty(&Tail { sensitivity, noise }).unwrap_or_default();
    let inner = tail
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim();
    format!("\n  ],\n  {inner}\n}}\n")
}

/// Markdown: the title, how the sweep was made, and the head of the points table.
pub fn markdown_head(h: &Head) -> String {
    let mut out = String::new();
    let cell = super::markdown::cell;
    let _ = writeln!(out, "# Sweep of {}\n", cell(&h.scenario.name));
    let _ = writeln!(
        out,
        "Design `{}`{}, {} points × {} runs of {} {}s; scenario hash `{}`, design seed {}, detente {}.\n",
        h.design,
        if h.size.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                h.size.iter().map(u32::to_string).collect::<Vec<_>>().join(" × ")
            )
        },
        h.points,
        h.runs,
        h.scenario.steps,
        h.scenario.time_unit,
        h.scenario.content_hash,
        h.design_seed,
        h.detente_version
    );
    let _ = writeln!(out, "Paired: {}.\n", h.pairing);
    let _ = writeln!(out, "| parameter | default | values |\n|---|---:|---|");
    for f in &h.factors {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            f.name,
            num(f.default),
            f.values_text()
        );
    }
    let _ = writeln!(
        out,
        "\n## Points\n\nEach output's estimate with its 95% interval (Wilson for probabilities, Student t for means).\n"
    );
    let mut header = vec!["point".to_string()];
    header.extend(h.factors.iter().map(|f| format!("`{}`", f.name)));
    header.extend(h.outputs.iter().map(|o| format!("`{}`", o.id)));
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---:|".repeat(header.len()));
    out
}

/// Markdown: one point's row.
pub fn markdown_row(h: &Head, p: &Point) -> String {
    let mut cells = vec![p.index.to_string()];
    cells.extend(p.values.iter().map(|v| num(*v)));
    for (o, e) in h.outputs.iter().zip(&p.estimates) {
        cells.push(if o.id.kind == MetricKind::Outcome {
            format!("{} [{}, {}]", pct(e.value), pct(e.ci[0]), pct(e.ci[1]))
        } else {
            format!("{} [{}, {}]", num(e.value), num(e.ci[0]), num(e.ci[1]))
        });
    }
    format!("| {} |\n", cells.join(" | "))
}

/// Markdown: the sensitivity analysis and the run-noise shares.
pub fn markdown_tail(h: &Head, sensitivity: &Sensitivity, noise: &[Noise]) -> String {
    let mut out = String::new();
    let factor = |i: usize| format!("`{}`", h.factors[i].name);
    match sensitivity {
        Sensitivity::None => {}
        Sensitivity::Oat { effects } => {
            let _ = writeln!(
                out,
                "\n## One at a time (tornado)\n\nPer output, each parameter from its lowest to its highest value with the others at their defaults, largest effect first; paired 95% intervals (paired t, Newcombe's paired score interval for probabilities). `*`: excludes zero.\n\n| output | parameter | effect | 95% CI |\n|---|---|---:|---|"
            );
            for e in effects {
                let o = &h.outputs[e.output];
                let excludes = e.ci[0] > 0.0 || e.ci[1] < 0.0;
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {}{} | [{}, {}] |",
                    o.id,
                    factor(e.factor),
                    num(e.effect),
                    if excludes { " *" } else { "" },
                    num(e.ci[0]),
                    num(e.ci[1])
                );
            }
        }
        Sensitivity::Morris { effects } => {
            let _ = writeln!(
                out,
                "\n## Morris elementary effects\n\nμ* (mean |EE|, Campolongo et al. 2007) with a 95% bootstrap interval over trajectories, μ and σ (Morris 1991); effects per unit of the parameter's range.\n\n| output | parameter | μ* | 95% CI | μ | σ |\n|---|---|---:|---|---:|---:|"
            );
            for (o, per) in h.outputs.iter().zip(effects) {
                let mut order: Vec<usize> = (0..per.len()).collect();
                order.sort_by(|&a, &b| per[b].mu_star.total_cmp(&per[a].mu_star).then(a.cmp(&b)));
                for i in order {
                    let m = per[i];
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | [{}, {}] | {} | {} |",
                        o.id,
                        factor(i),
                        num(m.mu_star),
                        num(m.mu_star_ci[0]),
                        num(m.mu_star_ci[1]),
                        num(m.mu),
                        num(m.sigma)
                    );
                }
            }
        }
        Sensitivity::Sobol { indices } => {
            let _ = writeln!(
                out,
                "\n## Sobol indices\n\nFirst-order (S1) and total-order (ST) indices, Jansen's estimators on Saltelli's (2010) design, with 95% bootstrap intervals (1,000 resamples of the base rows).\n\n| output | parameter | S1 | 95% CI | ST | 95% CI |\n|---|---|---:|---|---:|---|"
            );
            for (o, per) in h.outputs.iter().zip(indices) {
                let mut order: Vec<usize> = (0..per.len()).collect();
                order.sort_by(|&a, &b| per[b].total.total_cmp(&per[a].total).then(a.cmp(&b)));
                for i in order {
                    let s = per[i];
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | [{}, {}] | {} | [{}, {}] |",
                        o.id,
                        factor(i),
                        num(s.first),
                        num(s.first_ci[0]),
                        num(s.first_ci[1]),
                        num(s.total),
                        num(s.total_ci[0]),
                        num(s.total_ci[1])
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n## Run noise\n\nPer output: the mean variance of a point's estimate from its runs (within) against the variance of the estimates across points (between). A share near or above 1 means the differences between points are mostly run noise: add runs before points.\n\n| output | within | between | share |\n|---|---:|---:|---:|"
    );
    for (o, n) in h.outputs.iter().zip(noise) {
        let _ = writeln!(
            out,
            "| `{}` | {:.3e} | {:.3e} | {} |",
            o.id,
            n.within,
            n.between,
            num(n.share)
        );
    }
    out
}
