//! Expectations as tests: each claim form on scenarios whose runs are known, the three verdicts
//! and their intervals, inheritance through `extends`, the shipped scenarios' tables, and
//! `detente test` (exit codes, bad input, JUnit XML).

mod common;

use assert_cmd::Command;
use common::Disk;
use detente::expect::{self, Evidence, Miss, Options, Report, Statistic, Verdict};
use detente::MemorySources;
use std::fs;

/// x(t) = t: the outcome `past_five` is first reached at step 5, x is 10 at the end.
const COUNTER: &str = r#"
[scenario]
steps = 10
[variables]
x = { of = "actor", default = 0 }
[actors.A]
[dynamics.grow]
var = "x"
add = "1"
[outcomes]
past_five = "x(A) >= 5"
never_reached = "x(A) > 100"
"#;

/// One coin per run: `hit` is 1 with probability 0.3, 0 otherwise, from step 1 on.
const COIN: &str = r#"
[scenario]
steps = 1
[variables]
hit = { of = "actor", default = 0 }
[actors.A]
[dynamics.toss]
var = "hit"
add = "if(random() < 0.3, 1, 0)"
"#;

/// The report of `scenario` with the expectations `claims` (name, claim) added, on `runs` runs.
fn check(scenario: &str, claims: &[(&str, &str)], runs: u64) -> Report {
    let mut text = format!("{scenario}\n[expect]\nruns = {runs}\n");
    for (name, claim) in claims {
        text.push_str(&format!("{name} = {claim:?}\n"));
    }
    let sources = MemorySources::new([("s.toml", text.as_str())]);
    let suite = match expect::load("s.toml", &sources) {
        Ok(s) => s,
        Err(d) => panic!("did not compile:\n{}", d.render()),
    };
    let options = Options {
        threads: 2,
        ..Options::default()
    };
    suite
        .run(options, &mut |_| {}, &Default::default())
        .expect("runs")
}

/// The verdict of one claim on `scenario`.
fn verdict(scenario: &str, claim: &str, runs: u64) -> Verdict {
    check(scenario, &[("e", claim)], runs).findings[0].verdict
}

#[test]
fn each_event_form_passes_and_fails_where_it_should() {
    use Verdict::{Fail, Pass};
    let cases = [
        // first passage
        ("x(A) >= 5 by step 5", Pass),
        ("x(A) >= 5 by step 4", Fail),
        ("x(A) >= 0 by step 0", Pass),
        // held for N steps (x >= 2 at steps 2, 3, 4: reached at 4)
        ("x(A) >= 2 for 3 steps", Pass),
        ("x(A) >= 2 for 3 steps by step 4", Pass),
        ("x(A) >= 2 for 3 steps by step 3", Fail),
        ("x(A) >= 9 for 3 steps", Fail),
        // never, always (from the initial state, step 0, on)
        ("never x(A) > 10", Pass),
        ("never x(A) > 9", Fail),
        ("never x(A) > 7 by step 7", Pass),
        ("never x(A) > 7 by step 8", Fail),
        ("always x(A) >= 0", Pass),
        ("always x(A) >= 1", Fail),
        // at a step, at the end
        ("x(A) > 3 at step 4", Pass),
        ("x(A) > 3 at step 3", Fail),
        ("final x(A) == 10", Pass),
        ("final x(A) < 10", Fail),
        // exact
        ("x(A) within 1e-9 of 7 at step 7", Pass),
        ("x(A) within 0.5 of 7 at step 8", Fail),
        ("final x(A) within 0 of 10", Pass),
        ("x(A) within 0.5 of 3 by step 3", Pass),
        // outcomes by name
        ("past_five", Pass),
        ("past_five by step 5", Pass),
        ("past_five by step 4", Fail),
        ("never past_five", Fail),
        ("never never_reached", Pass),
        ("never_reached", Fail),
        // statistics of one deterministic run: the interval is a point, so they decide
        ("mean final x(A) > 9.5", Pass),
        ("mean x(A) < 3 at step 3", Fail),
        ("mean peak x(A) within 0 of 10", Pass),
        ("median first_step(past_five) within 0 of 5", Pass),
        ("median first_step(x(A) >= 2 for 3 steps) < 4", Fail),
    ];
    let claims: Vec<(String, &str)> = cases
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (format!("e{i:02}"), *c))
        .collect();
    let refs: Vec<(&str, &str)> = claims.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    let report = check(COUNTER, &refs, 1);
    for (f, (claim, want)) in report.findings.iter().zip(cases) {
        assert_eq!(f.claim, claim);
        assert_eq!(f.verdict, want, "{claim}: {:?}", f.evidence);
    }
    assert_eq!(report.findings.len(), cases.len());
}

