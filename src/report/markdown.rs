//! The Markdown exporter: reports as documents for people — headings, tables, and numbers rounded
//! for reading. Not for programs: they read the JSON.

use super::compare::Comparison;
use super::ensemble::{BandsReport, EnsembleReport};
use super::metric::MetricKind;
use super::number::{metric_cells, num, p_value, pct};
use super::run::RunReport;
use super::text;
use std::fmt::Write;

/// Time points shown in the "Over time" table, about at most.
const OVER_TIME_ROWS: usize = 14;

/// The report of one run: its text summary in a code block.
pub fn run(report: &RunReport) -> String {
    format!("```\n{}```\n", text::run(report))
}

/// The report of an ensemble: outcomes, metrics, and the bands over time.
pub fn ensemble(report: &EnsembleReport) -> String {
    let sc = &report.scenario;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", cell(&sc.name));
    let _ = writeln!(
        out,
        "{} runs of {} {}s, seed {}, {} actors, {} relations; scenario hash `{}`, detente {}.\n",
        report.runs,
        sc.steps,
        sc.time_unit,
        report.seed,
        sc.actors,
        sc.relations,
        sc.content_hash,
        report.detente_version
    );
    if !report.outcomes.is_empty() {
        outcomes_table(&mut out, report);
    }
    if !report.shocks.is_empty() {
        let _ = writeln!(out, "## Shocks\n");
        let _ = writeln!(
            out,
            "| shock | happened in | 95% CI (Wilson) | mean {}s it happened in | description |",
            report.scenario.time_unit
        );
        let _ = writeln!(out, "|---|---:|---|---:|---|");
        for s in &report.shocks {
            let _ = writeln!(
                out,
                "| {} | {} ({}/{}) | {} – {} | {:.2} | {} |",
                cell(&s.name),
                pct(s.probability),
                s.happened,
                s.runs,
                pct(s.ci95[0]),
                pct(s.ci95[1]),
                s.mean_count,
                cell(&s.description)
            );
        }
        out.push('\n');
    }
    metrics_table(&mut out, report);
    if !report.bands.series.is_empty() {
        over_time_table(&mut out, &report.bands, report.runs, &sc.time_unit);
    }
    out
}

fn outcomes_table(out: &mut String, report: &EnsembleReport) {
    let _ = writeln!(out, "## Outcomes\n");
    let _ = writeln!(
        out,
        "| outcome | id | probability | 95% CI (Wilson) | first reached (median {}) | condition |",
        report.scenario.time_unit
    );
    let _ = writeln!(out, "|---|---|---:|---|---:|---|");
    for o in &report.outcomes {
        let first = o
            .first_step_median
            .map_or("—".to_string(), |m| format!("{m}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} ({}/{}) | {} – {} | {} | {} |",
            cell(&o.name),
            code(&format!("outcome.{}", o.name)),
            pct(o.probability),
            o.reached,
            o.runs,
            pct(o.ci95[0]),
            pct(o.ci95[1]),
            first,
            code(&o.condition)
        );
    }
    out.push('\n');
}

fn metrics_table(out: &mut String, report: &EnsembleReport) {
    let _ = writeln!(out, "## Metrics\n");
    let _ = writeln!(
        out,
        "| metric | id | mean ± sd | 95% CI of mean | 5% | 25% | median | 75% | 95% |"
    );
    let _ = writeln!(out, "|---|---|---:|---|---:|---:|---:|---:|---:|");
    for m in &report.metrics {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&m.label),
            code(&m.id.to_string()),
            metric_cells(m).join(" | ")
        );
    }
}

/// Median and 5–95 % band of each series at a few time points: every k-th, and always the last.
fn over_time_table(out: &mut String, b: &BandsReport, runs: u64, time_unit: &str) {
    let _ = writeln!(
        out,
        "\n## Over time\n\nMedian and 5–95% band across runs{}.\n",
        if b.sampled_runs < runs {
            format!(" (quantiles from {} evenly spaced runs)", b.sampled_runs)
        } else {
            String::new()
        }
    );
    let stride = b.steps.len().div_ceil(OVER_TIME_ROWS).max(1);
    let mut rows: Vec<usize> = (0..b.steps.len()).step_by(stride).collect();
    if rows.last() != Some(&(b.steps.len() - 1)) {
        rows.push(b.steps.len() - 1);
    }
    let _ = write!(out, "| {} |", cell(time_unit));
    for s in &b.series {
        let _ = write!(out, " {} |", cell(&s.expression));
    }
    let _ = write!(out, "\n|---:|");
    for _ in &b.series {
        out.push_str("---|");
    }
    out.push('\n');
    for &p in &rows {
        let _ = write!(out, "| {} |", b.steps[p]);
        for s in &b.series {
            let _ = write!(
                out,
                " {} [{}, {}] |",
                num(s.q50[p]),
                num(s.q05[p]),
                num(s.q95[p])
            );
        }
        out.push('\n');
    }
}

