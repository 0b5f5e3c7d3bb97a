//! The charts of an explanation: per place, a waterfall of its change (a bar from zero to the
//! start value, one floating bar per source in the report's order, the range clamp, a bar from
//! zero to the end value; for an ensemble each source's 95% interval as an error bar at its
//! bar's end), and with a counterfactual, forest plots of each removal's total effect on the
//! value and on each outcome's probability.

use super::{finish, header, interval, rows_frame, Chart, ChartId, ChartKind, ROW};
use crate::report::explain::{
    pct_interval, plain, signed, signed_pct, Account, Counterfactual, Explanation, SourceRow,
};
use crate::report::svg::{
    clip, text_width, ticks, Font, Legend, Stroke, Svg, Swatch, ACCENT, GRID, INK, MUTED,
};

/// Width of a waterfall: wider than other charts, for two-line labels and intervals.
pub(crate) const WATERFALL_WIDTH: f64 = 900.0;
/// Height of a waterfall row (a label of two lines).
const WATERFALL_ROW: f64 = 30.0;
/// Thickness of a waterfall bar.
const BAR: f64 = 14.0;
/// Most sources a waterfall draws one by one; the smaller rest share one bar (the table has
/// every one).
pub(crate) const MAX_BARS: usize = 30;
/// Most firing steps a hover text lists.
const MAX_FIRED: usize = 24;

/// The start and end bars.
const LEVEL: &str = "#6e6e6e";
/// A source that raised the value.
const UP: &str = "#D55E00";
/// A source that lowered it.
const DOWN: &str = "#0072B2";
/// The range clamp.
const CLAMP: &str = "#CC79A7";
/// The smaller sources taken together.
const REST: &str = "#b4b4b4";

