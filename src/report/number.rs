//! Numbers for people in the Markdown, text and HTML exporters; not used by JSON or CSV, which
//! print every digit.

/// A number for people: four decimals, and no negative zero.
pub(crate) fn num(x: f64) -> String {
    let s = format!("{x:.4}");
    if s == "-0.0000" {
        "0.0000".into()
    } else {
        s
    }
}

/// A probability as a percentage with one decimal, e.g. `12.5%`.
pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// A metric's numbers for people, as tables show them: `mean ± sd`, its interval `lo – hi`, and
/// its 5, 25, 50, 75 and 95 % quantiles.
pub(crate) fn metric_cells(m: &super::ensemble::MetricStats) -> [String; 7] {
    let [q05, q25, q50, q75, q95] = m.quantiles.map(num);
    [
        format!("{} ± {}", num(m.mean), num(m.sd)),
        format!("{} – {}", num(m.ci95[0]), num(m.ci95[1])),
        q05,
        q25,
        q50,
        q75,
        q95,
    ]
}

/// A p-value for people: three significant digits, and `< 1e-12` below that.
pub(crate) fn p_value(p: f64) -> String {
    if p < 1e-12 {
        "< 1e-12".into()
    } else if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.2e}")
    }
}
