//! The `detente` binary on real scenario files.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;

fn detente() -> Command {
    Command::cargo_bin("detente").expect("binary builds")
}

const BASELINE: &str = "scenarios/lithuania_belarus/baseline.toml";

#[test]
fn no_arguments_runs_the_bundled_baseline() {
    detente()
        .assert()
        .success()
        .stdout(predicate::str::contains("Lithuania").and(predicate::str::contains("outcomes")))
        .stdout(predicate::str::contains("actions taken"));
}

#[test]
fn run_writes_a_versioned_report_and_a_trajectory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let traj = dir.path().join("traj.csv");
    detente()
        .args(["run", BASELINE, "--seed", "7", "--out"])
        .arg(&out)
        .arg("--trajectory")
        .arg(&traj)
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["format"], "detente-run");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["seed"], 7);
    assert_eq!(json["detente_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["scenario"]["content_hash"].as_str().unwrap().len(), 16);
    assert!(json["outcomes"].as_array().unwrap().len() >= 2);
    let csv = fs::read_to_string(&traj).unwrap();
    let steps = json["scenario"]["steps"].as_u64().unwrap() as usize;
    assert!(csv.starts_with("step,"));
    assert_eq!(csv.lines().count(), steps + 2);
    // Nothing temporary is left beside the outputs.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for p in [&a, &b] {
        detente()
            .args(["run", BASELINE, "--seed", "3", "-q", "--out"])
            .arg(p)
            .assert()
            .success();
    }
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
}

#[test]
fn the_bundled_scenario_matches_the_file_on_disk() {
    let bundled = detente().args(["run", "--out", "-"]).output().unwrap();
    let file = detente()
        .args(["run", BASELINE, "--out", "-"])
        .output()
        .unwrap();
    assert!(bundled.status.success() && file.status.success());
    let (a, b) = (
        String::from_utf8_lossy(&bundled.stdout),
        String::from_utf8_lossy(&file.stdout),
    );
    assert!(
        a == b,
        "the embedded copy differs from the file: rebuild, or the file changed"
    );
}

#[test]
fn set_and_steps_override_the_scenario() {
    let out = detente()
        .args(["run", BASELINE, "--steps", "10", "--out", "-"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["scenario"]["steps"], 10);
    detente()
        .args(["run", BASELINE, "--set", "no_such_knob=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no parameter `no_such_knob`"));
    detente()
        .args(["run", BASELINE, "--set", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NAME=VALUE"));
}

#[test]
fn check_accepts_good_files_and_reports_bad_ones_with_locations() {
    detente()
        .args(["check", BASELINE])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(
        &bad,
        "[scenario]\nsteps = 3\n[actors.LTU]\n[rules.r]\nactor = \"LTV\"\naction = \"x\"\n",
    )
    .unwrap();
    detente()
        .args(["check", BASELINE])
        .arg(&bad)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("baseline.toml: ok"))
        .stderr(predicate::str::contains(
            "bad.toml:5:9: error: unknown actor `LTV`",
        ))
        .stderr(predicate::str::contains("did you mean `LTU`?"));
}

#[test]
fn bad_input_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[u8]; 7] = [
        b"",
        b"\xff\xfe not utf8",
        b"[scenario\nsteps = 3",
        b"[scenario]\nsteps = \"many\"\n",
        b"[scenario]\nsteps = 3\nsteps = 4\n",
        b"[scenario]\nsteps = -1\n[actors.A]\n",
        b"[scenario]\nsteps = 1\n[actors.A]\n[outcomes]\nx = \"((((\"\n",
    ];
    for (i, bytes) in cases.iter().enumerate() {
        let p = dir.path().join(format!("case{i}.toml"));
        fs::write(&p, bytes).unwrap();
        detente().arg("check").arg(&p).assert().code(2).stderr(
            predicate::str::contains("error").and(predicate::str::contains("panicked").not()),
        );
    }
}

#[test]
fn missing_files_and_unwritable_outputs_fail_cleanly() {
    detente()
        .args(["run", "nope.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read `nope.toml`"));
    detente()
        .args(["run", BASELINE, "--out", "/nonexistent-dir/x/report.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot write"))
        .stdout(predicate::str::is_empty());
}

