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

#[test]
fn richardson_settles_at_the_equilibrium_formula() {
    let text = file("scenarios/classics/richardson.toml");
    let cases = [
        // (k1, m1, g1, k2, m2, g2): the shipped coefficients, then others.
        (0.3, 0.5, 0.1, 0.4, 0.6, 0.2),
        (0.1, 0.9, 0.05, 0.2, 0.7, 0.3),
        (0.45, 0.5, 0.1, 0.4, 0.6, -0.05),
    ];
    for (k1, m1, g1, k2, m2, g2) in cases {
        let mut t = text.clone();
        for (from, old, new) in [
            ("reaction = 0.3   # k1", "0.3", k1),
            ("fatigue = 0.5    # m1", "0.5", m1),
            ("grievance = 0.1  # g1", "0.1", g1),
            ("reaction = 0.4   # k2", "0.4", k2),
            ("fatigue = 0.6    # m2", "0.6", m2),
            ("grievance = 0.2  # g2", "0.2", g2),
        ] {
            t = t.replace(from, &from.replacen(old, &new.to_string(), 1));
        }
        let m = load("r.toml", &t);
        let r = detente::run_once(&m, 0).unwrap();
        let (x, y) = equilibrium(k1, m1, g1, k2, m2, g2);
        let (a, b) = (
            *series(&m, &r, "arms_a").last().unwrap(),
            *series(&m, &r, "arms_b").last().unwrap(),
        );
        assert!(
            (a - x).abs() < 1e-6 && (b - y).abs() < 1e-6,
            "{:?}: got ({a}, {b}), want ({x}, {y})",
            (k1, m1, g1, k2, m2, g2)
        );
    }
    // The shipped file says when it settles.
    let m = load("r.toml", &text);
    assert!(detente::run_once(&m, 0).unwrap().reached[0].is_some());
}

#[test]
fn richardson_runs_away_when_reaction_outweighs_fatigue() {
    // k1 k2 = 0.6 * 0.9 = 0.54 > m1 m2 = 0.30: no stable equilibrium, both grow without bound.
    let text = file("scenarios/classics/richardson.toml")
        .replace("reaction = 0.4   # k2", "reaction = 0.9   # k2")
        .replace("reaction = 0.3   # k1", "reaction = 0.6   # k1")
        .replace("steps = 2000", "steps = 300");
    let m = load("r.toml", &text);
    let r = detente::run_once(&m, 0).unwrap();
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
