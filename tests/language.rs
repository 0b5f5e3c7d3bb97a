//! The scenario language, construct by construct: each test is a small scenario and what it must do.

mod common;

use common::{close, count, errors, errors_with, model, model_with, run, series};
use detente::ids::ActionId;
use detente::Overrides;

const TWO: &str = r#"
[scenario]
name = "two"
steps = 5
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1] }
resolve = { of = "actor", default = 1 }
[actors.A]
[actors.B]
[[relations]]
from = "A"
to = "B"
tension = 0.2
[[relations]]
from = "B"
to = "A"
"#;

fn with(extra: &str) -> String {
    format!("{TWO}\n{extra}")
}

#[test]
fn metadata_defaults_and_initial_values() {
    let m = model(&with(""));
    assert_eq!(
        (m.name(), m.steps(), m.time_unit(), m.dt(), m.seed()),
        ("two", 5, "step", 1.0, 0)
    );
    let tension = m.initial_relation_values("tension").unwrap();
    let ab = m.relation("A", "B").unwrap().index();
    let ba = m.relation("B", "A").unwrap().index();
    assert_eq!(tension[ab], 0.2);
    assert_eq!(tension[ba], 0.5, "default applies where no value is given");
    assert_eq!(m.initial_actor_values("resolve").unwrap(), [1.0, 1.0]);
}

#[test]
fn parameters_are_used_and_overridable() {
    let text = with(
        r#"
[parameters]
push = 0.1
slow = { value = 0.01, description = "long form" }
[dynamics.drift]
var = "tension"
add = "push + slow"
[report]
series = { ab = "tension(A, B)" }
"#,
    );
    let (m, r) = run(&text, 0);
    assert!(close(series(&m, &r, "ab")[5], 0.2 + 5.0 * 0.11));
    let files = [("s.toml", text.as_str())];
    let over = Overrides {
        parameters: vec![("push".into(), 0.0)],
        steps: Some(2),
    };
    let m2 = model_with(&files, "s.toml", &over);
    let r2 = detente::run_once(&m2, 0).unwrap();
    assert_eq!(r2.series[0].len(), 3);
    assert!(close(r2.series[0][2], 0.2 + 2.0 * 0.01));
}

#[test]
fn ranges_clamp_after_every_step() {
    let text = with(
        r#"
[dynamics.up]
var = "tension"
add = "0.3"
[dynamics.grow]
var = "resolve"
add = "1"
[report]
series = { ab = "tension(A, B)", ra = "resolve(A)" }
"#,
    );
    let (m, r) = run(&text, 0);
    assert_eq!(series(&m, &r, "ab"), &[0.2, 0.5, 0.8, 1.0, 1.0, 1.0]);
    assert_eq!(series(&m, &r, "ra")[5], 6.0, "no range: unbounded");
}

#[test]
fn expressions_arithmetic_logic_and_functions() {
    let cases = [
        ("1 + 2 * 3 - 4 / 2", 5.0),
        ("-(2 - 3)", 1.0),
        ("if(1 < 2 and not (3 <= 2) or false, 10, 20)", 10.0),
        ("min(3, 4) + max(3, 4) + abs(-2)", 9.0),
        ("clamp(5, 0, 1) + clamp(-5, 0, 1)", 1.0),
        ("if(2 == 2 and 2 != 3 and 3 >= 3 and 3 > 2, 1, 0)", 1.0),
        ("exp(0) + ln(1) + sqrt(9)", 4.0),
        ("dt * 2", 1.0),
        ("step * 10", 10.0),
        ("tension(A, B) * 10", 2.0),
        ("resolve(A) + resolve(B)", 2.0),
        ("if(exists(A, B), 1, 0) + if(exists(A, A), 10, 0)", 1.0),
    ];
    for (expr, want) in cases {
        let got = value_at_step_1(expr);
        assert!(close(got, want), "{expr}: got {got}, want {want}");
    }
}

/// The value of `expr` as a report series after one step of [`TWO`] (with `dt = 0.5`).
fn value_at_step_1(expr: &str) -> f64 {
    let text = format!(
        "{}\n[report]\nseries = {{ x = \"{expr}\" }}\n",
        TWO.replace("steps = 5", "steps = 1\ndt = 0.5")
    );
    let (m, r) = run(&text, 0);
    series(&m, &r, "x")[1]
}

#[test]
fn rule_context_reads_self_target_and_reverse() {
    // A rule over every relation reads its own relation, the reverse and both actors.
    let text = with(
        r#"
[actions.note]
effects = [{ var = "resolve", on = "actor", add = "tension(self, target) * 100 + tension(target, self)" }]
[rules.r]
actor = "*"
action = "note"
target_relation = "*"
when = "step == 1"
"#,
    );
    let m = model(&text);
    let mut sim = detente::Sim::new(&m);
    let r = sim.run(0, 0).unwrap();
    assert_eq!(count(&m, &r, "A", "note"), 1);
    assert_eq!(count(&m, &r, "B", "note"), 1);
    let text2 =
        format!("{text}\n[report]\nseries = {{ a = \"resolve(A)\", b = \"resolve(B)\" }}\n");
    let (m, r) = run(&text2, 0);
    assert!(close(series(&m, &r, "a")[1], 1.0 + 20.0 + 0.5));
    assert!(close(series(&m, &r, "b")[1], 1.0 + 50.0 + 0.2));
}

