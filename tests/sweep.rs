//! `detente sweep`: designs, common random numbers across points, determinism, streaming.

mod common;

use assert_cmd::Command;
use detente::ensemble::{self, Options};
use detente::report::ensemble as ensemble_report;
use detente::sweep::{Design, Factor, FactorRange, Plan};
use detente::Overrides;
use std::sync::atomic::AtomicBool;

fn detente() -> Command {
    Command::cargo_bin("detente").unwrap()
}

const SCENARIO: &str = "scenarios/lithuania_belarus/combined.toml";

/// `detente sweep` on the combined scenario with `args`; its standard output.
fn sweep(args: &[&str]) -> String {
    let out = detente()
        .args(["sweep", SCENARIO, "-q"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_point_at_the_defaults_reproduces_the_plain_ensemble_exactly() {
    let sources = detente::bundled::sources();
    let load = |parameters: &[(String, f64)]| {
        let overrides = Overrides {
            parameters: parameters.to_vec(),
            steps: None,
        };
        detente::load_model(
            "scenarios/lithuania_belarus/combined.toml",
            &sources,
            &overrides,
        )
    };
    let model = load(&[]).unwrap();
    let default = model.parameter("backchannel_prob").unwrap();
    let factors = vec![Factor {
        name: "backchannel_prob".into(),
        range: FactorRange::Values(vec![0.5, default]),
        whole: false,
    }];
    let plan = Plan::new(&model, factors, Design::Grid { levels: 2 }, 1, &[]).unwrap();
    let options = Options {
        runs: 50,
        seed: 9,
        threads: 2,
    };
    let mut rows = Vec::new();
    detente::sweep::run(
        &plan,
        &mut |p| load(p),
        options,
        &mut |p| {
            rows.push(p.clone());
            Ok(())
        },
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let plain = ensemble::run(&model, options, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let report = ensemble_report::build(&model, &plain);
    let at_default = &rows[1];
    for (o, e) in plan.outputs.iter().zip(&at_default.estimates) {
        let expected = match report
            .outcomes
            .iter()
            .find(|x| o.id.to_string() == format!("outcome.{}", x.name))
        {
            Some(x) => x.probability,
            None => report.metrics.iter().find(|m| m.id == o.id).unwrap().mean,
        };
        assert_eq!(e.value, expected, "{}", o.id);
    }
    // The other point differs: the parameter is read.
    assert_ne!(rows[0].estimates, rows[1].estimates);
}

#[test]
fn sweeps_are_deterministic_from_the_seed_and_do_not_depend_on_threads() {
    let args = [
        "--vary",
        "backchannel_prob=0.5..1",
        "--vary",
        "front_leverage_share=0.05..0.2",
        "--design",
        "lhs",
        "--points",
        "6",
        "--runs",
        "20",
        "--format",
        "json",
    ];
    let one = sweep(&[&args[..], &["--threads", "1"]].concat());
    let three = sweep(&[&args[..], &["--threads", "3"]].concat());
    assert_eq!(one, three);
    let other_design = sweep(&[&args[..], &["--design-seed", "5"]].concat());
    assert_ne!(one, other_design);
    let json: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(json["format"], "detente-sweep");
    assert_eq!(json["rows"].as_array().unwrap().len(), 6);
    assert!(json["pairing"]
        .as_str()
        .unwrap()
        .contains("common random numbers"));
}

#[test]
fn one_at_a_time_gives_a_tornado_with_paired_intervals() {
    let md = sweep(&[
        "--vary",
        "backchannel_prob=0.5..1",
        "--vary",
        "front_leverage_share=0.05..0.2",
        "--design",
        "oat",
        "--runs",
        "100",
        "--metric",
        "outcome.border_reopened",
    ]);
    let start = md.find("## One at a time").expect("a tornado section");
    let tornado = &md[start..md.find("## Run noise").unwrap()];
    let rows: Vec<&str> = tornado
        .lines()
        .filter(|l| l.starts_with("| `outcome"))
        .collect();
    assert_eq!(rows.len(), 2, "{tornado}");
    // The unified front's leverage decides the border reopening: first, and significant.
    assert!(
        rows[0].contains("front_leverage_share") && rows[0].contains(" *"),
        "{tornado}"
    );
}

#[test]
fn a_csv_sweep_has_one_row_per_point_with_intervals() {
    let csv = sweep(&[
        "--vary",
        "backchannel_prob=0.5,0.75,1",
        "--runs",
        "10",
        "--format",
        "csv",
        "--metric",
        "final.tension_ltu_blr",
    ]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "point,backchannel_prob,final.tension_ltu_blr,final.tension_ltu_blr.lo,final.tension_ltu_blr.hi");
    assert_eq!(lines.len(), 4);
}

#[test]
fn a_point_that_does_not_compile_fails_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.md");
    // Negative steps of a whole-number setting are refused by the compiler; here a value out of
    // an event probability's range stands in: a rate above 1.
    let scenario = dir.path().join("s.toml");
    std::fs::write(
        &scenario,
        "[scenario]\nsteps = 5\n[parameters]\np = 0.5\n[variables]\nx = { of = \"actor\" }\n[actors.A]\n\
         [actions.a]\neffects = [{ var = \"x\", on = \"actor\", add = 1 }]\n[rules.r]\nactor = \"A\"\naction = \"a\"\ntarget = \"A\"\n\
         probability = \"p\"\n[outcomes]\nbig = \"x(A) > 2\"\n",
    )
    .unwrap();
    let status = detente()
        .args(["sweep", "-q", "--runs", "5", "--vary", "p=0.5,7", "-o"])
        .arg(&out)
        .arg(&scenario)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("point 1 (p=7)"), "{stderr}");
    assert!(!out.exists(), "no half-written output");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file"
    );
}

#[test]
fn unknown_parameters_and_metrics_get_a_did_you_mean() {
    for (args, message) in [
        (
            vec!["--vary", "backchanel_prob=0..1"],
            "did you mean `backchannel_prob`?",
        ),
        (
            vec![
                "--vary",
                "backchannel_prob=0..1",
                "--metric",
                "outcome.border_reopend",
            ],
            "did you mean `outcome.border_reopened`?",
        ),
    ] {
        detente()
            .args(["sweep", SCENARIO])
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message));
    }
}

