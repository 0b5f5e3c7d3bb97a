//! The CAMEO event codes with their Goldstein conflict–cooperation weights (-10 .. +10).
//!
//! The table is the published GDELT lookup (see `data/SOURCES.md`), embedded at build time so
//! that scenarios can ground action magnitudes in it without any file at run time.

const TABLE: &str = include_str!("../data/cameo_goldstein.csv");

fn rows() -> impl Iterator<Item = (&'static str, &'static str, f64)> {
    TABLE.lines().skip(1).filter_map(|line| {
        let (code, rest) = line.split_once(',')?;
        let (desc, weight) = rest.rsplit_once(',')?;
        Some((code, desc.trim_matches('"'), weight.trim().parse().ok()?))
    })
}

/// The Goldstein weight of a CAMEO code, if the code exists.
pub fn goldstein(code: &str) -> Option<f64> {
    rows().find(|(c, _, _)| *c == code).map(|(_, _, w)| w)
}

/// The description of a CAMEO code, if the code exists.
pub fn description(code: &str) -> Option<String> {
    rows()
        .find(|(c, _, _)| *c == code)
        .map(|(_, d, _)| d.replace("\"\"", "\""))
}

/// Every code, for did-you-mean hints.
pub fn codes() -> impl Iterator<Item = &'static str> {
    rows().map(|(c, _, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_weights() {
        assert_eq!(goldstein("0862"), Some(9.0));
        assert_eq!(goldstein("036"), Some(4.0));
        assert_eq!(goldstein("125"), Some(-5.0));
        assert_eq!(goldstein("163"), Some(-8.0));
        assert_eq!(
            description("044").as_deref(),
            Some("Meet at a \"third\" location")
        );
        assert_eq!(goldstein("9999"), None);
        assert_eq!(codes().count(), 311);
    }
}
