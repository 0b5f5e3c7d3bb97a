//! Statistics for ensemble reports and comparisons: summaries, confidence intervals for means
//! (one-sample, paired, Welch) and proportions (Wilson, Newcombe), and the normal and Student t
//! quantiles they need, and sample quantiles of sorted values. Pure functions, no dependencies.
//!
//! Every interval here is a two-sided 95 % interval. Nothing returns an error: degenerate inputs
//! (too few values, zero variance, no trials) give a point interval or the whole of [0, 1]
//! rather than NaN, as each function says.
//!
//! # References
//!
//! - Hill, G. W. (1970). Algorithm 396: Student's t-quantiles. *Communications of the ACM* 13(10).
//! - Hyndman, R. J. and Fan, Y. (1996). Sample quantiles in statistical packages. *The American
//!   Statistician* 50(4).
//! - Newcombe, R. G. (1998). Interval estimation for the difference between independent
//!   proportions: comparison of eleven methods. *Statistics in Medicine* 17(8).
//! - Student (1908). The probable error of a mean. *Biometrika* 6(1).
//! - Welch, B. L. (1947). The generalization of "Student's" problem when several different
//!   population variances are involved. *Biometrika* 34(1–2).
//! - Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
//!   *Journal of the American Statistical Association* 22(158).

/// Mean, sample standard deviation and count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// How many values were summarized.
    pub n: u64,
    /// Their arithmetic mean (0 when `n` is 0).
    pub mean: f64,
    /// Their sample standard deviation, with n - 1 in the denominator (0 when `n` < 2).
    pub sd: f64,
}

/// The [`Summary`] of `xs`: count, mean and sample standard deviation (n - 1 in the
/// denominator; 0 when n < 2). An empty slice gives all zeros.
pub fn summarize(xs: &[f64]) -> Summary {
    let n = xs.len();
    if n == 0 {
        return Summary {
            n: 0,
            mean: 0.0,
            sd: 0.0,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    Summary {
        n: n as u64,
        mean,
        sd: var.sqrt(),
    }
}

/// A two-sided interval, both ends included.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The lower end.
    pub lo: f64,
    /// The upper end.
    pub hi: f64,
}

impl Interval {
    /// Whether `x` lies in the interval, ends included (never for NaN).
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// Half the interval's width: the `h` of "estimate ± h" for a symmetric interval.
    pub fn half_width(&self) -> f64 {
        (self.hi - self.lo) / 2.0
    }
}

/// The 95 % Student t interval for a mean, Student (1908): mean ± t(0.975, n - 1) · sd / √n.
/// The interval is the point `s.mean` when n < 2.
pub fn mean_ci(s: Summary) -> Interval {
    if s.n < 2 {
        return Interval {
            lo: s.mean,
            hi: s.mean,
        };
    }
    let h = t_quantile(0.975, (s.n - 1) as f64) * s.sd / (s.n as f64).sqrt();
    Interval {
        lo: s.mean - h,
        hi: s.mean + h,
    }
}

/// The paired t interval: the [`Summary`] of the differences `a[i] - b[i]` and the 95 % Student t
/// interval for their mean ([`mean_ci`]). Pairs stop at the end of the shorter slice.
pub fn paired_ci(a: &[f64], b: &[f64]) -> (Summary, Interval) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let s = summarize(&d);
    (s, mean_ci(s))
}

/// Welch's 95 % t interval for the difference of two independent means, `a - b`, without assuming
/// equal variances: Welch (1947), with the Welch–Satterthwaite degrees of freedom (generally not
/// a whole number). The interval is the point `a.mean - b.mean` when either n < 2 or both
/// standard deviations are 0.
pub fn welch_ci(a: Summary, b: Summary) -> Interval {
    let d = a.mean - b.mean;
    if a.n < 2 || b.n < 2 {
        return Interval { lo: d, hi: d };
    }
    let (va, vb) = (a.sd * a.sd / a.n as f64, b.sd * b.sd / b.n as f64);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Interval { lo: d, hi: d };
    }
    let df = (va + vb).powi(2) / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let h = t_quantile(0.975, df) * se;
    Interval {
        lo: d - h,
        hi: d + h,
    }
}

