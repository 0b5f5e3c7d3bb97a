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

fn detente() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("detente").unwrap()
}

/// `detente compare` in the Lithuania–Belarus folder; its standard output.
fn compare_lb(args: &[&str]) -> String {
    let out = detente()
        .current_dir("scenarios/lithuania_belarus")
        .arg("compare")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// The Markdown table row of `variant` and metric id `id`.
fn row<'a>(md: &'a str, variant: &str, id: &str) -> &'a str {
    md.lines()
        .find(|l| l.starts_with(&format!("| {variant} |")) && l.contains(&format!("`{id}`")))
        .unwrap_or_else(|| panic!("no row {variant} {id} in\n{md}"))
}

#[test]
fn a_rare_outcome_in_4_of_1000_runs_is_not_claimed_significant() {
    // P(crisis) 0.4 % in the baseline, 0.0 % with monitoring: the old paired t (Wald) interval on
    // 0/1 differences gave [-0.0079, -0.0001] and a `*`; the exact McNemar test gives p = 0.125.
    let md = compare_lb(&["baseline.toml", "monitoring.toml", "--runs", "1000"]);
    let r = row(&md, "monitoring.toml", "outcome.crisis");
    assert!(!r.contains('*'), "{r}");
    let cells: Vec<&str> = r.split('|').map(str::trim).collect();
    let p: f64 = cells[8].parse().unwrap();
    assert!(p > 0.05, "{r}");
    // The report says which method it used.
    assert!(
        md.contains("newcombe-paired: Newcombe's paired score interval"),
        "{md}"
    );
    assert!(md.contains("paired-t: paired t interval"), "{md}");
}

#[test]
fn outcomes_no_run_reaches_are_identical_in_every_run_not_zero_star() {
    let md = compare_lb(&["baseline.toml", "monitoring.toml", "--runs", "200"]);
    let r = row(&md, "monitoring.toml", "outcome.normalization");
    assert!(
        r.contains("identical in every run") && !r.contains('*'),
        "{r}"
    );
    assert!(
        md.contains("monitoring.toml: identical to baseline.toml in every run in"),
        "{md}"
    );
}

#[test]
fn a_difference_the_same_in_every_run_shows_its_digits_not_a_zero_interval() {
    // All four recommendations set trust(BLR, LTU) to 1 in every run, from 0.
    let md = compare_lb(&["baseline.toml", "combined.toml", "--runs", "50"]);
    let r = row(&md, "combined.toml", "final.trust_blr_ltu");
    assert!(
        r.contains("+1 in every run *") && !r.contains("[1.0000, 1.0000]"),
        "{r}"
    );
    assert!(
        md.contains("raises final trust(BLR, LTU) by 1.00000 in every run"),
        "{md}"
    );
}

#[test]
fn holm_adjusts_the_report_and_fail_if_alike() {
    // With 100 runs multilateral raises final leverage on BLR with p ≈ 0.005: significant alone,
    // not after Holm over every difference of the command.
    let args = [
        "baseline.toml",
        "multilateral.toml",
        "--runs",
        "100",
        "--fail-if",
        "final.leverage_on_blr increases",
    ];
    let run = |adjust: &str| {
        detente()
            .current_dir("scenarios/lithuania_belarus")
            .arg("compare")
            .args(args)
            .args(["--adjust", adjust])
            .output()
            .unwrap()
    };
    let plain = run("none");
    assert_eq!(plain.status.code(), Some(1));
    let md = String::from_utf8(plain.stdout).unwrap();
    assert!(row(&md, "multilateral.toml", "final.leverage_on_blr").contains('*'));
    let holm = run("holm");
    assert_eq!(
        holm.status.code(),
        Some(0),
        "the adjusted decision is the one --fail-if uses"
    );
    let md = String::from_utf8(holm.stdout).unwrap();
    let r = row(&md, "multilateral.toml", "final.leverage_on_blr");
    assert!(!r.contains('*') && r.contains("(99."), "{r}");
    assert!(md.contains("decisions: Holm–Bonferroni over all"), "{md}");
}

#[test]
fn a_variant_that_compiles_to_the_baseline_is_called_out() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("baseline.toml");
    std::fs::copy("scenarios/lithuania_belarus/baseline.toml", &base).unwrap();
    std::fs::write(
        dir.path().join("same.toml"),
        "[scenario]\nextends = \"baseline.toml\"\nname = \"renamed only\"\n",
    )
    .unwrap();
    let out = detente()
        .current_dir(dir.path())
        .args(["compare", "baseline.toml", "same.toml", "--runs", "20"])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains("same.toml: its compiled model is identical to baseline.toml's"),
        "{md}"
    );
}

#[test]
fn saved_reports_of_different_step_counts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let save = |name: &str, steps: &str| {
        let path = dir.path().join(name);
        detente()
            .args(["run", "--runs", "20", "-q", "--steps", steps, "-o"])
            .arg(&path)
            .assert()
            .success();
        path
    };
    let (a, b) = (save("a.json", "104"), save("b.json", "52"));
    detente()
        .arg("compare")
        .args([&a, &b])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "b.json runs 52 weeks and a.json 104 weeks",
        ));
}

