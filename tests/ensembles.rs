//! Ensembles, their reports, and comparisons between variants.

mod common;

use common::model;
use detente::ensemble::{self, Options, RunSummary};
use detente::report::compare::{self, Run};
use detente::report::{
    csv, ensemble as ensemble_report, json, markdown, MetricId, MetricKind, ReportError,
};
use std::sync::atomic::AtomicBool;

const NOISY: &str = r#"
[scenario]
name = "noisy"
steps = 30
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1] }
[parameters]
relief = 0.0
[actors.A]
[actors.B]
[[relations]]
from = "A"
to = "B"
[[relations]]
from = "B"
to = "A"
[actions.provoke]
effects = [{ var = "tension", on = "reverse", add = 0.1 }]
[actions.calm]
effects = [{ var = "tension", on = "both", add = "-relief" }]
[rules.provoke]
actor = "*"
action = "provoke"
target_relation = "*"
probability = 0.3
[rules.calm]
actor = "A"
action = "calm"
target = "B"
probability = 0.5
[dynamics.decay]
var = "tension"
add = "-0.1 * (tension - 0.4)"
[outcomes]
calm = "tension(A, B) < 0.45 for 3 steps"
[report]
series = { ab = "tension(A, B)", ba = "tension(B, A)" }
"#;

