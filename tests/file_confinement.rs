//! Files a scenario may read: by default only under its own folder or the current folder (links
//! resolved), regular files only; `--allow-dir` opens another folder. A file that may not be read
//! is never quoted.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::Path;

fn detente() -> Command {
    Command::cargo_bin("detente").expect("binary builds")
}

/// A scenario in `dir/inner/s.toml` whose tail (relation files, extends) is `tail`.
fn scenario(dir: &Path, head: &str, tail: &str) -> String {
    let inner = dir.join("inner");
    fs::create_dir_all(&inner).unwrap();
    let path = inner.join("s.toml");
    fs::write(
        &path,
        format!("[scenario]\n{head}steps = 2\n[variables]\nt = {{ of = \"relation\" }}\n[actors.A]\n[actors.B]\n{tail}"),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// A file outside the scenario's folder (and outside the current folder), with a secret in it.
fn secret(dir: &Path) -> String {
    let p = dir.join("secret.csv");
    fs::write(&p, "from,to\nTOP-SECRET,A\n").unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_relation_file_outside_the_scenario_folder_is_refused_unquoted() {
    let dir = tempfile::tempdir().unwrap();
    secret(dir.path());
    let s = scenario(
        dir.path(),
        "",
        "[[relation_files]]\npath = \"../secret.csv\"\n",
    );
    detente()
        .args(["check", &s])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("outside the scenario's folder"))
        .stderr(predicate::str::contains("TOP-SECRET").not());
    // Allowed explicitly, it is read (and its unknown actor reported).
    detente()
        .args(["check", &s, "--allow-dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown actor `TOP-SECRET`"));
}

#[test]
fn an_absolute_extends_outside_is_refused_unquoted() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("passwd");
    fs::write(&outside, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    let s = scenario(
        dir.path(),
        &format!("extends = \"{}\"\n", outside.display()),
        "",
    );
    detente()
        .args(["check", &s])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("outside the scenario's folder"))
        .stderr(predicate::str::contains("root:x").not());
}

#[test]
fn a_link_out_of_the_folder_is_outside_too() {
    let dir = tempfile::tempdir().unwrap();
    let target = secret(dir.path());
    let s = scenario(dir.path(), "", "[[relation_files]]\npath = \"net.csv\"\n");
    std::os::unix::fs::symlink(&target, dir.path().join("inner/net.csv")).unwrap();
    detente()
        .args(["check", &s])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("outside the scenario's folder"))
        .stderr(predicate::str::contains("TOP-SECRET").not());
}

#[test]
fn a_fifo_or_a_device_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path(), "", "[[relation_files]]\npath = \"pipe.csv\"\n");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("inner/pipe.csv"))
        .status()
        .unwrap();
    assert!(made.success());
    // Reading a FIFO nobody writes would block for ever: refused at once.
    detente()
        .args(["check", &s])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a regular file"));
    // /dev/zero would never end: refused, even where its folder is allowed.
    let s = scenario(dir.path(), "extends = \"/dev/zero\"\n", "");
    detente()
        .args(["check", &s, "--allow-dir", "/dev"])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a regular file"));
}

#[test]
fn extends_naming_no_file_says_so() {
    for value in ["", ".", "folder/"] {
        let dir = tempfile::tempdir().unwrap();
        let s = scenario(dir.path(), &format!("extends = \"{value}\"\n"), "");
        detente()
            .args(["check", &s])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("names no scenario file"));
    }
}

#[test]
fn a_loop_through_a_linked_folder_is_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path(), "extends = \"loop/s.toml\"\n", "");
    std::os::unix::fs::symlink(".", dir.path().join("inner/loop")).unwrap();
    detente()
        .args(["check", &s])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`extends` makes a cycle"));
}

#[test]
fn a_variant_may_extend_a_file_in_the_current_folder() {
    // Run from the project folder, a variant in a temporary folder may not reach the project's
    // files, but one inside the project tree may: the current folder is a root.
    detente()
        .args(["check", "scenarios/lithuania_belarus/monitoring.toml"])
        .assert()
        .success();
}
