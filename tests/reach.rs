//! Who an action reaches: effects on named actors and relations, spill-over over several hops,
//! reactions aimed elsewhere, dynamics on named actors, shocks no actor takes, and actions that
//! do not stack.

mod common;

use common::{count, errors, run, series};

/// Belarus, Poland and Lithuania, and the EU: borders both ways between BLR and each neighbour,
/// membership links between POL, LTU and the EU.
const REGION: &str = r#"
[scenario]
steps = 6
[variables]
pressure = { of = "actor", default = 0.5, range = [0, 1] }
tension = { of = "relation", default = 0.2, range = [0, 1] }
[actors.BLR]
kind = "state"
[actors.POL]
kind = "state"
[actors.LTU]
kind = "state"
[actors.EU]
kind = "union"
[[relations]]
from = "BLR"
to = "POL"
kind = "border"
[[relations]]
from = "POL"
to = "BLR"
kind = "border"
[[relations]]
from = "BLR"
to = "LTU"
kind = "border"
[[relations]]
from = "LTU"
to = "BLR"
kind = "border"
[[relations]]
from = "POL"
to = "EU"
kind = "member"
[[relations]]
from = "LTU"
to = "EU"
kind = "member"
[[relations]]
from = "EU"
to = "BLR"
kind = "sanctions"
[report]
series = { blr = "pressure(BLR)", pol = "pressure(POL)", ltu = "pressure(LTU)", eu = "pressure(EU)", pol_blr = "tension(POL, BLR)", blr_pol = "tension(BLR, POL)", ltu_blr = "tension(LTU, BLR)", eu_blr = "tension(EU, BLR)" }
"#;

fn with(extra: &str) -> String {
    format!("{REGION}\n{extra}")
}

fn at(text: &str, name: &str, step: usize) -> f64 {
    let (m, r) = run(text, 0);
    series(&m, &r, name)[step]
}

#[test]
fn an_action_changes_named_third_parties_and_not_the_actor() {
    // Belarus's repatriation flights lower Poland's and Lithuania's migration pressure.
    let text = with(
        r#"
[actions.repatriation_flights]
effects = [{ var = "pressure", on = { actor = ["POL", "LTU"] }, add = -0.1 }]
[events.flights]
actor = "BLR"
action = "repatriation_flights"
at = [2]
"#,
    );
    let (m, r) = run(&text, 0);
    assert_eq!(series(&m, &r, "pol")[2], 0.4);
    assert_eq!(series(&m, &r, "ltu")[2], 0.4);
    assert_eq!(
        series(&m, &r, "blr")[2],
        0.5,
        "the actor itself is untouched"
    );
    assert_eq!(series(&m, &r, "eu")[2], 0.5);
}

#[test]
fn an_action_changes_named_relations_and_every_place_of_a_kind() {
    let text = with(
        r#"
[actions.incident]
effects = [
  { var = "tension", on = { relation = ["POL", "BLR"] }, add = 0.3 },
  { var = "tension", on = { relation_kind = "border" }, add = 0.1 },
  { var = "pressure", on = { actor_kind = "state" }, add = "0.1 * pressure(self)" },
]
[events.incident]
actor = "EU"
action = "incident"
at = [1]
"#,
    );
    let (m, r) = run(&text, 0);
    let s = |n: &str| series(&m, &r, n)[1];
    assert!((s("pol_blr") - 0.6).abs() < 1e-12, "{}", s("pol_blr"));
    assert!((s("blr_pol") - 0.3).abs() < 1e-12);
    assert!((s("ltu_blr") - 0.3).abs() < 1e-12);
    assert_eq!(s("eu_blr"), 0.2, "a sanctions relation is not a border");
    // The amount is read on the acting lane: 0.1 × the EU's pressure, on every state.
    assert_eq!((s("pol"), s("blr"), s("eu")), (0.55, 0.55, 0.5));
}

#[test]
fn named_places_errors() {
    let e = errors(&with(
        r#"
[actions.a]
effects = [{ var = "pressure", on = { actor = "PLO" }, add = 1 }]
[actions.b]
effects = [{ var = "tension", on = { relation = ["POL", "LTU"] }, add = 1 }]
[actions.c]
effects = [{ var = "tension", on = { actor = "POL", relation_kind = "border" }, add = 1 }]
[actions.d]
effects = [{ var = "tension", on = { actor = "POL" }, add = 1 }]
[actions.e]
effects = [{ var = "tension", on = { actors = "POL" }, add = 1 }]
"#,
    ));
    assert!(
        e.contains("unknown actor `PLO`") && e.contains("did you mean `POL`?"),
        "{e}"
    );
    assert!(e.contains("there is no relation POL → LTU"), "{e}");
    assert!(
        e.contains("exactly one of `actor`, `relation`, `actor_kind`, `relation_kind`"),
        "{e}"
    );
    assert!(e.contains("`tension` is not an actor variable"), "{e}");
    assert!(
        e.contains("unknown key `actors`") && e.contains("did you mean `actor`?"),
        "{e}"
    );
}

