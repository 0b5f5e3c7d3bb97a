//! Statistics for ensemble reports and comparisons: summaries, confidence intervals for means
//! (one-sample, paired, Welch) and proportions (Wilson, Newcombe), and the normal and Student t
//! quantiles they need, and sample quantiles of sorted values. Pure functions, no dependencies.
//!
//! Intervals are two-sided, 95 % unless a level is given (the `_at` forms and [`DiffTest`],
//! which also gives the p-value of the test each interval inverts, for [`holm`]'s multiplicity
//! adjustment). Nothing returns an error: degenerate inputs (too few values, zero variance, no
//! trials) give a point interval or the whole of [0, 1] rather than NaN, as each function says.
//!
//! # References
//!
//! - Abramowitz, M. and Stegun, I. A. (1964). *Handbook of Mathematical Functions*, 26.5 and 26.7.
//! - Fagerland, M. W., Lydersen, S. and Laake, P. (2017). *Statistical Analysis of Contingency
//!   Tables*. Chapman & Hall/CRC (worked examples of the paired intervals).
//! - Hill, G. W. (1970). Algorithm 396: Student's t-quantiles. *Communications of the ACM* 13(10).
//! - Conover, W. J. (1999). *Practical Nonparametric Statistics*, 3rd ed. Wiley, §3.2
//!   (confidence intervals for quantiles).
//! - Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
//!   Journal of Statistics* 6(2).
//! - Hyndman, R. J. and Fan, Y. (1996). Sample quantiles in statistical packages. *The American
//!   Statistician* 50(4).
//! - Newcombe, R. G. (1998). Interval estimation for the difference between independent
//!   proportions: comparison of eleven methods. *Statistics in Medicine* 17(8).
//! - Newcombe, R. G. (1998). Improved confidence intervals for the difference between binomial
//!   proportions based on paired data. *Statistics in Medicine* 17(22).
//! - Student (1908). The probable error of a mean. *Biometrika* 6(1).
//! - Welch, B. L. (1947). The generalization of "Student's" problem when several different
//!   population variances are involved. *Biometrika* 34(1–2).
//! - Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
//!   *Journal of the American Statistical Association* 22(158).

pub(crate) mod exact;
pub(crate) use exact::{ExactSum, Keep, Moments, Stripe, TILE};

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
/// denominator; 0 when n < 2). An empty slice gives all zeros. Computed from exact sums (a
/// long accumulator, rounded once), as every mean and spread detente reports: the same whatever
/// the order of `xs`, and the mean of values all equal to x is x with sd 0.
pub fn summarize(xs: &[f64]) -> Summary {
    let mut m = Moments::new();
    xs.iter().for_each(|&x| m.add(x));
    m.summary()
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
    mean_ci_at(s, 0.95)
}

/// [`mean_ci`] at confidence `level` (in (0, 1)).
pub fn mean_ci_at(s: Summary, level: f64) -> Interval {
    if s.n < 2 {
        return Interval {
            lo: s.mean,
            hi: s.mean,
        };
    }
    let h = t_upper((1.0 - level) / 2.0, (s.n - 1) as f64) * s.sd / (s.n as f64).sqrt();
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
    welch_ci_at(a, b, 0.95)
}

/// [`welch_ci`] at confidence `level` (in (0, 1)).
pub fn welch_ci_at(a: Summary, b: Summary, level: f64) -> Interval {
    let d = a.mean - b.mean;
    match welch_se_df(a, b) {
        None => Interval { lo: d, hi: d },
        Some((se, df)) => {
            let h = t_upper((1.0 - level) / 2.0, df) * se;
            Interval {
                lo: d - h,
                hi: d + h,
            }
        }
    }
}

/// Welch's standard error and Welch–Satterthwaite degrees of freedom; `None` when either n < 2
/// or the standard error is 0.
fn welch_se_df(a: Summary, b: Summary) -> Option<(f64, f64)> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.sd * a.sd / a.n as f64, b.sd * b.sd / b.n as f64);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return None;
    }
    let df = (va + vb).powi(2) / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    Some((se, df))
}

/// Wilson's 95 % score interval for a proportion of `k` in `n`, Wilson (1927), without continuity
/// correction; clipped to [0, 1], and all of [0, 1] when `n` is 0.
pub fn wilson(k: u64, n: u64) -> Interval {
    wilson_z(k, n, normal_quantile(0.975))
}