#[test]
fn aggregates_over_relations_and_actors() {
    let text = r#"
[scenario]
steps = 1
[variables]
t = { of = "relation", default = 0 }
x = { of = "actor", default = 0 }
[actors.A]
kind = "state"
x = 1
[actors.B]
kind = "state"
x = 3
[actors.C]
kind = "bloc"
x = 10
[[relations]]
from = "A"
to = "B"
kind = "neighbor"
t = 0.2
[[relations]]
from = "A"
to = "C"
kind = "member"
t = 0.6
[[relations]]
from = "B"
to = "A"
kind = "neighbor"
t = 0.4
[report.series]
mean_out = "mean(t, out(A))"
sum_out = "sum(t, out(A))"
max_out = "max(t, out(A))"
min_out = "min(t, out(A))"
count_out = "count(out(A))"
mean_neighbor = "mean(t, out(A, \"neighbor\"))"
in_a = "sum(t, in(A))"
count_in_c = "count(in(C))"
all_mean = "mean(t, all)"
all_members = "count(all(\"member\"))"
empty = "mean(t, out(C))"
actors_mean = "mean(x, actors)"
states = "sum(x, actors(\"state\"))"
scalar_max = "max(1, 2)"
"#;
    let (m, r) = run(text, 0);
    let want = [
        ("mean_out", 0.4),
        ("sum_out", 0.8),
        ("max_out", 0.6),
        ("min_out", 0.2),
        ("count_out", 2.0),
        ("mean_neighbor", 0.2),
        ("in_a", 0.4),
        ("count_in_c", 1.0),
        ("all_mean", 0.4),
        ("all_members", 1.0),
        ("empty", 0.0),
        ("actors_mean", 14.0 / 3.0),
        ("states", 4.0),
        ("scalar_max", 2.0),
    ];
    for (name, v) in want {
        assert!(
            close(series(&m, &r, name)[0], v),
            "{name}: {}",
            series(&m, &r, name)[0]
        );
    }
}

#[test]
fn per_actor_aggregate_in_a_rule() {
    // Every actor whose out-relations average above 0.3 acts: A (0.4) does; B (0.1) and C (none) do not.
    let text = r#"
[scenario]
steps = 1
[variables]
t = { of = "relation" }
[actors.A]
[actors.B]
[actors.C]
[[relations]]
from = "A"
to = "B"
t = 0.2
[[relations]]
from = "A"
to = "C"
t = 0.6
[[relations]]
from = "B"
to = "A"
t = 0.1
[actions.act]
[rules.r]
actor = "*"
action = "act"
when = "mean(t, out(self)) > 0.3"
"#;
    let (m, r) = run(text, 0);
    assert_eq!(
        (
            count(&m, &r, "A", "act"),
            count(&m, &r, "B", "act"),
            count(&m, &r, "C", "act")
        ),
        (1, 0, 0)
    );
}

#[test]
fn effects_land_on_relation_reverse_both_actor_target() {
    let text = with(
        r#"
[actions.rel]
effects = [{ var = "tension", on = "relation", add = 0.1 }]
[actions.rev]
effects = [{ var = "tension", on = "reverse", add = 0.01 }]
[actions.both]
effects = [{ var = "tension", on = "both", add = 0.001 }]
[actions.me]
effects = [{ var = "resolve", on = "actor", add = 1 }]
[actions.them]
effects = [{ var = "resolve", on = "target", add = 10 }]
[events.e1]
actor = "A"
action = "rel"
target = "B"
at = 1
[events.e2]
actor = "A"
action = "rev"
target = "B"
at = 1
[events.e3]
actor = "A"
action = "both"
target = "B"
at = 1
[events.e4]
actor = "A"
action = "me"
at = 1
[events.e5]
actor = "A"
action = "them"
target = "B"
at = 1
[report]
series = { ab = "tension(A, B)", ba = "tension(B, A)", ra = "resolve(A)", rb = "resolve(B)" }
"#,
    );
    let (m, r) = run(&text, 0);
    assert!(close(series(&m, &r, "ab")[1], 0.2 + 0.1 + 0.001));
    assert!(close(series(&m, &r, "ba")[1], 0.5 + 0.01 + 0.001));
    assert!(close(series(&m, &r, "ra")[1], 2.0));
    assert!(close(series(&m, &r, "rb")[1], 11.0));
}