/// A chain A - B - C - D - E of membership links, and a lone F.
const CHAIN: &str = r#"
[scenario]
steps = 1
[variables]
x = { of = "actor", default = 0 }
[actors.A]
[actors.B]
[actors.C]
[actors.D]
[actors.E]
[actors.F]
[[relations]]
from = "A"
to = "B"
kind = "member"
[[relations]]
from = "C"
to = "B"
kind = "member"
[[relations]]
from = "C"
to = "D"
kind = "member"
[[relations]]
from = "D"
to = "E"
kind = "member"
[[relations]]
from = "A"
to = "F"
kind = "other"
[actions.push]
effects = [{ var = "x", on = "actor", add = 1, spill = SPILL }]
[events.push]
actor = "A"
action = "push"
at = [1]
[report]
series = { a = "x(A)", b = "x(B)", c = "x(C)", d = "x(D)", e = "x(E)", f = "x(F)" }
"#;

fn chain(spill: &str) -> Vec<f64> {
    let (m, r) = run(&CHAIN.replace("SPILL", spill), 0);
    ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|n| series(&m, &r, n)[1])
        .collect()
}

#[test]
fn spill_follows_several_hops_with_the_factor_per_hop() {
    let one = chain(r#"{ kind = "member", factor = 0.5 }"#);
    assert_eq!(one, [1.0, 0.5, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(chain(r#"{ kind = "member", factor = 0.5, hops = 1 }"#), one);
    assert_eq!(
        chain(r#"{ kind = "member", factor = 0.5, hops = 3 }"#),
        [1.0, 0.5, 0.25, 0.125, 0.0, 0.0],
        "hop h gets factor^h; E is 4 hops away"
    );
    assert_eq!(
        chain(
            r#"{ kind = "member", factor = "damping", hops = "reach" }"#
                .replace("damping", "0.5")
                .replace("reach", "9")
                .as_str()
        ),
        [1.0, 0.5, 0.25, 0.125, 0.0625, 0.0],
        "parameters or constant expressions, and the walk stops where the kin end"
    );
    let e = errors(&CHAIN.replace("SPILL", r#"{ kind = "member", factor = 0.5, hops = 0 }"#));
    assert!(e.contains("`hops` must be a whole number from 1"), "{e}");
}

#[test]
fn a_reaction_can_be_aimed_at_a_named_actor() {
    // The EU (and a second sanctioning event the same step) sanctions Belarus; Belarus answers
    // by pressing Poland, once per step however many sanctioned it.
    let text = with(
        r#"
[actions.sanctions]
[actions.press]
effects = [{ var = "pressure", on = "target", add = 0.1 }]
[events.eu_sanctions]
actor = "EU"
action = "sanctions"
target = "BLR"
at = [1, 3]
[events.pol_sanctions]
actor = "POL"
action = "sanctions"
target = "BLR"
at = [1]
[rules.retaliate_elsewhere]
actor = "BLR"
action = "press"
reacts_to = "sanctions"
target = "POL"
"#,
    );
    let (m, r) = run(&text, 0);
    // Reactions come the step after: steps 2 and 4.
    let pol = series(&m, &r, "pol");
    assert!(
        (pol[2] - 0.6).abs() < 1e-12 && (pol[4] - 0.7).abs() < 1e-12,
        "{pol:?}"
    );
    assert_eq!(series(&m, &r, "eu")[6], 0.5, "not aimed back at the EU");
    assert_eq!(count(&m, &r, "BLR", "press"), 2);
}

#[test]
fn dynamics_can_be_limited_to_named_actors_or_relations() {
    let text = with(
        r#"
[dynamics.drift]
var = "pressure"
add = 0.05
actors = ["POL"]
[dynamics.border_heat]
var = "tension"
add = 0.1
relations = [["LTU", "BLR"]]
"#,
    );
    let (m, r) = run(&text, 0);
    assert!((series(&m, &r, "pol")[2] - 0.6).abs() < 1e-12);
    assert_eq!(series(&m, &r, "ltu")[2], 0.5);
    assert!((series(&m, &r, "ltu_blr")[2] - 0.4).abs() < 1e-12);
    assert_eq!(series(&m, &r, "pol_blr")[2], 0.2);
    let e = errors(&with(
        "[dynamics.d]\nvar = \"tension\"\nadd = 0.1\nactors = [\"POL\"]\n[dynamics.e]\nvar = \"pressure\"\nadd = 0.1\nactors = [\"PLO\"]\n",
    ));
    assert!(
        e.contains("`actors` limits an actor variable's dynamics"),
        "{e}"
    );
    assert!(e.contains("unknown actor `PLO`"), "{e}");
}

#[test]
fn a_shock_changes_variables_directly_and_is_named_in_the_report() {
    let text = with(
        r#"
[shocks.invasion]
description = "war next door"
at = [2]
effects = [
  { var = "tension", on = { relation_kind = "border" }, add = "0.5 * (1 - tension)" },
  { var = "pressure", on = { actor = "POL" }, add = 0.1, delay = 1, duration = 2 },
]
[shocks.never]
rate = 0
effects = [{ var = "pressure", on = { actor = "LTU" }, add = 1 }]
"#,
    );
    let (m, r) = run(&text, 0);
    // Read on each relation: 0.2 + 0.5 × 0.8.
    assert!((series(&m, &r, "ltu_blr")[2] - 0.6).abs() < 1e-12);
    assert_eq!(series(&m, &r, "eu_blr")[2], 0.2);
    let pol = series(&m, &r, "pol");
    assert!(
        (pol[2] - 0.5).abs() < 1e-12
            && (pol[3] - 0.6).abs() < 1e-12
            && (pol[4] - 0.7).abs() < 1e-12,
        "{pol:?}"
    );
    assert_eq!(r.shock_counts, [1, 0]);
    assert_eq!(r.first_shock, [Some(2), None]);
    let report = detente::report::run_report(&m, &r);
    let text = detente::report::text::run(&report);
    assert!(
        text.contains("shocks\n  invasion  ×1 (first at step 2)\n  never     did not happen"),
        "{text}"
    );
    let json = detente::report::json::to_string(&report);
    assert!(
        json.contains("\"shocks\"") && json.contains("\"invasion\""),
        "{json}"
    );
}

#[test]
fn a_shock_at_a_rate_spills_and_stops_the_run_on_a_bad_amount() {
    let text = with(
        r#"
[shocks.surge]
rate = 1
from = 2
until = 3
effects = [{ var = "pressure", on = { actor = "POL" }, add = 0.1, spill = { kind = "member", factor = 0.5, hops = 2 } }]
"#,
    );
    let (m, r) = run(&text, 0);
    assert_eq!(r.shock_counts, [2]);
    // POL, then the EU at hop 1 and LTU at hop 2 (through the EU).
    let (pol, eu, ltu) = (
        series(&m, &r, "pol"),
        series(&m, &r, "eu"),
        series(&m, &r, "ltu"),
    );
    assert!((pol[3] - 0.7).abs() < 1e-12, "{pol:?}");
    assert!((eu[3] - 0.6).abs() < 1e-12, "{eu:?}");
    assert!((ltu[3] - 0.55).abs() < 1e-12, "{ltu:?}");
    let bad = with(
        "[shocks.bad]\nat = [2]\neffects = [{ var = \"pressure\", on = { actor = \"POL\" }, add = \"ln(pressure - 0.5)\" }]\n",
    );
    let e = detente::run_once(&common::model(&bad), 0).unwrap_err();
    assert_eq!(e.step, 2);
    assert!(
        e.message
            .contains("effect 1 of shock `bad` on `pressure` of POL is not a finite number"),
        "{e}"
    );
}

#[test]
fn a_shock_names_its_places() {
    let e = errors(&with(
        "[shocks.s]\nat = [1]\neffects = [{ var = \"pressure\", on = \"actor\", add = 1 }]\n[shocks.t]\nat = [1]\n",
    ));
    assert!(
        e.contains("a shock has no actor, so `on = \"actor\"` has no meaning"),
        "{e}"
    );
    assert!(e.contains("shock `t` has no `effects`"), "{e}");
}

#[test]
fn one_action_twice_in_a_step_stacks_unless_once_per_step() {
    let stacking = with(
        r#"
[actions.push]
effects = [{ var = "pressure", on = "target", add = 0.1 }]
[events.push]
actor = "BLR"
action = "push"
target = "LTU"
at = [1]
[rules.push_a]
actor = "BLR"
action = "push"
target = "LTU"
[rules.push_b]
actor = "BLR"
action = "push"
target = "LTU"
when = "step <= 2"
"#,
    );
    // Step 1: the event and both rules; step 2: both rules; later: one rule.
    let stacked = at(&stacking, "ltu", 1);
    assert!((stacked - 0.8).abs() < 1e-12, "{stacked}");
    let once = stacking.replace("[actions.push]\n", "[actions.push]\nonce_per_step = true\n");
    let (m, r) = run(&once, 0);
    let ltu = series(&m, &r, "ltu");
    assert!(
        (ltu[1] - 0.6).abs() < 1e-12 && (ltu[2] - 0.7).abs() < 1e-12,
        "{ltu:?}"
    );
    assert_eq!(
        count(&m, &r, "BLR", "push"),
        6,
        "once in each of the 6 steps"
    );
    let (m, r) = run(&stacking, 0);
    assert_eq!(count(&m, &r, "BLR", "push"), 3 + 2 + 4);
}

#[test]
fn what_a_reviewer_got_wrong_is_said_plainly() {
    let e = errors(&with(
        r#"
[actions.a]
effects = [{ var = "pressure", on = { actr = ["POL"] }, add = 1 }]
[actions.b]
effects = [{ var = "tension", on = { relation = ["POL"] }, add = 1 }]
[actions.c]
effects = [{ var = "pressure", on = { actor = [] }, add = 1 }]
[actions.d]
effects = [{ var = "pressure", on = { relation_kind = "border" }, add = 1 }]
[actions.press]
[rules.self_aimed]
actor = "BLR"
action = "press"
reacts_to = "press"
target = "BLR"
[dynamics.none]
var = "tension"
add = 0.1
kind = "member"
relations = [["POL", "BLR"]]
[events.e]
actor = "BLR"
action = "press"
target = "POL"
at = [2]
from = 1
"#,
    ));
    for message in [
        "unknown key `actr`",
        "did you mean `actor`?",
        "a relation is named by its two ends, [\"FROM\", \"TO\"]",
        "`on` names no place",
        "it is an actor variable: name actors, on = { actor = [\"ID\"] }",
        "the reaction is aimed at the actor that reacts, so it can never be taken",
        "none of the places listed is of its `kind`, so it changes nothing",
        "`from` bounds a `rate`; with `at` it has no meaning",
    ] {
        assert!(e.contains(message), "{message}:\n{e}");
    }
    let e = errors(&with(
        "[actions.a]\neffects = [{ var = \"pressure\", on = \"actor\", add = 1, delay = \"pressure(POL)\" }]\n",
    ));
    assert!(
        e.contains("`pressure` is a variable, and this number is fixed when the scenario loads: only parameters can be named here"),
        "{e}"
    );
}

#[test]
fn an_ensemble_report_says_how_often_each_shock_happened() {
    let text = with(
        r#"
[shocks.once]
description = "a scheduled shock"
at = [2, 4]
effects = [{ var = "pressure", on = { actor = "POL" }, add = 0.01 }]
[shocks.sometimes]
rate = 0.3
effects = [{ var = "pressure", on = { actor = "LTU" }, add = 0.01 }]
[shocks.never]
rate = 0
effects = [{ var = "pressure", on = { actor = "LTU" }, add = 1 }]
"#,
    );
    let m = common::model(&text);
    let never = std::sync::atomic::AtomicBool::new(false);
    let options = detente::ensemble::Options {
        runs: 200,
        seed: 3,
        threads: 2,
    };
    let e = detente::ensemble::run(&m, options, &mut |_| {}, &never).unwrap();
    let report = detente::report::ensemble::build(&m, &e);
    let by = |n: &str| report.shocks.iter().find(|s| s.name == n).unwrap();
    assert_eq!((by("once").happened, by("once").mean_count), (200, 2.0));
    assert_eq!(by("never").happened, 0);
    // 6 steps at 0.3: 1 − 0.7^6 ≈ 0.88 of runs see it; 1.8 times on average.
    let s = by("sometimes");
    assert!(
        s.ci95[0] < 1.0 - 0.7f64.powi(6) && 1.0 - 0.7f64.powi(6) < s.ci95[1],
        "{s:?}"
    );
    assert!((s.mean_count - 1.8).abs() < 0.25, "{s:?}");
    let json = detente::report::json::to_string(&report);
    let back = detente::report::ensemble::parse(&json).unwrap();
    // Bit for bit: numbers are written in their shortest round-trip form and read back exactly.
    assert_eq!(back.shocks, report.shocks);
}
