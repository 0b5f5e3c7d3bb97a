//! The classic models shipped in scenarios/classics/ reproduce their known results.

mod common;

use common::{model_with, series};
use detente::Overrides;

fn load(path: &str, text: &str) -> detente::Model {
    model_with(&[(path, text)], path, &Overrides::default())
}

fn file(path: &str) -> String {
    std::fs::read_to_string(path).expect("scenario file")
}

/// Richardson's equilibrium for coefficients (k1, m1, g1) of A→B and (k2, m2, g2) of B→A.
fn equilibrium(k1: f64, m1: f64, g1: f64, k2: f64, m2: f64, g2: f64) -> (f64, f64) {
    let det = m1 * m2 - k1 * k2;
    ((k1 * g2 + m2 * g1) / det, (k2 * g1 + m1 * g2) / det)
}

/// The shipped Richardson model with these `--set` values.
fn richardson(set: &[(&str, f64)]) -> (detente::Model, detente::RunRecord) {
    let overrides = Overrides {
        parameters: set.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        steps: None,
    };
    let path = "scenarios/classics/richardson.toml";
    let m = model_with(&[(path, &file(path))], path, &overrides);
    let r = detente::run_once(&m, 0).unwrap();
    (m, r)
}

#[test]
fn richardson_settles_at_the_equilibrium_formula() {
    let cases = [
        // (k1, m1, g1, k2, m2, g2): the shipped coefficients, then others.
        (0.3, 0.5, 0.1, 0.4, 0.6, 0.2),
        (0.1, 0.9, 0.05, 0.2, 0.7, 0.3),
        (0.45, 0.5, 0.1, 0.4, 0.6, -0.05),
    ];
    for (k1, m1, g1, k2, m2, g2) in cases {
        let set = [
            ("k1", k1),
            ("m1", m1),
            ("g1", g1),
            ("k2", k2),
            ("m2", m2),
            ("g2", g2),
        ];
        let (m, r) = richardson(&set);
        let (x, y) = equilibrium(k1, m1, g1, k2, m2, g2);
        let (a, b) = (
            *series(&m, &r, "arms_a").last().unwrap(),
            *series(&m, &r, "arms_b").last().unwrap(),
        );
        assert!(
            (a - x).abs() < 1e-6 && (b - y).abs() < 1e-6,
            "{set:?}: got ({a}, {b}), want ({x}, {y})"
        );
    }
    // The shipped file says when it settles.
    let (_, r) = richardson(&[]);
    assert!(r.reached[0].is_some());
}

#[test]
fn richardson_forgets_where_it_started_and_its_step_size_sets_the_steps() {
    let (m, r) = richardson(&[("x0", 2.0), ("y0", 0.25)]);
    let a = series(&m, &r, "arms_a");
    assert_eq!(a[0], 2.0);
    assert!((a[2000] - 2.0 / 3.0).abs() < 1e-6, "{}", a[2000]);
    // Half the step: twice the steps for the same 200 time units, and the same fixed point.
    let (m, r) = richardson(&[("h", 0.05)]);
    assert_eq!((m.steps(), m.dt()), (4000, 0.05));
    assert!((series(&m, &r, "arms_b")[4000] - 7.0 / 9.0).abs() < 1e-6);
}

#[test]
fn richardson_runs_away_when_reaction_outweighs_fatigue() {
    // k1 k2 = 0.6 * 0.9 = 0.54 > m1 m2 = 0.30: no stable equilibrium, both grow without bound.
    let (m, r) = richardson(&[("k1", 0.6), ("k2", 0.9), ("horizon", 30.0)]);
    assert_eq!(m.steps(), 300);
    let a = series(&m, &r, "arms_a");
    assert!(
        a[300] > 10.0 * a[150] && a[150] > 10.0,
        "{} {}",
        a[150],
        a[300]
    );
}

#[test]
fn tit_for_tat_against_always_defect_scores_199_to_204() {
    let m = load(
        "pd.toml",
        &file("scenarios/classics/prisoners_dilemma.toml"),
    );
    let r = detente::run_once(&m, 0).unwrap();
    assert_eq!(series(&m, &r, "tft")[200], 199.0);
    assert_eq!(series(&m, &r, "alld")[200], 204.0);
    // Round by round: TFT is suckered once, then both defect.
    assert_eq!(&series(&m, &r, "tft")[..4], &[0.0, 0.0, 1.0, 2.0]);
    assert_eq!(&series(&m, &r, "alld")[..4], &[0.0, 5.0, 6.0, 7.0]);
    assert_eq!(common::count(&m, &r, "TFT", "cooperate"), 1);
    assert_eq!(common::count(&m, &r, "TFT", "defect"), 199);
}