#[test]
fn delay_and_duration_shape_short_and_long_term_effects() {
    // At step 2: tension -0.1 for 3 steps (2, 3, 4); resolve +1 once, 3 steps later (step 5).
    let text = with(
        r#"
[actions.monitor]
effects = [
  { var = "tension", on = "relation", add = -0.05, duration = 3 },
  { var = "resolve", on = "actor", add = 1, delay = 3 },
]
[events.deploy]
actor = "A"
action = "monitor"
target = "B"
at = 2
[report]
series = { ab = "tension(A, B)", ra = "resolve(A)" }
"#,
    )
    .replace("steps = 5", "steps = 7");
    let (m, r) = run(&text, 0);
    let ab = series(&m, &r, "ab");
    let want = [0.2, 0.2, 0.15, 0.1, 0.05, 0.05, 0.05, 0.05];
    for (t, w) in want.iter().enumerate() {
        assert!(close(ab[t], *w), "step {t}: {} vs {w}", ab[t]);
    }
    assert_eq!(
        series(&m, &r, "ra"),
        &[1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    );
}

#[test]
fn spillover_reaches_members_damped() {
    // EU pressures BLR; LTU and POL are EU members (member relations point to EU). The effect on
    // EU→BLR spills to LTU→BLR and POL→BLR at half strength; USA is not a member.
    let text = r#"
[scenario]
steps = 1
[variables]
tension = { of = "relation", default = 0 }
[actors.EU]
[actors.BLR]
[actors.LTU]
[actors.POL]
[actors.USA]
[[relations]]
from = "EU"
to = "BLR"
[[relations]]
from = "LTU"
to = "BLR"
[[relations]]
from = "POL"
to = "BLR"
[[relations]]
from = "USA"
to = "BLR"
[[relations]]
from = "LTU"
to = "EU"
kind = "member"
[[relations]]
from = "POL"
to = "EU"
kind = "member"
[actions.pressure]
effects = [{ var = "tension", on = "relation", add = 0.2, spill = { kind = "member", factor = 0.5 } }]
[events.p]
actor = "EU"
action = "pressure"
target = "BLR"
at = 1
[report.series]
eu = "tension(EU, BLR)"
ltu = "tension(LTU, BLR)"
pol = "tension(POL, BLR)"
usa = "tension(USA, BLR)"
"#;
    let (m, r) = run(text, 0);
    assert!(close(series(&m, &r, "eu")[1], 0.2));
    assert!(close(series(&m, &r, "ltu")[1], 0.1));
    assert!(close(series(&m, &r, "pol")[1], 0.1));
    assert!(close(series(&m, &r, "usa")[1], 0.0));
}

#[test]
fn rules_select_actors_by_id_kind_and_star() {
    let text = r#"
[scenario]
steps = 3
[actors.A]
kind = "state"
[actors.B]
kind = "state"
[actors.C]
kind = "bloc"
[actions.x]
[actions.y]
[actions.z]
[rules.by_id]
actor = "C"
action = "x"
[rules.by_kind]
actor_kind = "state"
action = "y"
[rules.everyone]
actor = "*"
action = "z"
"#;
    let (m, r) = run(text, 0);
    assert_eq!(count(&m, &r, "C", "x"), 3);
    assert_eq!(
        (
            count(&m, &r, "A", "y"),
            count(&m, &r, "B", "y"),
            count(&m, &r, "C", "y")
        ),
        (3, 3, 0)
    );
    assert_eq!(
        count(&m, &r, "A", "z") + count(&m, &r, "B", "z") + count(&m, &r, "C", "z"),
        9
    );
}

#[test]
fn target_relation_filters_by_kind() {
    let text = r#"
[scenario]
steps = 1
[actors.A]
[actors.B]
[actors.C]
[[relations]]
from = "A"
to = "B"
kind = "neighbor"
[[relations]]
from = "A"
to = "C"
kind = "ally"
[actions.x]
effects = [{ var = "hits", on = "target", add = 1 }]
[variables]
hits = { of = "actor" }
[rules.r]
actor = "A"
action = "x"
target_relation = "neighbor"
[report]
series = { b = "hits(B)", c = "hits(C)" }
"#;
    let (m, r) = run(text, 0);
    assert_eq!((series(&m, &r, "b")[1], series(&m, &r, "c")[1]), (1.0, 0.0));
}

#[test]
fn reactions_answer_whoever_acted_last_step() {
    let text = r#"
[scenario]
steps = 4
[actors.A]
[actors.B]
[actors.C]
[actions.propose]
[actions.reject]
[events.a_proposes]
actor = "A"
action = "propose"
target = "C"
at = [1, 3]
[events.b_proposes]
actor = "B"
action = "propose"
target = "C"
at = 1
[rules.c_rejects]
actor = "C"
action = "reject"
reacts_to = "propose"
"#;
    let (m, r) = run(text, 0);
    // Step 2: C rejects A and B (proposals of step 1); step 4: C rejects A.
    assert_eq!(count(&m, &r, "C", "reject"), 3);
    assert_eq!(r.first_taken(&m, "reject").unwrap(), Some(2));
}

#[test]
fn did_does_and_since() {
    let text = r#"
[scenario]
steps = 6
[variables]
seen = { of = "actor" }
[actors.A]
[actors.B]
[actions.poke]
[actions.mark]
effects = [{ var = "seen", on = "actor", add = "if(does(B, A, poke), 100, 0) + if(did(B, poke), 10, 0) + if(did(B, A, poke), 1, 0)" }]
[events.b_pokes]
actor = "B"
action = "poke"
target = "A"
at = [2, 3]
[rules.a_marks]
actor = "A"
action = "mark"
target = "B"
[rules.cooling]
actor = "A"
action = "poke"
target = "B"
when = "since(A, poke) > 3 and since(B, poke) == 2"
[report]
series = { seen = "seen(A)" }
"#;
    let (m, r) = run(text, 0);
    let seen = series(&m, &r, "seen");
    // step 2: does 100; step 3: does 100 + did 11; step 4: did 11; later 0.
    assert_eq!(seen, &[0.0, 0.0, 100.0, 211.0, 222.0, 222.0, 222.0]);
    // since(B, poke) == 2 at step 5 (last poke at 3); A never poked so since is huge.
    assert_eq!(count(&m, &r, "A", "poke"), 1);
}

#[test]
fn probability_cooldown_priority_and_cap() {
    let text = r#"
[scenario]
steps = 10
max_actions_per_step = 1
[actors.A]
[actors.B]
max_actions_per_step = 2
[actions.low]
[actions.high]
[actions.cool]
[actions.never]
[rules.low]
actor = "*"
action = "low"
[rules.high]
actor = "*"
action = "high"
priority = 5
[rules.cool]
actor = "B"
action = "cool"
cooldown = 3
priority = 10
[rules.never]
actor = "*"
action = "never"
probability = 0
"#;
    let (m, r) = run(text, 0);
    // A: cap 1, `high` wins every step.
    assert_eq!(
        (count(&m, &r, "A", "high"), count(&m, &r, "A", "low")),
        (10, 0)
    );
    // B: cap 2; `cool` (priority 10) at steps 1, 5, 9; `high` every step; `low` when cool rests.
    assert_eq!(count(&m, &r, "B", "cool"), 3);
    assert_eq!(count(&m, &r, "B", "high"), 10);
    assert_eq!(count(&m, &r, "B", "low"), 7);
    assert_eq!(count(&m, &r, "A", "never") + count(&m, &r, "B", "never"), 0);
}

#[test]
fn probability_fires_at_its_rate() {
    let text = r#"
[scenario]
steps = 20000
[actors.A]
[actions.x]
[rules.r]
actor = "A"
action = "x"
probability = 0.3
"#;
    let (m, r) = run(text, 7);
    let rate = count(&m, &r, "A", "x") as f64 / 20000.0;
    assert!((rate - 0.3).abs() < 0.015, "{rate}");
}

#[test]
fn dynamics_per_relation_kind_and_per_actor() {
    let text = r#"
[scenario]
steps = 2
[variables]
t = { of = "relation" }
x = { of = "actor" }
[actors.A]
kind = "state"
[actors.B]
kind = "bloc"
[[relations]]
from = "A"
to = "B"
kind = "neighbor"
[[relations]]
from = "B"
to = "A"
kind = "member"
[dynamics.neighbors_only]
var = "t"
add = "1"
kind = "neighbor"
[dynamics.states_only]
var = "x"
add = "2"
kind = "state"
[report]
series = { ab = "t(A, B)", ba = "t(B, A)", xa = "x(A)", xb = "x(B)" }
"#;
    let (m, r) = run(text, 0);
    assert_eq!(series(&m, &r, "ab")[2], 2.0);
    assert_eq!(series(&m, &r, "ba")[2], 0.0);
    assert_eq!(series(&m, &r, "xa")[2], 4.0);
    assert_eq!(series(&m, &r, "xb")[2], 0.0);
}

#[test]
fn stochastic_events_fire_at_their_rate_within_their_window() {
    let text = r#"
[scenario]
steps = 10000
[actors.A]
[actions.surge]
[events.s]
actor = "A"
action = "surge"
rate = 0.1
from = 5001
"#;
    let (m, r) = run(text, 3);
    let n = count(&m, &r, "A", "surge");
    assert!((430..=570).contains(&n), "{n}");
    assert!(r.first_taken[0].unwrap() > 5000);
}

#[test]
fn outcomes_held_for_n_steps() {
    let text = with(
        r#"
[dynamics.up]
var = "tension"
add = "0.1"
[outcomes]
high = "tension(A, B) > 0.45 for 2 steps"
never = "tension(A, B) > 2"
start = { when = "tension(A, B) < 0.3", description = "initially calm" }
"#,
    );
    let (m, r) = run(&text, 0);
    let idx = |n: &str| m.outcome_index(n).unwrap();
    // tension: 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 → above 0.45 at steps 3 and 4: reached at 4.
    assert_eq!(r.reached[idx("high")], Some(4));
    assert_eq!(r.reached[idx("never")], None);
    assert_eq!(r.reached[idx("start")], Some(0));
    assert!(!r.holds_at_end[idx("start")]);
}

#[test]
fn extends_overrides_and_adds() {
    let base = with(
        r#"
[parameters]
k = 0.1
[actions.calm]
effects = [{ var = "tension", on = "relation", add = "-k" }]
[rules.calm]
actor = "A"
action = "calm"
target = "B"
probability = 1
[report]
series = { ab = "tension(A, B)" }
"#,
    );
    let variant = r#"
[scenario]
extends = "base.toml"
name = "variant"
[parameters]
k = 0.05
[rules.calm]
enabled = false
[add.rules.calm2]
actor = "B"
action = "calm"
target = "A"
"#;
    let files = [
        ("dir/base.toml", base.as_str()),
        ("dir/variant.toml", variant),
    ];
    let m = model_with(&files, "dir/variant.toml", &Overrides::default());
    assert_eq!(m.name(), "variant");
    assert_eq!(m.steps(), 5, "inherited");
    assert_eq!(m.rule_names().collect::<Vec<_>>(), ["calm2"]);
    let r = detente::run_once(&m, 0).unwrap();
    assert!(close(r.series[0][5], 0.2), "A→B untouched");
}

#[test]
fn relations_from_csv() {
    let text = r#"
[scenario]
steps = 1
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1] }
trust = { of = "relation", default = 0.5 }
[actors.X]
name = "Declared"
[[relation_files]]
path = "net/edges.csv"
from = "src"
to = "dst"
create_actors = true
actor_kind = "node"
"#;
    let csv = "src,dst,tension,trust\n0,1,0.25,0.75\n1,0,0.5,\n\"X\",0,0.1,0.2\n";
    let files = [("s.toml", text), ("net/edges.csv", csv)];
    let m = model_with(&files, "s.toml", &Overrides::default());
    assert_eq!((m.n_actors(), m.n_relations()), (3, 3));
    let e = |from: &str, to: &str| m.relation(from, to).unwrap();
    assert_eq!(
        m.relation_kind_name(m.relation_kind(e("0", "1"))),
        "related"
    );
    let (tension, trust) = (
        m.initial_relation_values("tension").unwrap(),
        m.initial_relation_values("trust").unwrap(),
    );
    assert_eq!(tension[e("0", "1").index()], 0.25);
    assert_eq!(trust[e("1", "0").index()], 0.5, "empty cell: default");
    assert_eq!(trust[e("X", "0").index()], 0.2);
    let kinds: Vec<&str> = m
        .actors()
        .map(|(_, a)| m.actor_kind_name(a.kind()))
        .collect();
    assert_eq!(kinds, ["node", "node", "actor"]);
}