#[test]
fn the_ishigami_scenario_gives_its_known_sobol_indices_within_their_intervals() {
    // Ishigami and Homma (1990), a = 7, b = 0.1, from the scenario's own [sweep] table.
    let out = detente()
        .args([
            "sweep",
            "scenarios/sensitivity/ishigami.toml",
            "-q",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["design"], "sobol");
    let indices = &json["sensitivity"]["indices"][0];
    let s1 = [0.3139, 0.4424, 0.0];
    let st = [0.5576, 0.4424, 0.2437];
    for i in 0..3 {
        let within = |key: &str, value: f64| {
            let ci = &indices[i][key];
            ci[0].as_f64().unwrap() <= value && value <= ci[1].as_f64().unwrap()
        };
        assert!(
            within("first_ci", s1[i]) && within("total_ci", st[i]),
            "{}",
            indices[i]
        );
    }
}

#[test]
fn a_sweep_table_with_mistakes_is_reported_at_its_lines() {
    let text = common::errors(
        "[scenario]\nsteps = 2\n[parameters]\nk = 1\n[variables]\nx = { of = \"actor\" }\n[actors.A]\n\
         [sweep]\ndesign = \"sobl\"\nvary.kk = { range = [0, 1] }\n",
    );
    assert!(
        text.contains("unknown sweep design `sobl`") && text.contains("did you mean `sobol`?"),
        "{text}"
    );
    assert!(
        text.contains("[sweep] varies `kk`, which is not a parameter"),
        "{text}"
    );
}