fn run(text: &str, runs: u64, threads: usize) -> (detente::Model, ensemble::Ensemble) {
    let m = model(text);
    let e = ensemble::run(
        &m,
        Options {
            runs,
            seed: 9,
            threads,
        },
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    (m, e)
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let (m1, e1) = run(NOISY, 300, 1);
    let (m2, e2) = run(NOISY, 300, 2);
    let j1 = json::to_string(&ensemble_report::build(&m1, &e1));
    let j2 = json::to_string(&ensemble_report::build(&m2, &e2));
    assert!(j1 == j2, "reports differ between 1 and 2 threads");
    assert_eq!(
        csv::runs(&ensemble_report::runs_table(&m1, &e1)),
        csv::runs(&ensemble_report::runs_table(&m2, &e2))
    );
}

#[test]
fn band_quantiles_are_those_of_each_runs_values_sorted_on_any_thread_count() {
    // 151 band points (split unevenly between the threads below) and 301 sampled runs.
    let text = NOISY.replace("steps = 30", "steps = 150");
    let (m, e) = run(&text, 301, 2);
    assert_eq!(e.bands.steps.len(), 151);
    let records: Vec<_> = (0..301)
        .map(|i| detente::Sim::new(&m).run(9, i).unwrap())
        .collect();
    for (s, per_point) in e.bands.quantiles.iter().enumerate() {
        for (p, &t) in e.bands.steps.iter().enumerate() {
            let mut xs: Vec<f64> = records.iter().map(|r| r.series[s][t as usize]).collect();
            xs.sort_by(f64::total_cmp);
            let want = ensemble::LEVELS.map(|q| detente::stats::quantile(&xs, q).to_bits());
            assert_eq!(
                per_point[p].map(f64::to_bits),
                want,
                "series {s}, point {p}"
            );
        }
    }
    for threads in [1, 3, 7, 1000] {
        let again = ensemble::Ensemble::from_tally_on(e.seed, e.tally.clone(), threads).unwrap();
        assert_eq!(again.bands, e.bands, "{threads} threads");
    }
}

#[test]
fn any_run_can_be_replayed_alone() {
    let (m, e) = run(NOISY, 40, 2);
    for i in [0u64, 7, 39] {
        let alone = detente::Sim::new(&m).run(9, i).unwrap();
        assert_eq!(RunSummary::of(&m, &alone), e.summaries[i as usize]);
    }
    // Runs differ from each other.
    assert_ne!(e.summaries[0].last, e.summaries[1].last);
}

#[test]
fn variants_share_random_numbers_where_they_agree() {
    // The variant changes only what `calm` does; `provoke` draws the same numbers in both, so
    // every run fires it exactly as often.
    let variant = NOISY.replace("relief = 0.0", "relief = 0.05");
    let (m1, e1) = run(NOISY, 100, 2);
    let (m2, e2) = run(&variant, 100, 1);
    let provoke = m1.action_id("provoke").unwrap().index();
    let calm = m1.action_id("calm").unwrap().index();
    for (a, b) in e1.summaries.iter().zip(&e2.summaries) {
        assert_eq!(a.actions[provoke], b.actions[provoke]);
        assert_eq!(a.actions[calm], b.actions[calm]);
    }
    assert_ne!(e1.summaries[0].last, e2.summaries[0].last);
    // Paired, the difference is sharp: calm lowers final tension A→B, and the interval says so.
    let c = compare::paired(&[
        Run {
            label: "base".into(),
            model: &m1,
            ensemble: &e1,
        },
        Run {
            label: "relief".into(),
            model: &m2,
            ensemble: &e2,
        },
    ])
    .unwrap();
    let d = c.variants[0]
        .metrics
        .iter()
        .find(|d| d.id == MetricId::new(MetricKind::Final, "ab"))
        .unwrap();
    assert!(d.ci[1] < 0.0, "{d:?}");
    assert!(
        c.headlines()
            .iter()
            .any(|h| h.starts_with("relief lowers final tension(A, B) by")),
        "{:?}",
        c.headlines()
    );
    assert_eq!(
        c.failing("final.ab decreases").unwrap(),
        vec!["relief".to_string()]
    );
    assert!(c.failing("final.ab increases").unwrap().is_empty());
    assert!(c
        .failing("final.abc increases")
        .unwrap_err()
        .to_string()
        .contains("did you mean `final.ab`?"));
}

#[test]
fn comparing_reports_agrees_with_comparing_scenarios_on_means() {
    let variant = NOISY.replace("relief = 0.0", "relief = 0.05");
    let (m1, e1) = run(NOISY, 200, 2);
    let (m2, e2) = run(&variant, 200, 2);
    let paired = compare::paired(&[
        Run {
            label: "a".into(),
            model: &m1,
            ensemble: &e1,
        },
        Run {
            label: "b".into(),
            model: &m2,
            ensemble: &e2,
        },
    ])
    .unwrap();
    // Ensembles of other sizes (or seeds) do not pair.
    let (m3, e3) = run(&variant, 150, 2);
    let mismatch = compare::paired(&[
        Run {
            label: "a".into(),
            model: &m1,
            ensemble: &e1,
        },
        Run {
            label: "c".into(),
            model: &m3,
            ensemble: &e3,
        },
    ]);
    assert!(
        matches!(&mismatch, Err(ReportError::NotComparable(m)) if m.contains("150 runs")),
        "{mismatch:?}"
    );
    // Through JSON and back, as saved reports are.
    let saved = |m, e| json::to_string(&ensemble_report::build(m, e));
    let r1 = ensemble_report::parse(&saved(&m1, &e1)).unwrap();
    let r2 = ensemble_report::parse(&saved(&m2, &e2)).unwrap();
    let unpaired = compare::unpaired(&[("a".into(), r1.clone()), ("b".into(), r2)]).unwrap();
    for (p, u) in paired.variants[0]
        .metrics
        .iter()
        .zip(&unpaired.variants[0].metrics)
    {
        assert_eq!(p.id, u.id);
        assert!(
            (p.baseline - u.baseline).abs() < 1e-12 && (p.variant - u.variant).abs() < 1e-12,
            "{}",
            p.id
        );
        assert!((p.difference - u.difference).abs() < 1e-9, "{}", p.id);
        // Common random numbers make the paired interval no wider than the unpaired one.
        assert!(p.ci[1] - p.ci[0] <= u.ci[1] - u.ci[0] + 1e-12, "{}", p.id);
    }
    // Reports of different things are refused.
    let mut other = r1.clone();
    other.outcomes.clear();
    let e = compare::unpaired(&[("a".into(), r1), ("c".into(), other)]).unwrap_err();
    assert!(
        matches!(&e, ReportError::NotComparable(m) if m.contains("different outcomes")),
        "{e}"
    );
}

#[test]
fn the_report_has_wilson_intervals_and_bands() {
    let (m, e) = run(NOISY, 500, 2);
    let r = ensemble_report::build(&m, &e);
    assert_eq!(
        (r.format.as_str(), r.format_version, r.runs),
        ("detente-ensemble", 1, 500)
    );
    let calm = &r.outcomes[0];
    let w = detente::stats::wilson(calm.reached, calm.runs);
    assert_eq!(calm.ci95, [w.lo, w.hi]);
    assert!(calm.reached > 0 && calm.reached < 500, "{calm:?}");
    let b = &r.bands;
    assert_eq!(b.steps.len(), 31);
    assert_eq!(b.sampled_runs, 500);
    for s in &b.series {
        for p in 0..b.steps.len() {
            assert!(
                s.q05[p] <= s.q25[p]
                    && s.q25[p] <= s.q50[p]
                    && s.q50[p] <= s.q75[p]
                    && s.q75[p] <= s.q95[p]
            );
        }
    }
    // The band mean at the last step is the mean of the final values.
    let final_ab = "final.ab".parse::<MetricId>().unwrap();
    let fin = r.metrics.iter().find(|x| x.id == final_ab).unwrap();
    assert!((b.series[0].mean[30] - fin.mean).abs() < 1e-12);
    let md = markdown::ensemble(&r);
    assert!(
        md.contains("| calm |") && md.contains("## Over time"),
        "{md}"
    );
    assert_eq!(csv::bands(&r.bands).lines().count(), 1 + 2 * 31);
}

#[test]
fn large_ensembles_sample_their_bands_and_stay_small() {
    let text = NOISY.replace("steps = 30", "steps = 3");
    let (_, e) = run(&text, 25_000, 2);
    assert_eq!(e.summaries.len(), 25_000);
    assert_eq!(e.bands.sampled_runs, 8_334);
}

#[test]
fn reached_by_is_the_cumulative_share_of_runs_at_the_band_time_points() {
    let (m, e) = run(NOISY, 300, 2);
    let r = ensemble_report::build(&m, &e);
    let calm = &r.outcomes[0];
    assert_eq!(calm.reached_by.len(), r.bands.steps.len());
    for (by, &t) in calm.reached_by.iter().zip(&r.bands.steps) {
        let count = e
            .summaries
            .iter()
            .filter(|s| s.reached[0].is_some_and(|f| f <= t))
            .count();
        assert_eq!(*by, count as f64 / 300.0, "step {t}");
    }
    assert_eq!(calm.reached_by.last(), Some(&calm.probability));
    // A report saved before the field existed still reads; a broken one is refused.
    let text = json::to_string(&r);
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["outcomes"][0]
        .as_object_mut()
        .unwrap()
        .remove("reached_by");
    let old = ensemble_report::parse(&value.to_string()).unwrap();
    assert!(old.outcomes[0].reached_by.is_empty());
    value["outcomes"][0]["reached_by"] = serde_json::json!([0.5, 0.1]);
    let e = ensemble_report::parse(&value.to_string()).unwrap_err();
    assert!(e.to_string().contains("reached_by"), "{e}");
}

#[test]
fn tallies_of_any_split_merge_into_the_whole_ensemble() {
    // 25,000 runs: the quantiles sample every third run, so shards must agree on which.
    let m = model(NOISY);
    let options = Options {
        runs: 25_000,
        seed: 9,
        threads: 2,
    };
    let never = AtomicBool::new(false);
    let whole = ensemble::run(&m, options, &mut |_| {}, &never).unwrap();
    let expected = json::to_string(&ensemble_report::build(&m, &whole));
    let tally_of = |range: std::ops::Range<u64>| {
        let mut t = ensemble::empty_tally(&m, options);
        ensemble::run_blocks(
            &m,
            options,
            range,
            &mut |b| t.merge(b.tally).map_err(|e| e.to_string()),
            &never,
        )
        .unwrap();
        t
    };
    let splits: [&[u64]; 3] = [
        &[0, 25_000],
        &[0, 1, 12_345, 25_000],
        &[0, 3_571, 7_142, 10_713, 14_284, 17_855, 21_426, 25_000],
    ];
    for cuts in splits {
        let mut parts: Vec<ensemble::Tally> =
            cuts.windows(2).map(|w| tally_of(w[0]..w[1])).collect();
        // Merged in another order than run order, and read back from JSON as parts are.
        parts.reverse();
        let mut total = ensemble::empty_tally(&m, options);
        for p in parts {
            let text = serde_json::to_string(&p).unwrap();
            total.merge(serde_json::from_str(&text).unwrap()).unwrap();
        }
        let e = ensemble::Ensemble::from_tally(9, total).unwrap();
        assert_eq!(
            json::to_string(&ensemble_report::build(&m, &e)),
            expected,
            "split at {cuts:?}"
        );
    }
    // Overlapping tallies do not merge, and an incomplete one is not an ensemble.
    let mut a = tally_of(0..100);
    assert!(a.merge(tally_of(50..150)).is_err());
    assert_eq!(
        ensemble::Ensemble::from_tally(9, tally_of(0..100)).unwrap_err(),
        vec![(100, 25_000)]
    );
}

/// Blocks are handed on in run order while the next is being run: a cancel raised by the
/// handler, or a handler that fails, stops the ensemble after the blocks handed on.
#[test]
fn blocks_are_handed_on_in_run_order_and_cover_the_range_once() {
    let m = model(NOISY);
    for threads in [1, 2, 5] {
        let options = Options {
            runs: 9000,
            seed: 3,
            threads,
        };
        let mut handed: Vec<std::ops::Range<u64>> = Vec::new();
        let mut merged = ensemble::empty_tally(&m, options);
        ensemble::run_blocks(
            &m,
            options,
            17..8999,
            &mut |b| {
                assert_eq!(b.summaries.len() as u64, b.runs.end - b.runs.start);
                handed.push(b.runs.clone());
                merged.merge(b.tally).map_err(|e| e.to_string())
            },
            &AtomicBool::new(false),
        )
        .unwrap();
        assert!(handed.len() > 2, "{handed:?}");
        assert_eq!(handed[0].start, 17);
        assert_eq!(handed.last().unwrap().end, 8999);
        assert!(
            handed.windows(2).all(|w| w[0].end == w[1].start),
            "{handed:?}"
        );
        assert_eq!(merged.covers(), [(17, 8999)]);
    }
}

#[test]
fn a_cancel_or_a_failing_handler_stops_after_the_blocks_handed_on() {
    let m = model(NOISY);
    for threads in [1, 2] {
        let options = Options {
            runs: 5000,
            seed: 1,
            threads,
        };
        // Cancelled by the handler of the second block.
        let cancel = AtomicBool::new(false);
        let mut handed = Vec::new();
        let result = ensemble::run_blocks(
            &m,
            options,
            0..options.runs,
            &mut |b| {
                handed.push(b.runs.clone());
                if handed.len() == 2 {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(())
            },
            &cancel,
        );
        let done = handed.last().unwrap().end;
        assert_eq!(handed.len(), 2, "{handed:?}");
        assert_eq!(handed[0].start, 0);
        assert_eq!(handed[0].end, handed[1].start);
        match result {
            Err(ensemble::EnsembleError::Cancelled { completed }) => assert_eq!(completed, done),
            other => panic!("expected a cancel, got {:?}", other.map(|_| ())),
        }
        // A handler failing on the first block.
        let mut calls = 0;
        let result = ensemble::run_blocks(
            &m,
            options,
            0..options.runs,
            &mut |_| {
                calls += 1;
                Err("disk full".to_string())
            },
            &AtomicBool::new(false),
        );
        assert_eq!(calls, 1);
        match result {
            Err(ensemble::EnsembleError::Handler(message)) => assert_eq!(message, "disk full"),
            other => panic!("expected the handler's error, got {:?}", other.map(|_| ())),
        }
        // Cancelled before the start: nothing handed on.
        let result = ensemble::run_blocks(
            &m,
            options,
            0..options.runs,
            &mut |_| panic!("no block is handed on"),
            &AtomicBool::new(true),
        );
        assert!(matches!(
            result,
            Err(ensemble::EnsembleError::Cancelled { completed: 0 })
        ));
    }
}
