//! Golden reports: every shipped scenario, run from the CLI with a fixed seed, as a user sees it.
//!
//! These pin the random stream and the semantics. Any change to a report of an existing scenario
//! shows up here as a snapshot diff, to be reviewed and explained, never accepted by accident
//! (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test golden` and read the diff).

use assert_cmd::Command;

/// Runs the binary with `args` and returns its standard output, which must be UTF-8.
fn stdout(args: &[&str]) -> String {
    let out = Command::cargo_bin("detente")
        .expect("binary builds")
        .args(args)
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "detente {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// The single-run and ensemble outputs of one scenario: summary, JSON report, trajectory, and the
/// ensemble's summary, JSON, Markdown, per-run CSV and bands. `extra` is appended to every call.
fn scenario(name: &str, path: &str, extra: &[&str]) {
    let with = |args: &[&str]| {
        let mut all = vec!["run", path, "--seed", "7"];
        all.extend_from_slice(args);
        all.extend_from_slice(extra);
        stdout(&all)
    };
    let ensemble = ["--runs", "40", "--threads", "2"];
    let cases: [(&str, Vec<&str>); 8] = [
        ("run_summary", vec![]),
        ("run_json", vec!["-q", "--out", "-"]),
        ("run_trajectory", vec!["-q", "--trajectory", "-"]),
        ("ensemble_summary", ensemble.to_vec()),
        ("ensemble_json", [&ensemble[..], &["--out", "-"]].concat()),
        (
            "ensemble_md",
            [&ensemble[..], &["--out", "-", "--format", "md"]].concat(),
        ),
        (
            "ensemble_csv",
            [&ensemble[..], &["--out", "-", "--format", "csv"]].concat(),
        ),
        (
            "ensemble_bands",
            [&ensemble[..], &["-q", "--bands", "-"]].concat(),
        ),
    ];
    for (kind, args) in cases {
        insta::assert_snapshot!(format!("{name}__{kind}"), with(&args));
    }
}

#[test]
fn lithuania_belarus_variants() {
    for variant in [
        "baseline",
        "unified_front",
        "monitoring",
        "backchannel",
        "multilateral",
        "combined",
    ] {
        let path = format!("scenarios/lithuania_belarus/{variant}.toml");
        scenario(&format!("lb_{variant}"), &path, &[]);
    }
}

#[test]
fn classics() {
    for name in [
        "prisoners_dilemma",
        "grudger_vs_tft",
        "richardson",
        "tournament",
    ] {
        scenario(name, &format!("scenarios/classics/{name}.toml"), &[]);
    }
}

#[test]
fn belarus_poland() {
    scenario(
        "bp_border_crisis",
        "scenarios/belarus_poland/border_crisis.toml",
        &[],
    );
}

#[test]
fn border_net_small() {
    // 400 relations; 60 steps keep the debug-build test quick while every rule still fires.
    scenario(
        "border_net",
        "scenarios/bench/border_net.toml",
        &["--steps", "60"],
    );
}

#[test]
fn paired_comparison_of_the_recommendations() {
    let dir = "scenarios/lithuania_belarus/";
    let files: Vec<String> = [
        "baseline",
        "monitoring",
        "backchannel",
        "unified_front",
        "multilateral",
        "combined",
    ]
    .iter()
    .map(|v| format!("{dir}{v}.toml"))
    .collect();
    let mut args = vec!["compare"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--runs", "60", "--seed", "11", "--threads", "2"]);
    insta::assert_snapshot!("compare_md", stdout(&args));
    let mut all = args.clone();
    all.push("--all");
    insta::assert_snapshot!("compare_md_all", stdout(&all));
    args.extend(["--format", "json"]);
    insta::assert_snapshot!("compare_json", stdout(&args));
}

#[test]
fn unpaired_comparison_of_saved_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (variant, seed) in [("baseline", "1"), ("combined", "2")] {
        let out = dir.path().join(format!("{variant}.json"));
        let out = out.to_str().unwrap().to_string();
        stdout(&[
            "run",
            &format!("scenarios/lithuania_belarus/{variant}.toml"),
            "--runs",
            "50",
            "--seed",
            seed,
            "-q",
            "--out",
            &out,
        ]);
        paths.push(out);
    }
    let args = ["compare", &paths[0], &paths[1]];
    insta::assert_snapshot!("compare_saved_md", stdout(&args));
    let json = [&args[..], &["--format", "json"]].concat();
    insta::assert_snapshot!("compare_saved_json", stdout(&json));
}
