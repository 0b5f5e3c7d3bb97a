//! The HTML exporter: a report as one self-contained page — the charts of [`super::chart`] as
//! inline SVG, tables of the numbers, the scenario's description and the reproduction manifest,
//! with inline CSS (and a print stylesheet) and one small inline script. Nothing is loaded from
//! anywhere: no network, no fonts, no images; the page opens from disk.
//!
//! Safe with hostile scenarios: every name, id and description is escaped, and a
//! Content-Security-Policy allows only the page's own style and script (by their SHA-256
//! hashes), so even text that slipped through could run nothing. The page is well-formed XML
//! (the script sits in a CDATA section behind `//` comments), and the same report gives the same
//! bytes.
//!
//! A page is a `Page` of sections; a new page is one more function beside [`run`],
//! [`ensemble`], [`comparison`], [`sweep`] and [`explanation`] that fills one.

use super::chart::{self, Chart, ChartKind};
use super::compare::{level_label, Comparison};
use super::ensemble::EnsembleReport;
use super::explain::{
    interval, pct_interval, plain, signed, signed_pct, Account, Counterfactual, Explanation,
};
use super::metric::MetricKind;
use super::number::{metric_cells, num, p_value, pct};
use super::relation_graph::RelationGraph;
use super::run::{RunReport, ScenarioInfo, TakenAction, Trajectory};
use super::svg::{esc, value};
use super::sweep::Head as SweepHead;
use crate::sweep::{Noise, Point, Sensitivity};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The page's style sheet.
const STYLE: &str = include_str!("html/page.css");
/// The page's script (see the file for what it does).
const SCRIPT: &str = include_str!("html/page.js");
/// `sha256-` and the base64 SHA-256 of [`STYLE`], for the Content-Security-Policy (a test
/// checks it).
const STYLE_HASH: &str = "sha256-yMjZEZ7pdb5j6txsSdDkmr79V9hhQde79KX7AwK9k70=";
/// The same of [`SCRIPT`].
const SCRIPT_HASH: &str = "sha256-y8pQCwgx/9Pk8ptA5q7AXjXAymGDjm9rCZdGQLMuAhE=";

/// Most rows a table of actions shows; the JSON report has every one.
const MAX_ACTION_ROWS: usize = 200;

/// The page of one run: its series over time, outcomes, actions and the relation graph.
pub fn run(report: &RunReport, trajectory: &Trajectory, graph: Option<&RelationGraph>) -> String {
    let charts = chart::run_charts(report, trajectory, graph);
    let sc = &report.scenario;
    let mut page = Page::new("run report", sc);
    page.section("manifest", "Reproduction", |out| {
        let mut replay = format!("detente run SCENARIO --seed {}", report.seed);
        if report.run > 0 {
            let _ = write!(replay, " --replay {}", report.run);
        }
        let _ = write!(replay, " --steps {}", sc.steps);
        manifest(
            out,
            sc,
            report.detente_version,
            &[
                ("seed", report.seed.to_string()),
                ("run", report.run.to_string()),
            ],
            &replay,
        );
        parameters(out, "Parameters", &report.parameters);
    });
    if !report.outcomes.is_empty() {
        page.section("outcomes", "Outcomes", |out| {
            out.push_str(
                "<div class=\"table-wrap\"><table><thead><tr><th>outcome</th><th>reached</th>\
                 <th class=\"n\">first step</th><th>holds at the end</th><th>condition</th>\
                 <th>description</th></tr></thead><tbody>",
            );
            for o in &report.outcomes {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&o.name),
                    if o.reached { "yes" } else { "no" },
                    o.first_step.map_or("—".to_string(), |s| s.to_string()),
                    if o.holds_at_end { "yes" } else { "no" },
                    esc(&o.condition),
                    esc(&o.description)
                );
            }
            out.push_str("</tbody></table></div>");
        });
    }
    page.section("series", "Series over time", |out| {
        if !trajectory.actions.is_empty() {
            let _ = write!(
                out,
                "<p class=\"note\">Under each chart's time axis, one row per action: a tick marks each {} it was taken in, by anyone (hover for who took it toward whom, through which rule or event).</p>",
                esc(&sc.time_unit)
            );
        } else if !report.actions.is_empty() {
            out.push_str(
                "<p class=\"note\">Action markers are drawn from a run's firing log, which this \
                 run did not keep.</p>",
            );
        }
        figures(out, &charts, &[ChartKind::Trajectory]);
        let _ = write!(
            out,
            "<h3>Key numbers</h3><div class=\"table-wrap\"><table><thead><tr><th>series</th>\
             <th>expression</th><th class=\"n\">start</th><th class=\"n\">final</th>\
             <th class=\"n\">min</th><th class=\"n\">max</th><th class=\"n\">peak {}</th>\
             <th class=\"n\">mean</th></tr></thead><tbody>",
            esc(&sc.time_unit)
        );
        for s in &report.series {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&s.name),
                esc(&s.expression),
                num(s.initial),
                num(s.last),
                num(s.min),
                num(s.max),
                s.peak_step,
                num(s.mean)
            );
        }
        out.push_str("</tbody></table></div>");
    });
    if !report.actions.is_empty() {
        page.section("actions", "Actions taken", |out| {
            out.push_str(
                "<div class=\"table-wrap\"><table><thead><tr><th>actor</th><th>action</th>\
                 <th class=\"n\">times</th></tr></thead><tbody>",
            );
            for a in report.actions.iter().take(MAX_ACTION_ROWS) {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    esc(&a.actor),
                    esc(&a.action),
                    a.count
                );
            }
            out.push_str("</tbody></table></div>");
            if report.actions.len() > MAX_ACTION_ROWS {
                let _ = write!(
                    out,
                    "<p class=\"note\">… and {} more; the JSON report (<code>--format json</code>) has every count.</p>",
                    report.actions.len() - MAX_ACTION_ROWS
                );
            }
            firing_log(out, &trajectory.actions, &sc.time_unit);
        });
    }
    graph_section(&mut page, &charts, graph);
    page.finish()
}