#[test]
fn paired_variants_of_different_step_counts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("baseline.toml");
    std::fs::copy("scenarios/lithuania_belarus/baseline.toml", &base).unwrap();
    std::fs::write(
        dir.path().join("short.toml"),
        "[scenario]\nextends = \"baseline.toml\"\nsteps = 90\n",
    )
    .unwrap();
    detente()
        .current_dir(dir.path())
        .args(["compare", "baseline.toml", "short.toml", "--runs", "20"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "short.toml runs 90 weeks and baseline.toml 104 weeks",
        ));
}

/// The rendered errors of `variant` extending a small base with a parameter, an actor pair, a
/// rule, dynamics and an event.
fn variant_errors(variant: &str) -> String {
    let base = r#"
[scenario]
steps = 10
[parameters]
call_trigger = 0.5
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1] }
[actors.POL]
[actors.BLR]
[[relations]]
from = "POL"
to = "BLR"
[actions.phone]
effects = [{ var = "tension", on = "relation", add = -0.01 }]
[rules.eu_phone_minsk]
actor = "POL"
action = "phone"
target = "BLR"
when = "tension(self, target) > call_trigger"
[dynamics.tension_reversion]
var = "tension"
add = "0.01 * (0.5 - tension)"
[events.kuznica]
actor = "BLR"
action = "phone"
target = "POL"
at = [3]
[outcomes]
calm = "tension(POL, BLR) < 0.3"
"#;
    let with_extends = format!("[scenario]\nextends = \"base.toml\"\n{variant}");
    common::errors_with(&[("base.toml", base), ("v.toml", &with_extends)], "v.toml")
}

#[test]
fn a_misspelled_parameter_override_is_an_error_with_a_did_you_mean() {
    let text = variant_errors("[parameters]\ncall_triger = 0.3\n");
    assert!(
        text.contains("parameter `call_triger` is not in `base.toml`")
            && text.contains("did you mean `call_trigger`?")
            && text.contains("[add.parameters]"),
        "{text}"
    );
}

#[test]
fn a_misspelled_actor_is_an_error_not_a_new_unconnected_actor() {
    let text = variant_errors("[actors.PLO]\nname = \"Poland\"\n");
    assert!(
        text.contains("actor `PLO` is not in `base.toml`")
            && text.contains("did you mean `POL`?")
            && text.contains("[add.actors.PLO]"),
        "{text}"
    );
}

#[test]
fn disabling_items_that_do_not_exist_is_an_error() {
    let text = variant_errors(
        "[rules.eu_sanction]\nenabled = false\n[dynamics.tension_reversal]\nenabled = false\n\
         [events.kuznika]\nenabled = false\n",
    );
    for expected in [
        "rule `eu_sanction` is not in `base.toml`",
        "dynamics `tension_reversal` is not in `base.toml`",
        "did you mean `tension_reversion`?",
        "event `kuznika` is not in `base.toml`",
        "did you mean `kuznica`?",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}

#[test]
fn overriding_a_misspelled_rule_points_at_the_name_not_a_missing_action() {
    let text = variant_errors("[rules.deu_phone_minsk]\nprobability = 0.5\n");
    assert!(
        text.contains("rule `deu_phone_minsk` is not in `base.toml`")
            && text.contains("did you mean `eu_phone_minsk`?")
            && !text.contains("has no `action`"),
        "{text}"
    );
}

#[test]
fn adding_what_exists_or_a_relation_that_exists_is_an_error() {
    let text = variant_errors(
        "[add.rules.eu_phone_minsk]\nactor = \"POL\"\naction = \"phone\"\ntarget = \"BLR\"\n\
         [[add.relations]]\nfrom = \"POL\"\nto = \"BLR\"\n[[relations]]\nfrom = \"BLR\"\nto = \"POL\"\n",
    );
    for expected in [
        "rule `eu_phone_minsk` is added, but `base.toml` already has it",
        "to change it, write [rules.eu_phone_minsk]",
        "relation POL → BLR is added, but `base.toml` already has it",
        "relation BLR → POL is not in `base.toml`",
        "[[add.relations]]",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}

#[test]
fn additions_are_visible_and_work() {
    let files = [
        ("base.toml", "[scenario]\nsteps = 3\n[variables]\nx = { of = \"actor\", default = 0 }\n[actors.A]\n"),
        (
            "v.toml",
            "[scenario]\nextends = \"base.toml\"\n[add.parameters]\nrate = 0.5\n[add.actors.B]\n\
             [add.dynamics.grow]\nvar = \"x\"\nadd = \"rate\"\n[[add.relations]]\nfrom = \"A\"\nto = \"B\"\n",
        ),
    ];
    let m = common::model_with(&files, "v.toml", &Overrides::default());
    assert_eq!((m.n_actors(), m.n_relations()), (2, 1));
    // Without `extends` there is nothing to add to.
    let text = common::errors("[scenario]\nsteps = 3\n[add.parameters]\nrate = 0.5\n");
    assert!(
        text.contains("[add] in a file that extends no other"),
        "{text}"
    );
}

#[test]
fn add_cannot_hold_settings_or_relation_files_and_cannot_both_add_and_change() {
    let text = variant_errors(
        "[add.scenario]\nsteps = 5\n[add.parameters]\nextra = 1\n[parameters]\nextra = 2\n",
    );
    for expected in [
        "`add.scenario`: [scenario] settings are changed, not added",
        "parameter `extra` is both added and changed in this file",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}