#[test]
fn a_failed_run_leaves_the_previous_report_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    fs::write(&out, "previous").unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(
        &bad,
        "[scenario]\nsteps = 100\n[variables]\nx = { of = \"actor\", default = 2 }\n[actors.A]\n[dynamics.d]\nvar = \"x\"\nadd = \"x * x * x\"\n",
    )
    .unwrap();
    detente()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the run stopped at step"));
    assert_eq!(fs::read_to_string(&out).unwrap(), "previous");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn graph_prints_dot() {
    detente()
        .args(["graph", BASELINE])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("digraph").and(predicate::str::contains("Lithuania")))
        // Labels break lines with DOT's `\n`, not a doubly escaped `\\n`.
        .stdout(
            predicate::str::contains("neighbor\\nbaseline_tension 0.35")
                .and(predicate::str::contains("\\\\n").not()),
        );
}

const MONITORING: &str = "scenarios/lithuania_belarus/monitoring.toml";

#[test]
fn ensembles_write_json_markdown_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("e.json");
    let md = dir.path().join("e.md");
    let csv = dir.path().join("runs.csv");
    let bands = dir.path().join("bands.csv");
    detente()
        .args(["run", BASELINE, "--runs", "40", "--threads", "2", "--out"])
        .arg(&json)
        .arg("--bands")
        .arg(&bands)
        .assert()
        .success()
        .stdout(predicate::str::contains("40 runs").and(predicate::str::contains("Wilson")));
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["format"], "detente-ensemble");
    assert_eq!(v["runs"], 40);
    detente()
        .args(["run", BASELINE, "--runs", "40", "-q", "--out"])
        .arg(&md)
        .assert()
        .success();
    assert!(fs::read_to_string(&md).unwrap().contains("## Outcomes"));
    detente()
        .args([
            "run", BASELINE, "--runs", "40", "-q", "--format", "csv", "--out",
        ])
        .arg(&csv)
        .assert()
        .success();
    assert_eq!(fs::read_to_string(&csv).unwrap().lines().count(), 41);
    assert!(fs::read_to_string(&bands)
        .unwrap()
        .starts_with("step,series,mean,q05"));
    // One thread or two: the same bytes.
    let one = detente()
        .args([
            "run",
            BASELINE,
            "--runs",
            "40",
            "--threads",
            "1",
            "--out",
            "-",
        ])
        .output()
        .unwrap();
    assert!(
        one.stdout == fs::read(&json).unwrap(),
        "thread count changed the report"
    );
}

