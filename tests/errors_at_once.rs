//! Every error at once: structural errors in different items are all reported in one run, with
//! the compile errors of the items that could be read, and no knock-on errors; each unknown name
//! of an expression is reported; messages point the right way. One regression test per case,
//! named after what broke.

mod common;

use common::{errors, errors_with, errors_with_overrides};

/// A small valid scenario; each test adds its mistakes.
const BASE: &str = r#"
[scenario]
steps = 10
[parameters]
threshold = 0.5
k = 2
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1] }
[actors.LTU]
[actors.BLR]
[actors.EU]
[[relations]]
from = "LTU"
to = "BLR"
kind = "neighbor"
[[relations]]
from = "LTU"
to = "EU"
kind = "member"
[actions.talk]
effects = [{ var = "tension", on = "relation", add = -0.1 }]
"#;

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

/// Asserts that the rendered diagnostics show `n` errors and hold every text of `expected`.
fn check(rendered: &str, n: usize, expected: &[&str]) {
    let shown = rendered.matches(": error: ").count();
    assert_eq!(shown, n, "{n} errors expected:\n{rendered}");
    for text in expected {
        assert!(rendered.contains(text), "`{text}` expected in:\n{rendered}");
    }
}

/// Asserts that the rendered diagnostics hold none of `texts`.
fn lacks(rendered: &str, texts: &[&str]) {
    for text in texts {
        assert!(
            !rendered.contains(text),
            "`{text}` not expected in:\n{rendered}"
        );
    }
}

#[test]
fn structural_errors_in_three_items_needed_three_runs() {
    let e = errors(&with(
        r#"
[actions.wait]
effects = [{ var = "tension", on = "relation", add = 0.01, delay = [2] }]
[rules.r]
actor = "LTU"
action = "talk"
target = "BLR"
probabilty = 0.5
[rules.s]
actor = "BLV"
action = "talk"
target = "LTU"
"#,
    ));
    check(
        &e,
        3,
        &[
            "error: expected a number or an expression in quotes",
            "error: unknown key `probabilty`",
            "hint: did you mean `probability`?",
            "error: unknown actor `BLV`",
        ],
    );
}

#[test]
fn a_structural_error_hid_the_compile_errors_of_other_items() {
    let e = errors(&with(
        r#"
[rules.r]
actor = "LTU"
action = "talk"
target = "BLR"
cooldown = [7]
[rules.s]
actor = "LTU"
action = "talk"
target = "BLR"
when = "tension(self, target) > thresold"
[dynamics.d]
var = "tenson"
add = "0.01"
"#,
    ));
    check(
        &e,
        3,
        &[
            "s.toml:27:12: error: expected a number or an expression in quotes",
            "unknown name `thresold`",
            "unknown variable `tenson`",
        ],
    );
}

#[test]
fn a_bad_scenario_key_still_follows_extends() {
    let parent = with("");
    let child = r#"
[scenario]
seed = "forty-two"
extends = "base.toml"
[add.rules.r]
actor = "LTU"
action = "talk"
target = "BLR"
"#;
    let e = errors_with(&[("base.toml", &parent), ("v.toml", child)], "v.toml");
    // Only the bad seed: the parent's actors and action are there, so no unknown names follow.
    check(&e, 1, &["v.toml:3:8: error: expected a whole number"]);
}

#[test]
fn structural_errors_are_bounded_and_counted_like_the_others() {
    let rules: String = (0..30)
        .map(|i| format!("[rules.r{i:02}]\nactor = \"LTU\"\naction = \"talk\"\nbogus = 1\n"))
        .collect();
    let e = errors(&with(&rules));
    // Twenty kept, and the note counting the other ten.
    check(
        &e,
        21,
        &["10 more errors are not shown (the first is here)"],
    );
    assert_eq!(e.matches("unknown key `bogus`").count(), 20, "{e}");
}

#[test]
fn only_the_first_unknown_name_of_an_expression_was_reported() {
    let text = with(
        r#"
[rules.r]
actor = "LTU"
action = "talk"
target = "BLR"
when = "tensoin(self, target) > treshold"
"#,
    );
    let line = 1 + text.lines().position(|l| l.starts_with("when")).unwrap();
    check(
        &errors(&text),
        2,
        &[
            &format!("s.toml:{line}:9: error: rule `r`, `when`: unknown function `tensoin`"),
            &format!("s.toml:{line}:33: error: rule `r`, `when`: unknown name `treshold`"),
            "hint: did you mean `tension`?",
            "hint: did you mean `threshold`?",
        ],
    );
}

#[test]
fn the_expressions_of_a_rule_with_an_unknown_target_were_not_checked() {
    let e = errors(&with(
        r#"
[rules.r]
actor = "LTU"
action = "talk"
target = "BLV"
when = "tension(self, target) > thresold"
probability = "1 / 0"
"#,
    ));
    check(
        &e,
        3,
        &[
            "unknown actor `BLV`",
            "rule `r`, `when`: unknown name `thresold`",
            "rule `r`, `probability`: division by zero",
        ],
    );
}

