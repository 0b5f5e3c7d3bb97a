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

/// Every code, in the table's order.
pub fn codes() -> impl Iterator<Item = &'static str> {
    rows().map(|(c, _, _)| c)
}

/// The codes nearest in meaning to `code`, which is not one: the nearest code above it in the
/// CAMEO hierarchy (its longest prefix that is a code, of two digits or more), then the codes
/// directly under that one, in order. Codes close in spelling are often far in meaning (`0411`
/// is one digit from `011`, "Decline comment"), so they are not offered. Empty when no prefix of
/// `code` is a code.
pub fn related(code: &str) -> Vec<&'static str> {
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let parent = (2..code.len())
        .rev()
        .find_map(|n| codes().find(|c| *c == &code[..n]));
    let Some(parent) = parent else {
        return Vec::new();
    };
    let children = codes().filter(|c| c.len() == parent.len() + 1 && c.starts_with(parent));
    std::iter::once(parent).chain(children).collect()
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

    #[test]
    fn related_codes_are_the_parent_and_its_children() {
        assert_eq!(related("0411"), ["041"]);
        assert_eq!(related("0315"), ["031", "0311", "0312", "0313", "0314"]);
        assert_eq!(related("0369"), ["036"]);
        assert!(related("99").is_empty());
        assert!(related("x41").is_empty());
    }
}