#[test]
fn formats_come_from_the_flag_or_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.txt");
    let run = |args: &[&str]| {
        let out = detente()
            .args(["run", BASELINE, "--seed", "7"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let shown = run(&[]);
    run(&["-q", "--out", summary.to_str().unwrap()]);
    assert_eq!(fs::read_to_string(&summary).unwrap(), shown);
    assert_eq!(run(&["--out", "-", "--format", "text"]), shown);
    assert_eq!(run(&["--out", "-", "--format", "txt"]), shown);
    assert_eq!(
        run(&["--out", "-", "--format", "markdown"]),
        format!("```\n{shown}```\n")
    );
    assert_eq!(
        run(&["--out", "-", "--format", "md"]),
        format!("```\n{shown}```\n")
    );
    detente()
        .args(["compare", BASELINE, BASELINE, "--format", "csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "[possible values: md, json, html]",
        ));
}

#[test]
fn replay_gives_the_run_of_the_ensemble() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("runs.csv");
    detente()
        .args([
            "run", BASELINE, "--runs", "5", "-q", "--format", "csv", "--out",
        ])
        .arg(&csv)
        .assert()
        .success();
    let runs = fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let row3: Vec<&str> = runs.lines().nth(4).unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "final.tension_ltu_blr")
        .unwrap();
    let out = detente()
        .args(["run", BASELINE, "--replay", "3", "--out", "-"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let series = v["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "tension_ltu_blr")
        .unwrap();
    assert_eq!(series["final"].as_f64().unwrap().to_string(), row3[col]);
}

#[test]
fn compare_scenarios_and_reports() {
    detente()
        .args(["compare", BASELINE, MONITORING, "--runs", "200"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "monitoring.toml lowers final tension(LTU, BLR) by",
        ))
        .stdout(predicate::str::contains("(95% CI) vs baseline.toml"));
    detente()
        .args([
            "compare",
            BASELINE,
            MONITORING,
            "--runs",
            "200",
            "--fail-if",
            "final.tension_ltu_blr decreases",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("condition met: monitoring.toml"));
    detente()
        .args([
            "compare",
            BASELINE,
            MONITORING,
            "--runs",
            "50",
            "--fail-if",
            "final.tension_ltu_blr increases",
        ])
        .assert()
        .success();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    detente()
        .args(["run", BASELINE, "--runs", "100", "-q", "--out"])
        .arg(&a)
        .assert()
        .success();
    detente()
        .args(["run", MONITORING, "--runs", "100", "-q", "--out"])
        .arg(&b)
        .assert()
        .success();
    detente()
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .arg("--format")
        .arg("json")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"paired\": false"));
    let single = dir.path().join("single.json");
    detente()
        .args(["run", BASELINE, "-q", "--out"])
        .arg(&single)
        .assert()
        .success();
    detente()
        .arg("compare")
        .arg(&a)
        .arg(&single)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an ensemble report"));
}

#[test]
fn work_that_cannot_fit_is_refused_up_front() {
    // A paired comparison keeps every run's values (an ensemble alone keeps what its report
    // needs, whatever the runs): 10^11 runs of two variants cannot fit.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    detente()
        .args([
            "compare",
            BASELINE,
            MONITORING,
            "--runs",
            "100000000000",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("GiB of memory")
                .and(predicate::str::contains("hint: use fewer runs")),
        );
    assert!(!out.exists());
}

#[test]
fn compare_infers_json_from_the_output_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.json");
    detente()
        .args([
            "compare",
            BASELINE,
            "scenarios/lithuania_belarus/monitoring.toml",
            "--runs",
            "20",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["format"], "detente-comparison");
}

#[test]
fn saved_reports_with_metrics_this_version_does_not_know_still_compare() {
    // A later version may add a kind of metric: its reports must still be read, and the metric
    // it adds listed as not compared rather than the whole file refused.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = saved_reports(dir.path());
    let text = fs::read_to_string(&b).unwrap();
    let renamed = text.replacen("\"final.blr_reforms\"", "\"later_kind.blr_reforms\"", 1);
    assert_ne!(text, renamed, "the report has the metric");
    fs::write(&b, renamed).unwrap();
    detente()
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .assert()
        .success()
        .stdout(predicate::str::contains("later_kind.blr_reforms"));
}

#[test]
fn control_characters_in_a_scenario_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    fs::write(
        &path,
        "[scenario]\nname = \"evil \\u001b[2J title\"\nsteps = 3\n[variables]\nt = { of = \"relation\" }\n[actors.A]\n[actors.B]\n[[relations]]\nfrom = \"A\"\nto = \"B\"\n",
    )
    .unwrap();
    for args in [vec!["run"], vec!["run", "--runs", "3"]] {
        let out = detente().args(&args).arg(&path).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("evil \\u{1b}[2J title"), "{text}");
    }
}

#[test]
fn hostile_saved_reports_are_refused_not_compared() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = saved_reports(dir.path());
    let good = fs::read_to_string(&b).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&good).unwrap();
    // Each edit alone makes the report impossible; each is refused with what is wrong.
    type Edit = fn(&mut serde_json::Value);
    let edits: [(Edit, &str); 6] = [
        (
            |j| j["outcomes"][0]["probability"] = 7.0.into(),
            "probability 7",
        ),
        // Found by the saved_report fuzz target: a band shorter than its time points made the
        // Markdown exporter index past its end.
        (
            |j| j["bands"]["series"][0]["q50"] = serde_json::json!([0.5]),
            "do not have one value per time point",
        ),
        (
            |j| j["bands"]["steps"] = serde_json::json!([]),
            "bands are not given at steps rising to the last",
        ),
        (
            |j| j["outcomes"][0]["reached"] = 1_000_000.into(),
            "reached in 1000000 of 20 runs",
        ),
        (|j| j["runs"] = 0.into(), "0 runs"),
        (|j| j["metrics"][0]["sd"] = (-1.0).into(), "negative spread"),
    ];
    for (edit, message) in edits {
        let mut bad = json.clone();
        edit(&mut bad);
        fs::write(&b, serde_json::to_string(&bad).unwrap()).unwrap();
        detente()
            .arg("compare")
            .arg(&a)
            .arg(&b)
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("malformed ensemble report")
                    .and(predicate::str::contains(message)),
            );
    }
    json["format_version"] = 99.into();
    fs::write(&b, serde_json::to_string(&json).unwrap()).unwrap();
    detente()
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("format version 99"));
}