/// A comparison: how it was made (pairing, methods, adjustment), headlines, then a table of
/// outcomes and final values, or of every metric with `all`. Each row names its metric id, as
/// `--fail-if` takes it.
pub fn comparison(c: &Comparison, all: bool) -> String {
    let mut out = String::new();
    let how = if c.paired {
        format!(
            "paired: {} runs each with common random numbers (seed {})",
            c.runs,
            c.seed.unwrap_or(0)
        )
    } else {
        format!("unpaired: saved reports of at least {} runs each", c.runs)
    };
    let _ = writeln!(
        out,
        "# Comparison against {}

{how}. Differences are variant − baseline.
",
        c.baseline
    );
    let _ = writeln!(
        out,
        "Methods:
"
    );
    for m in &c.methods {
        let _ = writeln!(out, "- {m}");
    }
    let _ = writeln!(out);
    for h in c.headlines() {
        let _ = writeln!(out, "- {h}");
    }
    let adjusted = c.adjustment != super::compare::Adjustment::None;
    let _ = writeln!(
        out,
        "\n| variant | metric | id | baseline | variant | difference | {} | p |",
        if adjusted {
            "interval (level)"
        } else {
            "95% CI"
        }
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|---|---:|");
    for v in &c.variants {
        let shown = v
            .metrics
            .iter()
            .filter(|m| all || m.id.kind == MetricKind::Final);
        for d in v.outcomes.iter().chain(shown) {
            let (difference, interval) = if d.identical {
                ("identical in every run".to_string(), "—".to_string())
            } else if d.constant() {
                (
                    format!("{} in every run *", exact(d.difference)),
                    "—".to_string(),
                )
            } else {
                let mark = if d.significant { " *" } else { "" };
                let level = if adjusted {
                    format!(" ({})", super::compare::level_label(d.level))
                } else {
                    String::new()
                };
                (
                    format!("{}{mark}", num(d.difference)),
                    format!("[{}, {}]{level}", num(d.ci[0]), num(d.ci[1])),
                )
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {difference} | {interval} | {} |",
                cell(&v.name),
                cell(&d.label),
                code(&d.id.to_string()),
                num(d.baseline),
                num(d.variant),
                p_value(d.p_value)
            );
        }
        if !v.not_compared.is_empty() {
            let _ = writeln!(
                out,
                "| {} | only on one side: {} | | | | | | |",
                cell(&v.name),
                cell(&v.not_compared.join(", "))
            );
        }
    }
    let _ = writeln!(
        out,
        "\n`*`: significant (the interval excludes zero{}).",
        if adjusted { ", at its Holm level" } else { "" }
    );
    if !all {
        let _ = writeln!(
            out,
            "Peaks, means over time and action counts: `--all`, or `--format json`."
        );
    }
    out
}

/// An exact difference (every run the same): six significant digits, trailing zeros dropped.
fn exact(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let decimals = (5.0 - x.abs().log10().floor()).clamp(0.0, 15.0) as usize;
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if x > 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

/// Text for a Markdown table cell: `|` escaped and line breaks made spaces, so no name or
/// expression can break the table.
pub(crate) fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['|', '\n', '\r']) {
        return text.into();
    }
    text.replace('|', "\\|").replace(['\n', '\r'], " ").into()
}

/// Text as an inline code span in a table cell: a backtick in it gets a longer fence.
fn code(text: &str) -> String {
    let fence = if text.contains('`') { "`` " } else { "`" };
    let close = if text.contains('`') { " ``" } else { "`" };
    format!("{fence}{}{close}", cell(text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_cannot_break_a_table() {
        assert_eq!(super::cell("tension(A, B)"), "tension(A, B)");
        assert_eq!(super::cell("a || b\nc"), "a \\|\\| b c");
        assert_eq!(super::code("x > 1"), "`x > 1`");
        assert_eq!(super::code("a`b"), "`` a`b ``");
    }
}