/// The actions of a run in the order taken, one row each (at most [`MAX_ACTION_ROWS`]).
fn firing_log(out: &mut String, actions: &[TakenAction], unit: &str) {
    if actions.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h3>Firing log</h3><div class=\"table-wrap\"><table><thead><tr><th class=\"n\">{}</th>\
         <th>actor</th><th>action</th><th>target</th><th>by</th></tr></thead><tbody>",
        esc(unit)
    );
    for a in actions.iter().take(MAX_ACTION_ROWS) {
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} <code>{}</code></td></tr>",
            a.step,
            esc(a.actor),
            esc(a.action),
            esc(a.target.unwrap_or("—")),
            a.cause,
            esc(a.by)
        );
    }
    out.push_str("</tbody></table></div>");
    if actions.len() > MAX_ACTION_ROWS {
        let _ = write!(
            out,
            "<p class=\"note\">The first {MAX_ACTION_ROWS} of {} takings; the charts mark every one.</p>",
            actions.len()
        );
    }
}

/// The page of an ensemble: outcome probabilities and when they were reached, each series' fan
/// chart, every metric, and the relation graph.
pub fn ensemble(report: &EnsembleReport, graph: Option<&RelationGraph>) -> String {
    let charts = chart::ensemble_charts(report, graph);
    let sc = &report.scenario;
    let mut page = Page::new("ensemble report", sc);
    page.section("manifest", "Reproduction", |out| {
        manifest(
            out,
            sc,
            &report.detente_version,
            &[
                ("seed", report.seed.to_string()),
                ("runs", report.runs.to_string()),
                (
                    "bands",
                    format!(
                        "quantiles from {} of the runs, at {} time points",
                        report.bands.sampled_runs,
                        report.bands.steps.len()
                    ),
                ),
            ],
            &format!(
                "detente run SCENARIO --seed {} --runs {} --steps {}",
                report.seed, report.runs, sc.steps
            ),
        );
        parameters(out, "Parameters", &report.parameters);
    });
    if !report.outcomes.is_empty() {
        page.section("outcomes", "Outcomes", |out| {
            figures(out, &charts, &[ChartKind::Outcomes, ChartKind::Reached]);
            let _ = write!(
                out,
                "<div class=\"table-wrap\"><table><thead><tr><th>outcome</th>\
                 <th class=\"n\">probability</th><th class=\"n\">runs</th>\
                 <th class=\"n\">95% Wilson interval</th><th class=\"n\">first reached, mean {0}</th>\
                 <th class=\"n\">median {0}</th><th>condition</th></tr></thead><tbody>",
                esc(&sc.time_unit)
            );
            for o in &report.outcomes {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} of {}</td><td class=\"n\">{} – {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
                    esc(&o.name),
                    pct(o.probability),
                    o.reached,
                    o.runs,
                    pct(o.ci95[0]),
                    pct(o.ci95[1]),
                    o.first_step_mean.map_or("—".to_string(), |m| format!("{m:.1}")),
                    o.first_step_median.map_or("—".to_string(), |m| format!("{m}")),
                    esc(&o.condition)
                );
            }
            out.push_str("</tbody></table></div>");
        });
    }
    if !report.shocks.is_empty() {
        page.section("shocks", "Shocks", |out| {
            let _ = write!(
                out,
                "<div class=\"table-wrap\"><table><thead><tr><th>shock</th>\
                 <th class=\"n\">happened in</th><th class=\"n\">runs</th>\
                 <th class=\"n\">95% Wilson interval</th><th class=\"n\">mean {}s it happened in</th>\
                 <th>description</th></tr></thead><tbody>",
                esc(&sc.time_unit)
            );
            for s in &report.shocks {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} of {}</td><td class=\"n\">{} – {}</td><td class=\"n\">{:.2}</td><td>{}</td></tr>",
                    esc(&s.name),
                    pct(s.probability),
                    s.happened,
                    s.runs,
                    pct(s.ci95[0]),
                    pct(s.ci95[1]),
                    s.mean_count,
                    esc(&s.description)
                );
            }
            out.push_str("</tbody></table></div>");
        });
    }
    if !report.bands.series.is_empty() {
        page.section("series", "Series over time", |out| {
            figures(out, &charts, &[ChartKind::Fan]);
        });
    }
    page.section("metrics", "Metrics", |out| {
        out.push_str(
            "<div class=\"table-wrap\"><table><thead><tr><th>metric</th><th>id</th>\
             <th class=\"n\">mean ± sd</th><th class=\"n\">95% interval of the mean</th>\
             <th class=\"n\">5%</th><th class=\"n\">25%</th><th class=\"n\">median</th>\
             <th class=\"n\">75%</th><th class=\"n\">95%</th></tr></thead><tbody>",
        );
        for m in &report.metrics {
            let cells: String = metric_cells(m)
                .iter()
                .map(|c| format!("<td class=\"n\">{c}</td>"))
                .collect();
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td>{cells}</tr>",
                esc(&m.label),
                esc(&m.id.to_string())
            );
        }
        out.push_str("</tbody></table></div>");
    });
    graph_section(&mut page, &charts, graph);
    page.finish()
}

