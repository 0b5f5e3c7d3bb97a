//! Beyond one machine and one sitting, from the CLI: shards merged byte for byte, checkpoints
//! resumed after SIGINT and SIGKILL, foreign or damaged parts and checkpoints refused.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

fn detente() -> Command {
    Command::cargo_bin("detente").expect("binary builds")
}

const BASELINE: &str = "scenarios/lithuania_belarus/baseline.toml";
const SENSITIVITY: &str = "scenarios/lithuania_belarus/combined_sensitivity.toml";

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shards' parts of `detente run BASELINE --runs 600` (600 runs: more than one block of 256,
/// and shards that start and end inside blocks) in `dir`, with their rows.
fn shard_parts(dir: &Path, n: u64, extra: &[&str]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut parts = Vec::new();
    let mut rows = Vec::new();
    for k in 1..=n {
        let part = dir.join(format!("part-{k}-of-{n}.json"));
        let row = dir.join(format!("rows-{k}-of-{n}.csv"));
        detente()
            .args([
                "run",
                BASELINE,
                "--runs",
                "600",
                "--seed",
                "5",
                "--threads",
                "1",
            ])
            .args(extra)
            .args(["--shard", &format!("{k}/{n}"), "-q", "-o"])
            .arg(&part)
            .arg("--rows")
            .arg(&row)
            .assert()
            .success()
            .stdout("");
        parts.push(part);
        rows.push(row);
    }
    (parts, rows)
}

/// `detente merge` refuses to write the merged result over one of the parts it reads.
fn refuses_to_overwrite_a_part(parts: &[PathBuf]) {
    let before = read(&parts[0]);
    detente()
        .arg("merge")
        .args(parts)
        .arg("-o")
        .arg(&parts[0])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("which this command reads"));
    assert!(read(&parts[0]) == before, "the part is untouched");
}

#[test]
fn ensemble_shards_merge_to_the_unsharded_report_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extra = ["--set", "tension_decay=0.12"];
    detente()
        .args(["run", BASELINE, "--runs", "600", "--seed", "5", "-q"])
        .args(extra)
        .arg("-o")
        .arg(d.join("whole.json"))
        .arg("--rows")
        .arg(d.join("whole.csv"))
        .arg("--bands")
        .arg(d.join("whole-bands.csv"))
        .assert()
        .success();
    detente()
        .args(["run", BASELINE, "--runs", "600", "--seed", "5", "-q"])
        .args(extra)
        .arg("-o")
        .arg(d.join("whole.md"))
        .assert()
        .success();
    for n in [1, 2, 3, 7] {
        let (mut parts, rows) = shard_parts(d, n, &extra);
        // Any order of the parts.
        parts.reverse();
        let merged = d.join(format!("merged-{n}.json"));
        let merged_md = d.join(format!("merged-{n}.md"));
        let bands = d.join(format!("merged-{n}-bands.csv"));
        detente()
            .arg("merge")
            .args(&parts)
            .arg("-q")
            .arg("-o")
            .arg(&merged)
            .arg("--bands")
            .arg(&bands)
            .assert()
            .success();
        assert!(
            read(&merged) == read(&d.join("whole.json")),
            "{n} shards: JSON"
        );
        assert!(
            read(&bands) == read(&d.join("whole-bands.csv")),
            "{n} shards: bands"
        );
        detente()
            .arg("merge")
            .args(&parts)
            .arg("-q")
            .arg("-o")
            .arg(&merged_md)
            .assert()
            .success();
        assert!(
            read(&merged_md) == read(&d.join("whole.md")),
            "{n} shards: Markdown"
        );
        // The shards' rows, the first header kept, are the unsharded table.
        let mut joined = Vec::new();
        for (k, r) in rows.iter().enumerate() {
            let text = String::from_utf8(read(r)).unwrap();
            let body = if k == 0 {
                &text[..]
            } else {
                &text[text.find('\n').unwrap() + 1..]
            };
            joined.extend_from_slice(body.as_bytes());
        }
        assert!(joined == read(&d.join("whole.csv")), "{n} shards: rows");
    }
}

#[test]
fn sweep_shards_merge_to_the_unsharded_sweep_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for design in ["oat", "lhs"] {
        let sweep = |extra: &[&str], out: &Path| {
            detente()
                .args(["sweep", SENSITIVITY, "--design", design, "--points", "7"])
                .args(["--runs", "20", "--threads", "1", "-q"])
                .args(extra)
                .arg("-o")
                .arg(out)
                .assert()
                .success();
        };
        let whole = d.join(format!("{design}.json"));
        sweep(&[], &whole);
        let whole_md = d.join(format!("{design}.md"));
        sweep(&[], &whole_md);
        for n in [1, 2, 3, 7] {
            let parts: Vec<PathBuf> = (1..=n)
                .map(|k| {
                    let part = d.join(format!("{design}-part-{k}-of-{n}.json"));
                    sweep(&["--shard", &format!("{k}/{n}")], &part);
                    part
                })
                .rev()
                .collect();
            if n == 2 {
                refuses_to_overwrite_a_part(&parts);
            }
            for (out, expected) in [("merged.json", &whole), ("merged.md", &whole_md)] {
                let merged = d.join(format!("{design}-{n}-{out}"));
                detente()
                    .arg("merge")
                    .args(&parts)
                    .arg("-o")
                    .arg(&merged)
                    .assert()
                    .success();
                assert!(
                    read(&merged) == read(expected),
                    "{design}, {n} shards: {out}"
                );
            }
        }
    }
}

