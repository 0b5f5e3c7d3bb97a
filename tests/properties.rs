//! Property tests: invariants that must hold for every scenario in a family, and bad bytes that
//! must never crash the loader.

mod common;

use detente::ensemble::{self, Options};
use detente::report::{ensemble as ensemble_report, json};
use detente::{MemorySources, Overrides};
use proptest::prelude::*;
use std::sync::atomic::AtomicBool;

/// A stochastic scenario whose numbers come from the test case; its blocks can be reordered.
fn scenario(init: [f64; 4], amounts: [f64; 3], p: [f64; 3], lo: f64, width: f64) -> Vec<String> {
    let hi = lo + width;
    let clampi = |x: f64| x.clamp(lo, hi);
    vec![
        format!("[scenario]\nname = \"prop\"\nsteps = 25\n"),
        format!("[variables]\nt = {{ of = \"relation\", default = {}, range = [{lo}, {hi}] }}\nx = {{ of = \"actor\", default = {}, range = [{lo}, {hi}] }}\n", clampi(init[0]), clampi(init[1])),
        "[actors.A]\nkind = \"s\"\n".into(),
        format!("[actors.B]\nkind = \"s\"\nx = {}\n", clampi(init[2])),
        "[actors.C]\nkind = \"b\"\n".into(),
        format!("[[relations]]\nfrom = \"A\"\nto = \"B\"\nt = {}\n", clampi(init[3])),
        "[[relations]]\nfrom = \"B\"\nto = \"A\"\nkind = \"n\"\n".into(),
        "[[relations]]\nfrom = \"C\"\nto = \"A\"\nkind = \"n\"\n".into(),
        format!("[actions.push]\neffects = [{{ var = \"t\", on = \"both\", add = {}, duration = 3 }}, {{ var = \"x\", on = \"target\", add = {} }}]\n", amounts[0], amounts[1]),
        format!("[actions.calm]\neffects = [{{ var = \"t\", on = \"out\", add = {}, delay = 2 }}]\n", amounts[2]),
        format!("[rules.push]\nactor = \"*\"\naction = \"push\"\ntarget_relation = \"*\"\nprobability = {}\n", p[0]),
        format!("[rules.calm]\nactor_kind = \"s\"\naction = \"calm\"\nwhen = \"mean(t, out(self)) > {}\"\nprobability = {}\n", (lo + hi) / 2.0, p[1]),
        format!("[events.shock]\nactor = \"C\"\naction = \"push\"\ntarget = \"A\"\nrate = {}\n", p[2]),
        "[dynamics.drift]\nvar = \"t\"\nadd = \"0.3 * (t(target, self) - t) + 0.05 * random() - 0.025\"\n".into(),
        "[dynamics.x]\nvar = \"x\"\nadd = \"0.1 * (mean(t, in(self)) - x)\"\n".into(),
        "[report]\nseries = { ab = \"t(A, B)\", ba = \"t(B, A)\", ca = \"t(C, A)\", xa = \"x(A)\", xb = \"x(B)\", xc = \"x(C)\" }\n".into(),
    ]
}

fn report_json(text: &str, seed: u64) -> String {
    let m = common::model(text);
    let r = detente::run_once(&m, seed).unwrap();
    let mut rep = detente::report::run_report(&m, &r);
    rep.scenario.content_hash.clear();
    json::to_string(&rep)
}