#[test]
fn integer_ids_in_csv_are_ids_as_text() {
    // `12` is declared as a table and also read from the file; `012` is another actor; ids sort
    // as text ("10" before "2"); CRLF line ends and blank lines are accepted.
    let text = r#"
[scenario]
steps = 1
[variables]
t = { of = "relation" }
[actors.12]
name = "Twelve"
[[relation_files]]
path = "e.csv"
create_actors = true
"#;
    let csv = "from,to,t\r\n2,10,0.1\r\n\r\n10,12,0.2\r\n012,2,0.3\r\n12,2,0.4";
    let m = model_with(
        &[("s.toml", text), ("e.csv", csv)],
        "s.toml",
        &Overrides::default(),
    );
    let ids: Vec<&str> = m.actors().map(|(_, a)| a.id()).collect();
    assert_eq!(ids, ["012", "10", "12", "2"]);
    assert_eq!(
        m.actor(m.actor_id("12").unwrap()).name(),
        "Twelve",
        "the declared actor, not a new one"
    );
    let t = |from: &str, to: &str| {
        let e = m.relation(from, to).unwrap();
        m.initial_relation_values("t").unwrap()[e.index()]
    };
    assert_eq!(
        (t("2", "10"), t("10", "12"), t("012", "2"), t("12", "2")),
        (0.1, 0.2, 0.3, 0.4)
    );
}