#[test]
fn a_run_that_misses_says_how() {
    let claims = [
        ("a", "x(A) >= 5 by step 4"),
        ("b", "never x(A) > 7"),
        ("c", "always x(A) < 6"),
        ("d", "x(A) > 3 at step 2"),
        ("e", "x(A) within 0.25 of 3 at step 4"),
        ("f", "never_reached by step 9"),
    ];
    let report = check(COUNTER, &claims, 3);
    let misses: Vec<(u64, u64, Miss)> = report
        .findings
        .iter()
        .map(|f| match &f.evidence {
            Evidence::EveryRun(e) => {
                let c = e.first_failure.expect("a failure");
                (e.failed, c.run, c.miss)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        misses,
        [
            (
                3,
                0,
                Miss::NotReached {
                    by: Some(4),
                    first: Some(5)
                }
            ),
            (3, 0, Miss::Happened { step: 8 }),
            (3, 0, Miss::Broken { step: 6 }),
            (3, 0, Miss::False { step: 2 }),
            (
                3,
                0,
                Miss::Outside {
                    step: 4,
                    value: 4.0
                }
            ),
            (
                3,
                0,
                Miss::NotReached {
                    by: Some(9),
                    first: None
                }
            ),
        ]
    );
    // The value a band is checked against is reported with the band.
    let Evidence::EveryRun(e) = &report.findings[4].evidence else {
        panic!()
    };
    assert_eq!(e.values.map(|v| (v.lo, v.hi)), Some((4.0, 4.0)));
}

/// The number of runs of `COIN` (seed 42, `runs` runs) that hit, counted from a claim that
/// always passes.
fn hits(runs: u64) -> u64 {
    let r = check(COIN, &[("p", "P(final hit(A) > 0.5) >= 0")], runs);
    let Evidence::Estimate(e) = &r.findings[0].evidence else {
        panic!()
    };
    (e.value * runs as f64).round() as u64
}

#[test]
fn statistics_use_the_ensemble_reports_intervals() {
    let runs = 400;
    let k = hits(runs);
    assert!(k > 80 && k < 160, "{k} hits of {runs}");
    let claims = [
        ("mean_hit", "mean final hit(A) > 0"),
        ("median_hit", "median final hit(A) >= 0"),
        ("p_hit", "P(final hit(A) > 0.5) > 0"),
    ];
    let r = check(COIN, &claims, runs);
    let estimate = |i: usize| match &r.findings[i].evidence {
        Evidence::Estimate(e) => e.clone(),
        other => panic!("{other:?}"),
    };
    // P: Wilson's interval of k in n, as `detente run --runs` reports it.
    let p = estimate(2);
    assert_eq!(p.statistic, Statistic::Probability);
    assert_eq!(p.interval, detente::stats::wilson(k, runs));
    // mean: Student's t interval of the 0/1 values.
    let values: Vec<f64> = (0..runs).map(|i| f64::from(u8::from(i < k))).collect();
    let m = estimate(0);
    assert_eq!(m.statistic, Statistic::Mean);
    let want = detente::stats::mean_ci(detente::stats::summarize(&values));
    assert!((m.interval.lo - want.lo).abs() < 1e-12 && (m.interval.hi - want.hi).abs() < 1e-12);
    // median: the order-statistic interval of the sorted values.
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let med = estimate(1);
    assert_eq!(med.interval, detente::stats::median_ci(&sorted));
    assert_eq!(med.value, 0.0);
}

#[test]
fn an_interval_passes_fails_or_straddles() {
    let runs = 1000;
    let p = hits(runs) as f64 / runs as f64;
    // Both ends on the right side, both on the wrong side, and the estimate itself as the bound
    // (always inside its own interval).
    assert_eq!(
        verdict(COIN, "P(final hit(A) > 0.5) >= 0.2", runs),
        Verdict::Pass
    );
    assert_eq!(
        verdict(COIN, "P(final hit(A) > 0.5) <= 0.2", runs),
        Verdict::Fail
    );
    let at = format!("P(final hit(A) > 0.5) >= {p}");
    let r = check(COIN, &[("e", &at)], runs);
    assert_eq!(r.findings[0].verdict, Verdict::Inconclusive);
    let Evidence::Estimate(e) = &r.findings[0].evidence else {
        panic!()
    };
    // The estimate sits on the bound: no number of runs would decide it.
    assert_eq!(e.runs_to_decide, None);
    assert_eq!(
        verdict(COIN, "mean final hit(A) > 0.2", runs),
        Verdict::Pass
    );
    assert_eq!(
        verdict(COIN, "mean final hit(A) < 0.2", runs),
        Verdict::Fail
    );
    assert_eq!(
        verdict(COIN, "mean final hit(A) within 0.1 of 0.3", runs),
        Verdict::Pass
    );
    assert_eq!(
        verdict(COIN, "mean final hit(A) within 0.001 of 0.5", runs),
        Verdict::Fail
    );
    // One run decides nothing about a probability: Wilson's interval of 1 in 1 is [0.21, 1].
    assert_eq!(
        verdict(COUNTER, "P(past_five) >= 0.5", 1),
        Verdict::Inconclusive
    );
    assert_eq!(verdict(COUNTER, "P(past_five) >= 0.5", 100), Verdict::Pass);
}

#[test]
fn the_runs_to_decide_are_where_the_interval_would_exclude_the_bound() {
    let runs = 200;
    let k = hits(runs);
    let p = k as f64 / runs as f64;
    // A bound a little off the estimate: inside the interval now, outside it with more runs.
    let bound = p - 0.03;
    let r = check(
        COIN,
        &[("m", &format!("mean final hit(A) > {bound}"))],
        runs,
    );
    let Evidence::Estimate(e) = &r.findings[0].evidence else {
        panic!()
    };
    assert_eq!(r.findings[0].verdict, Verdict::Inconclusive);
    let n = e.runs_to_decide.expect("a number of runs");
    assert!(n > runs, "{n}");
    // At the estimate's standard deviation, the t interval is narrower than the gap at n runs
    // and not at n - 1: n is the fewest.
    let sd = detente::stats::summarize(
        &(0..runs)
            .map(|i| f64::from(u8::from(i < k)))
            .collect::<Vec<_>>(),
    )
    .sd;
    let half = |n: u64| detente::stats::t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt();
    assert!(half(n) < p - bound && half(n - 1) >= p - bound, "{n}");
    // The same for a probability: Wilson's interval at the estimate excludes the bound at n.
    let r = check(
        COIN,
        &[("p", &format!("P(final hit(A) > 0.5) > {bound}"))],
        runs,
    );
    let Evidence::Estimate(e) = &r.findings[0].evidence else {
        panic!()
    };
    let n = e.runs_to_decide.expect("a number of runs");
    let at = |n: u64| detente::stats::wilson((p * n as f64).round() as u64, n);
    assert!(n > runs && !at(n).contains(bound), "{n}: {:?}", at(n));
    assert!(at(n - 1).contains(bound), "{n}");
}

#[test]
fn a_run_that_never_reaches_counts_as_reaching_after_the_last_step() {
    let r = check(
        COUNTER,
        &[("m", "median first_step(never_reached) > 10")],
        5,
    );
    assert_eq!(r.findings[0].verdict, Verdict::Pass);
    let Evidence::Estimate(e) = &r.findings[0].evidence else {
        panic!()
    };
    assert_eq!((e.value, e.never_after), (11.0, Some(10)));
    // And it is not before the last step.
    assert_eq!(
        verdict(COUNTER, "median first_step(never_reached) <= 10", 5),
        Verdict::Fail
    );
}

#[test]
fn the_result_does_not_depend_on_the_thread_count() {
    let sources = MemorySources::new([(
        "s.toml",
        &*format!("{COIN}\n[expect]\nruns = 700\np = \"P(final hit(A) > 0.5) > 0.25\"\nm = \"median final hit(A) < 1\"\n"),
    )]);
    let suite = expect::load("s.toml", &sources).unwrap();
    let reports: Vec<Report> = [1, 3]
        .into_iter()
        .map(|threads| {
            let o = Options {
                threads,
                ..Options::default()
            };
            suite.run(o, &mut |_| {}, &Default::default()).unwrap()
        })
        .collect();
    assert_eq!(reports[0], reports[1]);
    // --runs and --seed replace the table's.
    let o = Options {
        runs: Some(50),
        seed: Some(9),
        threads: 1,
    };
    let r = suite.run(o, &mut |_| {}, &Default::default()).unwrap();
    assert_eq!((r.runs, r.seed), (50, 9));
}

#[test]
fn expectations_change_nothing_in_the_model_reports_run() {
    // A claim reading an aggregate nothing else reads: the plain model does not compute it.
    let with = format!(
        "{COUNTER}\n[expect]\nm = \"mean final mean(x, actors) > 0\"\nn = \"never x(A) > 100\"\n"
    );
    let a = common::model(COUNTER);
    let b = common::model(&with);
    assert!(a.same_behaviour(&b));
    assert_eq!(a.outcomes().len(), b.outcomes().len());
    assert_eq!(a.series().len(), b.series().len());
}

const PARENT: &str = r#"
[scenario]
steps = 10
seed = 5
[variables]
x = { of = "actor", default = 0 }
[actors.A]
[dynamics.grow]
var = "x"
add = "1"
[expect]
runs = 3
low = { that = "final x(A) < 5", description = "the parent's claim" }
kept = "always x(A) >= 0"
changed = { that = "never x(A) > 5", description = "said by the parent" }
"#;

fn suite_of(child: &str) -> Result<expect::Suite, String> {
    let sources = MemorySources::new([("parent.toml", PARENT), ("child.toml", child)]);
    expect::load("child.toml", &sources).map_err(|d| d.render())
}

#[test]
fn variants_inherit_switch_off_change_and_add_expectations() {
    let child = r#"
[scenario]
extends = "parent.toml"
[expect]
runs = 7
[expect.low]
enabled = false
[expect.changed]
that = "never x(A) > 50"
[add.expect.reaches_ten]
that = "x(A) >= 10 by step 10"
"#;
    let suite = suite_of(child).unwrap();
    let listed: Vec<(&str, &str, &str)> = suite.expectations().collect();
    assert_eq!(
        listed,
        [
            // A change replaces only the keys it gives: the description stays.
            ("changed", "never x(A) > 50", "said by the parent"),
            ("kept", "always x(A) >= 0", ""),
            ("reaches_ten", "x(A) >= 10 by step 10", ""),
        ]
    );
    // Settings key by key: runs changed, the seed still the scenario's.
    assert_eq!((suite.runs(), suite.seed()), (7, 5));
    let r = suite
        .run(Options::default(), &mut |_| {}, &Default::default())
        .unwrap();
    assert!(
        r.findings.iter().all(|f| f.verdict == Verdict::Pass),
        "{r:?}"
    );
    // The parent alone still fails its own claim.
    let sources = MemorySources::new([("parent.toml", PARENT)]);
    let parent = expect::load("parent.toml", &sources).unwrap();
    let r = parent
        .run(Options::default(), &mut |_| {}, &Default::default())
        .unwrap();
    assert_eq!(r.count(Verdict::Fail), 2, "{r:?}");
}

#[test]
fn a_variant_cannot_change_what_its_parent_does_not_expect() {
    let cases = [
        (
            "[expect.loww]\nenabled = false\n",
            "child.toml:4:1: error: expectation `loww` is not in `parent.toml`",
            "did you mean `low`? To add a new expectation, write it as [add.expect.loww]",
        ),
        (
            "[add.expect.low]\nthat = \"never x(A) > 3\"\n",
            "child.toml:4:1: error: expectation `low` is added, but `parent.toml` already has it",
            "to change it, write [expect.low]",
        ),
        (
            "[add.expect]\nruns = 5\n",
            "child.toml:5:8: error: `add.expect.runs`: a setting of [expect] is changed, not added",
            "write `runs = …` under [expect]",
        ),
    ];
    for (tail, message, hint) in cases {
        let child = format!("[scenario]\nextends = \"parent.toml\"\n\n{tail}");
        let e = suite_of(&child).expect_err("an error");
        assert!(e.contains(message), "{e}");
        assert!(e.contains(hint), "{e}");
    }
}

#[test]
fn mistakes_in_claims_point_at_their_column() {
    let cases = [
        (
            "e = \"tension < 1\"",
            "s.toml:14:6: error: expectation `e`: a condition needs a time",
        ),
        (
            "e = \"P(past_five) == 1\"",
            "s.toml:14:19: error: expectation `e`: `==` cannot be decided from a sample",
        ),
        (
            "e = \"never x(B) > 1\"",
            "s.toml:14:14: error: expectation `e`: unknown actor `B`",
        ),
        (
            "e = \"mean final x(A) > y\"",
            "s.toml:14:24: error: expectation `e`: unknown name `y`",
        ),
        (
            "e = \"x(A) > 1 by step 11\"",
            "s.toml:14:23: error: expectation `e`: step 11 is after the last step (10)",
        ),
        (
            "e = \"always past_five\"",
            "s.toml:14:13: error: expectation `e`: `past_five` is an outcome, not a condition",
        ),
        (
            "e = \"past_five for 2 steps\"",
            "s.toml:14:16: error: expectation `e`: outcome `past_five` says itself how long it must hold",
        ),
        (
            "e = \"median final x(A)\"",
            "s.toml:14:19: error: expectation `e`: expected a bound",
        ),
        (
            "e = { that = \"mean final x(A) > 1\", enabled = \"no\" }",
            "s.toml:14:47: error: expected true or false",
        ),
        (
            "runs = 0",
            "s.toml:14:8: error: [expect] `runs` must be at least 1, found 0",
        ),
        (
            "e = \"P(x(A) > 1 at step 3) >= 1.5\"",
            "s.toml:14:31: error: expectation `e`: a probability lies from 0 to 1",
        ),
    ];
    for (line, want) in cases {
        let text = format!("{COUNTER}[expect]\n{line}\n");
        let e = common::errors(&text);
        assert!(e.contains(want), "{line}\n{e}");
    }
}

#[test]
fn the_shipped_variants_say_what_they_expect() {
    let names = |path: &str| -> Vec<String> {
        let s = expect::load(path, &Disk).unwrap_or_else(|d| panic!("{}", d.render()));
        s.expectations().map(|(n, _, _)| n.to_string()).collect()
    };
    let baseline = names("scenarios/lithuania_belarus/baseline.toml");
    let combined = names("scenarios/lithuania_belarus/combined.toml");
    let stalemate = [
        "normalization_unlikely",
        "talks_unlikely",
        "reforms_unlikely",
        "tension_stays_high",
        "trust_collapses",
        "border_stays_shut",
    ];
    for name in stalemate {
        assert!(baseline.iter().any(|n| n == name), "{name}");
        assert!(
            !combined.iter().any(|n| n == name),
            "combined inherits {name}"
        );
    }
    for name in ["normalization_likely", "crisis_rare", "dialogue_calms_now"] {
        assert!(combined.iter().any(|n| n == name), "{name}: {combined:?}");
    }
    // Each single recommendation keeps the stalemate and adds its short- and long-term effects.
    for (file, own) in [
        ("unified_front", "front_leverage_now"),
        ("monitoring", "monitors_build_trust"),
        ("backchannel", "channel_brings_reforms"),
        ("multilateral", "frameworks_lower_the_floor"),
    ] {
        let n = names(&format!("scenarios/lithuania_belarus/{file}.toml"));
        assert!(n.iter().any(|x| x == own), "{file}: {n:?}");
        assert!(n.iter().any(|x| x == "normalization_unlikely"), "{file}");
    }
}

fn detente() -> Command {
    Command::cargo_bin("detente").expect("binary builds")
}

/// A folder holding the scenarios of a test run.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn with(scenario: &str, table: &str) -> String {
    format!("{scenario}\n[expect]\n{table}\n")
}

#[test]
fn detente_test_passes_fails_and_counts_what_it_skips() {
    let dir = folder(&[
        (
            "a/good.toml",
            &with(COUNTER, "runs = 2\nreaches = \"past_five by step 5\""),
        ),
        ("b/plain.toml", COUNTER),
        ("b/Cargo.toml", "[package]\nname = \"x\"\n"),
    ]);
    let out = detente()
        .current_dir(dir.path())
        .args(["test", "."])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("test a/good.toml::reaches ... ok (all 2 runs)"),
        "{out}"
    );
    assert!(
        out.contains("test result: ok. 1 passed, 0 failed, 0 inconclusive (2 scenario files; 1 without [expect], skipped)"),
        "{out}"
    );
    // A failing expectation exits 1, and says which run and how to replay it.
    fs::write(
        dir.path().join("a/bad.toml"),
        with(COUNTER, "runs = 2\nlate = \"past_five by step 4\""),
    )
    .unwrap();
    let out = detente()
        .current_dir(dir.path())
        .args(["test", "a"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("test bad.toml::late ... FAILED (2 of 2 runs failed; run 0: not by step 4 (first at step 5))"),
        "{out}"
    );
    assert!(
        out.contains("replay:   detente run a/bad.toml --runs 2 --seed 0 --replay 0"),
        "{out}"
    );
    assert!(out.contains("1 passed, 1 failed"), "{out}");
}

#[test]
fn inconclusive_fails_unless_allowed() {
    let dir = folder(&[(
        "s.toml",
        &with(COUNTER, "runs = 1\np = \"P(past_five) >= 0.5\""),
    )]);
    let run = |extra: &[&str]| {
        detente()
            .current_dir(dir.path())
            .args(["test", "s.toml"])
            .args(extra)
            .assert()
    };
    let out = run(&[]).code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(
            "test s.toml::p ... inconclusive (P = 1.000, 95% [0.207, 1.000] straddles 0.5; about"
        ),
        "{out}"
    );
    let out = run(&["--allow-inconclusive"])
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("0 failed, 1 inconclusive (allowed)"), "{out}");
    // More runs decide it.
    run(&["--runs", "50"]).success();
}