/// The page of a comparison: headlines, the forest plots, the variants' fans overlaid, the table
/// of differences and, per input, its scenario and parameters. `reports` are the ensemble
/// reports compared, in the comparison's order (the baseline's first; for paired comparisons,
/// built from the ensembles run); `graph` is the baseline's relation graph, if known. `all`
/// shows every metric, not only outcomes and final values.
pub fn comparison(
    c: &Comparison,
    reports: &[EnsembleReport],
    graph: Option<&RelationGraph>,
    all: bool,
) -> String {
    let charts = chart::comparison_charts(c, reports, graph, all);
    let fallback = ScenarioInfo {
        name: format!("Comparison against {}", c.baseline),
        description: String::new(),
        content_hash: String::new(),
        steps: 0,
        time_unit: "step".into(),
        dt: 1.0,
        actors: 0,
        relations: 0,
    };
    let base = reports.first().map_or(&fallback, |r| &r.scenario);
    let mut page = Page::titled(
        "comparison",
        &format!("Comparison against {}", c.baseline),
        &base.description,
    );
    page.section("summary", "Summary", |out| {
        let _ = write!(
            out,
            "<p>{} against <strong>{}</strong>: {} runs each{}. Differences are variant − baseline.</p>",
            if c.paired {
                "Paired comparison, common random numbers,"
            } else {
                "Unpaired comparison of saved reports,"
            },
            esc(&c.baseline),
            c.runs,
            c.seed.map_or(String::new(), |s| format!(", seed {s}"))
        );
        out.push_str("<ul class=\"headlines\">");
        for h in c.headlines() {
            let _ = writeln!(out, "<li>{}</li>", esc(&h));
        }
        out.push_str("</ul><h3>Methods</h3><ul>");
        for m in &c.methods {
            let _ = writeln!(out, "<li>{}</li>", esc(m));
        }
        out.push_str("</ul>");
    });
    page.section("differences", "Differences from the baseline", |out| {
        out.push_str(
            "<p class=\"note\">A filled dot: the interval excludes zero (the decision \
             <code>--fail-if</code> uses); an open dot: it does not; a grey diamond: the two \
             sides agree in every run.</p>",
        );
        figures(out, &charts, &[ChartKind::Forest]);
        differences_table(out, c, all);
    });
    if charts.iter().any(|ch| ch.id.kind == ChartKind::Fan) {
        page.section("series", "Series over time", |out| {
            figures(out, &charts, &[ChartKind::Fan]);
        });
    }
    page.section("manifest", "Reproduction", |out| {
        let mut facts = format!(
            "<dl class=\"manifest\"><dt>baseline</dt><dd>{}</dd><dt>pairing</dt><dd>{}</dd><dt>runs</dt><dd>{}</dd>",
            esc(&c.baseline),
            if c.paired {
                "paired (common random numbers)"
            } else {
                "unpaired (saved reports)"
            },
            c.runs
        );
        if let Some(seed) = c.seed {
            let _ = write!(facts, "<dt>seed</dt><dd>{seed}</dd>");
        }
        let _ = write!(
            facts,
            "<dt>adjustment</dt><dd>{}</dd><dt>detente</dt><dd>{}</dd></dl>",
            esc(&format!("{:?}", c.adjustment).to_lowercase()),
            esc(c.detente_version)
        );
        out.push_str(&facts);
        let labels = std::iter::once(c.baseline.as_str()).chain(c.variants.iter().map(|v| v.name.as_str()));
        out.push_str(
            "<div class=\"table-wrap\"><table><thead><tr><th>input</th><th>scenario</th>\
             <th>content hash</th><th class=\"n\">seed</th><th class=\"n\">runs</th>\
             <th>description</th></tr></thead><tbody>",
        );
        for (label, r) in labels.clone().zip(reports) {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(label),
                esc(&r.scenario.name),
                esc(&r.scenario.content_hash),
                r.seed,
                r.runs,
                esc(&r.scenario.description)
            );
        }
        out.push_str("</tbody></table></div>");
        if let Some(first) = reports.first() {
            let heading = format!("Parameters of {}", c.baseline);
            parameters(out, &heading, &first.parameters);
            for (label, r) in labels.skip(1).zip(&reports[1..]) {
                let changed: Vec<String> = r
                    .parameters
                    .iter()
                    .filter(|(k, v)| first.parameters.get(*k) != Some(v))
                    .map(|(k, v)| format!("<code>{}</code> = {v}", esc(k)))
                    .collect();
                let _ = write!(
                    out,
                    "<p><strong>{}</strong>: {}</p>",
                    esc(label),
                    if changed.is_empty() {
                        "the baseline's parameters".to_string()
                    } else {
                        format!("besides the baseline's, {}", changed.join(", "))
                    }
                );
            }
        }
    });
    graph_section(&mut page, &charts, graph);
    page.finish()
}

/// The page of an explanation: a summary, then per place its waterfall, the table of its
/// sources and (one run) the steps with the largest changes; with a counterfactual, each
/// removal's total effect on the value and on the outcomes; and the reproduction manifest.
pub fn explanation(e: &Explanation) -> String {
    let charts = chart::explanation_charts(e);
    let sc = &e.scenario;
    let unit = &sc.time_unit;
    let mut page = Page::titled(
        "explanation",
        &if e.target.starts_with("outcome.") {
            format!("What led to {}", e.target)
        } else {
            format!("Why {} moved", e.target)
        },
        &sc.description,
    );
    page.section("summary", "Summary", |out| {
        let what = match e.run {
            Some(r) => format!("run {r} of seed {}", e.seed),
            None => format!("the mean over {} runs of seed {}", e.runs, e.seed),
        };
        let _ = write!(
            out,
            "<p>Scenario <strong>{}</strong>, {}: where each change of <code>{}</code> came from.</p><ul class=\"headlines\">",
            esc(&sc.name),
            esc(&what),
            esc(&e.target)
        );
        for a in &e.accounts {
            if a.sources.is_empty() && a.note.is_some() {
                let _ = writeln!(
                    out,
                    "<li><code>{}</code>: {}</li>",
                    esc(&a.place),
                    esc(a.note.as_deref().unwrap_or(""))
                );
                continue;
            }
            let largest: Vec<String> = a
                .sources
                .iter()
                .filter(|s| s.kind != "clamp")
                .take(3)
                .map(|s| format!("{} {}", signed(s.amount), label_html(&s.label)))
                .collect();
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {} → {}, {}; {}</li>",
                esc(&a.place),
                plain(a.start),
                plain(a.end),
                esc(&chart::account_window(a, unit)),
                if largest.is_empty() {
                    "no source changed it".to_string()
                } else {
                    format!("largest: {}", largest.join("; "))
                }
            );
        }
        let _ = write!(out, "</ul><p class=\"note\">Method: {}.</p>", esc(e.method));
    });
    for (i, a) in e.accounts.iter().enumerate() {
        page.section(&format!("place-{i}"), &a.place, |out| {
            account(out, e, a, &charts);
        });
    }
    if let Some(cf) = &e.counterfactual {
        page.section("counterfactual", "Without each source", |out| {
            counterfactual(out, e, cf, &charts);
        });
    }
    page.section("manifest", "Reproduction", |out| {
        let mut extra = vec![("target", e.target.clone()), ("seed", e.seed.to_string())];
        match e.run {
            Some(r) => extra.push(("run", r.to_string())),
            None => extra.push(("runs", e.runs.to_string())),
        }
        if let Some(cf) = &e.counterfactual {
            extra.push(("counterfactual runs", cf.runs.to_string()));
        }
        manifest(out, sc, e.detente_version, &extra, &explain_command(e));
        parameters(out, "Parameters", &e.parameters);
    });
    page.finish()
}

