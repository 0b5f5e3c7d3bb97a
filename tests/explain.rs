//! `detente explain`: the accounting is exact and matches a hand-computed example, the run
//! explained is the run `run` makes, a counterfactual is the comparison with an `enabled =
//! false` variant, and nothing depends on the thread count.

mod common;

use detente::explain::{self, Removal, Runs, Target, Window};
use detente::report::explain::Explanation;
use detente::{MemorySources, Model, Overrides};
use std::sync::atomic::AtomicBool;

static NEVER: AtomicBool = AtomicBool::new(false);

/// Actors A, B, C; A→B carries `t` (from 0.5, range [0, 1]); C→B and C→A (kind member) exist.
/// At step 1 A pushes B (+0.1 lasting 3 steps) and C pokes B (1.0 on C→B a step later, spilling
/// half of it along `member` to A, so onto A→B); every step `t` decays by 0.05.
const HAND: &str = r#"
[scenario]
steps = 4
[variables]
t = { of = "relation", default = 0, range = [0, 1] }
[actors.A]
[actors.B]
[actors.C]
[[relations]]
from = "A"
to = "B"
t = 0.5
[[relations]]
from = "C"
to = "B"
[[relations]]
from = "C"
to = "A"
kind = "member"
[actions.push]
effects = [{ var = "t", on = "relation", add = 0.1, duration = 3 }]
[actions.poke]
effects = [{ var = "t", on = "relation", add = 1.0, delay = 1, spill = { kind = "member", factor = 0.5 } }]
[events.push]
actor = "A"
action = "push"
target = "B"
at = [1]
[events.poke]
actor = "C"
action = "poke"
target = "B"
at = [1]
[dynamics.decay]
var = "t"
add = -0.05
[report]
series = { ab = "t(A, B)" }
"#;

fn one_run(m: &Model, target: &str, from: u32, to: Option<u32>) -> Explanation {
    let target = Target::parse(m, target).unwrap();
    let window = Window { from, to }.resolve(m).unwrap();
    let runs = Runs {
        seed: 0,
        replay: Some(0),
        count: 1,
        threads: 1,
    };
    explain::explain(m, &target, window, runs, &NEVER).unwrap()
}

fn amounts(e: &Explanation) -> Vec<(String, f64)> {
    e.accounts[0]
        .sources
        .iter()
        .map(|s| (s.label.clone(), (s.amount * 1e9).round() / 1e9))
        .collect()
}

#[test]
fn a_hand_computed_example_with_a_lasting_effect_a_delayed_spill_dynamics_and_the_clamp() {
    let m = common::model(HAND);
    // Steps: 0.5 + 0.1 − 0.05 = 0.55; 0.55 + 0.1 + 0.5 − 0.05 = 1.1 → 1 (clamp −0.1);
    // 1 + 0.1 − 0.05 = 1.05 → 1 (clamp −0.05); 1 − 0.05 = 0.95.
    let e = one_run(&m, "t(A, B)", 0, None);
    let a = &e.accounts[0];
    assert_eq!((a.start, a.end), (0.5, 0.95));
    assert_eq!(
        amounts(&e),
        [
            ("C poke → B (event poke), spilled to A".to_string(), 0.5),
            ("A push → B (event push)".to_string(), 0.3),
            ("dynamics `decay`".to_string(), -0.2),
            ("range clamp".to_string(), -0.15),
        ]
    );
    // Both takings happened in step 1; their amounts landed later too.
    assert!(a.sources.iter().take(2).all(|s| s.fired == [1]));
    let spill = &a.sources[0];
    assert_eq!(
        (
            spill.kind,
            spill.spilled_to.as_deref(),
            spill.actor.as_deref()
        ),
        ("event", Some("A"), Some("C"))
    );
    // The largest step is step 2: +0.45 = 0.5 (spill, taken in step 1) + 0.1 − 0.05 − 0.1.
    let step = &a.timeline[0];
    assert_eq!(step.step, 2);
    assert!((step.change - 0.45).abs() < 1e-12);
    assert_eq!(step.sources[0].fired, Some(1));
    // A window: from after step 2 (1.0) to the end.
    let e = one_run(&m, "t(A, B)", 2, Some(4));
    assert_eq!((e.accounts[0].start, e.accounts[0].end), (1.0, 0.95));
    assert_eq!(
        amounts(&e),
        [
            ("A push → B (event push)".to_string(), 0.1),
            ("dynamics `decay`".to_string(), -0.1),
            ("range clamp".to_string(), -0.05),
        ]
    );
}