#[test]
fn a_relation_file_read_twice_is_reported_row_by_row_and_capped() {
    // Every row is a duplicate; each is blamed on its own line and pointed at the first copy.
    // The first twenty are shown, and one note counts the rest and points at the first of them.
    let text = "[scenario]\nsteps = 1\n[variables]\nt = { of = \"relation\" }\n[[relation_files]]\npath = \"e.csv\"\ncreate_actors = true\n[[relation_files]]\npath = \"e.csv\"\ncreate_actors = true\n";
    let rows: String = (0..5000).map(|i| format!("{i},{},0.5\n", i + 1)).collect();
    let csv = format!("from,to,t\n{rows}");
    let e = errors_with(&[("s.toml", text), ("e.csv", &csv)], "s.toml");
    assert_eq!(e.matches("error: duplicate relation").count(), 20, "{e}");
    // Relations are checked in id order (as text): 0 → 1, 1 → 2, 10 → 11, ...
    assert!(
        e.starts_with("e.csv:2:1: error: duplicate relation 0 → 1"),
        "{e}"
    );
    assert!(e.contains("it is already declared at e.csv:2;"), "{e}");
    assert!(
        e.contains("error: 4980 more errors are not shown (the first is here)"),
        "{e}"
    );
    assert!(e.len() < 20_000, "bounded output: {} bytes", e.len());
}

#[test]
fn csv_errors_name_the_row() {
    let text = "[scenario]\nsteps = 1\n[variables]\nt = { of = \"relation\" }\n[actors.A]\n[actors.B]\n[[relation_files]]\npath = \"e.csv\"\n";
    let csv = "from,to,t\nA,B,0.1\nA,C,0.2\nB,A,abc\n";
    let e = errors_with(&[("s.toml", text), ("e.csv", csv)], "s.toml");
    assert!(e.contains("e.csv:3:3: error: unknown actor `C`"), "{e}");
    assert!(
        e.contains("e.csv:4:5: error: `abc` is not a finite number"),
        "{e}"
    );
}

#[test]
fn cameo_codes_ground_effects_in_goldstein_weights() {
    let text = with(
        r#"
[actions.inspect]
cameo = "0862"
effects = [{ var = "tension", on = "relation", add = "-goldstein / 100" }]
[events.e]
actor = "A"
action = "inspect"
target = "B"
at = 1
[report]
series = { ab = "tension(A, B)" }
"#,
    );
    let (m, r) = run(&text, 0);
    assert!(close(series(&m, &r, "ab")[1], 0.2 - 0.09));
    assert_eq!(m.action_cameo(ActionId::default()), Some(("0862", 9.0)));
    let bad = with("[actions.x]\ncameo = \"0863x\"\n");
    assert!(errors(&bad).contains("`0863x` is not a CAMEO event code"));
}

#[test]
fn default_series_cover_small_graphs() {
    let m = model(&with(""));
    let names: Vec<&str> = m.series().map(|(name, _)| name).collect();
    assert_eq!(names, ["tension_A_B", "tension_B_A"]);
}

