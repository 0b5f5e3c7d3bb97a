//! Sweep designs: which points of parameter space to run, as a pure function of the factors, the
//! design and the seed. No model, no runs.

use super::{Design, Factor, FactorRange, SweepError};
use crate::rng;

/// Sobol's sequence gives at most this many base rows (`sobol_burley`'s limit, 2^16).
pub const MAX_SOBOL_BASE: u32 = 1 << 16;
/// Sobol's sequence is given for at most this many dimensions (two per factor).
pub const MAX_SOBOL_FACTORS: usize = 128;

/// The points of `design` over `factors` (each point one value per factor, in factor order), and
/// for the Morris design the unit step of each move. `defaults` are the factors' values in the
/// scenario (the centre of a one-at-a-time design).
pub(crate) fn points(
    factors: &[Factor],
    design: &Design,
    defaults: &[f64],
    seed: u64,
) -> Result<Vec<Vec<f64>>, SweepError> {
    let k = factors.len();
    let unit_points: Vec<Vec<f64>> = match *design {
        Design::Grid { levels } => return Ok(grid(factors, levels)),
        Design::Oat => return Ok(oat(factors, defaults)),
        Design::Lhs { points } => lhs(k, points, seed),
        Design::Sobol { base } => {
            if k > MAX_SOBOL_FACTORS {
                return Err(SweepError::Design(format!(
                    "a Sobol design takes at most {MAX_SOBOL_FACTORS} parameters, not {k}"
                )));
            }
            if base == 0 || base > MAX_SOBOL_BASE {
                return Err(SweepError::Design(format!(
                    "a Sobol design takes 1 to {MAX_SOBOL_BASE} base rows (--points), not {base}"
                )));
            }
            saltelli(k, base, seed)
        }
        Design::Morris {
            trajectories,
            levels,
        } => morris(k, trajectories, levels, seed)?,
    };
    Ok(unit_points
        .into_iter()
        .map(|u| u.iter().zip(factors).map(|(&x, f)| f.at(x)).collect())
        .collect())
}

impl Factor {
    /// The factor's value at `u` in [0, 1]: linear over an interval, the nearest listed value
    /// for a list (by position), rounded for a whole-number factor.
    pub(crate) fn at(&self, u: f64) -> f64 {
        let v = match &self.range {
            FactorRange::Interval(lo, hi) => lo + (hi - lo) * u,
            FactorRange::Values(values) => {
                let i = ((u * values.len() as f64) as usize).min(values.len() - 1);
                values[i]
            }
        };
        if self.whole {
            v.round()
        } else {
            v
        }
    }

    /// The factor's lowest and highest value.
    pub(crate) fn bounds(&self) -> (f64, f64) {
        match &self.range {
            FactorRange::Interval(lo, hi) => (*lo, *hi),
            FactorRange::Values(values) => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                }),
        }
    }

    /// The values a grid takes: `levels` evenly spaced over an interval (whole numbers: each
    /// whole number once), or the listed values.
    fn levels(&self, levels: u32) -> Vec<f64> {
        match &self.range {
            FactorRange::Values(values) => values.clone(),
            FactorRange::Interval(..) => {
                let n = levels.max(2);
                let mut v: Vec<f64> = (0..n)
                    .map(|i| self.at(f64::from(i) / f64::from(n - 1)))
                    .collect();
                v.dedup();
                v
            }
        }
    }
}

/// Every combination of each factor's levels; the last factor varies fastest.
fn grid(factors: &[Factor], levels: u32) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new()];
    for f in factors {
        let values = f.levels(levels);
        out = out
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |&v| {
                    let mut q = p.clone();
                    q.push(v);
                    q
                })
            })
            .collect();
    }
    out
}