#[test]
fn an_absurd_number_of_runs_is_refused_with_its_estimate_not_wrapped() {
    // 2^61 runs: the estimate saturates instead of wrapping to something small.
    detente()
        .args([
            "compare",
            BASELINE,
            MONITORING,
            "--runs",
            "2305843009213693952",
            "-q",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("GiB of memory"));
}

#[test]
fn effects_waiting_to_land_count_in_the_memory_estimate() {
    // 10,000 actors each pushing, every step, an effect that lands 999,999 steps later: the
    // pending effects alone would need hundreds of GiB.
    let dir = tempfile::tempdir().unwrap();
    let path = ring_scenario(
        dir.path(),
        10_000,
        "[scenario]\nsteps = 1000000\n[variables]\nx = { of = \"actor\" }\n[actions.push]\neffects = [{ var = \"x\", on = \"actor\", add = 1, delay = 999999 }]\n[rules.push]\nactor = \"*\"\naction = \"push\"\n",
    );
    detente()
        .arg("run")
        .arg(&path)
        .arg("-q")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("GiB of memory"));
}

#[test]
fn too_many_threads_are_refused_at_once() {
    detente()
        .args(["run", BASELINE, "--runs", "10", "--threads", "100000"])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--threads 100000: at most 1024"));
}

/// `s.toml` in `dir`: `toml`, reading its relations from `r.csv`, a ring of `n` actors
/// `a0 → a1 → … → a0` created from the file.
fn ring_scenario(dir: &std::path::Path, n: usize, toml: &str) -> std::path::PathBuf {
    let mut rows = String::from("from,to\n");
    for i in 0..n {
        rows.push_str(&format!("a{i},a{}\n", (i + 1) % n));
    }
    fs::write(dir.join("r.csv"), rows).unwrap();
    let path = dir.join("s.toml");
    let files = "[[relation_files]]\npath = \"r.csv\"\ncreate_actors = true\n";
    fs::write(&path, format!("{toml}{files}")).unwrap();
    path
}

/// Two saved 20-run ensemble reports of the baseline (seeds 1 and 2) in `dir`: `a.json`, `b.json`.
fn saved_reports(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    for (path, seed) in [(&a, "1"), (&b, "2")] {
        detente()
            .args([
                "run", BASELINE, "--runs", "20", "-q", "--seed", seed, "--out",
            ])
            .arg(path)
            .assert()
            .success();
    }
    (a, b)
}

/// A scenario with a Cyrillic `А` beside a Latin `A`: it compiles, with one warning.
fn lookalike_scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("s.toml");
    fs::write(
        &path,
        "[scenario]\nsteps = 3\n[variables]\ntension = { of = \"relation\", default = 0.5 }\n\
         [actors.A]\n[actors.\"\u{410}\"]\n[[relations]]\nfrom = \"A\"\nto = \"\u{410}\"\n",
    )
    .unwrap();
    path
}

#[test]
fn check_and_run_show_warnings_and_still_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let s = lookalike_scenario(dir.path());
    detente()
        .arg("check")
        .arg(&s)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok (2 actors").and(predicate::str::contains("1 warning")))
        .stderr(predicate::str::contains(
            "warning: actor id `А` looks like actor `A`",
        ));
    detente()
        .arg("run")
        .arg(&s)
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: actor id `А`"));
}