/// Wilson's 95 % score interval for a proportion of `k` in `n`, Wilson (1927), without continuity
/// correction; clipped to [0, 1], and all of [0, 1] when `n` is 0.
pub fn wilson(k: u64, n: u64) -> Interval {
    if n == 0 {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let z = normal_quantile(0.975);
    let (n, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    Interval {
        lo: (center - half).max(0.0),
        hi: (center + half).min(1.0),
    }
}

/// Newcombe's hybrid score 95 % interval for `k1/n1 - k2/n2` from independent samples: Newcombe
/// (1998), method 10, which combines the two [`wilson`] intervals (no continuity correction).
/// A sample with `n` = 0 gets the Wilson interval [0, 1].
pub fn newcombe(k1: u64, n1: u64, k2: u64, n2: u64) -> Interval {
    let (p1, p2) = (k1 as f64 / n1.max(1) as f64, k2 as f64 / n2.max(1) as f64);
    let (w1, w2) = (wilson(k1, n1), wilson(k2, n2));
    let d = p1 - p2;
    Interval {
        lo: d - ((p1 - w1.lo).powi(2) + (w2.hi - p2).powi(2)).sqrt(),
        hi: d + ((w1.hi - p1).powi(2) + (p2 - w2.lo).powi(2)).sqrt(),
    }
}

/// The q-quantile of values sorted in ascending order, linearly interpolated between order
/// statistics: Hyndman and Fan (1996), definition 7 (R's and NumPy's default). 0 for an empty
/// slice.
///
/// # Panics
///
/// When `q` is far enough above 1 that the interpolation would read past the end of `sorted`;
/// `q` is meant to lie in [0, 1].
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let h = q * (n - 1) as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The standard normal quantile Φ⁻¹(p): Acklam's rational approximation, refined by one
/// step of Halley's method as Acklam suggests (error below 1e-12 in the range used here).
/// -∞ for p ≤ 0 and +∞ for p ≥ 1.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let x = if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - 0.02425 {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Φ(x) = p (third order; Acklam's refinement).
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// The standard normal distribution function Φ(x), computed from the complementary error
/// function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function: erf's Taylor series below 2, a continued fraction above
/// (both to near machine precision).
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        // erf by its Taylor series.
        let mut sum = x;
        let mut term = x;
        let x2 = x * x;
        let mut k = 0.0;
        loop {
            k += 1.0;
            term *= -x2 / k;
            let add = term / (2.0 * k + 1.0);
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // Continued fraction (Lentz), converges fast for x >= 2.
        let tiny = 1e-300;
        let mut f = x;
        let mut c = x;
        let mut d = 0.0;
        for k in 1..200 {
            let a = k as f64 / 2.0;
            d = x + a * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = x + a / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
    }
}

/// Student's t quantile for probability `p` and `df` degrees of freedom: Hill (1970), CACM
/// Algorithm 396, by symmetry from its two-sided form; the [`normal_quantile`] above 1e7 df.
///
/// Exact for df = 1 and df = 2. Measured against a high-precision reference, the relative error
/// is below 2e-5 for df ≥ 3 (below 1e-6 at p = 0.975 for whole df), but fractional df between
/// 1 and 3 are served badly: about 1 % at df = 1.5 and 17 % just above 1.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if df > 1e7 {
        return normal_quantile(p);
    }
    let (two_sided, sign) = if p < 0.5 {
        (2.0 * p, -1.0)
    } else {
        (2.0 * (1.0 - p), 1.0)
    };
    sign * hill_t(two_sided, df)
}