/// The defaults, then for each factor its lowest and its highest value with the others at their
/// defaults.
fn oat(factors: &[Factor], defaults: &[f64]) -> Vec<Vec<f64>> {
    let mut out = vec![defaults.to_vec()];
    for (i, f) in factors.iter().enumerate() {
        let (lo, hi) = f.bounds();
        for v in [lo, hi] {
            let mut p = defaults.to_vec();
            p[i] = if f.whole { v.round() } else { v };
            out.push(p);
        }
    }
    out
}

/// A keyed uniform draw in [0, 1) for design `tag`, item `i`, coordinate `j`.
fn draw(seed: u64, tag: u64, i: u64, j: u64) -> f64 {
    rng::uniform(rng::mix(
        rng::mix(rng::mix(seed ^ tag) ^ i) ^ j.rotate_left(17),
    ))
}

/// A Latin hypercube of `n` points in k dimensions: each coordinate takes each of n strata once
/// (a keyed shuffle), at a keyed place inside the stratum (McKay, Beckman and Conover 1979).
fn lhs(k: usize, n: u32, seed: u64) -> Vec<Vec<f64>> {
    let n = n.max(1) as usize;
    let mut points = vec![vec![0.0; k]; n];
    for j in 0..k {
        let mut strata: Vec<usize> = (0..n).collect();
        // Fisher–Yates with keyed draws.
        for i in (1..n).rev() {
            let r = (draw(seed, 0x4c48, j as u64, i as u64) * (i + 1) as f64) as usize;
            strata.swap(i, r.min(i));
        }
        for (i, p) in points.iter_mut().enumerate() {
            let inside = draw(seed, 0x4c49, j as u64, i as u64);
            p[j] = (strata[i] as f64 + inside) / n as f64;
        }
    }
    points
}

/// Saltelli's (2010) sampling for first- and total-order indices: rows A_j and B_j of a Sobol
/// sequence in 2k dimensions (Owen-scrambled, keyed by the seed), and for each factor i the row
/// A_j with column i taken from B_j. Row j gives k + 2 consecutive points: A_j, B_j, then
/// A_B^(1)_j … A_B^(k)_j.
fn saltelli(k: usize, base: u32, seed: u64) -> Vec<Vec<f64>> {
    let scramble = (rng::mix(seed ^ 0x0053_4f42_4f4c) & 0xffff_ffff) as u32;
    let mut out = Vec::with_capacity(base as usize * (k + 2));
    for j in 0..base {
        let a: Vec<f64> = (0..k)
            .map(|d| f64::from(sobol_burley::sample(j, d as u32, scramble)))
            .collect();
        let b: Vec<f64> = (0..k)
            .map(|d| f64::from(sobol_burley::sample(j, (k + d) as u32, scramble)))
            .collect();
        out.push(a.clone());
        out.push(b.clone());
        for i in 0..k {
            let mut ab = a.clone();
            ab[i] = b[i];
            out.push(ab);
        }
    }
    out
}

/// Morris's (1991) one-at-a-time trajectories on a grid of `levels` levels: each starts at a
/// keyed grid point and moves each factor once, in a keyed order, by Δ = levels / (2 (levels −
/// 1)) up or down (whichever stays inside [0, 1]; keyed when both do). Trajectory t gives k + 1
/// consecutive points.
fn morris(
    k: usize,
    trajectories: u32,
    levels: u32,
    seed: u64,
) -> Result<Vec<Vec<f64>>, SweepError> {
    if levels < 2 || !levels.is_multiple_of(2) {
        return Err(SweepError::Design(format!(
            "a Morris design takes an even number of levels (--levels), at least 2, not {levels}"
        )));
    }
    let p = f64::from(levels);
    let delta = p / (2.0 * (p - 1.0));
    let mut out = Vec::new();
    for t in 0..u64::from(trajectories.max(1)) {
        let mut x: Vec<f64> = (0..k)
            .map(|i| {
                let steps = (levels / 2) as f64; // start levels from which +Δ stays inside
                let l = (draw(seed, 0x4d53, t, i as u64) * steps).floor();
                l / (p - 1.0)
            })
            .collect();
        // A keyed direction per factor: start from the top half where going down.
        let down: Vec<bool> = (0..k)
            .map(|i| draw(seed, 0x4d44, t, i as u64) < 0.5)
            .collect();
        for i in 0..k {
            if down[i] {
                x[i] += delta;
            }
        }
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            let r = (draw(seed, 0x4d4f, t, i as u64) * (i + 1) as f64) as usize;
            order.swap(i, r.min(i));
        }
        out.push(x.clone());
        for &i in &order {
            x[i] += if down[i] { -delta } else { delta };
            out.push(x.clone());
        }
    }
    Ok(out)
}