/// [`wilson`] with the normal quantile `z` (1.96 for 95 %).
fn wilson_z(k: u64, n: u64, z: f64) -> Interval {
    if n == 0 {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let (n, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    // At k = 0 (k = n) the end is 0 (1) exactly; computed, it misses by a rounding error.
    Interval {
        lo: if k == 0 {
            0.0
        } else {
            (center - half).max(0.0)
        },
        hi: if k as f64 == n {
            1.0
        } else {
            (center + half).min(1.0)
        },
    }
}

/// Newcombe's hybrid score 95 % interval for `k1/n1 - k2/n2` from independent samples: Newcombe
/// (1998), method 10, which combines the two [`wilson`] intervals (no continuity correction).
/// A sample with `n` = 0 gets the Wilson interval [0, 1].
pub fn newcombe(k1: u64, n1: u64, k2: u64, n2: u64) -> Interval {
    newcombe_z(k1, n1, k2, n2, normal_quantile(0.975))
}

/// [`newcombe`] with the normal quantile `z`.
fn newcombe_z(k1: u64, n1: u64, k2: u64, n2: u64, z: f64) -> Interval {
    let (p1, p2) = (k1 as f64 / n1.max(1) as f64, k2 as f64 / n2.max(1) as f64);
    square_and_add(p1, wilson_z(k1, n1, z), p2, wilson_z(k2, n2, z), 0.0)
}

/// Newcombe's square-and-add step: the interval for `p1 - p2` from the Wilson intervals `w1` and
/// `w2` of its two parts, with `phi` the correlation between the estimates (0 for independent
/// samples).
fn square_and_add(p1: f64, w1: Interval, p2: f64, w2: Interval, phi: f64) -> Interval {
    let d = p1 - p2;
    let (down1, up2) = (p1 - w1.lo, w2.hi - p2);
    let (up1, down2) = (w1.hi - p1, p2 - w2.lo);
    let lo = d
        - (down1 * down1 - 2.0 * phi * down1 * up2 + up2 * up2)
            .max(0.0)
            .sqrt();
    let hi = d
        + (up1 * up1 - 2.0 * phi * up1 * down2 + down2 * down2)
            .max(0.0)
            .sqrt();
    Interval {
        lo: lo.max(-1.0),
        hi: hi.min(1.0),
    }
}

/// The 2×2 table of a paired binary outcome over n pairs: how many pairs had it on both sides,
/// on the first side only, on the second only, and on neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PairedTable {
    /// Both sides.
    pub both: u64,
    /// The first side only.
    pub first_only: u64,
    /// The second side only.
    pub second_only: u64,
    /// Neither side.
    pub neither: u64,
}

impl PairedTable {
    /// The number of pairs.
    pub fn n(&self) -> u64 {
        self.both + self.first_only + self.second_only + self.neither
    }

    /// The difference of the two proportions, first − second: (first only − second only) / n.
    pub fn difference(&self) -> f64 {
        (self.first_only as f64 - self.second_only as f64) / self.n().max(1) as f64
    }
}

/// Newcombe's 95 % score interval for the difference of two proportions from paired data, first
/// − second: Newcombe (1998), "Improved confidence intervals for the difference between binomial
/// proportions based on paired data", Statistics in Medicine 17:2635–2650, method 10. It is the
/// square-and-add combination of the two marginal Wilson intervals with the correlation
/// correction φ, where φ uses AD − BC reduced by n/2 when it exceeds n/2, 0 when it lies in
/// [0, n/2], and φ = 0 when a margin is empty (as in Fagerland, Lydersen and Laake, "Statistical
/// Analysis of Contingency Tables", 2017, §8.5). Unlike the Wald interval on 0/1 differences it
/// keeps its coverage for rare events: 4 discordant pairs of 1,000 do not exclude zero.
pub fn newcombe_paired(t: PairedTable) -> Interval {
    newcombe_paired_z(t, normal_quantile(0.975))
}

/// [`newcombe_paired`] with the normal quantile `z`.
fn newcombe_paired_z(t: PairedTable, z: f64) -> Interval {
    let n = t.n();
    let (first, second) = (t.both + t.first_only, t.both + t.second_only);
    let (p1, p2) = (
        first as f64 / n.max(1) as f64,
        second as f64 / n.max(1) as f64,
    );
    let margins = [first, n - first, second, n - second];
    let phi = if margins.contains(&0) {
        0.0
    } else {
        let product: f64 = margins.iter().map(|&m| m as f64).product();
        let a = t.both as f64 * t.neither as f64 - t.first_only as f64 * t.second_only as f64;
        let half = n as f64 / 2.0;
        let a = if a > half {
            a - half
        } else if a >= 0.0 {
            0.0
        } else {
            a
        };
        a / product.sqrt()
    };
    square_and_add(p1, wilson_z(first, n, z), p2, wilson_z(second, n, z), phi)
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

/// [`quantile`] at each of `levels` of `xs` as sorted by `total_cmp`, without sorting all of
/// it: the order statistics the levels read are found by selection (each one is the same value
/// a full sort puts at its rank), so the results are [`quantile`]'s, bit for bit.
pub fn quantiles_of<const N: usize>(xs: &[f64], levels: [f64; N]) -> [f64; N] {
    if xs.len() <= 1 {
        return levels.map(|q| quantile(xs, q));
    }
    let mut keys: Vec<i64> = xs.iter().map(|&x| ordered(x)).collect();
    quantiles_of_ordered(&mut keys, levels)
}

/// [`quantiles_of`] of the values whose [`ordered`] keys are `keys` (which it overwrites: only
/// the ranks it reads are meaningful afterwards): for a caller that gathers the keys itself,
/// saving a copy.
pub(crate) fn quantiles_of_ordered<const N: usize>(keys: &mut [i64], levels: [f64; N]) -> [f64; N] {
    let n = keys.len();
    if n <= 1 {
        let xs: Vec<f64> = keys.iter().map(|&k| unordered(k)).collect();
        return levels.map(|q| quantile(&xs, q));
    }
    let ranks_of = |q: f64| {
        let lo = (q * (n - 1) as f64).floor() as usize;
        (lo, (lo + 1).min(n - 1))
    };
    let mut ranks: Vec<usize> = levels
        .iter()
        .flat_map(|&q| {
            let (lo, hi) = ranks_of(q);
            [lo, hi]
        })
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    // Selected as integers that order as `total_cmp` orders the values (its own bit trick:
    // negative values have their other bits flipped), which compare faster.
    select_ranks(keys, &ranks);
    let at = |k: usize| unordered(keys[k]);
    levels.map(|q| {
        let h = q * (n - 1) as f64;
        let (lo, hi) = ranks_of(q);
        at(lo) + (h - lo as f64) * (at(hi) - at(lo))
    })
}

/// Below this many keys, [`keys_at_ranks`] sorts them.
const SORT_BELOW: usize = 48;
/// [`keys_at_ranks`] counts the keys in at most `1 << BUCKET_BITS` buckets (about a quarter as
/// many as there are keys, at least 64).
const BUCKET_BITS: u32 = 11;

/// Puts the keys of sorted ranks `ranks` (ascending, distinct, each below `keys.len()`) where a
/// full sort of `keys` puts them, over what was there (the other keys are left where they are,
/// so `keys` may no longer hold the same values).
fn select_ranks(keys: &mut [i64], ranks: &[usize]) {
    let mut at = vec![0; ranks.len()];
    keys_at_ranks(keys, ranks, &mut at);
    for (&r, k) in ranks.iter().zip(at) {
        keys[r] = k;
    }
}

/// The keys a full sort of `keys` puts at `ranks` (ascending, distinct, each below
/// `keys.len()`), into `at`, one per rank, without sorting: a radix selection.
///
/// The keys are counted in buckets of equal width between the smallest and the largest key
/// (`(key - min) >> shift`, which orders as the keys do), so the running count says which
/// bucket holds each wanted rank; only the keys of those buckets are copied out, and each such
/// bucket's ranks are found among its own keys the same way (a bucket is at least 64 times
/// narrower than the keys' range, so this ends) or, when it holds few keys, by sorting them.
/// Three passes over the keys (smallest and largest, count, copy) and a few over the copied
/// buckets, none with data-dependent comparisons but the copy's rarely taken one, where a
/// comparison selection's two and a half passes branch on every key (in a profile of the
/// bundled scenario's 10,000-run ensemble, the selection's share fell from 6.8% to 3.9%).
fn keys_at_ranks(keys: &[i64], ranks: &[usize], at: &mut [i64]) {
    if keys.len() < SORT_BELOW || ranks.len() >= usize::from(u16::MAX) {
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        for (a, &r) in at.iter_mut().zip(ranks) {
            *a = sorted[r];
        }
        return;
    }
    let (lo, hi) = keys
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    if lo == hi {
        at.fill(lo);
        return;
    }
    let range = hi.wrapping_sub(lo) as u64;
    let bits = (keys.len().ilog2().saturating_sub(2)).clamp(6, BUCKET_BITS);
    let shift = (u64::BITS - range.leading_zeros()).saturating_sub(bits);
    let bucket = |k: i64| (k.wrapping_sub(lo) as u64 >> shift) as usize;
    // Four interleaved counts, so that a run of keys in one bucket does not wait on itself.
    let mut counts = vec![[0u32; 4]; 1 << bits];
    let mut quads = keys.chunks_exact(4);
    for q in &mut quads {
        for (j, &k) in q.iter().enumerate() {
            counts[bucket(k)][j] += 1;
        }
    }
    for &k in quads.remainder() {
        counts[bucket(k)][0] += 1;
    }
    // The buckets that hold wanted ranks: (bucket, its first rank's index, past its last, the
    // count of keys below it), in order.
    let mut wanted: Vec<(usize, usize, usize, usize)> = Vec::with_capacity(ranks.len());
    let (mut below, mut next) = (0usize, 0usize);
    for (b, c) in counts.iter().enumerate() {
        let upto = below + c.iter().map(|&x| x as usize).sum::<usize>();
        let first = next;
        while next < ranks.len() && ranks[next] < upto {
            next += 1;
        }
        if next > first {
            wanted.push((b, first, next, below));
        }
        if next == ranks.len() {
            break;
        }
        below = upto;
    }
    // Each wanted bucket's keys, side by side; slot 0 stands for the other buckets.
    let mut slot = vec![0u16; 1 << bits];
    let mut ends = Vec::with_capacity(wanted.len() + 1);
    ends.push(0usize);
    for (j, &(b, ..)) in wanted.iter().enumerate() {
        slot[b] = u16::try_from(j + 1).unwrap_or(u16::MAX);
        let size: u32 = counts[b].iter().sum();
        ends.push(ends[j] + size as usize);
    }
    let mut fill = ends.clone();
    let mut picked = vec![0i64; ends[wanted.len()]];
    for &k in keys {
        let s = slot[bucket(k)] as usize;
        if s != 0 {
            picked[fill[s - 1]] = k;
            fill[s - 1] += 1;
        }
    }
    let mut sub = Vec::new();
    for (j, &(_, first, past, below)) in wanted.iter().enumerate() {
        sub.clear();
        sub.extend(ranks[first..past].iter().map(|&r| r - below));
        keys_at_ranks(&picked[ends[j]..ends[j + 1]], &sub, &mut at[first..past]);
    }
}

/// The value whose [`ordered`] key is `key`.
#[inline]
pub(crate) fn unordered(key: i64) -> f64 {
    f64::from_bits((key ^ (((key >> 63) as u64) >> 1) as i64) as u64)
}

/// `x` as an integer whose order is `f64::total_cmp`'s (the same transformation it makes).
#[inline]
pub(crate) fn ordered(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

/// The distribution-free 95 % interval for the median of values sorted in ascending order:
/// the order statistics [x₍ₗ₎, x₍ₙ₊₁₋ₗ₎] with l the largest rank at which a Binomial(n, ½) count
/// stays below l with probability at most 2.5 % (Conover 1999, *Practical Nonparametric
/// Statistics*, 3rd ed., §3.2), so the coverage is at least 95 %. Below 6 values no rank is
/// that safe and the interval is the whole range (coverage below 95 %); one value gives a point,
/// none all of (−∞, ∞).
pub fn median_ci(sorted: &[f64]) -> Interval {
    let n = sorted.len();
    if n == 0 {
        return Interval {
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
        };
    }
    // P(B <= k) for B ~ Binomial(n, 1/2), summed in log space (2^-n underflows past n = 1074).
    let ln_half = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_p = ln_half; // P(B = 0)
    let mut cdf = ln_p.exp();
    let mut l = 0; // ranks are 1-based: l = k + 1 where P(B <= k) <= 2.5 %
    for k in 0..n / 2 {
        if cdf > 0.025 {
            break;
        }
        l = k + 1;
        ln_p += ((n - k) as f64).ln() - ((k + 1) as f64).ln();
        cdf += ln_p.exp();
    }
    let l = l.max(1);
    Interval {
        lo: sorted[l - 1],
        hi: sorted[n - l],
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
/// Algorithm 396, as the starting point, refined by Newton's method on [`t_cdf`] until the tail
/// probability matches to 1e-13 relative; the [`normal_quantile`] above 1e7 df.
///
/// Hill's algorithm alone is off by up to 17 % for fractional df between 1 and 3 (Welch's degrees
/// of freedom can be anything); the refinement makes every df agree with a 30-digit reference
/// (mpmath) to about 1e-12 relative.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if p < 0.5 {
        -t_upper(p, df)
    } else {
        t_upper(1.0 - p, df)
    }
}

/// The t with upper tail probability `q` (in (0, 0.5]): P(T > t) = q. Computed from the tail,
/// so a tiny `q` keeps its precision.
fn t_upper(q: f64, df: f64) -> f64 {
    if df > 1e7 {
        return -normal_quantile(q);
    }
    if q <= 0.0 {
        return f64::INFINITY;
    }
    let mut t = hill_t(2.0 * q, df);
    for _ in 0..50 {
        let tail = t_tail(t, df);
        let step = (tail - q) / t_density(t, df);
        if !step.is_finite() {
            break;
        }
        let next = t + step;
        // Newton from Hill's start converges from either side; never step past zero.
        let next = if next <= 0.0 { t / 2.0 } else { next };
        let done = (next - t).abs() <= 1e-14 * t.abs() || (tail - q).abs() <= 1e-13 * q;
        t = next;
        if done {
            break;
        }
    }
    t
}

/// Student's t distribution function P(T ≤ t) with `df` degrees of freedom (df > 0), from the
/// regularized incomplete beta function: P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2 for t ≥ 0
/// (Abramowitz and Stegun 26.7.1, 26.5.27).
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    if t >= 0.0 {
        1.0 - t_tail(t, df)
    } else {
        t_tail(-t, df)
    }
}

/// P(T > t) for t ≥ 0.
fn t_tail(t: f64, df: f64) -> f64 {
    if t.is_infinite() {
        return 0.0;
    }
    0.5 * inc_beta(df / (df + t * t), df / 2.0, 0.5)
}

/// The density of Student's t at `t`.
fn t_density(t: f64, df: f64) -> f64 {
    let ln = ln_gamma((df + 1.0) / 2.0)
        - ln_gamma(df / 2.0)
        - 0.5 * (df * std::f64::consts::PI).ln()
        - (df + 1.0) / 2.0 * (t * t / df).ln_1p();
    ln.exp()
}

/// ln Γ(x) for x > 0: the Lanczos approximation with g = 7 and nine coefficients (Godfrey's),
/// relative error about 1e-15; the reflection formula below 0.5.
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    use std::f64::consts::PI;
    if x < 0.5 {
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function I_x(a, b), by its continued fraction (DLMF 8.17.22)
/// evaluated with the modified Lentz method, on the side where it converges fast (Numerical
/// Recipes, 3rd ed., §6.4).
fn inc_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of [`inc_beta`] (modified Lentz).
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
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

/// A difference (variant − baseline) with what its interval needs, so that the interval can be
/// had at any confidence level and the test it inverts gives a p-value: one method decides both
/// the interval and the significance, so they cannot disagree.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DiffTest {
    /// Paired t ([`mean_ci_at`]) on the per-run differences, summarized.
    PairedT(Summary),
    /// Newcombe's paired score interval ([`newcombe_paired`]) on the 2×2 table of a binary
    /// outcome, variant first.
    NewcombePaired(PairedTable),
    /// Welch's interval ([`welch_ci_at`]): the variant's summary, then the baseline's.
    Welch(Summary, Summary),
    /// Newcombe's interval for independent proportions ([`newcombe`]): the variant's count and
    /// runs, then the baseline's.
    Newcombe(u64, u64, u64, u64),
}

impl DiffTest {
    /// A short id of the method, as reports name it.
    pub fn method(&self) -> &'static str {
        match self {
            DiffTest::PairedT(_) => "paired-t",
            DiffTest::NewcombePaired(_) => "newcombe-paired",
            DiffTest::Welch(..) => "welch",
            DiffTest::Newcombe(..) => "newcombe",
        }
    }

    /// The method in words, with its reference.
    pub fn description(&self) -> &'static str {
        match self {
            DiffTest::PairedT(_) => "paired t interval on the per-run differences (Student 1908)",
            DiffTest::NewcombePaired(_) => {
                "Newcombe's paired score interval (Newcombe 1998, Stat Med 17:2635, method 10)"
            }
            DiffTest::Welch(..) => "Welch's t interval (Welch 1947)",
            DiffTest::Newcombe(..) => {
                "Newcombe's hybrid score interval (Newcombe 1998, Stat Med 17:873, method 10)"
            }
        }
    }

    /// The estimate: the mean per-run difference, or the difference of the two proportions or
    /// means.
    pub fn estimate(&self) -> f64 {
        match *self {
            DiffTest::PairedT(s) => s.mean,
            DiffTest::NewcombePaired(t) => t.difference(),
            DiffTest::Welch(a, b) => a.mean - b.mean,
            DiffTest::Newcombe(k1, n1, k2, n2) => {
                k1 as f64 / n1.max(1) as f64 - k2 as f64 / n2.max(1) as f64
            }
        }
    }

    /// Whether the two sides agree in every run (paired), so there is no difference to test.
    pub fn identical(&self) -> bool {
        match *self {
            DiffTest::PairedT(s) => s.n > 0 && s.mean == 0.0 && s.sd == 0.0,
            DiffTest::NewcombePaired(t) => t.first_only == 0 && t.second_only == 0,
            _ => false,
        }
    }

    /// The two-sided interval at confidence `level` (in (0, 1)).
    pub fn interval(&self, level: f64) -> Interval {
        let z = || -normal_quantile((1.0 - level) / 2.0);
        match *self {
            DiffTest::PairedT(s) => mean_ci_at(s, level),
            DiffTest::NewcombePaired(t) => newcombe_paired_z(t, z()),
            DiffTest::Welch(a, b) => welch_ci_at(a, b, level),
            DiffTest::Newcombe(k1, n1, k2, n2) => newcombe_z(k1, n1, k2, n2, z()),
        }
    }

    /// The two-sided p-value of "no difference": for the t methods from the t distribution; for
    /// the score intervals by inverting them (the largest α whose 1 − α interval still holds
    /// zero, found by bisection on log α). 1 when the estimate is 0 with no spread; 0 when every
    /// run differs by the same non-zero amount.
    pub fn p_value(&self) -> f64 {
        let degenerate = |mean: f64| if mean == 0.0 { 1.0 } else { 0.0 };
        match *self {
            DiffTest::PairedT(s) => {
                if s.n < 2 || s.sd == 0.0 {
                    return degenerate(s.mean);
                }
                let t = s.mean / (s.sd / (s.n as f64).sqrt());
                (2.0 * t_tail(t.abs(), (s.n - 1) as f64)).min(1.0)
            }
            DiffTest::Welch(a, b) => match welch_se_df(a, b) {
                None => degenerate(a.mean - b.mean),
                Some((se, df)) => (2.0 * t_tail(((a.mean - b.mean) / se).abs(), df)).min(1.0),
            },
            _ => self.inverted_p(),
        }
    }

    /// The p-value of a score interval by test inversion.
    fn inverted_p(&self) -> f64 {
        if self.estimate() == 0.0 {
            return 1.0;
        }
        let holds_zero = |alpha: f64| self.interval(1.0 - alpha).contains(0.0);
        let (mut lo, mut hi) = (-690.0f64, 0.0f64); // ln α: e^-690 ≈ 1e-300
        if !holds_zero(lo.exp()) {
            return 0.0;
        }
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if holds_zero(mid.exp()) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo.exp()
    }
}

