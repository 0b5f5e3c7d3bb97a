//! Runs in lockstep give every run the record it gets alone, bit for bit: on every shipped
//! scenario, on a scenario that uses every construct the stepper keeps per run, on a family of
//! random scenarios, and when one run of a block fails.

mod common;

use common::Disk;
use detente::ensemble::{self, EnsembleError, Options};
use detente::test_support::{lockstep_copies, run_lockstep};
use detente::{Model, Overrides, Sim};
use proptest::prelude::*;
use std::sync::atomic::AtomicBool;

/// Runs `first..first + copies` of `m` in lockstep and one at a time: the same records (compared
/// through their `Debug` text, which tells -0.0 from 0.0), or an error both ways.
fn same_either_way(m: &Model, copies: u32, seed: u64, first: u64) -> Result<(), String> {
    let alone: Vec<_> = (first..first + u64::from(copies))
        .map(|run| Sim::new(m).run(seed, run))
        .collect();
    match run_lockstep(m, copies, seed, first) {
        Ok(block) => {
            if let Some(e) = alone.iter().find_map(|r| r.as_ref().err()) {
                return Err(format!("the block ran, but a run alone failed: {e}"));
            }
            for (b, a) in block.iter().zip(&alone) {
                let a = a.as_ref().expect("checked");
                if format!("{b:?}") != format!("{a:?}") {
                    return Err(format!("run {} differs in lockstep", a.run));
                }
            }
            Ok(())
        }
        Err(_) if alone.iter().any(Result::is_err) => Ok(()),
        Err(e) => Err(format!("the block failed, but every run alone ran: {e}")),
    }
}

/// An ensemble of `runs` runs of `m`, nothing watching.
fn ensemble_of(
    m: &Model,
    runs: u64,
    seed: u64,
    threads: usize,
) -> Result<ensemble::Ensemble, EnsembleError> {
    let options = Options {
        runs,
        seed,
        threads,
    };
    ensemble::run(m, options, &mut |_| {}, &AtomicBool::new(false))
}