#[test]
fn deny_warnings_makes_a_warning_fail_check_and_run_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let s = lookalike_scenario(dir.path());
    detente()
        .args(["check", "--deny-warnings"])
        .arg(&s)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("--deny-warnings"));
    let out = dir.path().join("r.json");
    detente()
        .args(["run", "--deny-warnings", "-o"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "1 warning found, and --deny-warnings makes them errors",
        ));
    assert!(!out.exists());
    // The shipped scenarios have no warnings: --deny-warnings passes them.
    for dir in [
        "scenarios/lithuania_belarus",
        "scenarios/classics",
        "scenarios/belarus_poland",
        "scenarios/sensitivity",
    ] {
        detente()
            .args(["check", "--deny-warnings"])
            .args(fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
            .assert()
            .success();
    }
}

/// Field `field` of metric `name`: in a JSON ensemble report (`mean`, …), or in a comparison's
/// first variant (`baseline`, `variant`, …).
fn metric(json: &serde_json::Value, name: &str, field: &str) -> f64 {
    let metrics = json["metrics"]
        .as_array()
        .or_else(|| json["variants"][0]["metrics"].as_array())
        .expect("metrics");
    let m = metrics.iter().find(|m| m["name"] == name).expect(name);
    m[field].as_f64().expect(field)
}

