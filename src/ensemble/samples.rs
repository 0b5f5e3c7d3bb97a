//! The sampled runs' values the quantiles are read from ([`Samples`]).
//!
//! They are the biggest thing an ensemble keeps (10,000 runs of the bundled scenario: 84 MB),
//! so they are kept as the blocks of runs that were tallied together left them: a chunk per
//! block, column by column, each column a band point's (or a metric's) values over the chunk's
//! sampled runs side by side. A band point's values over every sampled run are then a few
//! contiguous stretches, read in a pass each rather than gathered from every run's row, and a
//! block's band values are one allocation, whose memory the kernel is asked to back with huge
//! pages (most of what keeping them cost was first-touch page faults, one per 4 KiB).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The values a sampled run contributes to the quantiles, as a tally file has them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sampled {
    /// The run's index.
    pub run: u64,
    /// Per series, per band time point (series-major).
    pub bands: Vec<f64>,
    /// Per metric, in the order of the report's metrics.
    pub metrics: Vec<f64>,
}

/// Sampled runs in run order: see the module's documentation. Written and read as the list of
/// [`Sampled`] runs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Samples {
    /// In run order, none empty, none reaching into another's runs.
    chunks: Vec<Chunk>,
    /// Read from a file whose sampled runs do not all have as many values, or are not in run
    /// order, or merged from chunks of other widths: no chunk could hold them, and
    /// [`super::Tally::validate`] refuses the tally.
    refused: bool,
}

/// Some sampled runs, in run order, column by column.
#[derive(Clone, Debug)]
pub(crate) struct Chunk {
    runs: Vec<u64>,
    /// Band column `c` (series `s`, point `p`: `c = s · points + p`) is
    /// `bands[c * runs.len()..][..runs.len()]`, the runs' values as
    /// [`ordered`](crate::stats::ordered) keys.
    bands: Vec<i64>,
    /// Metric `k` is `metrics[k * runs.len()..][..runs.len()]`.
    metrics: Vec<f64>,
}

impl Chunk {
    /// Band values per run.
    fn width(&self) -> usize {
        self.bands.len() / self.runs.len().max(1)
    }

    /// Metrics per run.
    fn n_metrics(&self) -> usize {
        self.metrics.len() / self.runs.len().max(1)
    }

    /// The chunk of `runs` (in order) with their band values `bands` (laid out as the field
    /// says) and `n_metrics` metrics each, run `i`'s metric `k` being `metric(i, k)`.
    pub(crate) fn new(
        runs: Vec<u64>,
        bands: Vec<i64>,
        n_metrics: usize,
        metric: impl Fn(usize, usize) -> f64,
    ) -> Chunk {
        let n = runs.len();
        let mut metrics = vec![0.0; n_metrics * n];
        for i in 0..n {
            for k in 0..n_metrics {
                metrics[k * n + i] = metric(i, k);
            }
        }
        Chunk {
            runs,
            bands,
            metrics,
        }
    }

    /// The chunk of `rows` (in run order, each with `width` band values and `n_metrics`
    /// metrics).
    fn of_rows(rows: &[Sampled], width: usize, n_metrics: usize) -> Chunk {
        let n = rows.len();
        let mut bands = zeroed_keys(width * n);
        for (i, row) in rows.iter().enumerate() {
            for (c, &x) in row.bands.iter().enumerate() {
                bands[c * n + i] = crate::stats::ordered(x);
            }
        }
        let runs = rows.iter().map(|r| r.run).collect();
        Chunk::new(runs, bands, n_metrics, |i, k| rows[i].metrics[k])
    }

    /// Its `i`-th run, as a file has it.
    fn row(&self, i: usize) -> Sampled {
        let n = self.runs.len();
        Sampled {
            run: self.runs[i],
            bands: (0..self.width())
                .map(|c| crate::stats::unordered(self.bands[c * n + i]))
                .collect(),
            metrics: (0..self.n_metrics())
                .map(|k| self.metrics[k * n + i])
                .collect(),
        }
    }
}

