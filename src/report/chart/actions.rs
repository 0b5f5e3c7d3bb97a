//! The action markers of one run's trajectory charts: a strip under the time axis with one row
//! per action, and a tick at each step it was taken in (by anyone, through any rule or event),
//! whose hover text lists the takings. Drawn from the run's firing log
//! ([`crate::report::Trajectory::actions`]); a run without one gets no strip.
//!
//! Legible with thousands of takings: takings are grouped per step (and, when steps are
//! narrower than a tick, per group of steps), a hover text lists at most [`MAX_LINES`] of them,
//! and past [`MAX_ROWS`] actions the least taken share one row.

use crate::report::run::TakenAction;
use crate::report::svg::{clip, colour, text_width, Font, Frame, Stroke, Svg, GRID, MUTED};
use std::collections::BTreeMap;

/// Most rows a strip has; past it, the least taken actions share the last row.
pub(crate) const MAX_ROWS: usize = 20;
/// Most takings a tick's hover text lists.
const MAX_LINES: usize = 8;
/// Height of one row.
const ROW_H: f64 = 10.0;
/// Space between the plotting area's bottom and the first row (the axis' tick marks).
const GAP: f64 = 8.0;
/// Font size of the row labels.
const LABEL_SIZE: f64 = 10.0;
/// Most characters of a row label.
const LABEL_CHARS: usize = 20;
/// Narrowest gap between ticks, in pixels: closer steps are grouped.
const MIN_TICK_SPACING: f64 = 3.0;

/// One row: an action (or the actions sharing the last row) and its takings in step order.
struct Row<'a> {
    label: String,
    hover: String,
    takings: Vec<&'a TakenAction<'a>>,
}

/// The rows of a run's action markers, shared by all its trajectory charts.
pub(crate) struct Strip<'a> {
    rows: Vec<Row<'a>>,
}

impl<'a> Strip<'a> {
    /// The strip of `actions` (a run's takings, in step order); `unit` names a step.
    pub(crate) fn new(actions: &'a [TakenAction<'a>], unit: &str) -> Strip<'a> {
        let mut by: BTreeMap<&str, Vec<&TakenAction>> = BTreeMap::new();
        for a in actions {
            by.entry(a.action).or_default().push(a);
        }
        let mut groups: Vec<(&str, Vec<&TakenAction>)> = by.into_iter().collect();
        let mut rest: Vec<(&str, Vec<&TakenAction>)> = Vec::new();
        if groups.len() > MAX_ROWS {
            // Keep the most taken (ties by name), in name order; the rest share a row.
            let mut order: Vec<usize> = (0..groups.len()).collect();
            order.sort_by(|&a, &b| {
                groups[b]
                    .1
                    .len()
                    .cmp(&groups[a].1.len())
                    .then(groups[a].0.cmp(groups[b].0))
            });
            let keep: Vec<usize> = order[..MAX_ROWS - 1].to_vec();
            let (kept, others): (Vec<_>, Vec<_>) = groups
                .into_iter()
                .enumerate()
                .partition(|(i, _)| keep.contains(i));
            groups = kept.into_iter().map(|(_, g)| g).collect();
            rest = others.into_iter().map(|(_, g)| g).collect();
        }
        let mut rows: Vec<Row> = groups
            .into_iter()
            .map(|(action, takings)| Row {
                label: clip(action, LABEL_CHARS),
                hover: format!(
                    "{action}: taken {} in {}",
                    times(takings.len()),
                    super::counted(distinct_steps(&takings), unit)
                ),
                takings,
            })
            .collect();
        if !rest.is_empty() {
            let names: Vec<&str> = rest.iter().map(|(n, _)| *n).collect();
            let mut takings: Vec<&TakenAction> = rest.into_iter().flat_map(|(_, t)| t).collect();
            takings.sort_by_key(|t| t.step);
            rows.push(Row {
                label: format!("{} other actions", names.len()),
                hover: format!(
                    "{}: taken {} in {}",
                    names.join(", "),
                    times(takings.len()),
                    super::counted(distinct_steps(&takings), unit)
                ),
                takings,
            });
        }
        Strip { rows }
    }

    /// Whether there is nothing to mark.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The left margin the row labels need.
    pub(crate) fn left_margin(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let widest = self
            .rows
            .iter()
            .map(|r| text_width(&r.label, LABEL_SIZE))
            .fold(0.0, f64::max);
        12.0 + widest + 8.0
    }

    /// The height the strip takes under the plotting area (0 when empty).
    pub(crate) fn height(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            GAP + ROW_H * self.rows.len() as f64 + 2.0
        }
    }

    /// Draws the strip under frame `f`, whose time axis runs from step 0 to `last`.
    pub(crate) fn draw(&self, svg: &mut Svg, f: &Frame, unit: &str, last: u32) {
        let last = last.max(1);
        let per_step = f.width / f64::from(last);
        let bin = ((MIN_TICK_SPACING / per_step).ceil() as u32).max(1);
        // The time axis' ticks carry on through the strip, down to their labels under it.
        let bottom = f.bottom() + self.height();
        for &v in &f.xt.values {
            let x = f.x.map(v);
            svg.line((x, f.bottom() + 4.0), (x, bottom), Stroke::solid(GRID, 1.0));
        }
        for (i, row) in self.rows.iter().enumerate() {
            let y0 = f.bottom() + GAP + ROW_H * i as f64;
            let mid = y0 + ROW_H / 2.0;
            svg.line((f.left, mid), (f.right(), mid), Stroke::solid(GRID, 1.0));
            svg.text_titled(
                f.left - 6.0,
                mid + 3.5,
                &row.label,
                Font::plain(LABEL_SIZE).fill(MUTED).at("end"),
                Some(&row.hover),
            );
            let mut ticks: BTreeMap<u32, Vec<&TakenAction>> = BTreeMap::new();
            for t in row.takings.iter().filter(|t| t.step <= last) {
                ticks.entry(t.step / bin).or_default().push(t);
            }
            for (k, takings) in ticks {
                let (first, end) = (k * bin, (k * bin + bin - 1).min(last));
                let (x0, x1) = (f.x.map(f64::from(first)), f.x.map(f64::from(end)));
                let width = if bin == 1 {
                    (per_step * 0.7).clamp(1.5, 4.0)
                } else {
                    (x1 - x0 + per_step - 1.0).max(1.5)
                };
                let centre = (x0 + x1) / 2.0;
                svg.rect_titled(
                    (centre - width / 2.0, y0 + 1.5),
                    (width, ROW_H - 3.0),
                    (colour(i), 1.0),
                    Some(&tick_text(&takings, unit, (first, end))),
                );
            }
        }
    }
}