/// The subject of a place's waterfall id: the place as written, without spaces
/// (`tension(LTU,BLR)`), so that `--plot waterfall:tension(LTU,BLR)=f.svg` needs no quotes.
pub fn waterfall_subject(place: &str) -> String {
    place.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The charts of an explanation: each place's waterfall (a place with nothing to account has
/// none), then, with a counterfactual, the forest of its effects on the value
/// (`forest:counterfactual`, for a variable) and on the outcomes (`forest:outcomes`).
pub fn explanation_charts(e: &Explanation) -> Vec<Chart> {
    let mut charts: Vec<Chart> = e
        .accounts
        .iter()
        .filter(|a| !(a.sources.is_empty() && a.note.is_some()))
        .map(|a| waterfall(e, a))
        .collect();
    if let Some(cf) = &e.counterfactual {
        charts.extend(value_forest(e, cf));
        charts.extend(outcome_forest(cf));
    }
    charts
}

/// The two lines of a source's label: what was done (`BLR push_migrants → LTU`) and by what
/// (`rule blr_retaliates`), or the dynamics line's or shock's name and its kind.
fn label_lines(s: &SourceRow) -> (String, Option<String>) {
    match (s.kind, &s.name, &s.action, &s.actor) {
        ("rule" | "event", Some(name), Some(action), Some(actor)) => {
            let what = match &s.target {
                Some(t) => format!("{actor} {action} → {t}"),
                None => format!("{actor} {action}"),
            };
            let by = match &s.spilled_to {
                Some(k) => format!("{} {name}, spilled to {k}", s.kind),
                None => format!("{} {name}", s.kind),
            };
            (what, Some(by))
        }
        ("dynamics" | "shock", Some(name), _, _) => (name.clone(), Some(s.kind.to_string())),
        ("clamp", _, _, _) => ("range clamp".into(), Some("to the variable's range".into())),
        _ => (s.label.clone(), None),
    }
}

/// One row of a waterfall: its label, its bar (from, to, fill), its interval (ensemble), the
/// numbers at its right and its hover text.
struct Step {
    lines: (String, Option<String>),
    from: f64,
    to: f64,
    fill: &'static str,
    ci: Option<[f64; 2]>,
    text: String,
    hover: String,
}

/// The window of an account in words: `weeks 0–104`.
pub(crate) fn window(a: &Account, unit: &str) -> String {
    match (a.from, a.to) {
        (Some(f), Some(t)) => format!("{} {f}–{t}", super::plural(unit)),
        _ => format!("from the start to the {unit} the outcome was reached"),
    }
}

/// The rows of a waterfall: start, the sources in order (past [`MAX_BARS`], the smaller rest as
/// one), the clamp, end.
fn steps(e: &Explanation, a: &Account) -> Vec<Step> {
    let unit = &e.scenario.time_unit;
    let mean = if e.run.is_none() { "mean " } else { "" };
    let at = |step: Option<u32>, what: &str| match step {
        Some(s) => format!("{what}: the value after {unit} {s}"),
        None => format!("{what}: the value at the {unit} the outcome was first reached"),
    };
    let moved = |from: f64, amount: f64| {
        format!(
            "{mean}{} ({} → {})",
            signed(amount),
            plain(from),
            plain(from + amount)
        )
    };
    let mut rows = vec![Step {
        lines: (
            "start".into(),
            Some(format!("after {unit} {}", a.from.unwrap_or(0))),
        ),
        from: 0.0,
        to: a.start,
        fill: LEVEL,
        ci: None,
        text: plain(a.start),
        hover: format!("{}\n{mean}{}", at(a.from, "start"), plain(a.start)),
    }];
    let (clamp, sources): (Vec<&SourceRow>, Vec<&SourceRow>) =
        a.sources.iter().partition(|s| s.kind == "clamp");
    let cut = if sources.len() > MAX_BARS {
        MAX_BARS - 1
    } else {
        sources.len()
    };
    let (shown, rest) = sources.split_at(cut);
    let mut total = a.start;
    let source = |s: &SourceRow, total: &mut f64| {
        let from = *total;
        *total += s.amount;
        let fill = match s.kind {
            "clamp" => CLAMP,
            _ if s.amount >= 0.0 => UP,
            _ => DOWN,
        };
        let mut hover = format!("{}\n{}", s.label, moved(from, s.amount));
        let mut text = signed(s.amount);
        if let (Some(ci), Some(share)) = (s.ci95, s.share) {
            hover.push_str(&format!(
                "\n95% interval {}\ncontributed in {} of the {} runs",
                ci_text(ci),
                crate::report::number::pct(share),
                a.runs
            ));
            text.push_str(&format!(" {}", ci_text(ci)));
        }
        if !s.fired.is_empty() {
            let steps: Vec<String> = s.fired.iter().take(MAX_FIRED).map(u32::to_string).collect();
            let more = if s.fired.len() > MAX_FIRED {
                ", …"
            } else {
                ""
            };
            hover.push_str(&format!("\ntaken in {unit} {}{more}", steps.join(", ")));
        }
        Step {
            lines: label_lines(s),
            from,
            to: *total,
            fill,
            ci: s.ci95.map(|[lo, hi]| [from + lo, from + hi]),
            text,
            hover,
        }
    };
    for s in shown {
        rows.push(source(s, &mut total));
    }
    if !rest.is_empty() {
        let amount: f64 = rest.iter().map(|s| s.amount).sum();
        let from = total;
        total += amount;
        rows.push(Step {
            lines: (
                format!("{} smaller sources", rest.len()),
                Some("together (the table has each)".into()),
            ),
            from,
            to: total,
            fill: REST,
            ci: None,
            text: signed(amount),
            hover: format!(
                "{} smaller sources together\n{}",
                rest.len(),
                moved(from, amount)
            ),
        });
    }
    for s in clamp {
        rows.push(source(s, &mut total));
    }
    let residual = if a.residual == 0.0 {
        String::new()
    } else {
        format!("\nstart + sources − end = {:.1e} (rounding)", -a.residual)
    };
    rows.push(Step {
        lines: ("end".into(), a.to.map(|t| format!("after {unit} {t}"))),
        from: 0.0,
        to: a.end,
        fill: LEVEL,
        ci: None,
        text: plain(a.end),
        hover: format!("{}\n{mean}{}{residual}", at(a.to, "end"), plain(a.end)),
    });
    rows
}

/// An interval with the typographic minus: `[−0.9848, −0.9766]`.
fn ci_text(ci: [f64; 2]) -> String {
    crate::report::explain::interval(Some(ci))
}

/// The waterfall of one place's account.
fn waterfall(e: &Explanation, a: &Account) -> Chart {
    let unit = &e.scenario.time_unit;
    let rows = steps(e, a);
    let width = WATERFALL_WIDTH;
    let left = 24.0
        + rows
            .iter()
            .map(|r| {
                let (one, two) = &r.lines;
                let w1 = text_width(&clip(one, 38), 12.0);
                let w2 = two
                    .as_deref()
                    .map_or(0.0, |t| text_width(&clip(t, 46), 10.0));
                w1.max(w2)
            })
            .fold(80.0, f64::max)
            .min(300.0);
    let right = 20.0
        + rows
            .iter()
            .map(|r| text_width(&r.text, 11.0))
            .fold(70.0, f64::max)
            .min(260.0);
    let (lo, hi) = rows
        .iter()
        .flat_map(|r| {
            let ci = r.ci.unwrap_or([r.to, r.to]);
            [r.from, r.to, ci[0], ci[1]]
        })
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let xt = ticks(lo, hi, 6, false);
    let title = format!("Where the change in {} came from", a.place);
    let subtitle = match e.run {
        Some(r) => format!(
            "run {r} of seed {}, {}; the sources in the table's order, the range clamp last",
            e.seed,
            window(a, unit)
        ),
        None => format!(
            "mean of {} runs of seed {}, {}; 95% intervals",
            a.runs,
            e.seed,
            window(a, unit)
        ),
    };
    let mut items = vec![(Swatch::Band(LEVEL, 1.0), "start and end".to_string())];
    for (fill, what) in [
        (UP, "raised it"),
        (DOWN, "lowered it"),
        (CLAMP, "range clamp"),
        (REST, "smaller sources"),
    ] {
        if rows.iter().any(|r| r.fill == fill) {
            items.push((Swatch::Band(fill, 1.0), what.to_string()));
        }
    }
    if rows.iter().any(|r| r.ci.is_some()) {
        items.push((
            Swatch::Line(Stroke::solid(INK, 1.5)),
            "95% interval".to_string(),
        ));
    }
    let legend = Legend::new(items, width - 24.0);
    let mut svg = Svg::new(width, &title);
    let top = header(&mut svg, &title, &subtitle, &legend, 12.0);
    // A frame of rows as `rows_frame` makes, of the waterfall's taller rows.
    let mut f = rows_frame(left, top + 4.0, (width - left - right, rows.len()), xt);
    f.height = WATERFALL_ROW * rows.len() as f64;
    f.x_axis(&mut svg, &format!("{} (running total)", clip(&a.place, 60)));
    let zero = f.x.map(0.0);
    svg.line((zero, f.top), (zero, f.bottom()), Stroke::solid(INK, 1.0));
    for (i, r) in rows.iter().enumerate() {
        let y_top = f.top + WATERFALL_ROW * i as f64;
        let mid = y_top + WATERFALL_ROW / 2.0;
        if i > 0 {
            svg.line(
                (12.0, y_top),
                (f.left - 4.0, y_top),
                Stroke::solid(GRID, 1.0),
            );
        }
        let (one, two) = &r.lines;
        let bold = i == 0 || i + 1 == rows.len();
        let font = if bold {
            Font::plain(12.0).bold()
        } else {
            Font::plain(12.0)
        };
        match two {
            Some(t) => {
                svg.text(f.left - 10.0, mid - 2.0, &clip(one, 38), font.at("end"));
                svg.text(
                    f.left - 10.0,
                    mid + 10.0,
                    &clip(t, 46),
                    Font::plain(10.0).fill(MUTED).at("end"),
                );
            }
            None => svg.text(f.left - 10.0, mid + 4.0, &clip(one, 38), font.at("end")),
        }
        let (x0, x1) = (f.x.map(r.from), f.x.map(r.to));
        let (xa, xb) = (x0.min(x1), x0.max(x1));
        // At least a hairline, so that a tiny source is still seen.
        let w = (xb - xa).max(1.0);
        svg.rect((xa, mid - BAR / 2.0), (w, BAR), r.fill, 1.0);
        if let Some([lo, hi]) = r.ci {
            let (c0, c1) = (f.x.map(lo), f.x.map(hi));
            let stroke = Stroke::solid(INK, 1.5);
            svg.line((c0, mid), (c1, mid), stroke);
            svg.line((c0, mid - 4.0), (c0, mid + 4.0), stroke);
            svg.line((c1, mid - 4.0), (c1, mid + 4.0), stroke);
        }
        // The running total carries on to the next bar.
        if i + 1 < rows.len() {
            let next = &rows[i + 1];
            let x = f.x.map(r.to);
            let y_next = mid + WATERFALL_ROW - BAR / 2.0;
            if next.from == r.to {
                svg.line(
                    (x, mid + BAR / 2.0),
                    (x, y_next),
                    Stroke::solid(MUTED, 1.0).dashed("2 2"),
                );
            } else if i + 2 == rows.len() {
                // The last source's total is the end value: a dotted line down to the end bar.
                svg.line(
                    (x, mid + BAR / 2.0),
                    (x, y_next),
                    Stroke::solid(MUTED, 1.0).dashed("1 2"),
                );
            }
        }
        svg.text(f.right() + 10.0, mid + 4.0, &r.text, Font::plain(11.0));
        svg.hit((0.0, y_top), (width, WATERFALL_ROW), &r.hover);
    }
    let height = f.bottom() + 46.0;
    finish(
        svg,
        height,
        ChartKind::Waterfall,
        Some(&waterfall_subject(&a.place)),
        title,
    )
}

/// One row of an effect forest: its label, effect and interval (in the chart's units), the
/// numbers at its right and its hover text.
struct EffectRow {
    label: String,
    effect: f64,
    ci: [f64; 2],
    text: String,
    hover: String,
}

/// Each removal's total effect on the value, with its paired interval.
fn value_forest(e: &Explanation, cf: &Counterfactual) -> Option<Chart> {
    let unit = &e.scenario.time_unit;
    let rows: Vec<EffectRow> = cf
        .rows
        .iter()
        .filter_map(|r| {
            let (x, ci) = (r.effect?, r.ci95?);
            let p = r.p_value.map_or(String::new(), |p| {
                format!(", p = {}", crate::report::number::p_value(p))
            });
            Some(EffectRow {
                label: r.removed.clone(),
                effect: x,
                ci,
                text: format!("{} {}", signed(x), ci_text(ci)),
                hover: format!(
                    "with − without {}\n{} after {unit} {}: {}\npaired 95% interval {}{p}",
                    r.removed,
                    e.target,
                    cf.to,
                    signed(x),
                    ci_text(ci)
                ),
            })
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(effect_forest(
        format!("Total effect on {} after {unit} {}", e.target, cf.to),
        format!(
            "with − without each source, {} paired runs, paired t 95% intervals",
            cf.runs
        ),
        &[(None, rows)],
        &format!("with − without ({})", clip(&e.target, 50)),
        ChartId::new(ChartKind::Forest, Some("counterfactual")),
    ))
}

/// Each removal's effect on each outcome's probability (removals that change nothing left
/// out), in percentage points.
fn outcome_forest(cf: &Counterfactual) -> Option<Chart> {
    let mut names: Vec<&str> = Vec::new();
    for r in &cf.rows {
        for o in &r.outcomes {
            if !names.contains(&o.outcome.as_str()) {
                names.push(&o.outcome);
            }
        }
    }
    let groups: Vec<(Option<String>, Vec<EffectRow>)> = names
        .iter()
        .map(|name| {
            let rows = cf
                .rows
                .iter()
                .filter_map(|r| {
                    let o = r.outcomes.iter().find(|o| o.outcome == *name)?;
                    (o.with != o.without).then(|| EffectRow {
                        label: r.removed.clone(),
                        effect: 100.0 * o.effect,
                        ci: [100.0 * o.ci95[0], 100.0 * o.ci95[1]],
                        text: format!(
                            "{} {}",
                            signed_pct(o.effect).trim_end_matches(" pp"),
                            pct_interval(o.ci95)
                        ),
                        hover: format!(
                            "P({name}) with − without {}\n{} with, {} without: {}\npaired 95% interval {}",
                            r.removed,
                            crate::report::number::pct(o.with),
                            crate::report::number::pct(o.without),
                            signed_pct(o.effect),
                            pct_interval(o.ci95)
                        ),
                    })
                })
                .collect::<Vec<_>>();
            (Some(format!("P({name})")), rows)
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    if groups.is_empty() {
        return None;
    }
    Some(effect_forest(
        "Outcomes: with − without each source".into(),
        format!(
            "{} paired runs, Newcombe's paired score 95% intervals; removals that change nothing are left out",
            cf.runs
        ),
        &groups,
        "difference in probability (percentage points)",
        ChartId::new(ChartKind::Forest, Some("outcomes")),
    ))
}

/// A forest plot of effects: groups of rows under headings, a dashed line at zero, each
/// effect's interval and dot (filled when the interval excludes zero), the numbers at the right.
fn effect_forest(
    title: String,
    subtitle: String,
    groups: &[(Option<String>, Vec<EffectRow>)],
    x_label: &str,
    id: ChartId,
) -> Chart {
    let width = super::WIDTH;
    let left = 24.0
        + groups
            .iter()
            .flat_map(|(h, rows)| {
                h.iter().map(|h| text_width(&clip(h, 36), 12.0)).chain(
                    rows.iter()
                        .map(|r| text_width(&clip(&r.label, 30), 12.0) + 12.0),
                )
            })
            .fold(60.0, f64::max)
            .min(240.0);
    let right = 20.0
        + groups
            .iter()
            .flat_map(|(_, rows)| rows.iter().map(|r| text_width(&r.text, 11.0)))
            .fold(100.0, f64::max)
            .min(240.0);
    let (lo, hi) = groups
        .iter()
        .flat_map(|(_, rows)| rows.iter())
        .flat_map(|r| [r.effect, r.ci[0], r.ci[1]])
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let xt = ticks(lo, hi, 6, false);
    let n_rows: usize = groups
        .iter()
        .map(|(h, rows)| rows.len() + usize::from(h.is_some()))
        .sum();
    let legend = Legend::new(
        vec![
            (Swatch::Dot(ACCENT, true), "interval excludes 0".into()),
            (Swatch::Dot(ACCENT, false), "interval includes 0".into()),
        ],
        width - 24.0,
    );
    let mut svg = Svg::new(width, &title);
    let top = header(&mut svg, &title, &subtitle, &legend, 12.0);
    let f = rows_frame(left, top + 4.0, (width - left - right, n_rows), xt);
    f.x_axis(&mut svg, x_label);
    let zero = f.x.map(0.0);
    svg.line(
        (zero, f.top),
        (zero, f.bottom()),
        Stroke::solid(INK, 1.0).dashed("4 3"),
    );
    let mut row = 0usize;
    for (k, (heading, rows)) in groups.iter().enumerate() {
        if let Some(h) = heading {
            let y = f.top + ROW * (row as f64 + 0.5);
            if k > 0 {
                let rule = f.top + ROW * row as f64;
                svg.line((12.0, rule), (width - 12.0, rule), Stroke::solid(GRID, 1.0));
            }
            svg.text(12.0, y + 4.0, &clip(h, 36), Font::plain(12.0).bold());
            row += 1;
        }
        for r in rows {
            let y = f.top + ROW * (row as f64 + 0.5);
            row += 1;
            let indent = if heading.is_some() { 24.0 } else { 12.0 };
            svg.text(indent, y + 4.0, &clip(&r.label, 30), Font::plain(12.0));
            let excludes = r.ci[0] > 0.0 || r.ci[1] < 0.0;
            interval(&mut svg, (f.x.map(r.ci[0]), f.x.map(r.ci[1])), y);
            let fill = if excludes { ACCENT } else { "#ffffff" };
            svg.circle(
                (f.x.map(r.effect), y),
                4.5,
                fill,
                Stroke::solid(ACCENT, 1.5),
                None,
            );
            svg.text(
                f.right() + 10.0,
                y + 4.0,
                &r.text,
                Font::plain(11.0).fill(if excludes { INK } else { MUTED }),
            );
            svg.hit((0.0, y - ROW / 2.0), (width, ROW), &r.hover);
        }
    }
    let height = f.bottom() + 46.0;
    let ChartId { kind, subject } = id;
    finish(svg, height, kind, subject.as_deref(), title)
}