/// One place's account: its waterfall, its sources, its largest steps.
fn account(out: &mut String, e: &Explanation, a: &Account, charts: &[Chart]) {
    let unit = &e.scenario.time_unit;
    if let Some(n) = &a.note {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(n));
    }
    if a.sources.is_empty() && a.note.is_some() {
        return;
    }
    let ensemble = e.run.is_none();
    let mean = if ensemble { "mean " } else { "" };
    let _ = write!(
        out,
        "<p>From {mean}{} to {mean}{}, {}: every amount that landed on <code>{}</code>, by source, largest first, then what the range clamp removed or added.</p>",
        plain(a.start),
        plain(a.end),
        esc(&chart::account_window(a, unit)),
        esc(&a.place)
    );
    let id = chart::ChartId {
        kind: ChartKind::Waterfall,
        subject: Some(chart::waterfall_subject(&a.place)),
    };
    if let Some(c) = charts.iter().find(|c| c.id == id) {
        out.push_str("<div class=\"charts\">");
        figure(out, c);
        out.push_str("</div>");
    }
    out.push_str("<h3>Sources</h3><div class=\"table-wrap\"><table><thead><tr><th>source</th>");
    if ensemble {
        out.push_str(
            "<th class=\"n\">mean</th><th class=\"n\">95% interval</th><th class=\"n\">share of runs</th>",
        );
    } else {
        let _ = write!(
            out,
            "<th class=\"n\">amount</th><th>taken in {}</th>",
            esc(unit)
        );
    }
    out.push_str("</tr></thead><tbody>");
    let blank = if ensemble {
        "<td></td><td></td>"
    } else {
        "<td></td>"
    };
    let _ = writeln!(
        out,
        "<tr><td><strong>start</strong></td><td class=\"n\">{}</td>{blank}</tr>",
        plain(a.start)
    );
    for s in &a.sources {
        let cells = if ensemble {
            format!(
                "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
                interval(s.ci95),
                s.share.map_or(String::new(), pct)
            )
        } else {
            let steps: Vec<String> = s.fired.iter().map(u32::to_string).collect();
            format!("<td>{}</td>", steps.join(", "))
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td>{cells}</tr>",
            label_html(&s.label),
            signed(s.amount)
        );
    }
    let _ = writeln!(
        out,
        "<tr><td><strong>end</strong></td><td class=\"n\">{}</td>{blank}</tr>",
        plain(a.end)
    );
    out.push_str("</tbody></table></div>");
    if a.residual != 0.0 {
        let _ = write!(
            out,
            "<p class=\"note\">start + Σ sources − end = {:.1e}: floating-point rounding.</p>",
            -a.residual
        );
    }
    if !a.timeline.is_empty() {
        let _ = write!(
            out,
            "<h3>Largest changes</h3><div class=\"table-wrap\"><table><thead><tr><th class=\"n\">{}</th>\
             <th class=\"n\">change</th><th>largest sources</th></tr></thead><tbody>",
            esc(unit)
        );
        for st in &a.timeline {
            let parts: Vec<String> = st
                .sources
                .iter()
                .map(|s| {
                    let when = s
                        .fired
                        .map_or(String::new(), |f| format!(", taken in {} {f}", esc(unit)));
                    format!("{} {}{when}", signed(s.amount), label_html(&s.label))
                })
                .collect();
            let _ = writeln!(
                out,
                "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                st.step,
                signed(st.change),
                parts.join("<br/>")
            );
        }
        out.push_str("</tbody></table></div>");
    }
}