/// Every `.toml` under `dir`, recursively, sorted.
fn scenario_files(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "toml") {
                out.push(path.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_shipped_scenario_runs_the_same_in_lockstep() {
    let files = scenario_files("scenarios");
    assert!(files.len() >= 14, "found {files:?}");
    for path in &files {
        let short = Overrides {
            parameters: Vec::new(),
            steps: Some(60),
        };
        let m = detente::load_model(path, &Disk, &short).unwrap_or_else(|e| panic!("{path}: {e}"));
        let natural = lockstep_copies(&m);
        for copies in [2, 3, natural.max(2)] {
            for seed in [0, 7] {
                same_either_way(&m, copies, seed, 5).unwrap_or_else(|e| panic!("{path}: {e}"));
            }
        }
    }
}

/// A watched run (as `explain` watches one) takes the stepper's slower paths: the same record.
#[test]
fn a_watched_run_is_the_plain_run() {
    let mut models: Vec<(String, Model)> = scenario_files("scenarios")
        .into_iter()
        .map(|path| {
            let short = Overrides {
                parameters: Vec::new(),
                steps: Some(60),
            };
            let m = detente::load_model(&path, &Disk, &short).unwrap();
            (path, m)
        })
        .collect();
    models.push(("everything".into(), common::model(EVERYTHING)));
    for (path, m) in &models {
        for run in 0..3 {
            let plain = Sim::new(m).run(7, run).unwrap();
            let watched = detente::test_support::run_watched(m, 7, run).unwrap();
            assert_eq!(format!("{plain:?}"), format!("{watched:?}"), "{path}");
        }
    }
}

/// Every construct whose bookkeeping is per run: fixed actors and relations, scalar aggregates
/// (over all relations, actors of a kind, one actor's relations), random draws in rules,
/// dynamics and effects, events at steps and at a rate, shocks at a rate with named places and
/// spill-over, caps, cooldowns, once per step, reactions (back and aimed), memory per
/// counterpart and per window, delayed and lasting effects, listed dynamics, in-relations and
/// outcomes held for several steps.
const EVERYTHING: &str = r#"
[scenario]
name = "everything"
steps = 80
max_actions_per_step = 2

[parameters]
k = 0.2

[variables]
t = { of = "relation", default = 0.2, range = [-2, 2] }
x = { of = "actor", default = 0.5, range = [0, 3] }

[actors.A]
kind = "s"
[actors.B]
kind = "s"
x = 0.9
max_actions_per_step = 1
[actors.C]
kind = "b"
[actors.D]
kind = "b"
x = 0.1

[[relations]]
from = "A"
to = "B"
kind = "n"
t = 0.6
[[relations]]
from = "B"
to = "A"
kind = "n"
[[relations]]
from = "B"
to = "C"
kind = "m"
[[relations]]
from = "C"
to = "D"
kind = "m"
t = -0.3
[[relations]]
from = "D"
to = "A"
kind = "n"

[actions.push]
once_per_step = true
effects = [
  { var = "t", on = "both", add = "0.1 + 0.05 * random()", duration = 3 },
  { var = "x", on = "target", add = 0.05, spill = { kind = "m", factor = 0.5, hops = 2 } },
]
[actions.calm]
effects = [{ var = "t", on = "out", add = -0.04, delay = 2 }, { var = "t", on = "in", add = "-0.01 * x(self)" }]
[actions.answer]
effects = [{ var = "t", on = "relation", add = "0.02 * times(target, self, push)" }]
[actions.aid]
effects = [{ var = "x", on = { actor = ["C", "D"] }, add = "0.03 * t(A, B)", delay = 1, duration = 2 }]

[rules.push]
actor = "*"
action = "push"
target_relation = "*"
when = "t > mean(t, all) - 0.2"
probability = "0.3 + 0.2 * random()"
cooldown = 2
priority = 1
[rules.push_b]
actor = "A"
action = "push"
target = "B"
probability = 0.4
[rules.calm]
actor_kind = "s"
action = "calm"
when = "mean(t, out(self)) > 0.1 and since(self, calm) > 1"
probability = 0.5
[rules.answer]
actor = "*"
action = "answer"
reacts_to = "push"
probability = 0.7
[rules.aimed]
actor = "*"
action = "calm"
reacts_to = "push"
target = "D"
when = "times_within(self, push, 3) < 2"
probability = 0.5
[rules.aid]
actor = "B"
action = "aid"
when = "count(actors(\"b\")) > 1 and x(D) < x(C) + 1"
probability = 0.3

[events.surge]
actor = "C"
action = "push"
target = "D"
at = [5, 20, 21]
[events.flare]
actor = "D"
action = "push"
target = "A"
rate = "0.1 + 0.1 * if(t(A, B) > 0.5, 1, 0)"
from = 3

[shocks.winter]
rate = 0.08
effects = [
  { var = "t", on = { relation_kind = "m" }, add = "0.2 * (1 - t)", duration = 2 },
  { var = "x", on = { actor = "A" }, add = 0.1, delay = 2, spill = { kind = "n", factor = 0.5 } },
]
[shocks.thaw]
at = [40]
effects = [{ var = "t", on = { relation = [["A", "B"], ["C", "D"]] }, add = -0.3 }]

[dynamics.drift]
var = "t"
add = "k * (t(target, self) - t) + 0.05 * random() - 0.025 + 0.01 * if(did(target, self, push), 1, 0)"
[dynamics.x]
var = "x"
add = "0.1 * (mean(t, in(self)) - x) + 0.01 * sum(t, out(self, \"n\"))"
[dynamics.listed]
var = "x"
actors = ["A", "C"]
add = "0.01 * times(self, push) - 0.002 * since(self, push) / 1000000000"

[outcomes]
hot = "t(A, B) > 0.9 for 3 steps"
calm = "mean(t, all) < 0.1"
spread = { when = "max(x, actors) - min(x, actors) > 1" }

[report]
series = { ab = "t(A, B)", mean_t = "mean(t, all)", xs = "mean(x, actors(\"s\"))", ca = "sum(t, in(A))" }
"#;

#[test]
fn every_per_run_construct_runs_the_same_in_lockstep() {
    let m = common::model(EVERYTHING);
    assert_eq!(lockstep_copies(&m), 64);
    for copies in [2, 5, 64] {
        for seed in 0..4 {
            same_either_way(&m, copies, seed, 3 * seed).unwrap();
        }
    }
    // The scenario does what it is here for: every rule, event and shock happens.
    let r = &run_lockstep(&m, 8, 1, 0).unwrap()[0];
    for (name, count) in m.action_names().zip(&r.first_taken) {
        assert!(count.is_some(), "{name} is never taken");
    }
    assert!(
        r.shock_counts.iter().all(|&c| c > 0),
        "{:?}",
        r.shock_counts
    );
}

/// A scenario whose values run away in some runs only: `x` doubles each time a rare rule fires.
const SOME_RUNS_FAIL: &str = r#"
[scenario]
name = "some runs fail"
steps = 60

[variables]
x = { of = "actor", default = 1.0 }

[actors.A]
[actors.B]

[[relations]]
from = "A"
to = "B"

[actions.blow]
effects = [{ var = "x", on = "actor", add = "ln(0.5 - x(self) / 4)" }]

[rules.blow]
actor = "A"
action = "blow"
probability = 0.0004

[dynamics.grow]
var = "x"
add = "0.02 * x"
"#;

#[test]
fn a_failing_run_gives_its_own_error_and_spares_its_block() {
    let m = common::model(SOME_RUNS_FAIL);
    let copies = lockstep_copies(&m);
    assert!(copies > 1);
    // The first run that fails alone, and its error.
    let (first_bad, error) = (0..)
        .find_map(|i| Sim::new(&m).run(0, i).err().map(|e| (i, e)))
        .unwrap();
    assert!(
        first_bad > u64::from(copies),
        "a block of good runs first: {first_bad}"
    );
    let runs = first_bad + 3 * u64::from(copies);
    match ensemble_of(&m, runs, 0, 2) {
        Err(EnsembleError::Runtime { run, error: e }) => {
            assert_eq!(run, first_bad);
            assert_eq!(e.to_string(), error.to_string());
        }
        other => panic!(
            "expected run {first_bad}'s error, got {:?}",
            other.map(|_| ())
        ),
    }
    // The block holding the bad run still gives its good runs' records.
    let start = first_bad - first_bad % u64::from(copies);
    same_either_way(&m, copies, 0, start).unwrap();
}

#[test]
fn a_short_last_block_is_not_failed_by_a_run_past_its_range() {
    let m = common::model(SOME_RUNS_FAIL);
    let copies = u64::from(lockstep_copies(&m));
    let fails = |i: u64| Sim::new(&m).run(0, i).is_err();
    // A run that fails, in the second half of its block, after only good runs of the block.
    let bad = (0..20_000)
        .find(|&i| i % copies >= copies / 2 && fails(i) && !(i - i % copies..i).any(fails))
        .expect("a run that fails");
    let start = bad - bad % copies;
    // Runs `start..bad`: a short last block, run whole (with `bad` past its end), or alone.
    let options = Options {
        runs: bad,
        seed: 0,
        threads: 1,
    };
    let mut summaries = Vec::new();
    ensemble::run_blocks(
        &m,
        options,
        start..bad,
        &mut |b| {
            summaries.extend(b.summaries);
            Ok(())
        },
        &AtomicBool::new(false),
    )
    .unwrap();
    let alone: Vec<_> = (start..bad)
        .map(|i| ensemble::RunSummary::of(&m, &Sim::new(&m).run(0, i).unwrap()))
        .collect();
    assert_eq!(format!("{summaries:?}"), format!("{alone:?}"));
    // And without the bad run in the block, the short block's runs are the same.
    let good = (0..20_000)
        .find(|&g| (g * copies..g * copies + copies).all(|i| !fails(i)))
        .unwrap()
        * copies;
    let part = good..good + copies * 3 / 4;
    let options = Options {
        runs: part.end,
        ..options
    };
    let mut summaries = Vec::new();
    ensemble::run_blocks(
        &m,
        options,
        part.clone(),
        &mut |b| {
            summaries.extend(b.summaries);
            Ok(())
        },
        &AtomicBool::new(false),
    )
    .unwrap();
    let alone: Vec<_> = part
        .map(|i| ensemble::RunSummary::of(&m, &Sim::new(&m).run(0, i).unwrap()))
        .collect();
    assert_eq!(format!("{summaries:?}"), format!("{alone:?}"));
}

#[test]
fn ensembles_of_a_small_model_do_not_depend_on_the_thread_count_or_the_run_count() {
    let m = common::model(EVERYTHING);
    // 150 runs: two whole blocks of 64 in lockstep and 22 alone, on one and on two threads.
    let summaries = |threads| format!("{:?}", ensemble_of(&m, 150, 3, threads).unwrap().summaries);
    let (one, two) = (summaries(1), summaries(2));
    assert_eq!(one, two);
    let alone: Vec<_> = (0..150)
        .map(|i| {
            let r = Sim::new(&m).run(3, i).unwrap();
            ensemble::RunSummary::of(&m, &r)
        })
        .collect();
    assert_eq!(one, format!("{alone:?}"));
}

/// One relation per run (and one actor with none): the smallest blocks.
#[test]
fn a_model_of_one_relation_runs_the_same_in_lockstep() {
    let m = common::model(
        r#"
[scenario]
name = "one relation"
steps = 40
[variables]
t = { of = "relation", default = 0.1 }
[actors.A]
[actors.B]
[[relations]]
from = "A"
to = "B"
[actions.push]
effects = [{ var = "t", on = "relation", add = "0.1 * random()" }]
[rules.push]
actor = "A"
action = "push"
target = "B"
probability = 0.5
[dynamics.decay]
var = "t"
add = "-0.1 * t + 0.01 * random()"
[outcomes]
high = "t(A, B) > 0.3 for 2 steps"
[report]
series = { ab = "t(A, B)", m = "mean(t, all)" }
"#,
    );
    for copies in [2, 7, lockstep_copies(&m)] {
        same_either_way(&m, copies, 4, 9).unwrap();
    }
}

/// A stochastic family with random numbers in its amounts, rates and initial values.
fn family(init: [f64; 3], amounts: [f64; 2], p: [f64; 3]) -> String {
    format!(
        r#"
[scenario]
name = "family"
steps = 30
[variables]
t = {{ of = "relation", default = {i0}, range = [-1, 1] }}
x = {{ of = "actor", default = {i1} }}
[actors.A]
[actors.B]
x = {i2}
[actors.C]
kind = "b"
[[relations]]
from = "A"
to = "B"
[[relations]]
from = "B"
to = "A"
kind = "n"
[[relations]]
from = "C"
to = "A"
kind = "n"
[actions.push]
effects = [{{ var = "t", on = "both", add = {a0}, duration = 2 }}, {{ var = "x", on = "target", add = {a1}, spill = {{ kind = "n", factor = 0.5 }} }}]
[rules.push]
actor = "*"
action = "push"
target_relation = "*"
probability = {p0}
[events.shock]
actor = "C"
action = "push"
target = "A"
rate = {p1}
[shocks.s]
rate = {p2}
effects = [{{ var = "x", on = {{ actor = ["A", "C"] }}, add = "0.1 * random()" }}]
[dynamics.drift]
var = "t"
add = "0.3 * (t(target, self) - t) + 0.05 * random() - 0.025"
[report]
series = {{ ab = "t(A, B)", xa = "x(A)", m = "mean(x, actors)" }}
"#,
        i0 = init[0],
        i1 = init[1],
        i2 = init[2],
        a0 = amounts[0],
        a1 = amounts[1],
        p0 = p[0],
        p1 = p[1],
        p2 = p[2],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_random_family_runs_the_same_in_lockstep(
        init in prop::array::uniform3(-1.0..1.0f64),
        amounts in prop::array::uniform2(-0.5..0.5f64),
        p in prop::array::uniform3(0.0..1.0f64),
        copies in 2u32..20,
        seed in 0u64..1000,
        first in 0u64..100,
    ) {
        let m = common::model(&family(init, amounts, p));
        prop_assert_eq!(same_either_way(&m, copies, seed, first), Ok(()));
    }
}
