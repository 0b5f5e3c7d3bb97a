//! Outputs never destroy anything: no output may be an input, links are written through, FIFOs
//! and devices are written to and never replaced, bad output lists fail before any work, and a
//! signal leaves the previous output intact. Every file here lives in a temporary folder: links,
//! FIFOs and devices are made there, never the system's own.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

fn detente() -> Command {
    Command::cargo_bin("detente").expect("binary builds")
}

const BASELINE: &str = "scenarios/lithuania_belarus/baseline.toml";

/// A copy of the bundled baseline and a variant extending it, in `dir`.
fn scenario_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let base = dir.join("baseline.toml");
    fs::copy(BASELINE, &base).unwrap();
    let variant = dir.join("variant.toml");
    fs::write(
        &variant,
        "[scenario]\nextends = \"baseline.toml\"\nname = \"variant\"\n",
    )
    .unwrap();
    (base, variant)
}

/// Runs detente with `args` and asserts it refused with status 2 and `message` on stderr.
fn refused(args: &[&str], message: &str) {
    detente()
        .args(args)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message));
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// How many entries `dir` holds (outputs plus any temporary file left behind).
fn entries(dir: &Path) -> usize {
    fs::read_dir(dir).unwrap().count()
}

#[test]
fn the_report_cannot_overwrite_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = scenario_pair(dir.path());
    let before = fs::read(&base).unwrap();
    refused(
        &["run", s(&base), "-o", s(&base)],
        "which this command reads",
    );
    assert_eq!(fs::read(&base).unwrap(), before);
    assert_eq!(entries(dir.path()), 2, "no temporary file");
}

#[test]
fn no_output_may_be_a_file_the_scenario_extends() {
    let dir = tempfile::tempdir().unwrap();
    let (base, variant) = scenario_pair(dir.path());
    let before = fs::read(&base).unwrap();
    for flag in ["-o", "--trajectory"] {
        refused(&["run", s(&variant), flag, s(&base)], "baseline.toml");
    }
    refused(
        &["run", s(&variant), "--runs", "3", "--bands", s(&base)],
        "which this command reads",
    );
    refused(
        &["graph", s(&variant), "-o", s(&base)],
        "which this command reads",
    );
    refused(
        &[
            "compare",
            s(&base),
            s(&variant),
            "--runs",
            "3",
            "-o",
            s(&base),
        ],
        "which this command reads",
    );
    assert_eq!(fs::read(&base).unwrap(), before);
}

#[test]
fn no_output_may_be_a_relation_file() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("net.toml");
    fs::copy("scenarios/bench/border_net.toml", &toml).unwrap();
    let csv = dir.path().join("border_net.csv");
    fs::copy("scenarios/bench/border_net.csv", &csv).unwrap();
    let before = fs::read(&csv).unwrap();
    refused(
        &["run", s(&toml), "--steps", "2", "--trajectory", s(&csv)],
        "border_net.csv",
    );
    assert_eq!(fs::read(&csv).unwrap(), before);
}

#[test]
fn a_link_to_an_input_is_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = scenario_pair(dir.path());
    let link = dir.path().join("report.json");
    std::os::unix::fs::symlink("baseline.toml", &link).unwrap();
    let before = fs::read(&base).unwrap();
    refused(
        &["run", s(&base), "-o", s(&link)],
        "which this command reads",
    );
    assert_eq!(fs::read(&base).unwrap(), before);
}

#[test]
fn a_saved_report_cannot_be_overwritten_by_its_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    for p in [&a, &b] {
        detente()
            .args(["run", BASELINE, "--runs", "5", "-q", "-o", s(p)])
            .assert()
            .success();
    }
    let before = fs::read(&a).unwrap();
    refused(
        &["compare", s(&a), s(&b), "-o", s(&a)],
        "which this command reads",
    );
    assert_eq!(fs::read(&a).unwrap(), before);
}

#[test]
fn a_symlinked_output_is_written_through_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    // A dangling link is written through too: the file it names is created.
    let dangling = dir.path().join("dangling.csv");
    std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
    detente()
        .args([
            "run",
            BASELINE,
            "-q",
            "-o",
            s(&link),
            "--trajectory",
            s(&dangling),
        ])
        .assert()
        .success();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real)
        .unwrap()
        .contains("\"format\": \"detente-run\""));
    assert!(fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(dir.path().join("made.csv"))
        .unwrap()
        .starts_with("step,"));
    assert_eq!(entries(dir.path()), 4, "no temporary file");
}

/// A FIFO named `pipe` in `dir`.
fn make_fifo(dir: &Path) -> PathBuf {
    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    fifo
}

#[test]
fn a_fifo_output_is_written_to_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = make_fifo(dir.path());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    detente()
        .args(["run", BASELINE, "-q", "--trajectory", s(&fifo)])
        .assert()
        .success();
    let text = reader.join().unwrap();
    assert!(
        text.starts_with("step,") && text.lines().count() > 100,
        "{text}"
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(entries(dir.path()), 1, "no temporary file");
}

#[test]
fn a_fifo_nobody_reads_is_waited_for_and_sigterm_still_stops_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = make_fifo(dir.path());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("detente"))
        .args(["run", BASELINE, "-q", "--trajectory", s(&fifo)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The run takes milliseconds; then it waits for a reader that never comes.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "it must wait for a reader, not fail or replace the FIFO"
    );
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("interrupted") && stderr.contains("waiting for a reader"),
        "{stderr}"
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(entries(dir.path()), 1, "no temporary file");
}