#[test]
fn grudger_and_tit_for_tat_cooperate_throughout() {
    let m = load("g.toml", &file("scenarios/classics/grudger_vs_tft.toml"));
    let r = detente::run_once(&m, 0).unwrap();
    assert_eq!(series(&m, &r, "grudger")[200], 600.0);
    assert_eq!(series(&m, &r, "tft")[200], 600.0);
    // A single defection by TFT's partner turns the grudger for good: make TFT open with a
    // defection and the grudger never cooperates again.
    let text = file("scenarios/classics/grudger_vs_tft.toml").replace(
        "when = \"not did(target, self, defect)\"",
        "when = \"step > 1 and not did(target, self, defect)\"",
    );
    let text = text.replace(
        "when = \"did(target, self, defect)\"",
        "when = \"step == 1 or did(target, self, defect)\"",
    );
    let m = load("g.toml", &text);
    let r = detente::run_once(&m, 0).unwrap();
    assert_eq!(common::count(&m, &r, "GRUDGER", "cooperate"), 1);
    assert_eq!(common::count(&m, &r, "GRUDGER", "defect"), 199);
}

/// The round robin's final totals and the alternator's matches.
fn tournament(text: &str) -> (detente::Model, detente::RunRecord) {
    let m = load("t.toml", text);
    let r = detente::run_once(&m, 0).unwrap();
    (m, r)
}

fn finals(m: &detente::Model, r: &detente::RunRecord, names: &[&str]) -> Vec<f64> {
    names
        .iter()
        .map(|n| *series(m, r, n).last().unwrap())
        .collect()
}

#[test]
fn the_round_robin_gives_the_known_scores() {
    let (m, r) = tournament(&file("scenarios/classics/tournament.toml"));
    assert_eq!(
        finals(&m, &r, &["grudger", "tft", "tf2t", "alt"]),
        [1797.0, 1698.0, 1500.0, 1410.0]
    );
    assert_eq!(
        finals(
            &m,
            &r,
            &[
                "grudger_vs_alt",
                "alt_vs_grudger",
                "tft_vs_alt",
                "alt_vs_tft",
                "tf2t_vs_alt",
                "alt_vs_tf2t"
            ]
        ),
        [597.0, 107.0, 498.0, 503.0, 300.0, 800.0]
    );
    // The nice players never defect against each other: only the alternator is punished.
    assert_eq!(common::count(&m, &r, "GRUDGER", "defect"), 198);
    assert_eq!(common::count(&m, &r, "TFT", "defect"), 99);
    assert_eq!(common::count(&m, &r, "TF2T", "defect"), 0);
    assert_eq!(r.reached[0], Some(5), "the grudger leads from round 5");
}

#[test]
fn a_grudge_toward_anyone_turns_the_grudger_on_an_innocent_third_player() {
    // Counting tit-for-tat's defections against the alternator too, the grudger turns on
    // tit-for-tat after round 3, and the two nice players end up defecting at each other.
    let text = file("scenarios/classics/tournament.toml")
        .replace(
            "times(target, self, defect) == 0",
            "times(target, defect) == 0",
        )
        .replace(
            "times(target, self, defect) > 0",
            "times(target, defect) > 0",
        );
    let (m, r) = tournament(&text);
    let grudger = *series(&m, &r, "grudger").last().unwrap();
    assert!(grudger < 1797.0, "{grudger}");
    assert!(common::count(&m, &r, "GRUDGER", "defect") > 198);
}

#[test]
fn tit_for_two_tats_forgives_one_defection_but_not_two_in_a_row() {
    // The alternator becomes C, D, D, C, D, D, ...: after each pair of defections (rounds
    // n - 2 and n - 1 with n = 1 mod 3, from n = 4 to 199) tit-for-two-tats defects once.
    let text = file("scenarios/classics/tournament.toml")
        .replace("when = \"step % 2 == 1\"", "when = \"step % 3 == 1\"")
        .replace("when = \"step % 2 == 0\"", "when = \"step % 3 != 1\"");
    let (m, r) = tournament(&text);
    assert_eq!(common::count(&m, &r, "TF2T", "defect"), 66);
}