/// Runs the binary and parses its standard output as JSON.
fn json_of(args: &[&str]) -> serde_json::Value {
    let out = detente().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn compare_set_applies_to_every_scenario_file() {
    let compared = json_of(&[
        "compare",
        BASELINE,
        MONITORING,
        "--runs",
        "5",
        "--format",
        "json",
        "--set",
        "tension_decay=0.5",
    ]);
    for (path, side) in [(BASELINE, "baseline"), (MONITORING, "variant")] {
        let run = json_of(&[
            "run",
            path,
            "--runs",
            "5",
            "--seed",
            "42",
            "--set",
            "tension_decay=0.5",
            "--out",
            "-",
        ]);
        let metric_name = "final.tension_ltu_blr";
        assert_eq!(
            metric(&compared, metric_name, side),
            metric(&run, metric_name, "mean"),
            "{path}"
        );
    }
    let unset = json_of(&[
        "compare", BASELINE, MONITORING, "--runs", "5", "--format", "json",
    ]);
    for side in ["baseline", "variant"] {
        let metric_name = "final.tension_ltu_blr";
        assert_ne!(
            metric(&compared, metric_name, side),
            metric(&unset, metric_name, side)
        );
    }
}

#[test]
fn compare_set_names_each_file_without_the_parameter() {
    // `monitoring_calm_share` is the monitoring variant's own: the baseline has no such
    // parameter, and the error says which file.
    detente()
        .args(["compare", BASELINE, MONITORING, "--runs", "5"])
        .args(["--set", "monitoring_calm_share=0.2"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("no parameter `monitoring_calm_share`")
                .and(predicate::str::contains("baseline.toml: 1 error"))
                .and(predicate::str::contains("monitoring.toml:").not()),
        );
    // Every file is checked: both lack this one, and both are named.
    detente()
        .args([
            "compare", BASELINE, MONITORING, "--runs", "5", "--set", "nope=1",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("baseline.toml: 1 error")
                .and(predicate::str::contains("monitoring.toml: 1 error")),
        );
}

#[test]
fn compare_refuses_set_with_saved_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = saved_reports(dir.path());
    detente()
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .args(["--set", "tension_decay=0.5"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "error: --set changes scenario files, and saved reports (.json) hold runs already made",
        ));
}

#[test]
fn compare_quiet_prints_the_comparison_and_nothing_else() {
    detente()
        .args(["compare", BASELINE, MONITORING, "--runs", "20", "-q"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# Comparison against baseline.toml",
        ))
        .stderr(predicate::str::is_empty());
}

#[test]
fn the_bundled_notice_goes_to_stderr_and_the_summary_to_stdout() {
    detente()
        .arg("run")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "Lithuania–Belarus border standoff",
        ))
        .stderr(predicate::str::contains(
            "(bundled scenario scenarios/lithuania_belarus/baseline.toml)",
        ));
    // With the report on standard output, the notice still says what ran, on stderr.
    let out = detente().args(["run", "--out", "-"]).output().unwrap();
    assert!(out.stdout.starts_with(b"{"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(bundled scenario"));
    // -q: no notice.
    detente()
        .args(["run", "-q"])
        .assert()
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
}

/// A scenario file with one unknown actor: `check` fails with an error, a location and a hint.
fn failing_scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let bad = dir.join("bad.toml");
    fs::write(
        &bad,
        "[scenario]\nsteps = 3\n[actors.LTU]\n[rules.r]\nactor = \"LTV\"\naction = \"x\"\n",
    )
    .unwrap();
    bad
}

const ESC: char = '\u{1b}';

#[test]
fn color_always_colours_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let bad = failing_scenario(dir.path());
    let out = detente()
        .args(["--color", "always", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    for part in [
        "\u{1b}[1;31merror\u{1b}[0m: ",
        "bad.toml:5:9:\u{1b}[0m",
        "\u{1b}[1;31m^^^^^\u{1b}[0m",
        "\u{1b}[1;36m= hint:\u{1b}[0m did you mean `LTU`?",
    ] {
        assert!(err.contains(part), "{part:?} in {err:?}");
    }
    // The data on standard output is never coloured.
    assert!(!String::from_utf8(out.stdout).unwrap().contains(ESC));
    // Warnings are yellow; the command's own errors are coloured too.
    let s = lookalike_scenario(dir.path());
    detente()
        .args(["check", "--color=always"])
        .arg(&s)
        .assert()
        .success()
        .stderr(predicate::str::contains("\u{1b}[1;33mwarning\u{1b}[0m"));
    detente()
        .args(["run", "--runs", "0", "--color", "always"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("\u{1b}[1;31merror\u{1b}[0m: "));
}

#[test]
fn color_never_and_no_color_give_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let bad = failing_scenario(dir.path());
    let plain = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.contains(ESC), "{err:?}");
        assert!(
            err.contains("bad.toml:5:9: error: unknown actor `LTV`"),
            "{err}"
        );
        err
    };
    let never = plain(detente().args(["check", "--color", "never"]).arg(&bad));
    // NO_COLOR (set, not empty) turns colour off in auto mode; stderr captured is no terminal
    // anyway, so auto is plain here too.
    let no_color = plain(detente().env("NO_COLOR", "1").arg("check").arg(&bad));
    let auto = plain(detente().env_remove("NO_COLOR").arg("check").arg(&bad));
    assert_eq!(never, no_color);
    assert_eq!(never, auto);
    // --color always wins over NO_COLOR.
    detente()
        .env("NO_COLOR", "1")
        .args(["check", "--color", "always"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(ESC));
    // clap's own usage errors follow --color never as well.
    detente()
        .args(["--color", "never", "run", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--no-such-flag").and(predicate::str::contains(ESC).not()),
        );
}

#[test]
fn completions_list_the_subcommands_and_flags() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = detente().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in [
            "run",
            "compare",
            "check",
            "graph",
            "bench",
            "completions",
            "man",
            "--set",
            "--runs",
            "--color",
            "--deny-warnings",
            "--fail-if",
        ] {
            // fish names a long flag `-l set`, the others `--set`.
            let word = match word.strip_prefix("--") {
                Some(flag) if shell == "fish" => format!("-l {flag}"),
                _ => word.to_string(),
            };
            assert!(script.contains(&word), "{shell}: no `{word}`");
        }
    }
    detente()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("possible values"));
}

#[test]
fn man_prints_roff_and_writes_one_page_per_command() {
    detente().arg("man").assert().success().stdout(
        predicate::str::contains(".TH detente 1")
            .and(predicate::str::contains(".SH SUBCOMMANDS"))
            .and(predicate::str::contains("compare")),
    );
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    detente()
        .args(["man", "--out"])
        .arg(&pages)
        .assert()
        .success();
    let mut names: Vec<String> = fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "detente-bench.1",
            "detente-check.1",
            "detente-compare.1",
            "detente-completions.1",
            "detente-explain.1",
            "detente-graph.1",
            "detente-man.1",
            "detente-merge.1",
            "detente-run.1",
            "detente-schema.1",
            "detente-sweep.1",
            "detente-test.1",
            "detente.1"
        ]
    );
    let compare = fs::read_to_string(pages.join("detente-compare.1")).unwrap();
    assert!(compare.contains(".TH detente-compare 1"), "{compare}");
    assert!(compare.contains("\\-\\-set"), "{compare}");
}