#[test]
fn times_counts_actions_so_far() {
    let text = r#"
[scenario]
steps = 6
[variables]
seen = { of = "actor" }
[actors.A]
[actions.talk]
[actions.note]
effects = [{ var = "seen", on = "actor", add = "times(A, talk)" }]
[rules.talk]
actor = "A"
action = "talk"
when = "times(self, talk) < 3"
[rules.note]
actor = "A"
action = "note"
[outcomes]
talked_twice = "times(A, talk) >= 2"
[report]
series = { seen = "seen(A)" }
"#;
    let (m, r) = run(text, 0);
    assert_eq!(count(&m, &r, "A", "talk"), 3);
    // Effects see this step's count: 1, 2, 3, 3, 3, 3.
    assert_eq!(
        series(&m, &r, "seen"),
        &[0.0, 1.0, 3.0, 6.0, 9.0, 12.0, 15.0]
    );
    assert_eq!(r.reached[0], Some(2));
}

#[test]
fn effects_on_every_relation_out_of_or_into_the_actor() {
    let text = r#"
[scenario]
steps = 1
[variables]
t = { of = "relation" }
[actors.A]
[actors.B]
[actors.C]
[[relations]]
from = "A"
to = "B"
[[relations]]
from = "A"
to = "C"
[[relations]]
from = "B"
to = "A"
[[relations]]
from = "C"
to = "B"
[actions.calm_all]
effects = [{ var = "t", on = "out", add = -1 }]
[actions.draw_fire]
effects = [{ var = "t", on = "in", add = 10 }]
[events.a]
actor = "A"
action = "calm_all"
at = 1
[events.b]
actor = "B"
action = "draw_fire"
at = 1
[report]
series = { ab = "t(A, B)", ac = "t(A, C)", ba = "t(B, A)", cb = "t(C, B)" }
"#;
    let (m, r) = run(text, 0);
    assert_eq!(series(&m, &r, "ab")[1], 9.0);
    assert_eq!(series(&m, &r, "ac")[1], -1.0);
    assert_eq!(series(&m, &r, "ba")[1], 0.0);
    assert_eq!(series(&m, &r, "cb")[1], 10.0);
}

#[test]
fn linear_expressions_compile_to_one_fused_op_and_keep_their_value() {
    let text = with(
        r#"
[parameters]
k = 0.3
alpha = 0.5
base = 0.4
g = 0.02
[dynamics.reciprocity]
var = "tension"
add = "0.1 * (k * tension(target, self) - alpha * (tension - base) + g)"
[report]
series = { ab = "tension(A, B)" }
"#,
    )
    .replace("steps = 5", "steps = 1");
    let (m, r) = run(&text, 0);
    // Two loads and one affine combination.
    let ops = detente::test_support::dynamics_ops(&m, 0);
    assert_eq!(ops.len(), 3, "{ops:?}");
    assert!(ops[2].starts_with("Affine { n: 2,"), "{ops:?}");
    // A→B: 0.2 + 0.1 * (0.3 * 0.5 - 0.5 * (0.2 - 0.4) + 0.02).
    let want = 0.2 + 0.1 * (0.3 * 0.5 - 0.5 * (0.2 - 0.4) + 0.02);
    assert!((series(&m, &r, "ab")[1] - want).abs() < 1e-12);
}

#[test]
fn a_child_cannot_hide_its_own_duplicate_relation_behind_an_inherited_one() {
    let base = with("");
    let child = "[scenario]\nextends = \"base.toml\"\n[[relations]]\nfrom = \"A\"\nto = \"B\"\ntension = 0.3\n[[relations]]\nfrom = \"A\"\nto = \"B\"\ntension = 0.4\n";
    let e = errors_with(
        &[("base.toml", base.as_str()), ("child.toml", child)],
        "child.toml",
    );
    assert!(
        e.contains("child.toml:7:1: error: duplicate relation A → B"),
        "{e}"
    );
    assert!(e.contains("already declared at child.toml:3"), "{e}");
    assert_eq!(e.matches("duplicate relation").count(), 1, "{e}");
}

#[test]
fn three_copies_of_a_relation_are_two_errors_against_the_first() {
    let text = format!(
        "{TWO}\n[[relations]]\nfrom = \"A\"\nto = \"B\"\n[[relations]]\nfrom = \"A\"\nto = \"B\"\n"
    );
    let e = errors(&text);
    assert_eq!(e.matches("duplicate relation A → B").count(), 2, "{e}");
    assert_eq!(e.matches("already declared at s.toml:10").count(), 2, "{e}");
}

#[test]
fn function_names_are_free_for_variables_on_a_large_network() {
    // `count` and `mean` name built-in functions, but a bare name is a variable; with more than
    // 64 relations the default series are means, built as compiled code.
    let mut text = String::from(
        "[scenario]\nsteps = 3\n[variables]\ncount = { of = \"relation\", default = 0.5 }\nmean = { of = \"actor\", default = 1 }\n",
    );
    for i in 0..10 {
        text.push_str(&format!("[actors.a{i}]\n"));
    }
    for i in 0..10 {
        for j in 0..10 {
            if i != j {
                text.push_str(&format!("[[relations]]\nfrom = \"a{i}\"\nto = \"a{j}\"\n"));
            }
        }
    }
    text.push_str("[dynamics.d]\nvar = \"count\"\nadd = \"0.1 * (1 - count)\"\n");
    let (m, r) = run(&text, 0);
    assert_eq!(m.n_relations(), 90);
    let means = series(&m, &r, "mean_count");
    assert!(close(means[0], 0.5) && close(means[1], 0.55), "{means:?}");
}