/// A source's label for a page: escaped, with its `name` spans as code.
fn label_html(label: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(label).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Each removal's total effect: the forests, the value's table, the outcomes' table.
fn counterfactual(out: &mut String, e: &Explanation, cf: &Counterfactual, charts: &[Chart]) {
    let unit = &e.scenario.time_unit;
    let valued = cf.rows.iter().any(|r| r.effect.is_some());
    let _ = write!(
        out,
        "<p>Each source switched off in turn (<code>enabled = false</code>) and the scenario run again: {} paired runs per variant, the same seed and run indices (common random numbers). Effect = with − without{}.</p>\
         <p class=\"note\">{}Outcomes: {}. A filled dot: the interval excludes zero.</p>",
        cf.runs,
        if valued {
            format!("; the value is compared after {} {}", esc(unit), cf.to)
        } else {
            String::new()
        },
        if valued {
            format!("Value: {}. ", esc(cf.value_method))
        } else {
            String::new()
        },
        esc(cf.outcome_method)
    );
    figures(out, charts, &[ChartKind::Forest]);
    if valued {
        let _ = write!(
            out,
            "<h3>Effect on the value</h3><div class=\"table-wrap\"><table><thead><tr><th>without</th>\
             <th class=\"n\">{} after {} {}</th><th class=\"n\">95% interval</th><th class=\"n\">p</th></tr></thead><tbody>",
            esc(&e.target),
            esc(unit),
            cf.to
        );
        for r in &cf.rows {
            let sig = r.ci95.is_some_and(|[lo, hi]| lo > 0.0 || hi < 0.0);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n{}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&r.removed),
                if sig { " sig" } else { "" },
                r.effect.map_or("—".to_string(), signed),
                interval(r.ci95),
                r.p_value.map_or(String::new(), |p| esc(&p_value(p)))
            );
        }
        out.push_str("</tbody></table></div>");
    }
    let changed = cf
        .rows
        .iter()
        .flat_map(|r| r.outcomes.iter().map(move |o| (r, o)))
        .filter(|(_, o)| o.with != o.without);
    let mut rows = String::new();
    for (r, o) in changed {
        let sig = o.ci95[0] > 0.0 || o.ci95[1] < 0.0;
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.removed),
            esc(&o.outcome),
            pct(o.with),
            pct(o.without),
            if sig { " sig" } else { "" },
            signed_pct(o.effect),
            pct_interval(o.ci95)
        );
    }
    if rows.is_empty() {
        out.push_str("<p class=\"note\">No removal changed any outcome's probability.</p>");
    } else {
        out.push_str(
            "<h3>Effect on the outcomes</h3><div class=\"table-wrap\"><table><thead><tr><th>without</th>\
             <th>outcome</th><th class=\"n\">with</th><th class=\"n\">without</th>\
             <th class=\"n\">effect</th><th class=\"n\">95% interval</th></tr></thead><tbody>",
        );
        out.push_str(&rows);
        out.push_str(
            "</tbody></table></div><p class=\"note\">An outcome not listed for a removal has the same probability with and without it.</p>",
        );
    }
}

/// The command line that makes the explanation `e` again.
fn explain_command(e: &Explanation) -> String {
    let mut cmd = format!(
        "detente explain SCENARIO \"{}\" --seed {}",
        e.target, e.seed
    );
    match e.run {
        Some(r) => {
            let _ = write!(cmd, " --replay {r}");
        }
        None => {
            let _ = write!(cmd, " --runs {}", e.runs);
        }
    }
    if !e.target.starts_with("outcome.") {
        if let Some(a) = e.accounts.first() {
            if let Some(f) = a.from.filter(|&f| f != 0) {
                let _ = write!(cmd, " --from {f}");
            }
            if let Some(t) = a.to.filter(|&t| t != e.scenario.steps) {
                let _ = write!(cmd, " --to {t}");
            }
        }
    }
    if let Some(cf) = &e.counterfactual {
        cmd.push_str(" --counterfactual");
        for r in &cf.rows {
            let _ = write!(cmd, " {}", r.removed.replacen(' ', ":", 1));
        }
        let _ = write!(cmd, " --counterfactual-runs {}", cf.runs);
    }
    cmd
}

/// Most rows the points table shows; the CSV and JSON exports have every point.
const MAX_POINT_ROWS: usize = 1000;