/// |start + Σ − end| ≤ 1e-12 × (|start| + Σ|contribution|).
fn exact(e: &Explanation) {
    for a in &e.accounts {
        let sum: f64 = a.sources.iter().map(|s| s.amount).sum();
        let scale: f64 = a.start.abs() + a.sources.iter().map(|s| s.amount.abs()).sum::<f64>();
        assert!(
            (a.start + sum - a.end).abs() <= 1e-12 * scale.max(1e-300),
            "{}: {} + {sum} vs {} ({} {})",
            a.place,
            a.start,
            a.end,
            e.scenario.name,
            e.target
        );
    }
}

/// Every relation variable on a few relations and every actor variable of every actor.
fn targets(m: &Model) -> Vec<String> {
    let mut out = Vec::new();
    let ids: Vec<String> = m.actors().map(|(_, a)| a.id().to_string()).collect();
    let mut pairs = Vec::new();
    for a in &ids {
        for b in &ids {
            if m.relation(a, b).is_some() && pairs.len() < 6 {
                pairs.push((a.clone(), b.clone()));
            }
        }
    }
    for v in m.relation_variables() {
        for (a, b) in &pairs {
            out.push(format!("{}({a}, {b})", v.name));
        }
    }
    for v in m.actor_variables() {
        for a in ids.iter().take(8) {
            out.push(format!("{}({a})", v.name));
        }
    }
    out
}

#[test]
fn the_accounting_is_exact_on_every_shipped_scenario_and_explains_the_run_run_makes() {
    let files = [
        "scenarios/lithuania_belarus/baseline.toml",
        "scenarios/lithuania_belarus/combined.toml",
        "scenarios/lithuania_belarus/monitoring.toml",
        "scenarios/classics/richardson.toml",
        "scenarios/classics/tournament.toml",
        "scenarios/belarus_poland/border_crisis.toml",
        "scenarios/bench/border_net.toml",
    ];
    for path in files {
        let sources = detente_fs();
        let overrides = Overrides {
            parameters: Vec::new(),
            steps: path.contains("border_net").then_some(60),
        };
        let m = detente::load_model(path, &sources, &overrides).unwrap();
        let plain = detente::run_once(&m, 0).unwrap();
        for t in targets(&m) {
            let e = one_run(&m, &t, 0, None);
            exact(&e);
            // The explained run is the same run: where the target is a report series, its end is
            // that series' last value, bit for bit.
            if let Some((name, _)) = m
                .series()
                .find(|(_, expr)| expr.replace(' ', "") == t.replace(' ', ""))
            {
                let last = *plain.series_values(&m, name).unwrap().last().unwrap();
                assert_eq!(e.accounts[0].end.to_bits(), last.to_bits(), "{path} {t}");
            }
        }
    }
}

/// The shipped scenarios and what they read, from the file system.
fn detente_fs() -> MemorySources {
    let mut files = Vec::new();
    for dir in [
        "scenarios/lithuania_belarus",
        "scenarios/classics",
        "scenarios/belarus_poland",
        "scenarios/bench",
    ] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            let name = p.to_string_lossy().into_owned();
            files.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    MemorySources::new(files.iter().map(|(a, b)| (a.as_str(), b.as_str())))
}