impl Samples {
    /// How many runs are sampled.
    pub(crate) fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.runs.len()).sum()
    }

    /// The sampled runs' indices, in order.
    pub(crate) fn runs(&self) -> impl Iterator<Item = u64> + '_ {
        self.chunks.iter().flat_map(|c| c.runs.iter().copied())
    }

    /// Whether every sampled run has `width` band values and `n_metrics` metrics (and the
    /// samples were not refused as read or merged).
    pub(crate) fn all_of_width(&self, width: usize, n_metrics: usize) -> bool {
        !self.refused
            && self
                .chunks
                .iter()
                .all(|c| c.width() == width && c.n_metrics() == n_metrics)
    }

    /// Band column `c` of every sampled run, in run order, as keys into `keys` (one per run).
    pub(crate) fn band_keys(&self, c: usize, keys: &mut [i64]) {
        let mut at = 0;
        for chunk in &self.chunks {
            let n = chunk.runs.len();
            keys[at..at + n].copy_from_slice(&chunk.bands[c * n..][..n]);
            at += n;
        }
    }

    /// Metric `k` of every sampled run, in run order.
    pub(crate) fn metric(&self, k: usize) -> impl Iterator<Item = f64> + '_ {
        self.chunks.iter().flat_map(move |c| {
            let n = c.runs.len();
            c.metrics[k * n..][..n].iter().copied()
        })
    }

    /// Adds the runs of `chunk`, all after the ones held.
    pub(crate) fn push(&mut self, chunk: Chunk) {
        if let Some(&first) = chunk.runs.first() {
            debug_assert!(self.runs().last() < Some(first));
            self.chunks.push(chunk);
        }
    }

    /// Adds the sampled runs of `other` (none of them held), keeping run order: as its
    /// chunks where they fall between this one's (blocks of runs merged), else rebuilt.
    pub(crate) fn merge(&mut self, other: Samples) {
        self.refused |= other.refused;
        self.chunks.extend(other.chunks);
        self.chunks.sort_by_key(|c| c.runs[0]);
        let apart = self
            .chunks
            .windows(2)
            .all(|w| w[0].runs.last() < w[1].runs.first());
        if apart {
            return;
        }
        // Chunks whose runs interleave (tallies of runs split finer than their chunks): one
        // chunk of them all, if they have the same widths (else the samples are refused, as
        // ragged ones read from a file are).
        let (width, n_metrics) = (self.chunks[0].width(), self.chunks[0].n_metrics());
        if !self.all_of_width(width, n_metrics) {
            self.chunks.clear();
            self.refused = true;
            return;
        }
        let mut rows: Vec<Sampled> = self.rows().collect();
        rows.sort_by_key(|r| r.run);
        self.chunks = vec![Chunk::of_rows(&rows, width, n_metrics)];
    }

    /// The sampled runs in order, as a file has them.
    fn rows(&self) -> impl Iterator<Item = Sampled> + '_ {
        self.chunks
            .iter()
            .flat_map(|c| (0..c.runs.len()).map(move |i| c.row(i)))
    }
}

/// The same runs with the same values (however they are chunked).
impl PartialEq for Samples {
    fn eq(&self, other: &Samples) -> bool {
        self.refused == other.refused && self.len() == other.len() && self.rows().eq(other.rows())
    }
}

impl Serialize for Samples {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.rows())
    }
}

impl<'de> Deserialize<'de> for Samples {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Samples, D::Error> {
        let rows = Vec::<Sampled>::deserialize(deserializer)?;
        let Some(first) = rows.first() else {
            return Ok(Samples::default());
        };
        let (width, n_metrics) = (first.bands.len(), first.metrics.len());
        let ragged = rows
            .iter()
            .any(|r| r.bands.len() != width || r.metrics.len() != n_metrics);
        // Out of order (or a run twice), they are not a tally's either.
        let malformed = ragged || !rows.windows(2).all(|w| w[0].run < w[1].run);
        Ok(Samples {
            chunks: if malformed {
                Vec::new()
            } else {
                vec![Chunk::of_rows(&rows, width, n_metrics)]
            },
            refused: malformed,
        })
    }
}

/// `n` zero keys, in memory the kernel is asked to back with huge pages where it can.
pub(crate) fn zeroed_keys(n: usize) -> Vec<i64> {
    // Zeroed memory this large comes straight from the kernel, untouched: the advice comes
    // before the first touch.
    let keys = vec![0i64; n];
    advise_huge_pages(&keys);
    keys
}

