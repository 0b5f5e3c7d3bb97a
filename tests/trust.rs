//! Results you can trust: each test is named after something that once gave a wrong or
//! misleading answer without a word, and now gives a clear error or the right result.

mod common;

use detente::{MemorySources, Overrides};

#[test]
fn a_relation_file_starting_with_a_byte_order_mark_is_read() {
    let scenario =
        "[scenario]\nsteps = 2\n[[relation_files]]\npath = \"r.csv\"\ncreate_actors = true\n\
                    [variables]\ntension = { of = \"relation\", default = 0.5 }\n";
    // As Excel writes it: a BOM, CRLF line ends.
    let csv = "\u{feff}from,to,tension\r\nA,B,0.25\r\n";
    let sources = MemorySources::new([("s.toml", scenario), ("r.csv", csv)]);
    let m = detente::load_model("s.toml", &sources, &Overrides::default())
        .unwrap_or_else(|d| panic!("{}", d.render()));
    let r = detente::run_once(&m, 1).unwrap();
    assert_eq!(r.series_values(&m, "tension_A_B").unwrap()[0], 0.25);
    // With the BOM before a column that is not `from`, errors still point at the right column.
    let bad = "\u{feff}to,from,tensoin\nA,B,0.25\n";
    let sources = MemorySources::new([("s.toml", scenario), ("r.csv", bad)]);
    let text = detente::load_model("s.toml", &sources, &Overrides::default())
        .unwrap_err()
        .render();
    assert!(
        text.contains("r.csv:1:10") && text.contains("did you mean `tension`?"),
        "{text}"
    );
    // ... and nothing else: no knock-on "the scenario has no actors".
    assert!(!text.contains("no actors"), "{text}");
}

#[test]
fn a_replay_past_the_last_run_is_refused() {
    assert_cmd::Command::cargo_bin("detente")
        .unwrap()
        .args(["run", "--runs", "10", "--replay", "10", "-q"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--replay 10 is not a run of --runs 10: runs are numbered 0 to 9",
        ));
}

#[test]
fn a_replay_records_its_run_index_so_the_file_alone_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let replay = |extra: &[&str], out: &std::path::Path| {
        assert_cmd::Command::cargo_bin("detente")
            .unwrap()
            .args(["run", "--seed", "5", "-q", "-o"])
            .arg(out)
            .args(extra)
            .assert()
            .success();
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(out).unwrap()).unwrap()
    };
    let first = replay(&["--runs", "10", "--replay", "7"], &out);
    assert_eq!(
        (first["seed"].as_u64(), first["run"].as_u64()),
        (Some(5), Some(7))
    );
    // The seed and run index from the file give the same report.
    let again = replay(&["--replay", "7"], &dir.path().join("again.json"));
    assert_eq!(first, again);
}