/// Hill's inverse: the t with two-sided tail probability `p`.
fn hill_t(p: f64, n: f64) -> f64 {
    use std::f64::consts::PI;
    if n == 1.0 {
        return (PI * p / 2.0).cos() / (PI * p / 2.0).sin();
    }
    if n == 2.0 {
        return (2.0 / (p * (2.0 - p)) - 2.0).sqrt();
    }
    let a = 1.0 / (n - 0.5);
    let b = 48.0 / (a * a);
    let mut c = ((20700.0 * a / b - 98.0) * a - 16.0) * a + 96.36;
    let d = ((94.5 / (b + c) - 3.0) / b + 1.0) * (a * PI / 2.0).sqrt() * n;
    let mut x = d * p;
    let mut y = x.powf(2.0 / n);
    if y > 0.05 + a {
        x = normal_quantile(p * 0.5);
        y = x * x;
        if n < 5.0 {
            c += 0.3 * (n - 4.5) * (x + 0.6);
        }
        c += (((0.05 * d * x - 5.0) * x - 7.0) * x - 2.0) * x + b;
        y = (((((0.4 * y + 6.3) * y + 36.0) * y + 94.5) / c - y - 3.0) / b + 1.0) * x;
        y = a * y * y;
        y = if y > 0.002 {
            y.exp() - 1.0
        } else {
            0.5 * y * y + y
        };
    } else {
        y = ((1.0 / (((n + 6.0) / (n * y) - 0.089 * d - 0.822) * (n + 2.0) * 3.0)
            + 0.5 / (n + 4.0))
            * y
            - 1.0)
            * (n + 1.0)
            / (n + 2.0)
            + 1.0 / y;
    }
    (n * y).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    fn quantiles_interpolate() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&xs, 0.5), 3.0);
        assert_eq!(quantile(&xs, 0.25), 2.0);
        assert_eq!(quantile(&xs, 0.95), 4.8);
        assert_eq!(quantile(&[7.0], 0.05), 7.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn quantiles_match_tables() {
        assert!(near(normal_quantile(0.975), 1.959963984540054, 1e-9));
        assert!(near(normal_quantile(0.05), -1.644853626951472, 1e-9));
        assert!(near(normal_cdf(1.0), 0.8413447460685429, 1e-12));
        assert!(near(normal_cdf(-2.5), 0.006209665325776132, 1e-12));
        // Student t, two-sided 95 %: published table values.
        for (df, t) in [
            (1.0, 12.706204736),
            (2.0, 4.302652730),
            (5.0, 2.570581836),
            (10.0, 2.228138852),
            (30.0, 2.042272456),
            (199.0, 1.971956544),
        ] {
            assert!(
                near(t_quantile(0.975, df), t, 1e-5),
                "df {df}: {}",
                t_quantile(0.975, df)
            );
        }
    }

    #[test]
    fn wilson_interval_for_known_counts() {
        // 8 of 10: Wilson 95 % = [0.4902, 0.9433] (Newcombe 1998, table I style values).
        let w = wilson(8, 10);
        assert!(
            near(w.lo, 0.4901625, 1e-6) && near(w.hi, 0.9433178, 1e-6),
            "{w:?}"
        );
        let w = wilson(0, 20);
        assert!(
            near(w.lo, 0.0, 1e-12) && near(w.hi, 0.1611252, 1e-6),
            "{w:?}"
        );
    }

    #[test]
    fn newcombe_difference_matches_the_paper() {
        // Newcombe (1998), example 56/70 vs 48/80: difference 0.2, method 10 CI [0.0524, 0.3339].
        let d = newcombe(56, 70, 48, 80);
        assert!(
            near(d.lo, 0.0524, 5e-4) && near(d.hi, 0.3339, 5e-4),
            "{d:?}"
        );
    }

    #[test]
    fn mean_intervals() {
        let a = [5.1, 4.9, 5.6, 5.8, 6.0, 5.2];
        let b = [4.8, 4.7, 5.1, 5.9, 5.2, 4.9];
        let (s, ci) = paired_ci(&a, &b);
        // Differences 0.3 0.2 0.5 -0.1 0.8 0.3: mean 1/3, sd 0.30111, t(5) 2.570582.
        assert!(near(s.mean, 1.0 / 3.0, 1e-12));
        assert!(
            near(ci.half_width(), 2.570581836 * 0.3011091 / 6f64.sqrt(), 1e-5),
            "{ci:?}"
        );
        let w = welch_ci(summarize(&a), summarize(&b));
        assert!(w.lo < 1.0 / 3.0 && w.hi > 1.0 / 3.0);
        // Welch with equal n and sd reduces to df = 2n - 2.
        let x = Summary {
            n: 10,
            mean: 1.0,
            sd: 2.0,
        };
        let y = Summary {
            n: 10,
            mean: 0.0,
            sd: 2.0,
        };
        let ci = welch_ci(x, y);
        assert!(near(
            ci.half_width(),
            t_quantile(0.975, 18.0) * (0.8f64).sqrt(),
            1e-9
        ));
    }
}