#[test]
fn a_character_device_output_is_written_to_and_not_replaced() {
    // A null device made in the temporary folder (making one needs root, which CI has); a
    // link to it stands for `/dev/stdout`-style links to devices.
    let dir = tempfile::tempdir().unwrap();
    let null = dir.path().join("null");
    let made = std::process::Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mknod needs root here");
        return;
    }
    let link = dir.path().join("stdout");
    std::os::unix::fs::symlink(&null, &link).unwrap();
    detente()
        .args([
            "run",
            BASELINE,
            "-q",
            "-o",
            s(&null),
            "--trajectory",
            s(&link),
        ])
        .assert()
        .success();
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::metadata(&null).unwrap().file_type().is_char_device());
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(entries(dir.path()), 2, "no temporary file");
}

#[test]
fn an_empty_output_path_fails_before_any_work() {
    // 100,000 runs would take minutes: the refusal comes first.
    refused(
        &["run", BASELINE, "--runs", "100000", "-o", ""],
        "an empty path names no file",
    );
    refused(
        &["graph", BASELINE, "-o", ""],
        "an empty path names no file",
    );
}

#[test]
fn two_outputs_on_standard_output_or_one_file_are_refused() {
    refused(
        &[
            "run", BASELINE, "--runs", "100000", "-o", "-", "--bands", "-",
        ],
        "all write to standard output",
    );
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("same.csv");
    let link = dir.path().join("alias.csv");
    std::os::unix::fs::symlink("same.csv", &link).unwrap();
    refused(
        &[
            "run",
            BASELINE,
            "--runs",
            "100000",
            "-o",
            s(&same),
            "--bands",
            s(&link),
        ],
        "are the same file",
    );
    assert!(!same.exists());
}

/// Whether process `pid` has a file open in `dir`: its output's temporary file, which on Linux
/// has no name (only the process's descriptor shows it), elsewhere a hidden one.
fn output_open(pid: u32, dir: &Path) -> bool {
    if entries(dir) >= 2 {
        return true;
    }
    let dir = dir.canonicalize().unwrap();
    fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
        fds.filter_map(Result::ok)
            .filter_map(|fd| fs::read_link(fd.path()).ok())
            .any(|to| to.starts_with(&dir))
    })
}

/// Starts detente with `args` and `--out out`, and returns once the run is under way: the
/// handlers are installed before any output is opened, so the output's temporary file being
/// open means signals are handled from then on.
fn start_writing(args: &[&str], out: &Path) -> std::process::Child {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("detente"))
        .args(args)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dir = out.parent().unwrap();
    let started = std::time::Instant::now();
    while !output_open(child.id(), dir) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the run never opened its output"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child
}

/// Sends `signal` to `child` and returns its exit status.
fn signal(mut child: std::process::Child, signal: &str) -> Option<i32> {
    std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap().code()
}

/// Starts a long ensemble writing to `out`, sends it `sig` midway, and returns its status.
fn interrupt_midway(out: &Path, sig: &str) -> Option<i32> {
    let args = [
        "run",
        "scenarios/bench/border_net.toml",
        "--runs",
        "100000",
        "--threads",
        "1",
        "-q",
    ];
    signal(start_writing(&args, out), sig)
}

#[test]
fn a_signal_leaves_the_previous_report_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    fs::write(&out, "previous report").unwrap();
    // Ctrl-C and SIGTERM (what `timeout` and schedulers send): a clean stop, status 130 or
    // 143, and no temporary file left behind.
    for (signal, status) in [("-INT", 130), ("-TERM", 143)] {
        assert_eq!(interrupt_midway(&out, signal), Some(status), "{signal}");
        assert_eq!(fs::read_to_string(&out).unwrap(), "previous report");
        assert_eq!(entries(dir.path()), 1, "no temporary file after {signal}");
    }
    // Killed outright: the report is still the previous one, and (on Linux, where the
    // temporary file has no name until it is complete) nothing else is left behind.
    interrupt_midway(&out, "-KILL");
    assert_eq!(fs::read_to_string(&out).unwrap(), "previous report");
    #[cfg(target_os = "linux")]
    assert_eq!(entries(dir.path()), 1, "no temporary file after -KILL");
}

#[test]
fn dev_stdout_redirected_to_a_file_is_appended_to_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    fs::write(&log, "previous log line\n").unwrap();
    let append = fs::OpenOptions::new().append(true).open(&log).unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("detente"))
        .args([
            "run",
            BASELINE,
            "-q",
            "--format",
            "text",
            "-o",
            "/dev/stdout",
        ])
        .stdout(append)
        .status()
        .unwrap();
    assert!(status.success());
    let text = fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("previous log line\n"), "{text}");
    assert!(text.contains("outcomes"), "{text}");
    assert_eq!(entries(dir.path()), 1, "no temporary file");
}

#[test]
fn a_replaced_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("private.json");
    fs::write(&out, "old").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o600)).unwrap();
    detente()
        .args(["run", BASELINE, "-q", "-o", s(&out)])
        .assert()
        .success();
    let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(fs::read_to_string(&out).unwrap().contains("detente-run"));
}

#[test]
fn sigterm_stops_a_single_long_run_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    fs::write(&out, "previous report").unwrap();
    let args = [
        "run",
        "scenarios/bench/border_net.toml",
        "--steps",
        "10000000",
        "-q",
    ];
    assert_eq!(signal(start_writing(&args, &out), "-TERM"), Some(143));
    assert_eq!(fs::read_to_string(&out).unwrap(), "previous report");
    assert_eq!(entries(dir.path()), 1, "no temporary file");
}
