//! Numbers that come from parameters: settings, delays, durations, cooldowns, caps and initial
//! values written as constant expressions over parameters, derived parameters, and `--set` with
//! an expression.

mod common;

use detente::Overrides;

/// A scenario whose numbers all come from parameters.
const SCENARIO: &str = r#"
[scenario]
steps = "years * 4"
dt = "1 / per_step"
max_actions_per_step = "cap"
[parameters]
years = 3
per_step = 2
cap = 1
wall_delay = 2
lasting = "wall_delay + 1"
start = 0.25
[variables]
x = { of = "actor", default = 0 }
t = { of = "relation", default = 0.5 }
[actors.A]
x = "start * 2"
[actors.B]
[[relations]]
from = "A"
to = "B"
t = "start + 0.5"
[actions.push]
effects = [{ var = "x", on = "actor", add = 1, delay = "wall_delay", duration = "lasting" }]
[rules.push]
actor = "A"
action = "push"
target = "B"
cooldown = "lasting"
[report]
series = { x = "x(A)", t = "t(A, B)", dt = "dt" }
"#;

fn model(overrides: &[(&str, f64)]) -> detente::Model {
    let o = Overrides {
        parameters: overrides.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        steps: None,
    };
    common::model_with(&[("s.toml", SCENARIO)], "s.toml", &o)
}

#[test]
fn settings_delays_durations_cooldowns_and_initial_values_come_from_parameters() {
    let m = model(&[]);
    assert_eq!(m.steps(), 12);
    assert_eq!(m.dt(), 0.5);
    assert_eq!(m.parameter("lasting"), Some(3.0));
    let r = detente::run_once(&m, 1).unwrap();
    let x = r.series_values(&m, "x").unwrap();
    let t = r.series_values(&m, "t").unwrap();
    assert_eq!((x[0], t[0]), (0.5, 0.75));
    // Fired at step 1, it lands from step 1 + 2 for 3 steps; the cooldown of 3 lets it fire
    // again at step 5, landing from 7.
    assert_eq!(x[2], 0.5);
    assert_eq!(x[3], 1.5);
}

#[test]
fn set_reaches_them_and_derived_parameters_follow() {
    // `--set wall_delay=4` moves the delay, and `lasting` (wall_delay + 1) follows it.
    let m = model(&[("wall_delay", 4.0), ("years", 1.0)]);
    assert_eq!((m.steps(), m.parameter("lasting")), (4, Some(5.0)));
    let r = detente::run_once(&m, 1).unwrap();
    let x = r.series_values(&m, "x").unwrap();
    // Fired at step 1, it would land from step 1 + 4 = 5: after the run's last step.
    assert_eq!(x.len(), 5);
    assert_eq!(x[4], 0.5);
}

#[test]
fn a_whole_number_from_an_expression_that_is_not_one_is_an_error_with_its_value() {
    let text = common::errors(&SCENARIO.replace("wall_delay = 2", "wall_delay = 1.5"));
    assert!(
        text.contains("`delay` must be a whole number from 0 to")
            && text.contains("found 1.5 (the expression gives 1.5)"),
        "{text}"
    );
}

#[test]
fn derived_parameters_in_a_cycle_are_an_error_naming_it() {
    let text = common::errors(
        &SCENARIO
            .replace("years = 3", "years = \"cap * lasting\"")
            .replace("wall_delay = 2", "wall_delay = \"years\""),
    );
    assert!(
        text.contains("parameters derive from each other in a cycle"),
        "{text}"
    );
    assert!(
        text.contains("years → lasting") || text.contains("lasting → wall_delay"),
        "{text}"
    );
}

#[test]
fn a_constant_expression_naming_something_else_is_an_error() {
    let text = common::errors(&SCENARIO.replace("cooldown = \"lasting\"", "cooldown = \"x(A)\""));
    assert!(text.contains("cooldown"), "{text}");
}

#[test]
fn set_takes_a_constant_expression() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let out = assert_cmd::Command::cargo_bin("detente")
        .unwrap()
        .args([
            "run",
            "-q",
            "--set",
            "start=1/8",
            "--set",
            "years=2*1",
            "-o",
            "-",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["parameters"]["start"], 0.125);
    assert_eq!(json["scenario"]["steps"], 8);
    assert_cmd::Command::cargo_bin("detente")
        .unwrap()
        .args(["run", "-q", "--set", "start=1/0"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("start=1/0"));
}

#[test]
fn variable_defaults_ranges_and_event_windows_come_from_parameters() {
    let text = r#"
[scenario]
steps = 10
[parameters]
base = 0.4
cap = 0.6
first = 3
last = "first + 2"
[variables]
x = { of = "actor", default = "base", range = ["-cap", "cap"] }
[actors.A]
[actors.B]
[actions.bump]
effects = [{ var = "x", on = "actor", add = 0.5 }]
[events.bumps]
actor = "A"
action = "bump"
target = "B"
rate = 1
from = "first"
until = "last"
[report]
series = { x = "x(A)" }
"#;
    let m = common::model(text);
    assert_eq!(m.actor_variables()[0].default, 0.4);
    assert_eq!(m.actor_variables()[0].range, Some((-0.6, 0.6)));
    let r = detente::run_once(&m, 1).unwrap();
    let x = r.series_values(&m, "x").unwrap();
    // Bumps at steps 3, 4, 5 only, clamped at the range's top.
    assert_eq!((x[2], x[3], x[10]), (0.4, 0.6, 0.6));
    let bad = common::errors(&text.replace("first = 3", "first = 2.5"));
    assert!(
        bad.contains("`from` must be a step from 1 to 10, found 2.5"),
        "{bad}"
    );
}

#[test]
fn event_steps_come_from_parameters_each_located() {
    let text = r#"
[scenario]
steps = 10
[parameters]
wave = 3
[variables]
x = { of = "actor", default = 0 }
[actors.A]
[actors.B]
[actions.bump]
effects = [{ var = "x", on = "actor", add = 1 }]
[events.once]
actor = "A"
action = "bump"
at = "wave"
[events.waves]
actor = "A"
action = "bump"
at = [1, "wave + 4", "2 * wave"]
[report]
series = { x = "x(A)" }
"#;
    let r = detente::run_once(&common::model(text), 1).unwrap();
    let m = common::model(text);
    let x = r.series_values(&m, "x").unwrap();
    // Bumps at 1, 3 (once), 6 and 7.
    assert_eq!(x, &[0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0, 4.0]);
    let bad = common::errors(&text.replace("wave = 3", "wave = 4.5"));
    assert!(
        bad.contains("s.toml:15:6: error: event `once`: a step is a whole number, found 4.5 (the expression gives 4.5)"),
        "{bad}"
    );
    assert!(
        bad.contains("s.toml:19:10: error: event `waves`: a step is a whole number, found 8.5 (the expression gives 8.5)"),
        "{bad}"
    );
    let bad = common::errors(&text.replace("wave = 3", "wave = 6"));
    assert!(
        bad.contains("s.toml:19:22: error: event `waves`: step 12 is outside the run (1 to 10) (the expression gives 12)")
            && !bad.contains("step 10"),
        "{bad}"
    );
}