#[test]
fn bad_input_exits_2_with_the_place_of_the_mistake() {
    let dir = folder(&[
        ("bad.toml", &with(COUNTER, "e = \"x(A) > 1 by step\"")),
        ("good.toml", &with(COUNTER, "runs = 1\ne = \"past_five\"")),
    ]);
    let assert = detente()
        .current_dir(dir.path())
        .args(["test", "."])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(
            "bad.toml:15:22: error: expectation `e`: expected a step number after `step`"
        ),
        "{stderr}"
    );
    // The other file is still tested.
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("test good.toml::e ... ok"), "{stdout}");
    assert!(stdout.contains("1 could not be tested"), "{stdout}");
}

#[test]
fn a_claim_that_stops_a_run_is_named() {
    let dir = folder(&[(
        "s.toml",
        &with(COUNTER, "runs = 1\ne = \"mean final ln(x(A) - 10) > 0\""),
    )]);
    let assert = detente()
        .current_dir(dir.path())
        .args(["test", "s.toml"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("expectation `e`"), "{stderr}");
    assert!(stderr.contains("run 0 stopped at"), "{stderr}");
}

#[test]
fn junit_xml_is_well_formed_and_escaped() {
    let hostile = COUNTER.replace(
        "[scenario]\n",
        "[scenario]\nname = \"</testsuite><x a='1'> & \\u001b[31m\"\n",
    );
    let dir = folder(&[
        (
            "s.toml",
            &with(
                &hostile,
                "runs = 2\n\
                 ok_one = { that = \"past_five\", description = \"<b>bold</b> & \\\"quoted\\\"\" }\n\
                 failing = \"never x(A) > 3\"\n\
                 unsure = \"P(past_five) >= 0.5\"",
            ),
        ),
        ("broken.toml", &with(COUNTER, "e = \"never\"")),
    ]);
    let xml_path = dir.path().join("out/report.xml");
    fs::create_dir_all(xml_path.parent().unwrap()).unwrap();
    let assert = detente()
        .current_dir(dir.path())
        .args(["test", ".", "--format", "junit", "-o"])
        .arg(&xml_path)
        .assert()
        .code(2);
    // The text still goes to standard output.
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("test s.toml::failing ... FAILED"),
        "{stdout}"
    );
    let xml = fs::read_to_string(&xml_path).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("4"));
    assert_eq!(root.attribute("failures"), Some("2"));
    assert_eq!(root.attribute("errors"), Some("1"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    let names: Vec<_> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(names, ["broken.toml", "s.toml"]);
    let error = suites[0]
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .unwrap();
    assert!(error.text().unwrap().contains("broken.toml:15:11"), "{xml}");
    let scenario = suites[1]
        .descendants()
        .find(|n| n.has_tag_name("property") && n.attribute("name") == Some("scenario"))
        .unwrap();
    assert_eq!(
        scenario.attribute("value"),
        Some("</testsuite><x a='1'> & \\u{1b}[31m")
    );
    let cases: Vec<_> = suites[1]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let case = |name: &str| {
        *cases
            .iter()
            .find(|c| c.attribute("name") == Some(name))
            .unwrap()
    };
    let failure = case("failing")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("failed"));
    assert!(failure
        .attribute("message")
        .unwrap()
        .contains("happened at step 4"));
    let unsure = case("unsure")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(unsure.attribute("type"), Some("inconclusive"));
    let out = case("ok_one")
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(
        out.text().unwrap().contains("<b>bold</b> & \"quoted\""),
        "{xml}"
    );
    assert!(!case("ok_one").children().any(|n| n.has_tag_name("failure")));
    // Allowed, an inconclusive result is skipped, not failed; the XML can go to standard output.
    let assert = detente()
        .current_dir(dir.path())
        .args([
            "test",
            "s.toml",
            "--format",
            "junit",
            "--allow-inconclusive",
        ])
        .assert()
        .code(1);
    let xml = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(doc.root_element().attribute("skipped"), Some("1"));
    assert_eq!(doc.root_element().attribute("failures"), Some("1"));
}