/// Asks the kernel (Linux) to back the whole 2 MiB pages inside `memory` with transparent huge
/// pages: a first touch then faults once per 2 MiB, not once per 4 KiB. Where the kernel's
/// setting is "never", or elsewhere, nothing changes.
fn advise_huge_pages<T>(memory: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        const MADV_HUGEPAGE: std::ffi::c_int = 14;
        extern "C" {
            fn madvise(
                addr: *mut std::ffi::c_void,
                len: usize,
                advice: std::ffi::c_int,
            ) -> std::ffi::c_int;
        }
        let start = memory.as_ptr() as usize;
        let end = start + std::mem::size_of_val(memory);
        let (lo, hi) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if lo < hi {
            // SAFETY: the range is whole pages inside `memory`'s allocation, and
            // MADV_HUGEPAGE only changes how the kernel backs them (their contents stay); a
            // refusal (an old kernel, a setting) leaves them as they were.
            unsafe {
                madvise(lo as *mut std::ffi::c_void, hi - lo, MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = memory;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(runs: &[u64]) -> Vec<Sampled> {
        runs.iter()
            .map(|&r| Sampled {
                run: r,
                bands: vec![r as f64, -(r as f64), 1e300, -0.0],
                metrics: vec![0.5 * r as f64, 1.0],
            })
            .collect()
    }

    fn samples(runs: &[u64]) -> Samples {
        let mut s = Samples::default();
        s.push(Chunk::of_rows(&rows(runs), 4, 2));
        s
    }

    #[test]
    fn chunks_read_back_as_their_rows_in_run_order() {
        let mut a = samples(&[0, 2, 4]);
        a.merge(samples(&[10, 12]));
        let mut b = samples(&[6, 8]);
        b.merge(a);
        assert_eq!(b.chunks.len(), 3, "blocks merged keep their chunks");
        assert_eq!(b.runs().collect::<Vec<_>>(), [0, 2, 4, 6, 8, 10, 12]);
        let got: Vec<Sampled> = b.rows().collect();
        let expected = rows(&[0, 2, 4, 6, 8, 10, 12]);
        assert_eq!(format!("{got:?}"), format!("{expected:?}"));
        let mut keys = vec![0; 7];
        b.band_keys(1, &mut keys);
        let values: Vec<f64> = keys.iter().map(|&k| crate::stats::unordered(k)).collect();
        assert_eq!(values, [-0.0, -2.0, -4.0, -6.0, -8.0, -10.0, -12.0]);
        assert_eq!(
            b.metric(0).collect::<Vec<_>>(),
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        assert!(b.all_of_width(4, 2) && !b.all_of_width(3, 2) && !b.all_of_width(4, 1));
    }

    #[test]
    fn interleaved_chunks_are_rebuilt_in_run_order() {
        let mut a = samples(&[0, 4, 8]);
        a.merge(samples(&[2, 6]));
        assert_eq!(a.chunks.len(), 1);
        assert_eq!(a.runs().collect::<Vec<_>>(), [0, 2, 4, 6, 8]);
        assert_eq!(a, samples(&[0, 2, 4, 6, 8]));
        assert_eq!(a.metric(0).collect::<Vec<_>>(), [0.0, 1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn a_chunk_of_no_runs_adds_nothing() {
        let mut s = Samples::default();
        let none = || Chunk::of_rows(&[], 4, 2);
        s.push(none());
        s.push(Chunk::of_rows(&rows(&[3]), 4, 2));
        s.push(none());
        assert_eq!((s.chunks.len(), s.len()), (1, 1));
    }

    #[test]
    fn interleaved_chunks_of_other_widths_are_refused() {
        let mut a = samples(&[0, 4]);
        let mut narrow = rows(&[2]);
        narrow[0].bands.pop();
        let mut b = Samples::default();
        b.push(Chunk::of_rows(&narrow, 3, 2));
        a.merge(b);
        assert!(!a.all_of_width(4, 2) && !a.all_of_width(3, 2));
    }

    #[test]
    fn written_as_the_list_of_runs_and_read_back() {
        let mut s = samples(&[1, 3]);
        s.merge(samples(&[5]));
        let json = serde_json::to_string(&s).unwrap();
        let listed = serde_json::to_string(&rows(&[1, 3, 5])).unwrap();
        assert_eq!(json, listed);
        let back: Samples = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert!(back.all_of_width(4, 2));
        let empty: Samples = serde_json::from_str("[]").unwrap();
        assert_eq!(empty.len(), 0);
        assert!(
            empty.all_of_width(7, 3),
            "no run has values of another width"
        );
    }

    #[test]
    fn ragged_or_unordered_runs_read_from_a_file_are_refused() {
        let mut ragged = rows(&[1, 3]);
        ragged[1].bands.pop();
        for listed in [ragged, rows(&[3, 1]), rows(&[1, 1])] {
            let text = serde_json::to_string(&listed).unwrap();
            let back: Samples = serde_json::from_str(&text).unwrap();
            assert!(
                !back.all_of_width(4, 2) && !back.all_of_width(3, 2),
                "{text}"
            );
        }
    }
}
