//! Sensitivity estimators on the per-point estimates of one output: Sobol indices (Jansen's
//! estimators on Saltelli's design) and Morris elementary effects, each with bootstrap intervals.
//! Pure functions of the numbers given.

use crate::rng;
use crate::stats;

/// Bootstrap resamples behind every interval here.
pub const BOOTSTRAP: u32 = 1000;

/// First- and total-order Sobol indices of one factor, with 95 % bootstrap percentile
/// intervals (resampling the base rows).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SobolIndex {
    /// First-order index S1.
    pub first: f64,
    /// Its interval.
    pub first_ci: [f64; 2],
    /// Total-order index ST.
    pub total: f64,
    /// Its interval.
    pub total_ci: [f64; 2],
}

/// Morris's elementary-effect statistics of one factor: μ, μ* (Campolongo, Cariboni and Saltelli
/// 2007: the mean of |EE|) with a 95 % bootstrap interval over trajectories, and σ.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct MorrisEffect {
    /// Mean elementary effect.
    pub mu: f64,
    /// Mean absolute elementary effect.
    pub mu_star: f64,
    /// μ*'s interval.
    pub mu_star_ci: [f64; 2],
    /// Standard deviation of the elementary effects (interactions, non-linearity).
    pub sigma: f64,
}

/// Sobol indices of each of `k` factors from `y`, the outputs at Saltelli's points in the order
/// the sweep design lays them out (rows of k + 2: A, B, A_B^(1) … A_B^(k)). Jansen's (1999)
/// estimators, as recommended by Saltelli et al. (2010), Table 2:
/// V = Var(f(A), f(B)) (population variance); S1_i = (V − Σ (f(B) − f(A_B^i))² / 2N) / V;
/// ST_i = Σ (f(A) − f(A_B^i))² / 2N / V. A constant output gives all zeros.
pub fn sobol(y: &[f64], k: usize, seed: u64) -> Vec<SobolIndex> {
    let rows: Vec<&[f64]> = y.chunks_exact(k + 2).collect();
    let point = |rows: &[&[f64]]| -> Vec<(f64, f64)> {
        let n = rows.len() as f64;
        let ab: Vec<f64> = rows.iter().flat_map(|r| [r[0], r[1]]).collect();
        // The population variance of the 2N values, as Saltelli et al. (2010) write it.
        let m = ab.len() as f64;
        let v = stats::summarize(&ab).sd.powi(2) * (m - 1.0) / m.max(1.0);
        (0..k)
            .map(|i| {
                if v == 0.0 {
                    return (0.0, 0.0);
                }
                let (mut first, mut total) = (0.0, 0.0);
                for r in rows {
                    first += (r[1] - r[2 + i]).powi(2);
                    total += (r[0] - r[2 + i]).powi(2);
                }
                ((v - first / (2.0 * n)) / v, total / (2.0 * n) / v)
            })
            .collect()
    };
    let estimate = point(&rows);
    let resamples: Vec<Vec<(f64, f64)>> = (0..BOOTSTRAP)
        .map(|b| point(&resample(&rows, seed, u64::from(b))))
        .collect();
    (0..k)
        .map(|i| SobolIndex {
            first: estimate[i].0,
            first_ci: percentile_ci(resamples.iter().map(|r| r[i].0)),
            total: estimate[i].1,
            total_ci: percentile_ci(resamples.iter().map(|r| r[i].1)),
        })
        .collect()
}

/// Morris statistics of each of `k` factors from `y`, the outputs along the trajectories (k + 1
/// consecutive points each), and `moves`, which factor each step of a trajectory moved and by how
/// much in unit scale. The elementary effect of a step is Δy / Δu.
pub fn morris(y: &[f64], k: usize, moves: &[(usize, f64)], seed: u64) -> Vec<MorrisEffect> {
    // Per trajectory, the elementary effect of each factor.
    let effects: Vec<Vec<f64>> = y
        .chunks_exact(k + 1)
        .zip(moves.chunks_exact(k))
        .map(|(t, m)| {
            let mut ee = vec![0.0; k];
            for (s, &(i, du)) in m.iter().enumerate() {
                ee[i] = (t[s + 1] - t[s]) / du;
            }
            ee
        })
        .collect();
    let rows: Vec<&[f64]> = effects.iter().map(Vec::as_slice).collect();
    let mu_star = |rows: &[&[f64]], i: usize| {
        rows.iter().map(|r| r[i].abs()).sum::<f64>() / rows.len().max(1) as f64
    };
    let resamples: Vec<Vec<&[f64]>> = (0..BOOTSTRAP)
        .map(|b| resample(&rows, seed, u64::from(b)))
        .collect();
    (0..k)
        .map(|i| {
            let column: Vec<f64> = rows.iter().map(|r| r[i]).collect();
            let s = stats::summarize(&column);
            MorrisEffect {
                mu: s.mean,
                mu_star: mu_star(&rows, i),
                mu_star_ci: percentile_ci(resamples.iter().map(|r| mu_star(r, i))),
                sigma: s.sd,
            }
        })
        .collect()
}