/// The page of a sweep: how it was made (the manifest and the pairing), the response curves
/// (grid, oat and lhs designs), the tornado, Morris or Sobol charts with their tables, the run
/// noise, and every point's numbers. `points` are the sweep's rows in order: unlike the other
/// exports of a sweep, the page is written once at the end, so the caller keeps the rows (one
/// small [`Point`] each).
pub fn sweep(
    h: &SweepHead,
    points: &[Point],
    sensitivity: &Sensitivity,
    noise: &[Noise],
) -> String {
    let charts = chart::sweep_charts(h, points, sensitivity);
    let sc = &h.scenario;
    let mut page = Page::new("sweep", sc);
    page.section("manifest", "Reproduction", |out| {
        let size = if h.size.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                h.size
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" × ")
            )
        };
        manifest(
            out,
            sc,
            h.detente_version,
            &[
                ("design", format!("{}{size}", h.design)),
                ("points", h.points.to_string()),
                ("runs per point", h.runs.to_string()),
                ("seed", h.seed.to_string()),
                ("design seed", h.design_seed.to_string()),
            ],
            &sweep_command(h),
        );
        let _ = write!(out, "<p>Paired: {}.</p>", esc(&h.pairing));
        out.push_str(
            "<h3>Parameters varied</h3><div class=\"table-wrap\"><table><thead><tr>\
             <th>parameter</th><th class=\"n\">default</th><th>values</th></tr></thead><tbody>",
        );
        for f in &h.factors {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&f.name),
                num(f.default),
                esc(&f.values_text())
            );
        }
        out.push_str("</tbody></table></div><h3>Outputs</h3><ul>");
        for o in &h.outputs {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(&o.id.to_string()),
                esc(&o.label)
            );
        }
        out.push_str("</ul>");
    });
    if charts.iter().any(|c| c.id.kind == ChartKind::Response) {
        page.section("response", "Response curves", |out| {
            let _ = write!(
                out,
                "<p class=\"note\">Each output's estimate at each point against one parameter's value, with its 95% interval (Wilson for probabilities, Student t for means).{}</p>",
                if h.design == "oat" {
                    " One at a time: the defaults and the two points that move that parameter."
                } else {
                    " Every point is shown: the other parameters vary too, so the spread at one value is theirs."
                }
            );
            let drawn = charts.iter().filter(|c| c.id.kind == ChartKind::Response).count();
            if drawn < h.outputs.len() * h.factors.len() {
                let _ = write!(
                    out,
                    "<p class=\"note\">The first {drawn} of {} curves are drawn; the points table has every number.</p>",
                    h.outputs.len() * h.factors.len()
                );
            }
            figures(out, &charts, &[ChartKind::Response]);
        });
    }
    match sensitivity {
        Sensitivity::None => {}
        Sensitivity::Oat { effects } => page.section("tornado", "One at a time (tornado)", |out| {
            out.push_str(
                "<p class=\"note\">Per output, each parameter from its lowest to its highest value with the others at their defaults, largest effect first; paired 95% intervals (paired t, Newcombe's paired score interval for probabilities). Bold: the interval excludes zero.</p>",
            );
            figures(out, &charts, &[ChartKind::Tornado]);
            out.push_str(
                "<div class=\"table-wrap\"><table><thead><tr><th>output</th><th>parameter</th>\
                 <th class=\"n\">effect</th><th class=\"n\">95% interval</th><th>method</th></tr></thead><tbody>",
            );
            for e in effects {
                let excludes = e.ci[0] > 0.0 || e.ci[1] < 0.0;
                let _ = writeln!(
                    out,
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td class=\"n{}\">{}</td><td class=\"n\">{} – {}</td><td>{}</td></tr>",
                    esc(&h.outputs[e.output].id.to_string()),
                    esc(&h.factors[e.factor].name),
                    if excludes { " sig" } else { "" },
                    num(e.effect),
                    num(e.ci[0]),
                    num(e.ci[1]),
                    esc(&e.method)
                );
            }
            out.push_str("</tbody></table></div>");
        }),
        Sensitivity::Morris { effects } => page.section("morris", "Morris elementary effects", |out| {
            out.push_str(
                "<p class=\"note\">μ* (mean |EE|, Campolongo et al. 2007) with a 95% bootstrap interval over trajectories, μ and σ (Morris 1991); effects per unit of the parameter's range.</p>",
            );
            figures(out, &charts, &[ChartKind::Morris]);
            out.push_str(
                "<div class=\"table-wrap\"><table><thead><tr><th>output</th><th>parameter</th>\
                 <th class=\"n\">μ*</th><th class=\"n\">95% interval</th><th class=\"n\">μ</th>\
                 <th class=\"n\">σ</th></tr></thead><tbody>",
            );
            for (o, per) in h.outputs.iter().zip(effects) {
                let mut order: Vec<usize> = (0..per.len()).collect();
                order.sort_by(|&a, &b| per[b].mu_star.total_cmp(&per[a].mu_star).then(a.cmp(&b)));
                for i in order {
                    let m = per[i];
                    let _ = writeln!(
                        out,
                        "<tr><td><code>{}</code></td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{} – {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        esc(&o.id.to_string()),
                        esc(&h.factors[i].name),
                        num(m.mu_star),
                        num(m.mu_star_ci[0]),
                        num(m.mu_star_ci[1]),
                        num(m.mu),
                        num(m.sigma)
                    );
                }
            }
            out.push_str("</tbody></table></div>");
        }),
        Sensitivity::Sobol { indices } => page.section("sobol", "Sobol indices", |out| {
            out.push_str(
                "<p class=\"note\">First-order (S1) and total-order (ST) indices, Jansen's estimators on Saltelli's (2010) design, with 95% bootstrap intervals (1,000 resamples of the base rows).</p>",
            );
            figures(out, &charts, &[ChartKind::Sobol]);
            out.push_str(
                "<div class=\"table-wrap\"><table><thead><tr><th>output</th><th>parameter</th>\
                 <th class=\"n\">S1</th><th class=\"n\">95% interval</th><th class=\"n\">ST</th>\
                 <th class=\"n\">95% interval</th></tr></thead><tbody>",
            );
            for (o, per) in h.outputs.iter().zip(indices) {
                let mut order: Vec<usize> = (0..per.len()).collect();
                order.sort_by(|&a, &b| per[b].total.total_cmp(&per[a].total).then(a.cmp(&b)));
                for i in order {
                    let s = per[i];
                    let _ = writeln!(
                        out,
                        "<tr><td><code>{}</code></td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{} – {}</td><td class=\"n\">{}</td><td class=\"n\">{} – {}</td></tr>",
                        esc(&o.id.to_string()),
                        esc(&h.factors[i].name),
                        num(s.first),
                        num(s.first_ci[0]),
                        num(s.first_ci[1]),
                        num(s.total),
                        num(s.total_ci[0]),
                        num(s.total_ci[1])
                    );
                }
            }
            out.push_str("</tbody></table></div>");
        }),
    }
    page.section("noise", "Run noise", |out| {
        out.push_str(
            "<p class=\"note\">Per output: the mean variance of a point's estimate from its runs (within) against the variance of the estimates across points (between). A share near or above 1 means the differences between points are mostly run noise: add runs before points.</p>\
             <div class=\"table-wrap\"><table><thead><tr><th>output</th><th class=\"n\">within</th>\
             <th class=\"n\">between</th><th class=\"n\">share</th></tr></thead><tbody>",
        );
        for (o, n) in h.outputs.iter().zip(noise) {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"n\">{:.3e}</td><td class=\"n\">{:.3e}</td><td class=\"n\">{}</td></tr>",
                esc(&o.id.to_string()),
                n.within,
                n.between,
                num(n.share)
            );
        }
        out.push_str("</tbody></table></div>");
    });
    page.section("points", "Points", |out| {
        out.push_str(
            "<p class=\"note\">Each output's estimate with its 95% interval (Wilson for probabilities, Student t for means).</p>\
             <div class=\"table-wrap\"><table><thead><tr><th class=\"n\">point</th>",
        );
        for f in &h.factors {
            let _ = write!(out, "<th class=\"n\"><code>{}</code></th>", esc(&f.name));
        }
        for o in &h.outputs {
            let _ = write!(out, "<th class=\"n\"><code>{}</code></th>", esc(&o.id.to_string()));
        }
        out.push_str("</tr></thead><tbody>");
        for p in points.iter().take(MAX_POINT_ROWS) {
            let _ = write!(out, "<tr><td class=\"n\">{}</td>", p.index);
            for v in &p.values {
                let _ = write!(out, "<td class=\"n\">{}</td>", num(*v));
            }
            for (o, e) in h.outputs.iter().zip(&p.estimates) {
                let cell = if o.id.kind == MetricKind::Outcome {
                    format!("{} [{}, {}]", pct(e.value), pct(e.ci[0]), pct(e.ci[1]))
                } else {
                    format!("{} [{}, {}]", num(e.value), num(e.ci[0]), num(e.ci[1]))
                };
                let _ = write!(out, "<td class=\"n\">{cell}</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>");
        if points.len() > MAX_POINT_ROWS {
            let _ = write!(
                out,
                "<p class=\"note\">… and {} more; the CSV and JSON exports (<code>--format csv</code>, <code>--format json</code>) have every point.</p>",
                points.len() - MAX_POINT_ROWS
            );
        }
    });
    page.finish()
}

/// The command line that runs the sweep `h` again.
fn sweep_command(h: &SweepHead) -> String {
    let mut cmd = format!("detente sweep SCENARIO --design {}", h.design);
    match (h.design, h.size.as_slice()) {
        ("grid", [levels]) => {
            let _ = write!(cmd, " --levels {levels}");
        }
        ("lhs" | "sobol", [points]) => {
            let _ = write!(cmd, " --points {points}");
        }
        ("morris", [trajectories, levels]) => {
            let _ = write!(cmd, " --trajectories {trajectories} --levels {levels}");
        }
        _ => {}
    }
    for f in &h.factors {
        let range = if f.listed {
            f.values
                .iter()
                .map(f64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        } else {
            format!("{}..{}", f.values[0], f.values[1])
        };
        let _ = write!(cmd, " --vary {}={range}", f.name);
        if f.whole {
            let _ = write!(cmd, " --whole {}", f.name);
        }
    }
    for o in &h.outputs {
        let _ = write!(cmd, " --metric {}", o.id);
    }
    let _ = write!(
        cmd,
        " --runs {} --seed {} --design-seed {}",
        h.runs, h.seed, h.design_seed
    );
    cmd
}

/// The comparison's differences, one row per variant and metric: outcomes and final values, or
/// every metric with `all`.
fn differences_table(out: &mut String, c: &Comparison, all: bool) {
    out.push_str(
        "<h3>Every difference</h3><div class=\"table-wrap\"><table><thead><tr><th>variant</th>\
         <th>metric</th><th>id</th><th class=\"n\">baseline</th><th class=\"n\">variant</th>\
         <th class=\"n\">difference</th><th class=\"n\">interval</th><th class=\"n\">p</th>\
         <th>method</th></tr></thead><tbody>",
    );
    for v in &c.variants {
        let rows = v.outcomes.iter().chain(
            v.metrics
                .iter()
                .filter(|d| all || d.id.kind == MetricKind::Final),
        );
        for d in rows {
            let id = if d.id.kind == MetricKind::Outcome {
                format!("outcome.{}", d.id.name)
            } else {
                d.id.to_string()
            };
            let interval = if d.identical {
                "identical in every run".to_string()
            } else {
                format!(
                    "{} [{}, {}]",
                    level_label(d.level),
                    num(d.ci[0]),
                    num(d.ci[1])
                )
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&v.name),
                esc(&d.label),
                esc(&id),
                num(d.baseline),
                num(d.variant),
                if d.significant { " sig" } else { "" },
                num(d.difference),
                interval,
                esc(&p_value(d.p_value)),
                esc(d.method)
            );
        }
    }
    out.push_str("</tbody></table></div>");
}

/// The relation graph's section: the chart, or for a graph too large to draw a summary.
fn graph_section(page: &mut Page, charts: &[Chart], graph: Option<&RelationGraph>) {
    let Some(g) = graph else {
        return;
    };
    page.section("graph", "Relation graph", |out| {
        if charts.iter().any(|c| c.id.kind == ChartKind::Graph) {
            figures(out, charts, &[ChartKind::Graph]);
        } else if g.n_actors > 0 {
            let _ = write!(
                out,
                "<p class=\"note\">{} actors and {} relations: too many to draw (at most {} actors and {} relations are drawn); a summary instead.</p>",
                g.n_actors,
                g.n_relations,
                super::relation_graph::MAX_DRAWN_ACTORS,
                super::relation_graph::MAX_DRAWN_RELATIONS
            );
        }
        out.push_str("<div class=\"table-wrap kinds\">");
        counts(out, ("actor kind", "actors"), &g.actor_kinds);
        counts(out, ("relation kind", "relations"), &g.relation_kinds);
        out.push_str("</div>");
        if let (Some(v), Some([lo, mean, hi])) = (
            g.coloured_by.and_then(|v| g.variables.get(v)),
            g.value_summary,
        ) {
            let _ = write!(
                out,
                "<p class=\"note\">Initial {} over every relation: min {}, mean {}, max {}.</p>",
                esc(v),
                value(lo),
                value(mean),
                value(hi)
            );
        }
    });
}

/// A table of kinds and how many of each.
fn counts(out: &mut String, (kind, count): (&str, &str), rows: &[(String, usize)]) {
    let _ = write!(
        out,
        "<table><thead><tr><th>{kind}</th><th class=\"n\">{count}</th></tr></thead><tbody>"
    );
    for (name, n) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
            esc(name)
        );
    }
    out.push_str("</tbody></table>");
}