/// Each case twice: folded at load time (`Z` removed) and computed at run time, lane by lane
/// (`Z` read as `min(step, 0) + `, a zero the compiler cannot fold).
#[test]
fn maths_functions_and_operators_at_known_points() {
    let table = "[[0, 0], [0.5, 0.2], [1, 1]]";
    let cases = [
        // Floored remainders: the sign of the divisor, as in Python.
        ("(Z 7) % 3", 1.0),
        ("(Z -7) % 3", 2.0),
        ("(Z 7) % -3", -2.0),
        ("(Z -7) % -3", -1.0),
        ("mod(Z -0.5, 1)", 0.5),
        ("mod(Z 5.5, Z 2)", 1.5),
        ("mod(Z 6, 3)", 0.0),
        ("floor(Z -1.5) + 10 * ceil(Z -1.5)", -12.0),
        ("floor(Z 2) + ceil(Z 2)", 4.0),
        // Halves round away from zero.
        ("round(Z 2.5)", 3.0),
        ("round(Z -2.5)", -3.0),
        ("round(Z 0.49)", 0.0),
        ("round(Z -0.51)", -1.0),
        ("pow(Z 2, 10)", 1024.0),
        ("pow(Z 9, 0.5)", 3.0),
        ("pow(Z -2, Z 3)", -8.0),
        ("(Z 2)^-1", 0.5),
        ("-(Z 2)^2", -4.0),
        ("-2^2", -4.0),
        ("(-2)^2", 4.0),
        ("2^3^2", 512.0),
        ("(Z 2)^(Z 3)^2", 512.0),
        ("2 * (Z 3)^2", 18.0),
        ("log10(Z 1000)", 3.0),
        ("log10(Z 0.01)", -2.0),
        ("tanh(Z 0)", 0.0),
        ("tanh(Z -1)", -0.761_594_155_955_764_9),
        ("tanh(Z 30)", 1.0),
        ("logistic(Z 0)", 0.5),
        ("logistic(Z 2)", 0.880_797_077_977_882_3),
        ("logistic(Z -2) + logistic(Z 2)", 1.0),
        ("logistic(Z -800)", 0.0),
        ("logistic(Z 800)", 1.0),
        ("lookup(Z 0.25, TABLE)", 0.1),
        ("lookup(Z 0.5, TABLE)", 0.2),
        ("lookup(Z 0.75, TABLE)", 0.6),
        ("lookup(Z -3, TABLE)", 0.0),
        ("lookup(Z 1, TABLE)", 1.0),
        ("lookup(Z 7, TABLE)", 1.0),
        ("lookup(Z 5, [[2, 3]])", 3.0),
        ("lookup(tension(A, B), [[0, 1], [0.4, 0]])", 0.5),
        ("sin(Z 0) + cos(Z 0)", 1.0),
        ("if(true && (false || true), 1, 0)", 1.0),
    ];
    for (expr, want) in cases {
        for runtime in [false, true] {
            let expr = expr
                .replace("TABLE", table)
                .replace("Z ", if runtime { "min(step, 0) + " } else { "" });
            let got = value_at_step_1(&expr);
            assert!(close(got, want), "{expr}: got {got}, want {want}");
        }
    }
}

#[test]
fn maths_functions_reject_wrong_arities_and_lists_out_of_place() {
    for (expr, message) in [
        ("pow(2)", "`pow` takes 2 argument(s), found 1"),
        ("mod(1, 2, 3)", "`mod` takes 2 argument(s), found 3"),
        ("lookup(1)", "`lookup` takes 2 argument(s), found 1"),
        ("lookup(1, [])", "a table needs at least one point"),
        (
            "lookup(1, [[0, 0], [1, 1]]) + [1]",
            "a list cannot be used as a value",
        ),
        ("lookup(1, [[0, true]])", "expected a number"),
        ("round(true)", "expected a number"),
        ("tension(A, B) % 0", "division by zero"),
    ] {
        let text = with(&format!("[report]\nseries = {{ x = \"{expr}\" }}\n"));
        let e = errors(&text);
        assert!(e.contains(message), "{expr}: {e}");
    }
}

/// Three actors joined both ways; B defects toward C at steps 2 and 3 and toward A at step 5.
const MEMORY: &str = r#"
[scenario]
steps = 7
[actors.A]
[actors.B]
[actors.C]
[[relations]]
from = "A"
to = "B"
[[relations]]
from = "B"
to = "C"
[[relations]]
from = "C"
to = "A"
[actions.defect]
[events.b_defects_toward_c]
actor = "B"
action = "defect"
target = "C"
at = [2, 3]
[events.b_defects_toward_a]
actor = "B"
action = "defect"
target = "A"
at = [5]
"#;

