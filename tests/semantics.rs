//! Stepper semantics: synchronous updates, order independence, determinism, runaway guards.

mod common;

use common::{errors, model, run, series};
use detente::report::{json, run_report};

#[test]
fn every_rule_reads_the_start_of_step_state() {
    // Two actors swap values through actions: if either saw the other's new value the swap
    // would not be exact.
    let text = r#"
[scenario]
steps = 3
[variables]
x = { of = "actor" }
[actors.A]
x = 1
[actors.B]
x = 2
[actions.copy]
effects = [{ var = "x", on = "actor", add = "x(target) - x(self)" }]
[rules.a]
actor = "A"
action = "copy"
target = "B"
[rules.b]
actor = "B"
action = "copy"
target = "A"
[report]
series = { a = "x(A)", b = "x(B)" }
"#;
    let (m, r) = run(text, 0);
    assert_eq!(series(&m, &r, "a"), &[1.0, 2.0, 1.0, 2.0]);
    assert_eq!(series(&m, &r, "b"), &[2.0, 1.0, 2.0, 1.0]);
}

#[test]
fn dynamics_read_the_start_of_step_state() {
    // x' = y, y' = -x with dt 1 (explicit Euler): synchronous gives (1,0) → (1,-1) → (0,-2).
    let text = r#"
[scenario]
steps = 2
[variables]
x = { of = "actor" }
y = { of = "actor" }
[actors.A]
x = 1
[dynamics.dx]
var = "x"
add = "y"
[dynamics.dy]
var = "y"
add = "-x"
[report]
series = { x = "x(A)", y = "y(A)" }
"#;
    let (m, r) = run(text, 0);
    assert_eq!(series(&m, &r, "x"), &[1.0, 1.0, 0.0]);
    assert_eq!(series(&m, &r, "y"), &[0.0, -1.0, -2.0]);
}

const STOCHASTIC: &str = r#"
[scenario]
name = "order"
steps = 40
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1] }
score = { of = "actor" }
[parameters]
k = 0.2
[actors.LTU]
kind = "state"
[actors.BLR]
kind = "state"
[actors.EU]
kind = "bloc"
[actors.POL]
kind = "state"
[[relations]]
from = "LTU"
to = "BLR"
tension = 0.7
kind = "neighbor"
[[relations]]
from = "BLR"
to = "LTU"
tension = 0.6
kind = "neighbor"
[[relations]]
from = "POL"
to = "BLR"
tension = 0.4
kind = "neighbor"
[[relations]]
from = "LTU"
to = "EU"
kind = "member"
[[relations]]
from = "POL"
to = "EU"
kind = "member"
[[relations]]
from = "EU"
to = "BLR"
tension = 0.3
[actions.provoke]
effects = [{ var = "tension", on = "reverse", add = 0.1, duration = 2 }]
[actions.calm]
effects = [
  { var = "tension", on = "both", add = -0.05, spill = { kind = "member", factor = 0.5 } },
  { var = "score", on = "actor", add = 1, delay = 3 },
]
[rules.provoke]
actor_kind = "state"
action = "provoke"
target_relation = "neighbor"
when = "tension > 0.5"
probability = 0.3
[rules.calm]
actor = "*"
action = "calm"
target_relation = "*"
when = "mean(tension, out(self)) > 0.4"
probability = "k"
cooldown = 2
[rules.answer]
actor = "*"
action = "calm"
reacts_to = "provoke"
probability = 0.5
[dynamics.revert]
var = "tension"
add = "0.1 * (0.5 - tension) + 0.05 * tension(target, self)"
[events.shock]
actor = "BLR"
action = "provoke"
target = "LTU"
rate = 0.1
[outcomes]
calm = "tension(LTU, BLR) < 0.45 for 3 steps"
"#;

/// Splits a scenario into its top-level blocks (each starting at a `[` line).
fn blocks(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with('[') || out.is_empty() {
            out.push(String::new());
        }
        let last = out.last_mut().unwrap();
        last.push_str(line);
        last.push('\n');
    }
    out
}

fn report_json(text: &str, seed: u64) -> String {
    let m = model(text);
    let r = detente::run_once(&m, seed).unwrap();
    let mut report = run_report(&m, &r);
    // The hash covers the file's bytes, which a reordering changes by design.
    report.scenario.content_hash.clear();
    json::to_string(&report)
}