/// `rows` resampled with replacement, keyed by the seed and the resample's number.
fn resample<'a, T: ?Sized>(rows: &[&'a T], seed: u64, b: u64) -> Vec<&'a T> {
    let n = rows.len();
    (0..n as u64)
        .map(|j| {
            let u = rng::uniform(rng::mix(
                rng::mix(seed ^ 0x424f_4f54 ^ b.rotate_left(32)) ^ j,
            ));
            rows[((u * n as f64) as usize).min(n.saturating_sub(1))]
        })
        .collect()
}

/// The 2.5 % and 97.5 % quantiles of the values (Hyndman–Fan definition 7).
fn percentile_ci(values: impl Iterator<Item = f64>) -> [f64; 2] {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    [stats::quantile(&v, 0.025), stats::quantile(&v, 0.975)]
}

#[cfg(test)]
mod tests {
    use super::super::{design, Design, Factor, FactorRange};
    use super::*;
    use std::f64::consts::PI;

    fn ishigami(x: &[f64]) -> f64 {
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    fn cube(k: usize, lo: f64, hi: f64) -> Vec<Factor> {
        (0..k)
            .map(|i| Factor {
                name: format!("x{i}"),
                range: FactorRange::Interval(lo, hi),
                whole: false,
            })
            .collect()
    }

    #[test]
    fn ishigami_indices_lie_in_their_intervals() {
        // Ishigami and Homma (1990) with a = 7, b = 0.1: S1 = 0.3139, 0.4424, 0;
        // ST = 0.5576, 0.4424, 0.2437.
        let f = cube(3, -PI, PI);
        let pts = design::points(&f, &Design::Sobol { base: 4096 }, &[0.0; 3], 11).unwrap();
        let y: Vec<f64> = pts.iter().map(|p| ishigami(p)).collect();
        let idx = sobol(&y, 3, 5);
        let s1 = [0.3139, 0.4424, 0.0];
        let st = [0.5576, 0.4424, 0.2437];
        for i in 0..3 {
            let s = idx[i];
            assert!(
                s.first_ci[0] <= s1[i] && s1[i] <= s.first_ci[1],
                "S1[{i}] {s:?}"
            );
            assert!(
                s.total_ci[0] <= st[i] && st[i] <= s.total_ci[1],
                "ST[{i}] {s:?}"
            );
            assert!(
                (s.first - s1[i]).abs() < 0.05 && (s.total - st[i]).abs() < 0.05,
                "{s:?}"
            );
        }
    }

    #[test]
    fn morris_ranks_factors_of_a_known_function() {
        // y = 10 x0 + 3 x1² + 0.1 x2 (x3 unused): μ* ranks x0 > x1 > x2 > x3, and only x1 is
        // non-linear (σ > 0).
        let f = cube(4, 0.0, 1.0);
        let design = Design::Morris {
            trajectories: 20,
            levels: 4,
        };
        let pts = design::points(&f, &design, &[0.0; 4], 2).unwrap();
        let y: Vec<f64> = pts
            .iter()
            .map(|x| 10.0 * x[0] + 3.0 * x[1] * x[1] + 0.1 * x[2])
            .collect();
        let moves = design::morris_moves(4, 20, 4, 2);
        let m = morris(&y, 4, &moves, 1);
        assert!(m[0].mu_star > m[1].mu_star && m[1].mu_star > m[2].mu_star);
        assert!(m[2].mu_star > m[3].mu_star && m[3].mu_star == 0.0);
        assert!((m[0].mu_star - 10.0).abs() < 1e-9 && m[0].sigma < 1e-9);
        assert!(m[1].sigma > 0.1);
        assert!(m[0].mu_star_ci[0] <= m[0].mu_star && m[0].mu_star <= m[0].mu_star_ci[1]);
    }
}
