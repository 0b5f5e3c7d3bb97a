//! The stepper's AVX2 copies and AVX-512 kernels give the same bits as the baseline ones (its
//! own test binary, because the switch is process-wide).

mod common;

use common::Disk;
use detente::{Overrides, Sim};

#[test]
fn wide_and_baseline_kernels_give_identical_runs() {
    let overrides = Overrides {
        parameters: Vec::new(),
        steps: Some(200),
    };
    detente::test_support::set_wide(true);
    if !detente::test_support::wide() {
        eprintln!("this CPU has no AVX2: both runs below take the baseline path");
    }
    for path in [
        "scenarios/bench/border_net.toml",
        "scenarios/lithuania_belarus/combined.toml",
        "scenarios/classics/richardson.toml",
    ] {
        let m = detente::load_model(path, &Disk, &overrides).expect("loads");
        let runs = |wide: bool| {
            detente::test_support::set_wide(wide);
            let mut sim = Sim::new(&m);
            (0..3).map(|i| sim.run(7, i).unwrap()).collect::<Vec<_>>()
        };
        let (narrow, wide) = (runs(false), runs(true));
        // Runs in lockstep draw whole batches at once (with AVX-512, where the CPU has it).
        let block = |wide: bool| {
            detente::test_support::set_wide(wide);
            detente::test_support::run_lockstep(&m, 5, 7, 0).unwrap()
        };
        let (narrow_block, wide_block) = (block(false), block(true));
        detente::test_support::set_wide(true);
        assert_eq!(
            format!("{narrow_block:?}"),
            format!("{wide_block:?}"),
            "{path}"
        );
        assert_eq!(format!("{:?}", narrow[0]), format!("{:?}", wide_block[0]));
        for (a, b) in narrow.iter().zip(&wide) {
            for (sa, sb) in a.series.iter().zip(&b.series) {
                let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(sa), bits(sb), "{path}");
            }
            assert_eq!(a, b, "{path}");
        }
    }
}