/// The scenario's facts and how to make the report again.
fn manifest(
    out: &mut String,
    sc: &ScenarioInfo,
    version: &str,
    extra: &[(&str, String)],
    command: &str,
) {
    let _ = write!(
        out,
        "<dl class=\"manifest\"><dt>scenario</dt><dd>{}</dd><dt>content hash</dt><dd><code>{}</code></dd>",
        esc(&sc.name),
        esc(&sc.content_hash)
    );
    for (k, v) in extra {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    let _ = write!(
        out,
        "<dt>steps</dt><dd>{} (dt = {})</dd><dt>network</dt><dd>{}, {}</dd>\
         <dt>detente</dt><dd>{}</dd><dt>again</dt><dd><code>{}</code> with the scenario of that hash</dd></dl>",
        esc(&chart::counted(sc.steps as usize, &sc.time_unit)),
        sc.dt,
        chart::counted(sc.actors, "actor"),
        chart::counted(sc.relations, "relation"),
        esc(version),
        esc(command)
    );
}

/// Every parameter's value, in name order.
fn parameters(out: &mut String, heading: &str, parameters: &BTreeMap<String, f64>) {
    let _ = write!(out, "<h3>{}</h3>", esc(heading));
    if parameters.is_empty() {
        out.push_str("<p class=\"note\">No parameters.</p>");
        return;
    }
    out.push_str("<ul class=\"params\">");
    for (name, v) in parameters {
        let _ = writeln!(out, "<li><code>{}</code> = {v}</li>", esc(name));
    }
    out.push_str("</ul>");
}

/// The charts of `kinds`, in their order, each in a figure.
fn figures(out: &mut String, charts: &[Chart], kinds: &[ChartKind]) {
    let shown: Vec<&Chart> = charts
        .iter()
        .filter(|c| kinds.contains(&c.id.kind))
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push_str("<div class=\"charts\">");
    for c in shown {
        figure(out, c);
    }
    out.push_str("</div>");
}

/// One chart in a figure (a waterfall spans the whole row of charts).
fn figure(out: &mut String, c: &Chart) {
    let class = if c.id.kind == ChartKind::Waterfall {
        "chart wide"
    } else {
        "chart"
    };
    let _ = writeln!(
        out,
        "<figure class=\"{class}\" id=\"{}\" data-chart=\"{}\">\n{}</figure>",
        chart::anchor(&c.id),
        esc(&c.id.to_string()),
        c.svg()
    );
}

/// A page being written: its head, then sections, each listed in the contents.
struct Page {
    head: String,
    sections: Vec<(String, String, String)>,
}

impl Page {
    /// The page of a report of `kind` (e.g. `ensemble report`) of scenario `sc`.
    fn new(kind: &str, sc: &ScenarioInfo) -> Page {
        Page::titled(kind, &sc.name, &sc.description)
    }

    /// A page of `kind` with its own title and description.
    fn titled(kind: &str, title: &str, description: &str) -> Page {
        let mut head = String::new();
        let _ = write!(
            head,
            "<!DOCTYPE html>\n<html lang=\"en\" xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n\
             <meta charset=\"utf-8\"/>\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src '{SCRIPT_HASH}'; style-src '{STYLE_HASH}'; img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'\"/>\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
             <meta name=\"generator\" content=\"detente {}\"/>\n\
             <title>{} — detente {}</title>\n<style>{STYLE}</style>\n<script>{SCRIPT}</script>\n</head>\n\
             <body data-page=\"{}\">\n<header><p class=\"kind\">detente · {}</p><h1>{}</h1>",
            env!("CARGO_PKG_VERSION"),
            esc(title),
            esc(kind),
            esc(kind),
            esc(kind),
            esc(title)
        );
        if !description.is_empty() {
            let _ = write!(head, "<p class=\"description\">{}</p>", esc(description));
        }
        Page {
            head,
            sections: Vec::new(),
        }
    }

    /// A section with anchor `id` and heading `heading`, its body written by `body`.
    fn section(&mut self, id: &str, heading: &str, body: impl FnOnce(&mut String)) {
        let mut out = String::new();
        body(&mut out);
        self.sections
            .push((id.to_string(), heading.to_string(), out));
    }

    /// The whole page.
    fn finish(self) -> String {
        let mut out = self.head;
        out.push_str("<nav>");
        for (id, heading, _) in &self.sections {
            let _ = write!(out, "<a href=\"#{}\">{}</a>", esc(id), esc(heading));
        }
        out.push_str("</nav></header>\n");
        for (id, heading, body) in &self.sections {
            let _ = writeln!(
                out,
                "<section id=\"{}\"><h2>{}</h2>{body}</section>",
                esc(id),
                esc(heading)
            );
        }
        let _ = writeln!(
            out,
            "<footer>Made by detente {}. This page is self-contained: it loads nothing and needs no network.</footer>\n</body>\n</html>",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{SCRIPT, SCRIPT_HASH, STYLE, STYLE_HASH};

    /// `sha256-` and the base64 SHA-256 of `text`, as a Content-Security-Policy names it.
    fn csp_hash(text: &str) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(text.as_bytes());
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::from("sha256-");
        for chunk in digest.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn the_csp_hashes_are_those_of_the_inline_script_and_style() {
        // After an edit of page.js or page.css, put the hash this prints into html.rs.
        assert_eq!(SCRIPT_HASH, csp_hash(SCRIPT), "page.js changed");
        assert_eq!(STYLE_HASH, csp_hash(STYLE), "page.css changed");
    }

    #[test]
    fn the_script_and_style_stay_well_formed_xml() {
        // The script's `<` and `&` are inside its CDATA section; the style has none.
        assert!(SCRIPT.starts_with("//<![CDATA[\n") && SCRIPT.ends_with("//]]>\n"));
        assert_eq!(SCRIPT.matches("]]>").count(), 1);
        assert!(!STYLE.contains('<') && !STYLE.contains('&'));
        assert!(!SCRIPT.contains("</script"));
    }
}