#[test]
fn an_ensemble_explanation_gives_means_intervals_and_shares_on_any_thread_count() {
    let m = common::model(
        &std::fs::read_to_string("scenarios/lithuania_belarus/baseline.toml").unwrap(),
    );
    let target = Target::parse(&m, "tension(LTU, BLR)").unwrap();
    let window = Window { from: 0, to: None }.resolve(&m).unwrap();
    let run = |threads| {
        let runs = Runs {
            seed: 7,
            replay: None,
            count: 40,
            threads,
        };
        explain::explain(&m, &target, window, runs, &NEVER).unwrap()
    };
    let (one, three) = (run(1), run(3));
    let json = |e: &Explanation| detente::report::json::to_string(e);
    assert_eq!(json(&one), json(&three));
    exact(&one);
    let a = &one.accounts[0];
    assert_eq!(a.runs, 40);
    for s in &a.sources {
        let [lo, hi] = s.ci95.unwrap();
        assert!(lo <= s.amount && s.amount <= hi, "{}", s.label);
        let share = s.share.unwrap();
        assert!((0.0..=1.0).contains(&share));
    }
    // The scheduled surges happen in every run; the mean of the run-0 amounts is one of 40.
    let surges = a
        .sources
        .iter()
        .find(|s| s.label == "BLR push_migrants → LTU (event migration_surges)")
        .unwrap();
    assert_eq!(surges.share, Some(1.0));
}

#[test]
fn an_outcome_is_explained_by_the_variables_its_condition_reads_up_to_when_it_is_reached() {
    let m = common::model(
        HAND.replace(
            "[report]",
            "[outcomes]\nhigh = \"t(A, B) > 0.99\"\n[report]",
        )
        .as_str(),
    );
    let target = Target::parse(&m, "outcome.high").unwrap();
    let Target::Outcome { places, .. } = &target else {
        panic!("an outcome")
    };
    assert_eq!(places.len(), 1);
    assert_eq!(places[0].label, "t(A, B)");
    let runs = Runs {
        seed: 0,
        replay: Some(0),
        count: 1,
        threads: 1,
    };
    let e = explain::explain(&m, &target, (0, 4), runs, &NEVER).unwrap();
    // Reached at step 2 (1.0 after the clamp): 0.5 → 1.0.
    let a = &e.accounts[0];
    assert_eq!((a.from, a.to, a.start, a.end), (Some(0), Some(2), 0.5, 1.0));
    exact(&e);
}

/// The counterfactual of `target` in `files[0]` (the other files are what it extends) over
/// `count` runs of `seed`, without what `removals` picks: the baseline model and the result.
fn counterfactual_of(
    files: &[(&str, &str)],
    target: &str,
    removals: impl Fn(&Model) -> Vec<Removal>,
    (seed, count, threads): (u64, u64, usize),
) -> (
    Model,
    Result<detente::report::explain::Counterfactual, explain::ExplainError>,
) {
    let sources = MemorySources::new(files.iter().copied());
    let resolved = detente::load::load(files[0].0, &sources).unwrap();
    let none = Overrides::default();
    let m = detente::compile::compile(resolved.clone(), &none).unwrap();
    let target = Target::parse(&m, target).unwrap();
    let runs = Runs {
        seed,
        replay: None,
        count,
        threads,
    };
    let cf = explain::counterfactual(
        &resolved,
        &none,
        &m,
        &target,
        m.steps(),
        &removals(&m),
        runs,
        &NEVER,
        &mut |_| {},
    );
    (m, cf)
}