#[test]
fn memory_per_counterpart_tells_who_was_wronged() {
    // B→A has no relation, but A→B does: a pair with a relation in either direction counts.
    let text = format!(
        r#"{MEMORY}
[report]
series = {{ bc = "times(B, C, defect)", ba = "times(B, A, defect)", any = "times(B, defect)", cb = "times(C, B, defect)", since_bc = "since(B, C, defect)", since_ba = "since(B, A, defect)" }}
"#
    );
    let (m, r) = run(&text, 0);
    // Series are read at the end of each step (index 0: the start); `times` counts up to and
    // including that step, `since` counts from the last time before it.
    assert_eq!(
        series(&m, &r, "bc"),
        &[0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    );
    assert_eq!(
        series(&m, &r, "ba"),
        &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    );
    assert_eq!(
        series(&m, &r, "any"),
        &[0.0, 0.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0]
    );
    assert_eq!(
        series(&m, &r, "cb"),
        &[0.0; 8],
        "the other direction is its own count"
    );
    let never = 1e9;
    assert_eq!(
        series(&m, &r, "since_bc"),
        &[never, never, never, 1.0, 1.0, 2.0, 3.0, 4.0]
    );
    assert_eq!(
        series(&m, &r, "since_ba"),
        &[never, never, never, never, never, never, 1.0, 2.0]
    );
}

#[test]
fn windowed_memory_counts_the_last_k_steps_before_this_one() {
    let text = format!(
        r#"{MEMORY}
[parameters]
window = 2
[report]
series = {{ w_bc = "times_within(B, C, defect, window)", d_bc = "if(did_within(B, C, defect, 2), 1, 0)", w_any = "times_within(B, defect, 1 + window)", d_any = "if(did_within(B, defect, 1), 1, 0)", d_ba = "if(did_within(B, A, defect, 7), 1, 0)", d1 = "if(did_within(B, C, defect, 1), 1, 0)", did = "if(did(B, C, defect), 1, 0)" }}
"#
    );
    let (m, r) = run(&text, 0);
    // At step t the window is steps t-k .. t-1.
    assert_eq!(
        series(&m, &r, "w_bc"),
        &[0.0, 0.0, 0.0, 1.0, 2.0, 1.0, 0.0, 0.0]
    );
    assert_eq!(
        series(&m, &r, "d_bc"),
        &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    );
    assert_eq!(
        series(&m, &r, "w_any"),
        &[0.0, 0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 1.0]
    );
    assert_eq!(
        series(&m, &r, "d_any"),
        &[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]
    );
    assert_eq!(
        series(&m, &r, "d_ba"),
        &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    );
}

#[test]
fn memory_in_rules_and_effects_counts_stacked_firings() {
    // Two events make B defect toward C at step 2: both count, as in `times(a, act)`.
    let text = format!(
        r#"{MEMORY}
[variables]
grudge = {{ of = "actor" }}
[events.again]
actor = "B"
action = "defect"
target = "C"
at = [2]
[actions.note]
effects = [{{ var = "grudge", on = "actor", add = "10 * times(target, self, defect) + times_within(target, self, defect, 3)" }}]
[rules.c_notes]
actor = "C"
action = "note"
target = "B"
when = "since(target, self, defect) <= 2"
[report]
series = {{ grudge = "grudge(C)" }}
"#
    );
    let (m, r) = run(&text, 0);
    // The rule fires at steps 3, 4 and 5 (since = 1, 1, 2); its effect at step t adds
    // 10 × (times so far: 3) + (firings in steps t-3..t-1): 30 + 2, 30 + 3, 30 + 3.
    assert_eq!(count(&m, &r, "C", "note"), 3);
    assert_eq!(
        series(&m, &r, "grudge"),
        &[0.0, 0.0, 0.0, 32.0, 65.0, 98.0, 98.0, 98.0]
    );
}

#[test]
fn memory_is_kept_only_for_what_is_read() {
    let plain = model(&format!(
        "{MEMORY}\n[outcomes]\nx = \"times(B, defect) > 0\""
    ));
    let pair = model(&format!(
        "{MEMORY}\n[outcomes]\nx = \"times(B, C, defect) > 0\""
    ));
    let window = model(&format!(
        "{MEMORY}\n[outcomes]\nx = \"times_within(B, C, defect, 100) > 0\""
    ));
    let (p, q, w) = (
        detente::Sim::memory_estimate(&plain),
        detente::Sim::memory_estimate(&pair),
        detente::Sim::memory_estimate(&window),
    );
    assert!(p < q && q < w, "{p} < {q} < {w}");
}

#[test]
fn memory_per_counterpart_errors() {
    let e = errors(&format!(
        "{MEMORY}\n[outcomes]\nx = \"times(A, A, defect) > 0\"\ny = \"since(A, D, defect) > 0\""
    ));
    assert!(
        e.contains("s.toml:29:15: error: outcome `x`: no relation joins these two actors"),
        "{e}"
    );
    assert!(e.contains("outcome `y`") && e.contains("`D`"), "{e}");
    for (window, message) in [
        (
            "0",
            "a window is a whole number of steps from 1 to 65535, not 0",
        ),
        ("1.5", "not 1.5"),
        ("70000", "not 70000"),
        ("step", "a window must be a constant number of steps"),
    ] {
        let e = errors(&format!(
            "{MEMORY}\n[outcomes]\nx = \"times_within(B, C, defect, {window}) > 0\""
        ));
        assert!(e.contains(message), "{window}: {e}");
    }
    let e = errors(&format!(
        "{MEMORY}\n[outcomes]\nx = \"did_within(B, C, defect) > 0\""
    ));
    assert!(
        e.contains("error: outcome `x`: `did_within` needs a window as its last argument"),
        "{e}"
    );
}