#[test]
fn merge_refuses_foreign_missing_and_duplicate_parts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (parts, _) = shard_parts(d, 3, &[]);
    let merge = |files: &[&Path]| {
        let mut c = detente();
        c.arg("merge").args(files).arg("-o").arg(d.join("m.json"));
        c.assert().code(2)
    };
    merge(&[&parts[0], &parts[2]]).stderr(predicate::str::contains("shard 2 of 3 is missing"));
    merge(&[&parts[0], &parts[1], &parts[1], &parts[2]])
        .stderr(predicate::str::contains("are both shard 2/3"));
    // Another seed is other work.
    let other = d.join("other.json");
    detente()
        .args([
            "run", BASELINE, "--runs", "600", "--seed", "6", "--shard", "2/3", "-q", "-o",
        ])
        .arg(&other)
        .assert()
        .success();
    merge(&[&parts[0], &other, &parts[2]]).stderr(
        predicate::str::contains("of different work").and(predicate::str::contains("--seed 6")),
    );
    // Another split.
    let split = d.join("split.json");
    detente()
        .args([
            "run", BASELINE, "--runs", "600", "--seed", "5", "--shard", "2/4", "-q", "-o",
        ])
        .arg(&split)
        .assert()
        .success();
    merge(&[&parts[0], &split, &parts[2]]).stderr(predicate::str::contains("different splits"));
    // A report is not a part.
    let report = d.join("report.json");
    detente()
        .args(["run", BASELINE, "--runs", "20", "-q", "-o"])
        .arg(&report)
        .assert()
        .success();
    merge(&[&report]).stderr(predicate::str::contains("is not a part").and(
        predicate::str::contains("`detente-ensemble` file, not a `detente-part`"),
    ));
    // A damaged part: cut short, or changed into other valid JSON.
    let text = fs::read_to_string(&parts[1]).unwrap();
    let damaged = d.join("damaged.json");
    fs::write(&damaged, &text[..text.len() / 2]).unwrap();
    merge(&[&parts[0], &damaged, &parts[2]]).stderr(predicate::str::contains("is not a part"));
    let at = text.find("\"runs\":600").unwrap();
    let digit = text[at..]
        .find(|c: char| c.is_ascii_digit() && c != '6' && c != '0')
        .unwrap()
        + at;
    let mut changed = text.clone().into_bytes();
    changed[digit] = if changed[digit] == b'1' { b'2' } else { b'1' };
    fs::write(&damaged, changed).unwrap();
    merge(&[&parts[0], &damaged, &parts[2]])
        .stderr(predicate::str::contains("do not match their checksum"));
    refuses_to_overwrite_a_part(&parts);
    assert!(!d.join("m.json").exists());
}

#[test]
fn merge_refuses_a_scenario_that_changed_since_the_shards_ran() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = d.join("s.toml");
    fs::copy("scenarios/classics/prisoners_dilemma.toml", &scenario).unwrap();
    let mut parts = Vec::new();
    for k in 1..=2 {
        let part = d.join(format!("p{k}.json"));
        detente()
            .arg("run")
            .arg(&scenario)
            .args(["--runs", "40", "--shard", &format!("{k}/2"), "-q", "-o"])
            .arg(&part)
            .assert()
            .success();
        parts.push(part);
    }
    let mut text = fs::read_to_string(&scenario).unwrap();
    text.push_str("\n# edited\n");
    fs::write(&scenario, text).unwrap();
    detente()
        .arg("merge")
        .args(&parts)
        .arg("-o")
        .arg(d.join("m.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is not the scenario the parts were made from",
        ));
}

/// The arguments of the long ensemble the resume tests interrupt: one thread, a checkpoint
/// record after every block of 256 runs.
fn long_run(checkpoint: &Path, out: &Path, rows: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        BASELINE,
        "--runs",
        "4000",
        "--seed",
        "3",
        "--threads",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(["-q".into(), "--checkpoint-every".into(), "0".into()]);
    for (flag, path) in [("--checkpoint", checkpoint), ("-o", out), ("--rows", rows)] {
        args.extend([flag.to_string(), path.display().to_string()]);
    }
    args
}