#[test]
fn a_counterfactual_is_the_comparison_with_an_enabled_false_variant() {
    let text = std::fs::read_to_string("scenarios/lithuania_belarus/baseline.toml").unwrap();
    let (m, cf) = counterfactual_of(
        &[("b.toml", text.as_str())],
        "tension(LTU, BLR)",
        |m| Removal::list(m, &["ltu_rejects_talks".to_string()]).unwrap(),
        (5, 60, 2),
    );
    let cf = cf.unwrap();
    let row = &cf.rows[0];
    assert_eq!(row.removed, "rule ltu_rejects_talks");
    // The same comparison by hand: the variant file, and `compare`'s paired differences.
    let variant = format!("{text}\n");
    let variant = variant.replacen(
        "[rules.ltu_rejects_talks]",
        "[rules.ltu_rejects_talks]\nenabled = false",
        1,
    );
    let vm = common::model(&variant);
    let options = detente::ensemble::Options {
        runs: 60,
        seed: 5,
        threads: 1,
    };
    let base = detente::ensemble::run(&m, options, &mut |_| {}, &NEVER).unwrap();
    let var = detente::ensemble::run(&vm, options, &mut |_| {}, &NEVER).unwrap();
    let cmp = detente::report::compare::paired(&[
        detente::report::compare::Run {
            label: "baseline".into(),
            model: &m,
            ensemble: &base,
        },
        detente::report::compare::Run {
            label: "without".into(),
            model: &vm,
            ensemble: &var,
        },
    ])
    .unwrap();
    let v = &cmp.variants[0];
    let d = v
        .metrics
        .iter()
        .find(|d| d.id.to_string() == "final.tension_ltu_blr")
        .unwrap();
    // compare gives variant − baseline, the counterfactual with − without.
    assert_eq!(row.effect.unwrap(), -d.difference);
    let [lo, hi] = row.ci95.unwrap();
    assert_eq!([lo, hi], [-d.ci[1], -d.ci[0]]);
    for o in &row.outcomes {
        let d = v
            .outcomes
            .iter()
            .find(|d| d.label.contains(&o.outcome))
            .unwrap();
        assert_eq!(o.effect, -d.difference, "{}", o.outcome);
        assert!((o.ci95[0] + d.ci[1]).abs() < 1e-12 && (o.ci95[1] + d.ci[0]).abs() < 1e-12);
    }
}

#[test]
fn removals_are_named_one_way_or_the_other() {
    let m = common::model(HAND.replace("[dynamics.decay]", "[rules.push]\nactor = \"A\"\naction = \"push\"\ntarget = \"B\"\nwhen = \"false\"\n[dynamics.decay]").as_str());
    let e = Removal::list(&m, &["push".into()]).unwrap_err();
    assert!(
        e.contains("write rule:push or event:push or action:push"),
        "{e}"
    );
    assert_eq!(
        Removal::list(&m, &["action:push".into(), "decay".into()]).unwrap(),
        [
            Removal::Action("push".into()),
            Removal::Dynamics("decay".into())
        ]
    );
    let e = Removal::list(&m, &["dekay".into()]).unwrap_err();
    assert!(e.contains("did you mean `decay`?"), "{e}");
    // None named: every rule, event and shock.
    assert_eq!(Removal::list(&m, &[]).unwrap().len(), 3);
}

#[test]
fn targets_are_checked() {
    let m = common::model(HAND);
    for (text, message) in [
        ("t(A, C)", "there is no relation A → C"),
        ("t(A)", "`t` is a relation variable"),
        ("tt(A, B)", "no variable `tt`; it has t"),
        ("t(A, D)", "unknown actor `D`"),
        ("outcome.nope", "no outcome `nope`"),
        ("t", "name a variable at a place"),
    ] {
        let e = Target::parse(&m, text).unwrap_err();
        assert!(e.contains(message), "{text}: {e}");
    }
    assert!(Window {
        from: 3,
        to: Some(2)
    }
    .resolve(&m)
    .is_err());
    assert!(Window {
        from: 0,
        to: Some(5)
    }
    .resolve(&m)
    .is_err());
}