/// Holm's step-down adjustment of `p` for family-wise error `alpha`: Holm (1979), "A simple
/// sequentially rejective multiple test procedure", Scandinavian Journal of Statistics 6:65–70.
///
/// Returns, per hypothesis in the order given, its adjusted p-value (max over earlier ranks of
/// (m − j + 1)·p₍ⱼ₎, at most 1) and the confidence level of the interval that shows its decision:
/// 1 − α/(m − i + 1) at rank i up to the first hypothesis not rejected, and that hypothesis's
/// level from there on. So an interval excludes zero exactly when Holm rejects.
pub fn holm(p: &[f64], alpha: f64) -> Vec<(f64, f64)> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut out = vec![(1.0, 1.0 - alpha); m];
    let mut running = 0.0f64;
    let mut stopped: Option<f64> = None;
    for (rank, &i) in order.iter().enumerate() {
        let k = (m - rank) as f64;
        running = running.max((k * p[i]).min(1.0));
        let level = match stopped {
            Some(level) => level,
            None => {
                let level = 1.0 - alpha / k;
                if p[i] > alpha / k {
                    stopped = Some(level);
                }
                level
            }
        };
        out[i] = (running, level);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    /// A linear congruential stream of 64-bit numbers (Knuth's MMIX constants).
    fn lcg(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state
        }
    }

    /// Asserts that [`select_ranks`] puts at each of `ranks` (any order, repeats allowed) the
    /// key a full sort of `keys` puts there.
    fn assert_selects_as_sort(keys: &[i64], mut ranks: Vec<usize>, case: &str) {
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        ranks.sort_unstable();
        ranks.dedup();
        let mut selected = keys.to_vec();
        select_ranks(&mut selected, &ranks);
        for &r in &ranks {
            assert_eq!(selected[r], sorted[r], "{case}, rank {r} of {ranks:?}");
        }
    }

    #[test]
    fn selected_ranks_are_those_of_a_full_sort() {
        // Lengths from 1 to 300, with many ties, each rank set a mix of neighbours and gaps.
        let mut stream = lcg(12345);
        let mut next = || stream() >> 33;
        for len in 1..300usize {
            let keys: Vec<i64> = (0..len).map(|_| (next() % 40) as i64 - 20).collect();
            let ranks: Vec<usize> = (0..1 + len % 11).map(|_| next() as usize % len).collect();
            assert_selects_as_sort(&keys, ranks, &format!("len {len}"));
        }
    }

    #[test]
    fn radix_selected_ranks_are_those_of_a_full_sort() {
        // Wide keys (all 64 bits, values of both signs, clusters and long runs of one value)
        // over lengths that take several levels of buckets.
        let mut next = lcg(987654321);
        let shapes: [&dyn Fn(u64) -> i64; 5] = [
            &|r| r as i64,
            &|r| ordered((r >> 11) as f64 / (1u64 << 53) as f64),
            &|r| {
                if r % 3 == 0 {
                    0
                } else {
                    ordered((r >> 40) as f64 * 1e-300)
                }
            },
            &|r| ordered(if r % 2 == 0 { -1.0 } else { 1.0 } * ((r >> 20) % 1000) as f64),
            &|r| {
                if r % 1000 == 0 {
                    i64::MIN
                } else if r % 1000 == 1 {
                    i64::MAX
                } else {
                    (r % 7) as i64
                }
            },
        ];
        for (s, shape) in shapes.iter().enumerate() {
            for len in [48, 49, 100, 1000, 4097, 10_000] {
                let keys: Vec<i64> = (0..len).map(|_| shape(next())).collect();
                let mut ranks: Vec<usize> = (0..12).map(|_| next() as usize % len).collect();
                ranks.extend([0, len - 1, len / 2, len / 2 + 1]);
                assert_selects_as_sort(&keys, ranks, &format!("shape {s}, len {len}"));
            }
        }
    }

    #[test]
    fn quantiles_interpolate() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&xs, 0.5), 3.0);
        // Selection reads the same order statistics as a full sort.
        let many: Vec<f64> = (0..1001)
            .map(|i| f64::from((i * 7919) % 1009) / 7.0 - 50.0)
            .chain([-0.0, 0.0, 1e300, -1e300])
            .collect();
        let levels = [0.0, 0.05, 0.25, 0.5, 0.5, 0.75, 0.95, 0.999, 1.0];
        let mut sorted = many.clone();
        sorted.sort_by(f64::total_cmp);
        let want = levels.map(|q| quantile(&sorted, q).to_bits());
        assert_eq!(quantiles_of(&many, levels).map(f64::to_bits), want);
        assert_eq!(quantiles_of(&[2.5], [0.3]), [2.5]);
        assert_eq!(quantile(&xs, 0.25), 2.0);
        assert_eq!(quantile(&xs, 0.95), 4.8);
        assert_eq!(quantile(&[7.0], 0.05), 7.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn median_intervals_take_the_binomial_ranks() {
        // n = 100: P(B <= 39) = 0.0176 and P(B <= 40) = 0.0284 for B ~ Bin(100, 1/2), so the
        // interval is [x(40), x(61)] (Conover's table A3 gives the same ranks).
        let xs: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(median_ci(&xs), Interval { lo: 40.0, hi: 61.0 });
        // n = 10: P(B <= 1) = 0.0107, P(B <= 2) = 0.0547: [x(2), x(9)].
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(median_ci(&xs), Interval { lo: 2.0, hi: 9.0 });
        // Few values: the whole range; one value: a point.
        assert_eq!(median_ci(&[1.0, 2.0, 3.0]), Interval { lo: 1.0, hi: 3.0 });
        assert_eq!(median_ci(&[4.0]), Interval { lo: 4.0, hi: 4.0 });
        // Many values, past where 2^-n underflows: ranks near n/2 -/+ 1.96 sqrt(n)/2.
        let xs: Vec<f64> = (1..=10_000).map(f64::from).collect();
        let i = median_ci(&xs);
        assert!(
            (i.lo - 4902.0).abs() <= 1.0 && (i.hi - 5099.0).abs() <= 1.0,
            "{i:?}"
        );
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
        assert!(w.lo == 0.0 && near(w.hi, 0.1611252, 1e-6), "{w:?}");
        // Exactly 0 and 1 at the ends, not a rounding error away (it printed as 1.4e-17).
        assert_eq!((wilson(0, 1000).lo, wilson(1000, 1000).hi), (0.0, 1.0));
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
    fn t_distribution_matches_a_30_digit_reference() {
        // Reference values computed with mpmath (30 digits) from the regularized incomplete beta.
        for (df, t) in [
            (1.0, 12.7062047361747),
            (1.2, 8.64882651074887),
            (1.5, 6.01666310442793),
            (2.5, 3.57465484200368),
            (3.0, 3.18244630528371),
            (7.3, 2.3450667365477),
        ] {
            let got = t_quantile(0.975, df);
            assert!(((got - t) / t).abs() < 1e-11, "df {df}: {got} vs {t}");
        }
        for (t, df, p) in [
            (2.0, 3.0, 0.930_337_015_720_578),
            (1.0, 1.5, 0.774_432_316_361_645),
            (-3.0, 10.0, 0.006_671_827_511_284_79),
            (5.0, 2.2, 0.984_515_517_155_090_5),
        ] {
            assert!(
                near(t_cdf(t, df), p, 1e-13),
                "t {t} df {df}: {}",
                t_cdf(t, df)
            );
        }
        // A far tail keeps its precision: P(T > 40) with 30 df = 6.863_022_597_203_209e-28.
        let tail = t_tail(40.0, 30.0);
        assert!(
            ((tail - 6.863_022_597_203_209e-28) / tail).abs() < 1e-9,
            "{tail}"
        );
        assert!(near(t_upper(tail, 30.0), 40.0, 1e-8));
    }

    #[test]
    fn newcombe_paired_matches_the_published_worked_example() {
        // Fagerland, Lydersen and Laake (2017), §8.5: complete response before and after
        // consolidation therapy (Cavo et al. 2012), table [[59, 6], [16, 80]]: estimate −0.0621,
        // Newcombe square-and-add 95 % CI −0.1186 to −0.0046.
        let t = PairedTable {
            both: 59,
            first_only: 6,
            second_only: 16,
            neither: 80,
        };
        assert!(near(t.difference(), -0.0621, 5e-5));
        let ci = newcombe_paired(t);
        assert!(
            near(ci.lo, -0.1186, 5e-5) && near(ci.hi, -0.0046, 5e-5),
            "{ci:?}"
        );
    }

    #[test]
    fn four_discordant_pairs_in_a_thousand_are_not_significant() {
        // P = 0.4 % vs 0.0 %: the Wald interval on 0/1 differences excludes zero; Newcombe's
        // does not (the exact McNemar test gives p = 0.125).
        let t = PairedTable {
            both: 0,
            first_only: 4,
            second_only: 0,
            neither: 996,
        };
        let test = DiffTest::NewcombePaired(t);
        assert!(test.interval(0.95).contains(0.0));
        let p = test.p_value();
        assert!(p > 0.05 && p < 0.5, "{p}");
        let ones: Vec<f64> = (0..1000).map(|i| if i < 4 { 1.0 } else { 0.0 }).collect();
        let (_, wald) = paired_ci(&ones, &[0.0; 1000]);
        assert!(!wald.contains(0.0), "the old interval claimed significance");
    }

    #[test]
    fn p_values_invert_the_intervals() {
        let tests = [
            DiffTest::PairedT(Summary {
                n: 30,
                mean: 0.4,
                sd: 1.1,
            }),
            DiffTest::Welch(
                Summary {
                    n: 12,
                    mean: 1.0,
                    sd: 0.9,
                },
                Summary {
                    n: 8,
                    mean: 0.2,
                    sd: 1.7,
                },
            ),
            DiffTest::NewcombePaired(PairedTable {
                both: 20,
                first_only: 15,
                second_only: 5,
                neither: 60,
            }),
            DiffTest::Newcombe(56, 70, 48, 80),
        ];
        for test in tests {
            let p = test.p_value();
            assert!(p > 0.0 && p < 1.0, "{test:?}: {p}");
            // Just above p the interval excludes zero, just below it holds zero.
            assert!(!test.interval(1.0 - p * 1.001).contains(0.0), "{test:?}");
            assert!(test.interval(1.0 - p * 0.999).contains(0.0), "{test:?}");
        }
    }

    #[test]
    fn degenerate_differences_are_certain_or_absent() {
        let same = DiffTest::PairedT(Summary {
            n: 10,
            mean: 0.0,
            sd: 0.0,
        });
        assert!(same.identical() && same.p_value() == 1.0);
        let shifted = DiffTest::PairedT(Summary {
            n: 10,
            mean: 0.25,
            sd: 0.0,
        });
        assert!(!shifted.identical() && shifted.p_value() == 0.0);
        assert_eq!(shifted.interval(0.99), Interval { lo: 0.25, hi: 0.25 });
    }

    #[test]
    fn holm_matches_a_worked_example() {
        // Four p-values 0.01, 0.04, 0.03, 0.005 at α = 0.05: sorted 0.005 (×4 = 0.02, reject),
        // 0.01 (×3 = 0.03, reject), 0.03 (×2 = 0.06 > 0.05: stop), 0.04 (×1, max with 0.06).
        let out = holm(&[0.01, 0.04, 0.03, 0.005], 0.05);
        let adjusted: Vec<f64> = out.iter().map(|o| o.0).collect();
        for (a, b) in adjusted.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!(near(*a, b, 1e-12), "{adjusted:?}");
        }
        let levels: Vec<f64> = out.iter().map(|o| o.1).collect();
        // Rank 1 at 1 − 0.05/4, rank 2 at 1 − 0.05/3, ranks 3 and 4 at rank 3's 1 − 0.05/2.
        for (a, b) in levels
            .iter()
            .zip([1.0 - 0.05 / 3.0, 0.975, 0.975, 1.0 - 0.0125])
        {
            assert!(near(*a, b, 1e-12), "{levels:?}");
        }
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