#[test]
fn the_classics_pass_their_known_results() {
    let assert = detente()
        .args(["test", "scenarios/classics"])
        .assert()
        .success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        out.contains(
            "test prisoners_dilemma.toml::tft_scores_199 ... ok (1 run: 199 at round 200)"
        ),
        "{out}"
    );
    assert!(
        out.contains("test richardson.toml::x_at_equilibrium ... ok"),
        "{out}"
    );
    assert!(out.contains(" 0 failed, 0 inconclusive"), "{out}");
}

#[test]
fn a_misspelt_outcome_and_a_time_outside_p_are_named() {
    let text = r#"
[scenario]
steps = 5
[variables]
t = { of = "actor" }
[actors.A]
[actors.B]
[[relations]]
from = "A"
to = "B"
[outcomes]
unrest_high = "t(A) > 1"
[expect]
a = "P(unrest_hgh) >= 0.5"
b = "P(unrest_high) > 0.5 by step 3"
"#;
    let e = common::errors(text);
    assert!(
        e.contains("s.toml:14:8: error: expectation `a`: unknown name `unrest_hgh`")
            && e.contains("did you mean the outcome `unrest_high`?"),
        "{e}"
    );
    assert!(
        e.contains("s.toml:15:27: error: expectation `b`: a probability's bound is a number: when the event happens goes inside `P(…)`"),
        "{e}"
    );
}