#[test]
fn an_outcome_of_aggregates_only_says_why_there_is_nothing_to_decompose() {
    let m = common::model(HAND.replace("[report]", "[outcomes]\nwide = \"mean(t, all) > 0.3\"\nfirst = \"t(A, B) > 0.2 and mean(t, all) > 0.01\"\n[report]").as_str());
    let runs = Runs {
        seed: 0,
        replay: Some(0),
        count: 1,
        threads: 1,
    };
    let t = Target::parse(&m, "outcome.wide").unwrap();
    let e = explain::explain(&m, &t, (0, 4), runs, &NEVER).unwrap();
    assert_eq!(e.accounts.len(), 1);
    assert!(e.accounts[0]
        .note
        .as_deref()
        .unwrap()
        .contains("reads no variable at a named place"));
    // Reached at the start: nothing moved it there; the aggregate part is named.
    let t = Target::parse(&m, "outcome.first").unwrap();
    let e = explain::explain(&m, &t, (0, 4), runs, &NEVER).unwrap();
    let note = e.accounts[0].note.as_deref().unwrap();
    assert!(
        note.contains("held at the start") && note.contains("aggregates"),
        "{note}"
    );
}

#[test]
fn the_library_refuses_what_does_not_fit_instead_of_panicking() {
    let m = common::model(HAND);
    let t = Target::parse(&m, "t(A, B)").unwrap();
    let one = Runs {
        seed: 0,
        replay: Some(0),
        count: 1,
        threads: 1,
    };
    assert!(matches!(
        explain::explain(&m, &t, (0, 99), one, &NEVER),
        Err(explain::ExplainError::Invalid(_))
    ));
    let none = Runs {
        replay: None,
        count: 0,
        ..one
    };
    assert!(explain::explain(&m, &t, (0, 4), none, &NEVER).is_err());
    // A removal of something already off (or absent) is an error, not an effect of zero.
    let text = HAND.replace("[events.push]", "[events.push]\nenabled = false");
    let (m, e) = counterfactual_of(
        &[("h.toml", text.as_str())],
        "t(A, B)",
        |_| vec![Removal::Event("push".into())],
        (0, 4, 1),
    );
    let e = e.unwrap_err();
    assert!(e.to_string().contains("no such item"), "{e}");
    for odd in ["t(A,)", "t((A, B)", "t(A, B))"] {
        assert!(
            Target::parse(&m, odd)
                .unwrap_err()
                .contains("name a variable at a place"),
            "{odd}"
        );
    }
}

#[test]
fn holm_adjusts_the_counterfactual_table_as_one_family() {
    let text = std::fs::read_to_string("scenarios/lithuania_belarus/combined.toml").unwrap();
    let base = std::fs::read_to_string("scenarios/lithuania_belarus/baseline.toml").unwrap();
    let multi = std::fs::read_to_string("scenarios/lithuania_belarus/multilateral.toml").unwrap();
    let files = [
        ("combined.toml", text.as_str()),
        ("baseline.toml", base.as_str()),
        ("multilateral.toml", multi.as_str()),
    ];
    let (_, plain) = counterfactual_of(
        &files,
        "tension(LTU, BLR)",
        |m| Removal::list(m, &["ltu_multilateral".into(), "ltu_unified_front".into()]).unwrap(),
        (1, 40, 2),
    );
    let plain = plain.unwrap();
    let mut adjusted = plain.clone();
    adjusted.adjust_holm();
    assert_eq!(adjusted.adjustment, "holm");
    // The same p-values Holm's procedure gives for the unadjusted ones, in table order.
    let mut p = Vec::new();
    for r in &plain.rows {
        p.push(r.p_value.unwrap());
        p.extend(r.outcomes.iter().map(|o| o.p_value));
    }
    let holm = detente::stats::holm(&p, 0.05);
    let mut got = Vec::new();
    for (r, a) in plain.rows.iter().zip(&adjusted.rows) {
        got.push((a.p_value.unwrap(), a.level));
        let [lo, hi] = r.ci95.unwrap();
        let [alo, ahi] = a.ci95.unwrap();
        assert!(
            alo <= lo && ahi >= hi,
            "{}: adjusted intervals are no narrower",
            r.removed
        );
        for (o, ao) in r.outcomes.iter().zip(&a.outcomes) {
            got.push((ao.p_value, ao.level));
            assert!(ao.ci95[0] <= o.ci95[0] + 1e-12 && ao.ci95[1] >= o.ci95[1] - 1e-12);
        }
    }
    assert_eq!(got, holm);
}