fn arb_scenario() -> impl Strategy<Value = (Vec<String>, f64, f64)> {
    (
        prop::array::uniform4(-2.0..2.0f64),
        prop::array::uniform3(-0.5..0.5f64),
        prop::array::uniform3(0.0..1.0f64),
        -1.0..0.5f64,
        0.1..2.0f64,
    )
        .prop_map(|(init, amounts, p, lo, width)| {
            (scenario(init, amounts, p, lo, width), lo, lo + width)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn values_stay_within_their_ranges((blocks, lo, hi) in arb_scenario(), seed in 0u64..1000) {
        let m = common::model(&blocks.concat());
        let r = detente::run_once(&m, seed).unwrap();
        for (s, values) in r.series.iter().enumerate() {
            for v in values {
                prop_assert!(*v >= lo && *v <= hi, "series {} value {v} outside [{lo}, {hi}]", m.series().nth(s).unwrap().0);
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes((blocks, _, _) in arb_scenario(), seed in 0u64..1000) {
        let text = blocks.concat();
        prop_assert_eq!(report_json(&text, seed), report_json(&text, seed));
    }

    #[test]
    fn declaration_order_does_not_change_results(
        (blocks, _, _) in arb_scenario(),
        order in Just((1..16usize).collect::<Vec<_>>()).prop_shuffle(),
        seed in 0u64..1000,
    ) {
        let shuffled: String = std::iter::once(blocks[0].clone()).chain(order.iter().map(|&i| blocks[i].clone())).collect();
        prop_assert_eq!(report_json(&blocks.concat(), seed), report_json(&shuffled, seed));
    }

    /// The accounting of `explain` adds up (start + Σ contributions = end, to rounding) and
    /// ends where the run does, on every place of every scenario of the family.
    #[test]
    fn explanations_add_up_and_end_where_the_run_does((blocks, _, _) in arb_scenario(), seed in 0u64..1000) {
        use detente::explain::{self, Runs, Target};
        let m = common::model(&blocks.concat());
        let r = detente::run_once(&m, seed).unwrap();
        let never = AtomicBool::new(false);
        for (target, series) in [("t(A, B)", "ab"), ("t(B, A)", "ba"), ("t(C, A)", "ca"), ("x(A)", "xa"), ("x(B)", "xb"), ("x(C)", "xc")] {
            let t = Target::parse(&m, target).unwrap();
            let runs = Runs { seed, replay: Some(0), count: 1, threads: 1 };
            let e = explain::explain(&m, &t, (0, m.steps()), runs, &never).unwrap();
            let a = &e.accounts[0];
            let sum: f64 = a.sources.iter().map(|s| s.amount).sum();
            let scale = a.start.abs() + a.sources.iter().map(|s| s.amount.abs()).sum::<f64>();
            prop_assert!((a.start + sum - a.end).abs() <= 1e-12 * scale.max(1e-300), "{target}: {} + {sum} != {}", a.start, a.end);
            let last = *r.series_values(&m, series).unwrap().last().unwrap();
            prop_assert_eq!(a.end.to_bits(), last.to_bits(), "{}", target);
        }
    }

    #[test]
    fn ensembles_do_not_depend_on_the_thread_count((blocks, _, _) in arb_scenario(), seed in 0u64..1000) {
        let m = common::model(&blocks.concat());
        let json = |threads| {
            let e = ensemble::run(&m, Options { runs: 24, seed, threads }, &mut |_| {}, &AtomicBool::new(false)).unwrap();
            json::to_string(&ensemble_report::build(&m, &e))
        };
        prop_assert_eq!(json(1), json(2));
    }
}

/// The bundled scenario files, for mutation.
fn seeds() -> Vec<(String, String)> {
    let src = detente::bundled::sources();
    src.files.into_iter().collect()
}

/// Loads `text` as `main` beside the bundled files (so `extends` resolves); must not panic.
fn load_must_not_panic(main: &str, text: String) {
    let mut src: MemorySources = detente::bundled::sources();
    src.files.insert(main.to_string(), text);
    let outcome = std::panic::catch_unwind(|| {
        if let Ok(m) = detente::load_model(main, &src, &Overrides::default()) {
            // A scenario that loads must also run (or stop with a runtime error) without panicking.
            let short = detente::load_model(
                main,
                &src,
                &Overrides {
                    parameters: Vec::new(),
                    steps: Some(m.steps().min(20)),
                },
            );
            if let Ok(m) = short {
                let _ = detente::run_once(&m, 0);
            }
        }
    });
    assert!(
        outcome.is_ok(),
        "the loader panicked on this input:\n{}",
        src.files[main]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random bytes (as text where they are UTF-8).
    #[test]
    fn random_text_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        load_must_not_panic("scenarios/lithuania_belarus/fuzz.toml", text);
    }

    /// Mutations of the real scenarios: a span replaced by random text, deleted, or duplicated.
    #[test]
    fn mutated_scenarios_never_panic(
        file in 0usize..6,
        at in 0.0..1.0f64,
        len in 0usize..40,
        kind in 0u8..3,
        insert in "[ -~\\n]{0,20}",
    ) {
        let (path, text) = seeds()[file].clone();
        let bytes = text.as_bytes();
        let start = ((bytes.len() as f64 * at) as usize).min(bytes.len());
        let end = (start + len).min(bytes.len());
        let mut out = bytes[..start].to_vec();
        match kind {
            0 => out.extend_from_slice(insert.as_bytes()),
            1 => {}
            _ => out.extend_from_slice(&bytes[start..end]),
        }
        if kind != 2 {
            out.extend_from_slice(&bytes[end..]);
        } else {
            out.extend_from_slice(&bytes[start..]);
        }
        load_must_not_panic(&path.replace(".toml", "_mutated.toml"), String::from_utf8_lossy(&out).into_owned());
    }

    /// Random expressions, made of the language's own tokens.
    #[test]
    fn random_expressions_never_panic(tokens in prop::collection::vec(prop::sample::select(vec![
        "tension", "(", ")", ",", "+", "-", "*", "/", "<", ">=", "==", "and", "or", "not", "if", "min", "max",
        "mean", "out", "in", "all", "count", "self", "target", "LTU", "BLR", "did", "does", "since", "times",
        "propose_talks", "0", "1.5", "1e308", "step", "dt", "random", "exists", "for", "3", "steps", "\"x\"", "abs",
    ]), 0..30)) {
        let expr = tokens.join(" ");
        let base = detente::bundled::sources().files[detente::bundled::DEFAULT].clone();
        let text = format!("{base}\n[outcomes.fuzz]\nwhen = {:?}\n\n[dynamics.fuzz]\nvar = \"tension\"\nadd = {:?}\n", expr, expr);
        load_must_not_panic("scenarios/lithuania_belarus/expr.toml", text);
    }
}
