//! The CSV exporter: tables for spreadsheets and scripts — a run's trajectory, an ensemble's
//! per-run rows, and its bands. Numbers are written in full (Rust's shortest round-trip form);
//! a real number always with a decimal point or an exponent (`0.0`, `6.5e-5`), so that a reader
//! that guesses column types from the first rows (polars, DuckDB) never takes a column of reals
//! that starts with whole values for integers; counts and steps as integers. One header row,
//! `\n` line ends.

use super::ensemble::{BandsReport, RunsTable};
use super::metric::MetricKind;
use super::run::Trajectory;
use std::borrow::Cow;
use std::fmt::Write;

/// A text field as CSV writes it: as is, or quoted (RFC 4180) when it holds a comma, a quote or
/// a line break. Action names are identifiers and never need it; series and outcome names are
/// TOML keys and could.
pub(crate) fn field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// A real number as CSV writes it: shortest round-trip digits, always with a decimal point or
/// an exponent.
pub(crate) fn real(x: f64) -> String {
    format!("{x:?}")
}

/// A run's series over time: `step` then one column per series, one row per step.
pub fn trajectory(t: &Trajectory) -> String {
    let mut out = String::from("step");
    for name in &t.names {
        let _ = write!(out, ",{}", field(name));
    }
    out.push('\n');
    for step in 0..=t.steps as usize {
        let _ = write!(out, "{step}");
        for v in t.values {
            let _ = write!(out, ",{}", real(v[step]));
        }
        out.push('\n');
    }
    out
}

/// One row per run: the run index, every metric, and the first step each outcome was reached
/// (empty when it was not). [`runs_head`] then [`runs_rows`].
pub fn runs(table: &RunsTable) -> String {
    let mut out = runs_head(table);
    out.push_str(&runs_rows(table));
    out
}

/// The header line of the per-run table: `run`, every metric id, every `first_step.<outcome>`.
pub fn runs_head(table: &RunsTable) -> String {
    let mut out = String::from("run");
    for c in &table.metrics {
        let _ = write!(out, ",{}", field(&c.id.to_string()));
    }
    for (id, _) in &table.first_steps {
        let _ = write!(out, ",{}", field(&id.to_string()));
    }
    out.push('\n');
    out
}

/// The rows of the per-run table, without its header: what a streamed table appends for a
/// block of runs.
pub fn runs_rows(table: &RunsTable) -> String {
    let mut out = String::new();
    for (i, run) in table.runs.iter().enumerate() {
        let _ = write!(out, "{run}");
        for c in &table.metrics {
            if c.id.kind == MetricKind::Actions {
                let _ = write!(out, ",{}", c.values[i]);
            } else {
                let _ = write!(out, ",{}", real(c.values[i]));
            }
        }
        for (_, first) in &table.first_steps {
            match first[i] {
                Some(t) => {
                    let _ = write!(out, ",{t}");
                }
                None => out.push(','),
            }
        }
        out.push('\n');
    }
    out
}

/// The bands of an ensemble: one row per series and time point, with the mean and quantiles.
pub fn bands(b: &BandsReport) -> String {
    let mut out = String::from("step,series,mean,q05,q25,q50,q75,q95\n");
    for s in &b.series {
        let name = field(&s.name);
        for (p, step) in b.steps.iter().enumerate() {
            let _ = writeln!(
                out,
                "{step},{name},{},{},{},{},{},{}",
                real(s.mean[p]),
                real(s.q05[p]),
                real(s.q25[p]),
                real(s.q50[p]),
                real(s.q75[p]),
                real(s.q95[p])
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(field("final.tension_ltu_blr"), "final.tension_ltu_blr");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