/// Starts `args`, waits until `checkpoint` holds `lines` lines (its header and some records),
/// sends `signal` and returns the exit status.
fn interrupt_once_checkpointed(
    args: &[String],
    checkpoint: &Path,
    lines: usize,
    signal: &str,
) -> Option<i32> {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("detente"))
        .args(args)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        let n = fs::read(checkpoint).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        if n >= lines {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("finished before it was interrupted: {status}");
        }
        assert!(start.elapsed().as_secs() < 300, "no checkpoint records");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap().code()
}

#[test]
fn an_interrupted_ensemble_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (out, rows) = (d.join("whole.json"), d.join("whole.csv"));
    detente()
        .args(["run", BASELINE, "--runs", "4000", "--seed", "3", "-q", "-o"])
        .arg(&out)
        .arg("--rows")
        .arg(&rows)
        .assert()
        .success();
    for (signal, status) in [("-INT", Some(130)), ("-KILL", None)] {
        let ck = d.join(format!("ck{signal}"));
        let (o, r) = (
            d.join(format!("o{signal}.json")),
            d.join(format!("r{signal}.csv")),
        );
        let args = long_run(&ck, &o, &r);
        // Stopped after the first of its four blocks, so that a loaded machine's late signal
        // still finds it running.
        assert_eq!(
            interrupt_once_checkpointed(&args, &ck, 2, signal),
            status,
            "{signal}"
        );
        assert!(
            !o.exists() && !r.exists(),
            "{signal}: no output before the end"
        );
        // The same command again: it continues, and the result is the uninterrupted one.
        detente().args(&args).assert().success();
        assert!(read(&o) == read(&out), "{signal}: report");
        assert!(read(&r) == read(&rows), "{signal}: rows");
        // Once more: the checkpoint holds every run, nothing is run again, same bytes.
        detente().args(&args).assert().success();
        assert!(
            read(&o) == read(&out),
            "{signal}: report from a finished checkpoint"
        );
    }
}

#[test]
fn an_interrupted_sweep_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sweep = |out: &Path| -> Vec<String> {
        let mut a: Vec<String> = ["sweep", SENSITIVITY, "--design", "lhs", "--points", "40"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(["--runs", "30", "--threads", "1", "-q", "-o"].map(String::from));
        a.push(out.display().to_string());
        a
    };
    let whole = d.join("whole.csv");
    detente().args(sweep(&whole)).assert().success();
    let (ck, out) = (d.join("ck"), d.join("resumed.csv"));
    let mut args = sweep(&out);
    args.extend(["--checkpoint".into(), ck.display().to_string()]);
    assert_eq!(
        interrupt_once_checkpointed(&args, &ck, 4, "-INT"),
        Some(130)
    );
    detente().args(&args).assert().success();
    assert!(read(&out) == read(&whole));
}

#[test]
fn a_foreign_or_damaged_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ck = d.join("ck");
    let run = |seed: &str, ck: &Path| {
        let mut c = detente();
        c.args(["run", BASELINE, "--runs", "300", "--seed", seed, "-q", "-o"])
            .arg(d.join("r.json"))
            .arg("--checkpoint")
            .arg(ck);
        c
    };
    run("1", &ck).assert().success();
    run("2", &ck)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is a checkpoint of different work",
        ));
    // A changed byte in a record.
    let mut bytes = read(&ck);
    let second = bytes.iter().position(|&b| b == b'\n').unwrap() + 40;
    bytes[second] = if bytes[second] == b'1' { b'2' } else { b'1' };
    let damaged = d.join("damaged");
    fs::write(&damaged, &bytes).unwrap();
    run("1", &damaged)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 2 is damaged"));
    // Not a checkpoint at all: a scenario is never mistaken for one, nor written over.
    let scenario = d.join("s.toml");
    fs::copy(BASELINE, &scenario).unwrap();
    run("1", &scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a detente checkpoint"));
    assert!(read(&scenario) == read(Path::new(BASELINE)));
    // Rows streamed now, but not by the command that made the checkpoint: refused, not a
    // table missing the runs already done.
    run("1", &ck)
        .arg("--rows")
        .arg(d.join("rows.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not keep the per-run rows"));
    assert!(!d.join("rows.csv").exists());
    // A checkpoint is a file, never standard output.
    run("1", Path::new("-"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a stream"));
    assert!(!Path::new("-").exists());
    detente()
        .args([
            "run",
            BASELINE,
            "--runs",
            "30",
            "--checkpoint-every",
            "nan",
            "--checkpoint",
        ])
        .arg(d.join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a number of seconds"));
    // A sweep's checkpoint is not an ensemble's.
    detente()
        .args([
            "sweep",
            SENSITIVITY,
            "--design",
            "oat",
            "--runs",
            "10",
            "-q",
            "-o",
        ])
        .arg(d.join("s.md"))
        .arg("--checkpoint")
        .arg(&ck)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("checkpoint of different work").or(
            predicate::str::contains("of `detente run` and `detente sweep`"),
        ));
}