/// Runs `args` on a pseudo-terminal (util-linux `script`) and returns what the terminal showed,
/// or `None` where `script` is missing.
fn on_a_terminal(args: &str) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("detente");
    let out = std::process::Command::new("script")
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .output()
        .ok()?;
    assert!(out.status.success(), "{args}: {out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn quiet_hides_the_progress_bar_on_a_terminal() {
    // 2,000 actors in a ring, 100 steps, 120 runs: long enough work for a progress bar.
    let dir = tempfile::tempdir().unwrap();
    let path = ring_scenario(
        dir.path(),
        2_000,
        "[scenario]\nname = \"ring\"\nsteps = 100\n[variables]\nt = { of = \"relation\" }\n\
         [dynamics.d]\nvar = \"t\"\nadd = \"0.01 * (0.5 - t)\"\n",
    );
    let run = |quiet: &str| {
        let args = format!("run {} --runs 120 --threads 1 {quiet}", path.display());
        on_a_terminal(&args)
    };
    let Some(shown) = run("") else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    assert!(shown.contains("/120 runs"), "no progress bar: {shown:?}");
    let quiet = run("-q").unwrap();
    assert!(!quiet.contains("runs,"), "{quiet:?}");
    assert!(!quiet.contains('\u{1b}'), "{quiet:?}");
}

#[test]
fn explain_writes_every_format_and_checks_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("e.json");
    detente()
        .args([
            "explain",
            BASELINE,
            "tension(LTU, BLR)",
            "--runs",
            "20",
            "-o",
        ])
        .arg(&json)
        .assert()
        .success()
        .stdout("");
    let e: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(e["format"], "detente-explanation");
    assert_eq!(e["mode"], "ensemble");
    let a = &e["accounts"][0];
    let sum: f64 = a["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["amount"].as_f64().unwrap())
        .sum();
    let (start, end) = (a["start"].as_f64().unwrap(), a["end"].as_f64().unwrap());
    assert!((start + sum - end).abs() < 1e-9, "{start} + {sum} vs {end}");
    // One run, a window, Markdown.
    detente()
        .args([
            "explain",
            BASELINE,
            "tension(LTU, BLR)",
            "--replay",
            "2",
            "--from",
            "10",
            "--to",
            "30",
            "--format",
            "md",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("From ").and(predicate::str::contains("after week 10 to")))
        .stdout(predicate::str::contains(
            "| source | amount | taken in week |",
        ))
        .stdout(predicate::str::contains("Largest changes"));
    // CSV: a header and one row per source.
    detente()
        .args(["explain", BASELINE, "outcome.crisis", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "place,kind,name,action,actor,target,spilled_to,label,amount,ci_low,ci_high,share\n",
        ));
    // The target and the window are checked before any run.
    detente()
        .args(["explain", BASELINE, "tension(LTU, XYZ)"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown actor `XYZ`"));
    detente()
        .args(["explain", BASELINE, "tension(LTU, BLR)", "--to", "500"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--to 500: the run has 104 weeks"));
    detente()
        .args([
            "explain",
            BASELINE,
            "tension(LTU, BLR)",
            "--counterfactual",
            "no_such_rule",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`no_such_rule` is no rule, event, shock, dynamics line or action",
        ));
}

#[test]
fn explain_counterfactual_names_each_removal_and_its_outcomes() {
    detente()
        .args([
            "explain",
            "scenarios/lithuania_belarus/combined.toml",
            "tension(LTU, BLR)",
            "--runs",
            "30",
            "--counterfactual",
            "ltu_backchannel",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "total effects: with − without each source (30 paired runs",
        ))
        .stdout(predicate::str::contains(
            "rule ltu_backchannel: tension(LTU, BLR) after week 104 −",
        ))
        .stdout(predicate::str::contains("P(normalization)"));
}
