//! The benchmark scenarios load, and border-net agrees with the reference implementations.

mod common;

use common::Disk;
use detente::ensemble::{self, Options};
use detente::Overrides;
use std::sync::atomic::AtomicBool;

#[test]
fn border_net_small_case_agrees_with_the_peers() {
    // scenarios/bench/border_net.csv is the peers' small network (gen_network.py 100 4 1).
    let m = detente::load_model(
        "scenarios/bench/border_net.toml",
        &Disk,
        &Overrides::default(),
    )
    .expect("loads");
    assert_eq!((m.n_actors(), m.n_relations(), m.steps()), (100, 400, 1000));
    let e = ensemble::run(
        &m,
        Options {
            runs: 20,
            seed: 0,
            threads: 2,
        },
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let tension = m.series_index("mean_tension").unwrap();
    let trust = m.series_index("mean_trust").unwrap();
    let mean = |s: usize| e.summaries.iter().map(|r| r.last[s]).sum::<f64>() / 20.0;
    // The peers report final mean tension 0.451 and final mean trust ~0.96 on this network.
    assert!(
        (mean(tension) - 0.451).abs() < 0.01,
        "final mean tension {}",
        mean(tension)
    );
    assert!(
        (mean(trust) - 0.96).abs() < 0.02,
        "final mean trust {}",
        mean(trust)
    );
    // Provocation fires ~730 times per run there (5% a step on the ~16 reciprocated edges).
    let provocation = m.action_id("provocation").unwrap().index();
    let per_run = e
        .summaries
        .iter()
        .map(|r| r.actions[provocation])
        .sum::<u64>() as f64
        / 20.0;
    assert!((600.0..900.0).contains(&per_run), "{per_run}");
}

#[test]
fn the_benchmarked_seed_scenario_loads() {
    let m = detente::load_model(
        detente::bundled::DEFAULT,
        &detente::bundled::sources(),
        &Overrides::default(),
    )
    .unwrap();
    assert!(m.n_relations() > 0 && m.rule_names().len() > 0);
}