#[test]
fn declaration_order_does_not_change_results() {
    let base = report_json(STOCHASTIC, 11);
    let parts = blocks(STOCHASTIC);
    // Reverse everything but the first block, then a few rotations.
    let mut reversed = vec![parts[0].clone()];
    reversed.extend(parts[1..].iter().rev().cloned());
    assert_eq!(report_json(&reversed.concat(), 11), base);
    for rot in [3, 7, 11] {
        let mut p = parts[1..].to_vec();
        let n = p.len();
        p.rotate_left(rot % n);
        let text = format!("{}{}", parts[0], p.concat());
        assert_eq!(report_json(&text, 11), base, "rotation {rot}");
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_run() {
    let a = report_json(STOCHASTIC, 5);
    assert_eq!(a, report_json(STOCHASTIC, 5));
    assert_ne!(a, report_json(STOCHASTIC, 6));
}

#[test]
fn values_stay_within_ranges() {
    let m = model(STOCHASTIC);
    for seed in 0..20 {
        let r = detente::run_once(&m, seed).unwrap();
        for v in r.series.iter().flatten() {
            assert!((0.0..=1.0).contains(v), "{v}");
        }
    }
}

#[test]
fn a_variant_with_one_more_rule_keeps_every_other_draw() {
    // Common random numbers: adding a rule does not shift the draws the other rules see.
    let extra =
        "\n[actions.note]\n[rules.extra]\nactor = \"EU\"\naction = \"note\"\nprobability = 0.5\n";
    let m1 = model(STOCHASTIC);
    let m2 = model(&format!("{STOCHASTIC}{extra}"));
    for seed in 0..5 {
        let r1 = detente::run_once(&m1, seed).unwrap();
        let r2 = detente::run_once(&m2, seed).unwrap();
        assert_eq!(r1.series, r2.series);
        assert_eq!(r1.reached, r2.reached);
        for (_, actor) in m1.actors() {
            for action in m1.action_names() {
                assert_eq!(
                    r1.action_count(&m1, actor.id(), action),
                    r2.action_count(&m2, actor.id(), action)
                );
            }
        }
    }
}

#[test]
fn runaway_values_stop_the_run_with_a_named_cause() {
    let text = r#"
[scenario]
steps = 2000
[variables]
x = { of = "actor", default = 1 }
[actors.A]
[dynamics.explode]
var = "x"
add = "x * x"
"#;
    let m = model(text);
    let e = detente::run_once(&m, 0).unwrap_err();
    assert!(
        e.message.contains("dynamics `explode`") || e.message.contains("`x` of A"),
        "{e}"
    );
    assert!(e.step > 1 && e.step < 20, "{e}");

    let text = r#"
[scenario]
steps = 3
[variables]
x = { of = "actor", default = 0 }
[actors.A]
[actions.div]
effects = [{ var = "x", on = "actor", add = "1 / x" }]
[rules.r]
actor = "A"
action = "div"
"#;
    let e = detente::run_once(&model(text), 0).unwrap_err();
    assert_eq!(e.step, 1);
    assert!(
        e.message.contains("action `div`") && e.message.contains("rule `r`"),
        "{e}"
    );
}

#[test]
fn errors_name_file_line_column_and_hint() {
    let text = r#"[scenario]
steps = 3
[variables]
tension = { of = "relation" }
[actors.LTU]
[actors.BLR]
[[relations]]
from = "LTU"
to = "BLV"
[actions.x]
[rules.r]
actor = "LTU"
action = "y"
[outcomes]
o = "tensoin(LTU, BLR) > 1"
"#;
    let e = errors(text);
    assert!(e.contains("s.toml:9:6: error: unknown actor `BLV`"), "{e}");
    assert!(e.contains("did you mean `BLR`?"), "{e}");
    assert!(e.contains("s.toml:13:10: error: unknown action `y`"), "{e}");
    assert!(
        e.contains("s.toml:15:6: error: outcome `o`: unknown function `tensoin`"),
        "{e}"
    );
    assert!(e.contains("did you mean `tension`?"), "{e}");
}

#[test]
fn type_and_context_errors_in_expressions() {
    let base = "[scenario]\nsteps = 1\n[variables]\nt = { of = \"relation\" }\nr = { of = \"actor\" }\n[actors.A]\n[actors.B]\n[[relations]]\nfrom = \"A\"\nto = \"B\"\n[actions.x]\n";
    let cases = [
        (
            "[rules.q]\nactor = \"A\"\naction = \"x\"\nwhen = \"t(A, B) + 1\"\n",
            "expected a condition (true/false), found a number",
        ),
        (
            "[rules.q]\nactor = \"A\"\naction = \"x\"\nwhen = \"t(self, target) > 1\"\n",
            "`target` has no meaning here",
        ),
        (
            "[rules.q]\nactor = \"A\"\naction = \"x\"\nwhen = \"does(A, x)\"\n",
            "`does` (this step's actions) cannot be read here",
        ),
        (
            "[outcomes]\no = \"t(B, A) > 0\"\n",
            "there is no relation B → A",
        ),
        (
            "[outcomes]\no = \"t > 0\"\n",
            "`t` is a relation variable; say which relation",
        ),
        ("[outcomes]\no = \"r(A) / 0 > 1\"\n", "division by zero"),
        (
            "[outcomes]\no = \"max(1) > 0\"\n",
            "`max` takes 2 argument(s), found 1",
        ),
        (
            "[outcomes]\no = \"mean(t, out(A, \\\"nieghbor\\\")) > 0\"\n",
            "no relation kind `nieghbor`",
        ),
        (
            "[outcomes]\no = \"if(true, 1, false)\"\n",
            "both branches of `if` must have one type",
        ),
        (
            "[outcomes]\no = \"r(A) > 1 for 0 steps\"\n",
            "expected a whole number of steps",
        ),
    ];
    for (extra, want) in cases {
        let e = errors(&format!("{base}{extra}"));
        assert!(e.contains(want), "{extra}\n--- got:\n{e}");
    }
}

#[test]
fn outcomes_and_series_see_this_steps_actions_as_does_and_the_previous_as_did() {
    // Regression: the pair forms read the wrong log in outcomes and series.
    let text = r#"
[scenario]
steps = 4
[actors.A]
[actors.B]
[actions.poke]
[events.p]
actor = "A"
action = "poke"
target = "B"
at = 2
[outcomes]
poked_now = "does(A, B, poke)"
poked_before = "did(A, B, poke)"
[report]
series = { now = "if(does(A, B, poke), 1, 0)", before = "if(did(A, B, poke), 1, 0)", any_now = "if(does(A, poke), 1, 0)" }
"#;
    let (m, r) = run(text, 0);
    assert_eq!(series(&m, &r, "now"), &[0.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(series(&m, &r, "any_now"), &[0.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(series(&m, &r, "before"), &[0.0, 0.0, 0.0, 1.0, 0.0]);
    let idx = |n: &str| m.outcome_index(n).unwrap();
    assert_eq!(r.reached[idx("poked_now")], Some(2));
    assert_eq!(r.reached[idx("poked_before")], Some(3));
}

#[test]
fn an_overflow_is_blamed_on_the_value_that_overflowed() {
    // Regression: with a range, the clamp hid the infinity and the error named actor 0.
    let text = r#"
[scenario]
steps = 3
[variables]
x = { of = "actor", default = 1e300, range = [-1e308, 1.7e308] }
[actors.A]
x = 0
[actors.B]
[actors.C]
x = 0
[actions.boost]
effects = [{ var = "x", on = "actor", add = 1e308 }, { var = "x", on = "actor", add = 1e308 }]
[events.b]
actor = "B"
action = "boost"
at = 1
"#;
    let e = detente::run_once(&model(text), 0).unwrap_err();
    assert_eq!(e.step, 1);
    assert!(e.message.contains("`x` of B"), "{e}");
}

#[test]
fn a_series_that_is_not_finite_stops_the_run() {
    let text = "[scenario]\nsteps = 2\n[variables]\nx = { of = \"actor\" }\n[actors.A]\n[report]\nseries = { bad = \"ln(x(A))\" }\n";
    let e = detente::run_once(&model(text), 0).unwrap_err();
    assert!(e.message.contains("report series `bad`"), "{e}");
}

#[test]
fn a_variables_last_dynamics_applies_it_yet_others_read_the_start_of_step_value() {
    // `tension`'s only dynamics also applies it (the fused path); `trust`'s reads tension and
    // must still see the start-of-step value, whichever is declared first.
    let body = |first: &str, second: &str| {
        format!(
            "[scenario]\nsteps = 2\n[variables]\ntension = {{ of = \"relation\", default = 0.25, range = [0, 10] }}\ntrust = {{ of = \"relation\" }}\n[actors.A]\n[actors.B]\n[[relations]]\nfrom = \"A\"\nto = \"B\"\n{first}{second}[report]\nseries = {{ t = \"tension(A, B)\", u = \"trust(A, B)\" }}\n"
        )
    };
    let grow = "[dynamics.grow]\nvar = \"tension\"\nadd = \"1\"\n";
    let follow = "[dynamics.follow]\nvar = \"trust\"\nadd = \"tension\"\n";
    for text in [body(grow, follow), body(follow, grow)] {
        let (m, r) = run(&text, 0);
        assert_eq!(series(&m, &r, "t"), &[0.25, 1.25, 2.25]);
        assert_eq!(series(&m, &r, "u"), &[0.0, 0.25, 1.5]);
    }
}

#[test]
fn runtime_errors_of_applied_dynamics_name_the_relation() {
    let base = "[scenario]\nsteps = 3\n[variables]\nt = { of = \"relation\", range = [-1e308, 1.7e308] }\nu = { of = \"relation\" }\n[actors.A]\n[actors.B]\n[actors.C]\n[[relations]]\nfrom = \"A\"\nto = \"B\"\n[[relations]]\nfrom = \"B\"\nto = \"C\"\nt = 1e308\n";
    // A change that is not finite.
    let text = format!("{base}[dynamics.d]\nvar = \"t\"\nadd = \"ln(t)\"\n");
    let e = detente::run_once(&model(&text), 0).unwrap_err();
    assert_eq!(e.step, 1);
    assert!(
        e.message
            .contains("dynamics `d` gave `t` of A→B a change that is not a finite number"),
        "{e}"
    );
    // Finite changes whose sum overflows: blamed on the value, after every dynamics ran.
    let text = format!("{base}[dynamics.d]\nvar = \"t\"\nadd = \"t\"\n");
    let e = detente::run_once(&model(&text), 0).unwrap_err();
    assert_eq!(e.step, 1);
    assert!(
        e.message
            .contains("`t` of B→C is no longer a finite number"),
        "{e}"
    );
    // A later dynamics' bad change is still the one reported, as without the fused apply.
    let text = format!(
        "{base}[dynamics.d]\nvar = \"t\"\nadd = \"t\"\n[dynamics.e]\nvar = \"u\"\nadd = \"ln(u)\"\n"
    );
    let e = detente::run_once(&model(&text), 0).unwrap_err();
    assert!(e.message.contains("dynamics `e` gave `u` of A→B"), "{e}");
}

/// A function computed lane by lane (a dynamics over eight actors at once) gives the same bits
/// as the same function folded at load time, and as the `libm` value in Rust.
#[test]
fn maths_functions_over_lanes_match_their_folded_values_bit_for_bit() {
    let xs = [-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 7.0];
    let table = "[[-1, 0], [0, 1], [2, 5]]";
    type Case = (&'static str, fn(f64) -> f64);
    let cases: [Case; 13] = [
        ("floor(X)", f64::floor),
        ("ceil(X)", f64::ceil),
        ("round(X)", f64::round),
        ("tanh(X)", libm::tanh),
        ("logistic(X)", |x| 1.0 / (1.0 + libm::exp(-x))),
        ("exp(X)", libm::exp),
        ("sin(X)", libm::sin),
        ("cos(X)", libm::cos),
        ("X % 3", |x| x - 3.0 * (x / 3.0).floor()),
        ("mod(3, X + 10)", |x| 3.0 % (x + 10.0)),
        ("pow(2, X)", |x| libm::pow(2.0, x)),
        ("-X^2", |x| -(x * x)),
        ("lookup(X, TABLE)", |x: f64| {
            if x <= -1.0 {
                0.0
            } else if x <= 0.0 {
                x + 1.0
            } else {
                (1.0 + 2.0 * x).min(5.0)
            }
        }),
    ];
    for (f, rust) in cases {
        let f = f.replace("TABLE", table);
        let mut text = String::from(
            "[scenario]\nsteps = 1\n[variables]\nx = { of = \"actor\" }\ny = { of = \"actor\" }\n",
        );
        let mut series = Vec::new();
        for (i, x) in xs.iter().enumerate() {
            text += &format!("[actors.A{i}]\nx = {x}\n");
            series.push(format!("y{i} = \"y(A{i})\""));
            series.push(format!("c{i} = \"{}\"", f.replace('X', &format!("({x})"))));
        }
        text += &format!(
            "[dynamics.f]\nvar = \"y\"\nadd = \"{}\"\n[report]\nseries = {{ {} }}\n",
            f.replace('X', "x"),
            series.join(", ")
        );
        let m = model(&text);
        let r = detente::run_once(&m, 0).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            let lane = r.series_values(&m, &format!("y{i}")).unwrap()[1];
            let folded = r.series_values(&m, &format!("c{i}")).unwrap()[1];
            // `+ 0.0`: the dynamics adds to 0, which turns a -0 into 0.
            assert_eq!(
                lane.to_bits(),
                (folded + 0.0).to_bits(),
                "{f} at {x}: {lane} vs {folded}"
            );
            let want = rust(x);
            assert!(
                (lane - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{f} at {x}: {lane} vs {want}"
            );
        }
    }
}

/// A comparison with a value that is not a number used to be quietly false; now the run stops,
/// naming the step, the condition and the lane, in rules, probabilities, outcomes and events.
#[test]
fn a_condition_that_is_not_a_number_stops_the_run() {
    let base = r#"
[scenario]
steps = 5
[variables]
x = { of = "actor", default = 1 }
tension = { of = "relation", default = 0.5 }
[actors.A]
[actors.B]
[[relations]]
from = "A"
to = "B"
[actions.poke]
effects = [{ var = "x", on = "actor", add = -0.5 }]
[rules.down]
actor = "A"
action = "poke"
"#;
    let cases = [
        (
            "[rules.r]\nactor = \"*\"\naction = \"poke\"\nwhen = \"ln(x - 0.5) < 0\"\n",
            2,
            "the `when` of rule `r` compares a value that is not a finite number, for A",
        ),
        (
            "[rules.r]\nactor = \"A\"\ntarget = \"B\"\naction = \"poke\"\nwhen = \"not (sqrt(x(self) - 1) > 0)\"\n",
            2,
            "the `when` of rule `r` compares a value that is not a finite number, for A → B",
        ),
        (
            "[rules.r]\nactor = \"A\"\naction = \"poke\"\nprobability = \"ln(x - 0.5)\"\n",
            2,
            "the `probability` of rule `r` is not a finite number, for A",
        ),
        (
            "[outcomes.gone]\nwhen = \"x(A) < 1 and log10(x(A) - 0.5) > -1\"\n",
            1,
            "outcome `gone` (x(A) < 1 and log10(x(A) - 0.5) > -1) compares a value that is not a finite number",
        ),
        (
            // x(A) is 1, 0.5, 0 and then -0.5 at the start of step 4.
            "[events.e]\nactor = \"B\"\naction = \"poke\"\nrate = \"if(x(A) > 0, 0, sqrt(x(A)))\"\n",
            4,
            "the `rate` of event `e` is not a finite number",
        ),
        // `min`, `max` and `clamp` do not drop a value that is not a number.
        (
            "[rules.r]\nactor = \"*\"\naction = \"poke\"\nwhen = \"min(ln(x - 0.5), 5) < 9\"\n",
            2,
            "the `when` of rule `r` compares a value that is not a finite number, for A",
        ),
        (
            "[rules.r]\nactor = \"*\"\naction = \"poke\"\nwhen = \"max(-5, ln(x - 0.5)) < 9\"\n",
            2,
            "the `when` of rule `r` compares a value that is not a finite number, for A",
        ),
        (
            // x(A) is 0.5 after step 1 and 0 after step 2.
            "[outcomes.gone]\nwhen = \"clamp(0.5, sqrt(x(A) - 0.5), 1) > 0\"\n",
            2,
            "outcome `gone` (clamp(0.5, sqrt(x(A) - 0.5), 1) > 0) compares a value that is not a finite number",
        ),
    ];
    for (extra, step, message) in cases {
        let e = detente::run_once(&model(&format!("{base}{extra}")), 0).unwrap_err();
        assert!(e.message.contains(message), "{extra}: {e}");
        assert_eq!(e.step, step, "{extra}: {e}");
    }
}