#[test]
fn type_for_kind_said_declare_a_variable_with_the_caret_on_the_value() {
    let text = BASE
        .replace("[actors.EU]\n", "[actors.EU]\ntype = \"bloc\"\n")
        .replace("kind = \"neighbor\"", "type = \"neighbor\"");
    let e = errors(&text);
    check(
        &e,
        2,
        &[
            "actor `EU`: unknown key or actor variable `type`",
            "relation: unknown key or relation variable `type`",
            // The caret is on the key, where the mistake is.
            "type = \"bloc\"\n      | ^^^^\n      = hint: did you mean `kind`?",
            "type = \"neighbor\"\n      | ^^^^\n      = hint: did you mean `kind`?",
        ],
    );
    lacks(&e, &["declare it under [variables]"]);
}

#[test]
fn an_unquoted_cameo_code_got_a_raw_toml_message() {
    let e = errors(&BASE.replace("[actions.talk]\n", "[actions.talk]\ncameo = 041\n"));
    check(
        &e,
        1,
        &[
            "error: `041`: a TOML number cannot start with 0",
            "cameo = 041\n      |         ^^^\n",
            "hint: CAMEO codes are text: write cameo = \"041\"",
        ],
    );
    lacks(&e, &["expected nothing"]);
}

#[test]
fn a_cameo_code_written_as_a_number_was_not_told_to_quote_it() {
    let e = errors(&BASE.replace("[actions.talk]\n", "[actions.talk]\ncameo = 41\n"));
    check(
        &e,
        1,
        &[
            "error: expected text in quotes, found integer `41`",
            "hint: CAMEO codes are text: write cameo = \"041\"",
        ],
    );
}

#[test]
fn an_unknown_cameo_code_suggested_a_lookalike_and_then_a_false_goldstein_error() {
    let e = errors(&BASE.replace(
        "[actions.talk]\neffects = [{ var = \"tension\", on = \"relation\", add = -0.1 }]",
        "[actions.talk]\ncameo = \"0411\"\neffects = [{ var = \"tension\", on = \"relation\", add = \"-0.1 * goldstein\" }]",
    ));
    check(
        &e,
        1,
        &[
            "error: `0411` is not a CAMEO event code",
            "hint: did you mean `041` (Discuss by telephone), the code above it?",
        ],
    );
    lacks(&e, &["`011`", "goldstein"]);
}

#[test]
fn an_unknown_cameo_code_under_a_parent_with_children_lists_them() {
    let e = errors(&BASE.replace("[actions.talk]\n", "[actions.talk]\ncameo = \"0315\"\n"));
    check(
        &e,
        1,
        &[
            "did you mean `031` (",
            "one under it: `0311` (Express intent to cooperate economically)",
        ],
    );
}

#[test]
fn a_missing_steps_gave_knock_on_errors_about_event_steps() {
    let text = with(
        r#"
[events.e]
actor = "LTU"
action = "talk"
target = "BLR"
at = [5, 8]
"#,
    );
    let e = errors(&text.replace("steps = 10\n", ""));
    check(&e, 1, &["error: missing `steps` in [scenario]"]);
}

#[test]
fn a_misspelt_steps_gives_no_missing_steps_error() {
    let text = with(
        r#"
[events.e]
actor = "LTU"
action = "talk"
target = "BLR"
rate = 0.1
until = 8
"#,
    );
    let e = errors(&text.replace("steps = 10", "stpes = 10"));
    check(&e, 1, &["unknown key `stpes`"]);
}

#[test]
fn target_relation_with_a_misspelt_kind_got_no_did_you_mean() {
    // The rule's action is unknown too: its `target_relation` used not to be looked at at all.
    let e = errors(&with(
        r#"
[rules.r]
actor = "LTU"
action = "tlak"
target_relation = "membr"
"#,
    ));
    check(
        &e,
        2,
        &[
            "unknown action `tlak`",
            "error: no relation has kind `membr`\n",
            "hint: did you mean `member`?",
        ],
    );
}

#[test]
fn a_division_by_zero_from_set_did_not_name_the_set() {
    let text = with("[outcomes]\nx = \"tension(LTU, BLR) > 1 / k\"\n");
    let e = errors_with_overrides(&text, &[("k", 0.0)]);
    check(
        &e,
        1,
        &["error: outcome `x`: division by zero with --set k=0\n"],
    );
    // Without --set, nothing is wrong.
    common::model(&text);
}

#[test]
fn a_broken_variable_declaration_gives_no_knock_on_errors() {
    let text = with(
        r#"
[rules.r]
actor = "LTU"
action = "talk"
target = "BLR"
when = "tension(self, target) > 0.3 and trust(self, target) < 0.5"
[dynamics.d]
var = "trust"
add = "0.01 * trust"
"#,
    )
    .replace(
        "[actors.LTU]",
        "[[relations]]\nfrom = \"BLR\"\nto = \"LTU\"\ntrust = 0.2\n[actors.LTU]",
    )
    .replace(
        "[variables]\n",
        "[variables]\ntrust = { of = \"relation\", dfault = 0.5 }\n",
    );
    check(
        &errors(&text),
        1,
        &["unknown key `dfault`", "hint: did you mean `default`?"],
    );
}

#[test]
fn a_broken_action_still_lets_its_rules_be_checked() {
    let e = errors(&with(
        r#"
[actions.wait]
cameo = 41
effects = [{ var = "tension", on = "relation", add = "goldstein" }]
[rules.r]
actor = "LTU"
action = "wait"
target = "BLV"
"#,
    ));
    check(&e, 2, &["found integer `41`", "unknown actor `BLV`"]);
}