/// For a Morris trajectory's consecutive points, which factor moved and by how much (in units
/// of [0, 1]): the factor whose unit coordinate differs.
pub(crate) fn morris_moves(
    k: usize,
    trajectories: u32,
    levels: u32,
    seed: u64,
) -> Vec<(usize, f64)> {
    let unit = morris(k, trajectories, levels, seed).unwrap_or_default();
    unit.chunks(k + 1)
        .flat_map(|t| {
            t.windows(2).map(|w| {
                let i = (0..k).find(|&i| w[1][i] != w[0][i]).unwrap_or(0);
                (i, w[1][i] - w[0][i])
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(name: &str, lo: f64, hi: f64) -> Factor {
        Factor {
            name: name.into(),
            range: FactorRange::Interval(lo, hi),
            whole: false,
        }
    }

    #[test]
    fn a_grid_is_every_combination_with_whole_numbers_once() {
        let mut whole = interval("n", 1.0, 3.0);
        whole.whole = true;
        let f = [interval("a", 0.0, 1.0), whole];
        let pts = points(&f, &Design::Grid { levels: 5 }, &[0.5, 2.0], 1).unwrap();
        // 5 levels of a × 3 whole numbers of n (1, 1.5→2, 2, 2.5→3, 3 deduplicated).
        assert_eq!(pts.len(), 15);
        assert_eq!(pts[0], vec![0.0, 1.0]);
        assert_eq!(pts[14], vec![1.0, 3.0]);
    }

    #[test]
    fn a_latin_hypercube_fills_every_stratum_once_and_is_keyed_by_the_seed() {
        let u = lhs(3, 10, 7);
        for j in 0..3 {
            let mut strata: Vec<usize> = u.iter().map(|p| (p[j] * 10.0) as usize).collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
        assert_eq!(u, lhs(3, 10, 7));
        assert_ne!(u, lhs(3, 10, 8));
    }

    #[test]
    fn saltelli_rows_share_columns_as_they_must() {
        let u = saltelli(3, 8, 1);
        assert_eq!(u.len(), 8 * 5);
        for row in u.chunks(5) {
            let (a, b) = (&row[0], &row[1]);
            for i in 0..3 {
                for d in 0..3 {
                    assert_eq!(row[2 + i][d], if d == i { b[d] } else { a[d] });
                }
            }
        }
    }

    #[test]
    fn morris_trajectories_move_one_factor_at_a_time_inside_the_cube() {
        let u = morris(4, 6, 4, 3).unwrap();
        assert_eq!(u.len(), 6 * 5);
        let delta = 4.0 / 6.0;
        for t in u.chunks(5) {
            for w in t.windows(2) {
                let moved: Vec<usize> = (0..4).filter(|&i| w[0][i] != w[1][i]).collect();
                assert_eq!(moved.len(), 1);
                assert!(((w[1][moved[0]] - w[0][moved[0]]).abs() - delta).abs() < 1e-12);
            }
            assert!(t
                .iter()
                .flatten()
                .all(|&x| (-1e-12..=1.0 + 1e-12).contains(&x)));
        }
        assert!(morris(2, 1, 3, 0).is_err());
    }
}
