//! Criterion benchmarks: loading, single runs and ensembles of the seed scenario, and the
//! border-net reference model (small ensemble, large single run, and the tiny case: the seed
//! scenario's size in a big ensemble, where per-run and per-op overheads dominate). Throughput is in
//! relation-steps (edge-steps) per second, so figures compare with the peers in benches/peers.sh.
//!
//! Run with `cargo bench`; a subset with e.g. `cargo bench -- border_net`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use detente::ensemble::{self, Options};
use detente::{bundled, MemorySources, Model, Overrides};
use std::hint::black_box;
use std::sync::atomic::AtomicBool;

/// A border-net network in the peers' CSV format: `n` actors, `d` distinct out-neighbours each,
/// tension ~ U(0.2, 0.8), trust ~ U(0.3, 0.7). (Same distribution as the peers' generator, not
/// the same draws.)
fn network(n: u64, d: u64, seed: u64) -> String {
    let mut out = String::from("src,dst,tension,trust\n");
    let mut k = 0u64;
    let mut next = || {
        k += 1;
        detente::test_support::mix(seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    };
    for a in 0..n {
        let mut chosen: Vec<u64> = Vec::with_capacity(d as usize);
        while (chosen.len() as u64) < d {
            let b = next() % n;
            if b != a && !chosen.contains(&b) {
                chosen.push(b);
            }
        }
        for b in chosen {
            let t = 0.2 + 0.6 * detente::test_support::uniform(next());
            let tau = 0.3 + 0.4 * detente::test_support::uniform(next());
            out.push_str(&format!("{a},{b},{t},{tau}\n"));
        }
    }
    out
}

const BORDER_NET: &str = include_str!("../scenarios/bench/border_net.toml");

fn border_net(n: u64, d: u64, steps: u32) -> Model {
    let sources = MemorySources::new([
        ("b/border_net.toml", BORDER_NET),
        ("b/border_net.csv", network(n, d, 1).as_str()),
    ]);
    detente::load_model(
        "b/border_net.toml",
        &sources,
        &Overrides {
            parameters: Vec::new(),
            steps: Some(steps),
        },
    )
    .expect("border-net loads")
}

fn seed_scenario() -> Model {
    detente::load_model(bundled::DEFAULT, &bundled::sources(), &Overrides::default())
        .expect("seed scenario loads")
}

fn ensemble(model: &Model, runs: u64, threads: usize) -> ensemble::Ensemble {
    ensemble::run(
        model,
        Options {
            runs,
            seed: 0,
            threads,
        },
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .expect("runs")
}

fn edge_steps(m: &Model, runs: u64) -> u64 {
    m.n_relations() as u64 * u64::from(m.steps()) * runs
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.bench_function("seed scenario", |b| b.iter(seed_scenario));
    let csv = network(10_000, 8, 2);
    let sources = MemorySources::new([
        ("b/border_net.toml", BORDER_NET),
        ("b/border_net.csv", csv.as_str()),
    ]);
    g.throughput(Throughput::Elements(80_000));
    g.sample_size(10);
    g.bench_function("border-net 80,000 relations", |b| {
        b.iter(|| {
            detente::load_model("b/border_net.toml", &sources, &Overrides::default())
                .expect("loads")
        })
    });
    g.finish();
}

fn seed_runs(c: &mut Criterion) {
    let m = seed_scenario();
    let mut g = c.benchmark_group("seed scenario");
    g.throughput(Throughput::Elements(edge_steps(&m, 1)));
    g.bench_function("one run", |b| {
        b.iter(|| detente::run_once(black_box(&m), 42).expect("runs"))
    });
    g.throughput(Throughput::Elements(edge_steps(&m, 1000)));
    g.sample_size(10);
    g.bench_function("1,000-run ensemble, 1 thread", |b| {
        b.iter(|| ensemble(&m, 1000, 1))
    });
    g.bench_function("1,000-run ensemble, 2 threads", |b| {
        b.iter(|| ensemble(&m, 1000, 2))
    });
    g.throughput(Throughput::Elements(edge_steps(&m, 10_000)));
    g.bench_function("10,000-run ensemble, 1 thread", |b| {
        b.iter(|| ensemble(&m, 10_000, 1))
    });
    g.finish();
}

fn border_net_runs(c: &mut Criterion) {
    let small = border_net(100, 4, 1000);
    let large = border_net(10_000, 8, 200);
    let tiny = border_net(4, 2, 1000);
    let mut g = c.benchmark_group("border_net");
    g.sample_size(10);
    g.throughput(Throughput::Elements(edge_steps(&small, 200)));
    g.bench_function(
        "small ensemble (N 100, D 4, 1000 steps, 200 runs), 1 thread",
        |b| b.iter(|| ensemble(&small, 200, 1)),
    );
    g.bench_function(
        "small ensemble (N 100, D 4, 1000 steps, 200 runs), 2 threads",
        |b| b.iter(|| ensemble(&small, 200, 2)),
    );
    g.throughput(Throughput::Elements(edge_steps(&large, 1)));
    g.bench_function("large run (N 10,000, D 8, 200 steps)", |b| {
        b.iter(|| detente::run_once(black_box(&large), 0).expect("runs"))
    });
    g.throughput(Throughput::Elements(edge_steps(&tiny, 2000)));
    g.bench_function(
        "tiny ensemble (N 4, D 2, 1000 steps, 2,000 runs), 1 thread",
        |b| b.iter(|| ensemble(&tiny, 2000, 1)),
    );
    g.finish();
}

criterion_group!(benches, load, seed_runs, border_net_runs);
criterion_main!(benches);