/// `once`, `12 times`.
fn times(n: usize) -> String {
    if n == 1 {
        "once".into()
    } else {
        format!("{n} times")
    }
}

/// How many steps `takings` (in step order) fall in.
fn distinct_steps(takings: &[&TakenAction]) -> usize {
    let mut steps: Vec<u32> = takings.iter().map(|t| t.step).collect();
    steps.dedup();
    steps.len()
}

/// A tick's hover text: one line per taking, `week 12: BLR push_migrants → LTU (rule
/// blr_retaliates)`, at most [`MAX_LINES`], under a heading when the tick covers several steps.
fn tick_text(takings: &[&TakenAction], unit: &str, (first, end): (u32, u32)) -> String {
    let mut lines: Vec<String> = Vec::new();
    if first != end {
        lines.push(format!(
            "{} {first}–{end}: {}",
            super::plural(unit),
            super::counted(takings.len(), "taking")
        ));
    }
    for t in takings.iter().take(MAX_LINES) {
        lines.push(format!("{unit} {}: {}", t.step, t.describe()));
    }
    if takings.len() > MAX_LINES {
        lines.push(format!("… and {} more", takings.len() - MAX_LINES));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taking(step: u32, action: &'static str) -> TakenAction<'static> {
        TakenAction {
            step,
            action,
            actor: "BLR",
            target: Some("LTU"),
            cause: "rule",
            by: "r",
        }
    }

    #[test]
    fn past_the_row_cap_the_least_taken_actions_share_a_row() {
        let names: Vec<&'static str> = (0..MAX_ROWS + 3)
            .map(|i| &*Box::leak(format!("a{i:02}").into_boxed_str()))
            .collect();
        let mut log = Vec::new();
        for (i, name) in names.iter().enumerate() {
            for s in 0..=i as u32 {
                log.push(taking(s + 1, name));
            }
        }
        log.sort_by_key(|t| t.step);
        let strip = Strip::new(&log, "week");
        assert_eq!(strip.rows.len(), MAX_ROWS);
        // The four least taken (a00 … a03) share the last row, the others keep theirs in name
        // order.
        assert_eq!(strip.rows[0].label, "a04");
        assert_eq!(strip.rows[MAX_ROWS - 1].label, "4 other actions");
        assert_eq!(strip.rows[MAX_ROWS - 1].takings.len(), 1 + 2 + 3 + 4);
        assert!(strip.rows[MAX_ROWS - 1]
            .hover
            .starts_with("a00, a01, a02, a03: taken 10 times"));
    }

    #[test]
    fn tick_texts_list_each_taking_and_cap_the_list() {
        let one = [taking(12, "push")];
        let refs: Vec<&TakenAction> = one.iter().collect();
        assert_eq!(
            tick_text(&refs, "week", (12, 12)),
            "week 12: BLR push → LTU (rule r)"
        );
        let many: Vec<TakenAction> = (0..11).map(|i| taking(20 + i / 4, "push")).collect();
        let refs: Vec<&TakenAction> = many.iter().collect();
        let text = tick_text(&refs, "week", (20, 22));
        assert!(text.starts_with("weeks 20–22: 11 takings\nweek 20: BLR push"));
        assert!(text.ends_with("\n… and 3 more"), "{text}");
    }
}
