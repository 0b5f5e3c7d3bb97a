//! Numbers for people in the Markdown and text exporters; not used by JSON or CSV, which print
//! every digit.

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
