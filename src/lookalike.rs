//! Ids that look alike: a Latin `A` beside a Cyrillic `А` prints the same in every report, so
//! two actors (or kinds) that differ only so are warned about, and so is one id that mixes
//! scripts (`LТU` with a Cyrillic `Т`).
//!
//! Both tests are Unicode Technical Standard #39 ("Unicode Security Mechanisms"): two ids are
//! confusable when their *skeletons* (§4, the confusables mapping applied after NFD) are equal,
//! and an id mixes scripts when its resolved script set (§5.1) is empty. Common characters
//! (digits, `_`, `-`) belong to every script. Ids that are all ASCII are never compared: `l1`
//! beside `I1` is a choice made in plain ASCII, and a network of a million numbered actors is
//! not scanned for nothing.

use std::collections::HashMap;
use unicode_script::UnicodeScript;
use unicode_security::{skeleton, MixedScript};

/// Something wrong with the id at index `at` of the list given to [`find`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lookalike {
    /// The id mixes the scripts named (in order of appearance).
    MixedScripts {
        at: usize,
        scripts: Vec<&'static str>,
    },
    /// The id looks like the earlier id at index `like`.
    Confusable { at: usize, like: usize },
}

/// What is wrong with the ids, in order of the index warned about; at most one confusable
/// finding per id (the first id it looks like).
pub(crate) fn find<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<Lookalike> {
    let ids: Vec<&str> = ids.into_iter().collect();
    if ids.iter().all(|id| id.is_ascii()) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (at, id) in ids.iter().enumerate() {
        if !id.is_ascii() && !id.is_single_script() {
            found.push(Lookalike::MixedScripts {
                at,
                scripts: scripts(id),
            });
        }
        let key: String = skeleton(id).collect();
        match seen.get(&key) {
            Some(&like) if !(id.is_ascii() && ids[like].is_ascii()) => {
                found.push(Lookalike::Confusable { at, like });
            }
            Some(_) => {}
            None => {
                seen.insert(key, at);
            }
        }
    }
    found
}

/// The scripts of `id`'s letters, each once, in order of appearance (Common and Inherited left
/// out: they go with any script).
fn scripts(id: &str) -> Vec<&'static str> {
    let mut names = Vec::new();
    for c in id.chars() {
        let script = c.script();
        if matches!(
            script,
            unicode_script::Script::Common | unicode_script::Script::Inherited
        ) {
            continue;
        }
        if !names.contains(&script.full_name()) {
            names.push(script.full_name());
        }
    }
    names
}

/// Whether `a` and `b` differ but look alike (equal skeletons), and one of them is not ASCII.
pub(crate) fn look_alike(a: &str, b: &str) -> bool {
    a != b && !(a.is_ascii() && b.is_ascii()) && skeleton(a).eq(skeleton(b))
}

/// What `id` looks like in plain ASCII (its skeleton), when that is a different, valid id:
/// `LTU` for `LТU`.
pub(crate) fn plain(id: &str) -> Option<String> {
    let key: String = skeleton(id).collect();
    let valid = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (valid && key != id).then_some(key)
}

/// "`А` (U+0410)": each non-ASCII character of `id` with its code point, so a message can show
/// where two ids that print alike differ.
pub(crate) fn spelled(id: &str) -> String {
    let marks: Vec<String> = id
        .chars()
        .filter(|c| !c.is_ascii())
        .map(|c| format!("`{c}` U+{:04X} {}", c as u32, c.script().full_name()))
        .collect();
    marks.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cyrillic_letter_beside_the_latin_one_is_confusable() {
        // U+0410 CYRILLIC CAPITAL LETTER A.
        let found = find(["A", "B", "\u{410}"]);
        assert_eq!(found, vec![Lookalike::Confusable { at: 2, like: 0 }]);
    }

    #[test]
    fn an_id_mixing_latin_and_cyrillic_is_flagged_with_both_scripts() {
        // `LТU` with U+0422 CYRILLIC CAPITAL LETTER TE.
        let found = find(["L\u{422}U"]);
        assert_eq!(
            found,
            vec![Lookalike::MixedScripts {
                at: 0,
                scripts: vec!["Latin", "Cyrillic"]
            }]
        );
    }

    #[test]
    fn ordinary_ids_are_left_alone() {
        // Latin with diacritics, one non-Latin script, digits and separators are all fine, and
        // ASCII-only lookalikes are not compared.
        assert!(find([
            "Łódź",
            "Kraków",
            "Москва",
            "北京",
            "東京-2",
            "l1",
            "I1",
            "O0",
            "00"
        ])
        .is_empty());
    }

    #[test]
    fn lookalikes_across_diacritics_forms_are_found() {
        // `é` precomposed and `e` + combining acute: the same skeleton after NFD.
        let found = find(["caf\u{e9}", "cafe\u{301}"]);
        assert_eq!(found, vec![Lookalike::Confusable { at: 1, like: 0 }]);
    }

    #[test]
    fn plain_gives_the_ascii_lookalike_when_there_is_one() {
        assert_eq!(plain("L\u{422}U").as_deref(), Some("LTU"));
        assert_eq!(plain("LTU"), None);
        assert_eq!(plain("北京"), None);
    }

    #[test]
    fn spelled_names_each_non_ascii_character() {
        assert_eq!(spelled("L\u{422}U"), "`Т` U+0422 Cyrillic");
    }
}
