//! Partial results: what one shard of an ensemble or a sweep writes (a part), what an
//! interrupted one keeps (a checkpoint), and how parts are put back together.
//!
//! A part names the work it is a part of by a [`Manifest`] — the command, the arguments that
//! define the result (scenario, seed, runs, overrides, the sweep's design; never outputs or
//! thread counts), the scenario's content hash and detente's version — and which share it did
//! ([`Shard`]). Parts of one piece of work have equal manifests; [`combine`] refuses anything
//! else, and refuses a set of shards with one missing or twice. An ensemble's part carries a
//! [`Tally`] of its runs, which merges exactly; a sweep's carries its finished points.
//!
//! A checkpoint is a journal: a header line (the manifest) and one line per batch of finished
//! work, each line its own checksum, so a line cut short by a kill is recognised as the torn end
//! of the journal (and dropped), and a line changed by anything else is refused.

use crate::ensemble::Tally;
use crate::sweep::{OatEffect, Point};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Name of the JSON format of a part.
pub const FORMAT: &str = "detente-part";
/// Name of the format of a checkpoint journal.
pub const CHECKPOINT_FORMAT: &str = "detente-checkpoint";
/// Version of both formats; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Bumped whenever a change alters the results of existing scenarios or the meaning of what a
/// part or checkpoint holds (golden snapshots changed): parts and checkpoints of builds with
/// different results versions never mix, even at the same detente version.
pub const RESULTS_VERSION: u32 = 2;

/// What a part is a part of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `run` or `sweep`.
    pub command: String,
    /// The scenario file as given (none: the bundled scenario). Not part of the work's
    /// identity, which is the content hash: the same files under another path are the same work.
    pub scenario: Option<String>,
    /// The other arguments that define the result, resolved, in a canonical order.
    pub args: Vec<String>,
    /// The content hash of every file the scenario was read from (hex).
    pub content_hash: String,
    /// The version of detente that made it.
    pub detente_version: String,
    /// [`RESULTS_VERSION`] of the build that made it.
    pub results_version: u32,
}

impl Manifest {
    /// The manifest of `command` on `scenario` with `args`, the scenario's content hash being
    /// `hash`, made by this build of detente.
    pub fn new(command: &str, scenario: Option<&str>, args: Vec<String>, hash: &str) -> Manifest {
        Manifest {
            command: command.into(),
            scenario: scenario.map(str::to_string),
            args,
            content_hash: hash.into(),
            detente_version: env!("CARGO_PKG_VERSION").into(),
            results_version: RESULTS_VERSION,
        }
    }

    /// What differs between this manifest and `other`, for a message (`None` if nothing).
    pub fn difference(&self, other: &Manifest) -> Option<String> {
        if self.detente_version != other.detente_version
            || self.results_version != other.results_version
        {
            return Some(format!(
                "made by different builds of detente ({} with results version {}, and {} with {})",
                self.detente_version,
                self.results_version,
                other.detente_version,
                other.results_version
            ));
        }
        if self.command != other.command {
            return Some(format!(
                "of `detente {}` and `detente {}`",
                self.command, other.command
            ));
        }
        if self.content_hash != other.content_hash {
            return Some(format!(
                "of scenarios with different contents (hash {} and {})",
                self.content_hash, other.content_hash
            ));
        }
        if self.args != other.args {
            return Some(format!(
                "of different work: `{}` and `{}`",
                self.args.join(" "),
                other.args.join(" ")
            ));
        }
        None
    }
}

/// Shard `index` of `count` (1-based, as Slurm's array task ids and GNU parallel's `{#}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 1 to `count`.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl Shard {
    /// Reads `K/N`.
    ///
    /// # Errors
    ///
    /// A message saying what is wrong: not two whole numbers, N = 0, or K outside 1..=N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (shard K of N, from 1/N to N/N), found `{s}`"))?;
        let number = |t: &str| {
            t.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{}` is not a whole number", t.trim()))
        };
        let (index, count) = (number(k)?, number(n)?);
        if count == 0 {
            return Err("there must be at least one shard (N ≥ 1)".into());
        }
        if !(1..=count).contains(&index) {
            return Err(format!(
                "shard {index} of {count}: shards are numbered from 1 to {count}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// This shard's share of `total` items numbered from 0: a contiguous range, the shares of
    /// all shards covering every item once and differing in size by at most one.
    pub fn range(&self, total: u64) -> Range<u64> {
        let at = |k: u64| (u128::from(total) * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index - 1)..at(self.index)
    }
}

/// A sweep's finished points, with the one-at-a-time effects they complete.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepPart {
    /// The finished points, in point order.
    pub points: Vec<Point>,
    /// The one-at-a-time effects of factors both of whose points are among them.
    pub oat: Vec<OatEffect>,
}

/// A part's result: an ensemble's tally, or a sweep's points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Work {
    /// Some runs of an ensemble.
    Ensemble(Tally),
    /// Some points of a sweep.
    Sweep(SweepPart),
}

/// What one shard writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// What it is a part of.
    pub manifest: Manifest,
    /// Which share it did.
    pub shard: Shard,
    /// The FNV-1a checksum (hex) of `work` as written: a part changed after it was written,
    /// even into other valid JSON, is refused.
    pub check: String,
    /// Its result.
    pub work: Work,
}

impl Part {
    /// The part `shard` of the work `manifest` names, with its result.
    pub fn new(manifest: Manifest, shard: Shard, work: Work) -> Part {
        Part {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            manifest,
            shard,
            check: work_check(&work),
            work,
        }
    }

    /// The part as JSON (one line, numbers exactly).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads a part written by [`Part::to_json`].
    ///
    /// # Errors
    ///
    /// A message saying why: not JSON, not a part (another detente format, or none), another
    /// format version, or malformed.
    pub fn parse(text: &str) -> Result<Part, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("it is not JSON ({e})"))?;
        check_format(&value, FORMAT)?;
        let part: Part = serde_json::from_value(value)
            .map_err(|e| format!("it is not a well-formed part ({e})"))?;
        // Numbers are read back exactly, so a part's work serializes to the same text it was
        // written from (sampled runs out of order or of mixed widths, which no tally writes,
        // are held as none, and so fail here or, checksummed so, in the tally's validation).
        if work_check(&part.work) != part.check {
            return Err("it is damaged: its results do not match their checksum".into());
        }
        Ok(part)
    }
}

/// The checksum of a part's result.
fn work_check(work: &Work) -> String {
    format!(
        "{:016x}",
        fnv(serde_json::to_string(work).unwrap_or_default().as_bytes())
    )
}

fn check_format(value: &serde_json::Value, expected: &str) -> Result<(), String> {
    match value.get("format").and_then(|f| f.as_str()) {
        Some(f) if f == expected => {}
        Some(other) => return Err(format!("it is a `{other}` file, not a `{expected}`")),
        None => return Err(format!("it is not a detente `{expected}` file")),
    }
    let version = value.get("format_version").and_then(|v| v.as_u64());
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(format!(
            "it has format version {}, and this detente reads version {FORMAT_VERSION}",
            version.map_or("(none)".to_string(), |v| v.to_string())
        ));
    }
    Ok(())
}

/// Why a set of parts cannot be combined.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CombineError {
    /// No parts at all.
    #[error("no parts to merge")]
    Empty,
    /// Two parts are of different work; the names of the two and what differs.
    #[error("`{0}` and `{1}` are parts {2}")]
    Foreign(String, String, String),
    /// Parts of different shard counts.
    #[error("`{0}` is shard {1} and `{2}` shard {3}: parts of different splits")]
    Split(String, String, String, String),
    /// The same shard twice.
    #[error("`{0}` and `{1}` are both shard {2}")]
    Duplicate(String, String, String),
    /// Shards missing.
    #[error("{} of {} {} missing", list(.0), .1, if .0.len() == 1 { "is" } else { "are" })]
    Missing(Vec<u64>, u64),
    /// A part's result does not fit the others (its tally does not merge); which and why.
    #[error("`{0}`: {1}")]
    Malformed(String, String),
}

fn list(xs: &[u64]) -> String {
    let shown: Vec<String> = xs.iter().take(10).map(u64::to_string).collect();
    let more = if xs.len() > 10 {
        format!(" and {} more", xs.len() - 10)
    } else {
        String::new()
    };
    let word = if xs.len() == 1 { "shard" } else { "shards" };
    format!("{word} {}{more}", shown.join(", "))
}

/// Combines parts (each with a name for messages, such as its file name), given in any order:
/// their common manifest and their merged result.
///
/// # Errors
///
/// When there are none, when two are of different work or different splits, when a shard is
/// there twice or missing, or when their results do not merge.
pub fn combine(parts: Vec<(String, Part)>) -> Result<(Manifest, Work), CombineError> {
    let Some((first_name, first)) = parts.first().cloned() else {
        return Err(CombineError::Empty);
    };
    let count = first.shard.count;
    let mut seen: Vec<Option<String>> = vec![None; count.min(1 << 20) as usize];
    for (name, p) in &parts {
        if let Some(why) = first.manifest.difference(&p.manifest) {
            return Err(CombineError::Foreign(first_name.clone(), name.clone(), why));
        }
        if p.shard.count != count || p.shard.index > count || seen.len() as u64 != count {
            return Err(CombineError::Split(
                first_name.clone(),
                format!("{}/{}", first.shard.index, first.shard.count),
                name.clone(),
                format!("{}/{}", p.shard.index, p.shard.count),
            ));
        }
        let slot = &mut seen[(p.shard.index - 1) as usize];
        if let Some(other) = slot {
            return Err(CombineError::Duplicate(
                other.clone(),
                name.clone(),
                format!("{}/{count}", p.shard.index),
            ));
        }
        *slot = Some(name.clone());
    }
    let missing: Vec<u64> = (1..=count)
        .filter(|&k| seen[(k - 1) as usize].is_none())
        .collect();
    if !missing.is_empty() {
        return Err(CombineError::Missing(missing, count));
    }
    let manifest = first.manifest.clone();
    let mut parts = parts;
    parts.sort_by_key(|(_, p)| p.shard.index);
    let mut work: Option<Work> = None;
    for (name, p) in parts {
        work = Some(match (work, p.work) {
            (None, w) => w,
            (Some(Work::Ensemble(mut a)), Work::Ensemble(b)) => {
                a.merge(b)
                    .map_err(|e| CombineError::Malformed(name.clone(), e.to_string()))?;
                Work::Ensemble(a)
            }
            (Some(Work::Sweep(mut a)), Work::Sweep(b)) => {
                a.points.extend(b.points);
                a.oat.extend(b.oat);
                Work::Sweep(a)
            }
            _ => {
                return Err(CombineError::Malformed(
                    name,
                    "it holds another kind of result than the others".into(),
                ))
            }
        });
    }
    let mut work = work.ok_or(CombineError::Empty)?;
    if let Work::Sweep(s) = &mut work {
        s.points.sort_by_key(|p| p.index);
        if s.points.windows(2).any(|w| w[0].index == w[1].index) {
            return Err(CombineError::Malformed(
                first_name,
                "two parts hold the same sweep point".into(),
            ));
        }
        s.oat.sort_by_key(|e| (e.factor, e.output));
    }
    Ok((manifest, work))
}

/// FNV-1a, 64 bits: the checksum of a checkpoint line (it detects damage, not tampering).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The header of a checkpoint journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Header {
    format: String,
    format_version: u32,
    manifest: Manifest,
    shard: Option<Shard>,
    /// Whether its records hold the rows of a streamed per-run table.
    rows: bool,
}

/// One batch of finished work in a checkpoint: a result to merge, and the rows of it already
/// written to a streamed output (so that a resumed run can write them again).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The batch's result.
    pub work: Work,
    /// Its rows of the streamed output, as written (empty when none is streamed).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rows: String,
}

/// A checked line: `<checksum in hex> <json>\n`.
fn line(json: &str) -> String {
    format!("{:016x} {json}\n", fnv(json.as_bytes()))
}

/// The first line of a checkpoint for the work `manifest` names (of shard `shard`, if any),
/// whose records hold streamed rows if `rows`.
pub fn checkpoint_header(manifest: &Manifest, shard: Option<Shard>, rows: bool) -> String {
    let header = Header {
        format: CHECKPOINT_FORMAT.into(),
        format_version: FORMAT_VERSION,
        manifest: manifest.clone(),
        shard,
        rows,
    };
    line(&serde_json::to_string(&header).unwrap_or_default())
}

/// A checkpoint line for `record`.
pub fn checkpoint_line(record: &Record) -> String {
    line(&serde_json::to_string(record).unwrap_or_default())
}

/// Reads a checkpoint journal line by line (so that a large one is never held whole), checking
/// each line as it comes.
#[derive(Debug)]
pub struct CheckpointReader {
    manifest: Manifest,
    shard: Option<Shard>,
    rows: bool,
    lines: usize,
}

impl CheckpointReader {
    /// A reader of a checkpoint of the work `manifest` names (of shard `shard`, if any), whose
    /// records must hold streamed rows if and only if `rows`.
    pub fn new(manifest: &Manifest, shard: Option<Shard>, rows: bool) -> CheckpointReader {
        CheckpointReader {
            manifest: manifest.clone(),
            shard,
            rows,
            lines: 0,
        }
    }

    /// Lines read so far.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Reads the next whole line (its line end removed): `None` for the header, else its record.
    ///
    /// # Errors
    ///
    /// A message saying why the checkpoint is refused: not a checkpoint, one of other work (or
    /// another shard of it, or with rows streamed when these are not, or the other way round),
    /// or a damaged line.
    pub fn line(&mut self, raw: &[u8]) -> Result<Option<Record>, String> {
        self.lines += 1;
        let number = self.lines;
        let damaged = || format!("line {number} is damaged (its checksum does not match)");
        let (sum, json) = match (raw.get(..16), raw.get(16), raw.get(17..)) {
            (Some(sum), Some(b' '), Some(json)) => (sum, json),
            _ if number == 1 => return Err("it is not a detente checkpoint".into()),
            _ => return Err(damaged()),
        };
        let sum = std::str::from_utf8(sum)
            .ok()
            .and_then(|s| u64::from_str_radix(s, 16).ok());
        if sum != Some(fnv(json)) {
            if number == 1 {
                return Err("it is not a detente checkpoint, or its first line is damaged".into());
            }
            return Err(damaged());
        }
        if number > 1 {
            let record: Record = serde_json::from_slice(json)
                .map_err(|e| format!("line {number} is malformed ({e})"))?;
            return Ok(Some(record));
        }
        let value: serde_json::Value = serde_json::from_slice(json)
            .map_err(|_| "it is not a detente checkpoint".to_string())?;
        check_format(&value, CHECKPOINT_FORMAT)?;
        let header: Header =
            serde_json::from_value(value).map_err(|e| format!("its header is malformed ({e})"))?;
        if let Some(why) = header.manifest.difference(&self.manifest) {
            return Err(format!("it is a checkpoint {why}"));
        }
        if header.shard != self.shard {
            let show = |s: Option<Shard>| {
                s.map_or("the whole work".to_string(), |s| {
                    format!("shard {}/{}", s.index, s.count)
                })
            };
            return Err(format!(
                "it is a checkpoint of {}, not of {}",
                show(header.shard),
                show(self.shard)
            ));
        }
        if header.rows != self.rows {
            return Err(if header.rows {
                "it keeps the per-run rows, and this command streams none: give the same --rows or --format csv as the command that made it".into()
            } else {
                "it does not keep the per-run rows this command streams (--rows or --format csv): the command that made it had none".into()
            });
        }
        Ok(None)
    }
}

/// A checkpoint read back whole: its records, how many bytes of it are whole lines, and whether
/// a torn last line (no line end: the process was killed while writing it) followed them.
#[derive(Debug)]
pub struct Checkpoint {
    /// The records, in the order they were written.
    pub records: Vec<Record>,
    /// Bytes of the text that are whole lines.
    pub valid_len: usize,
    /// Whether a torn last line followed.
    pub torn: bool,
}

/// Reads a whole checkpoint text with a [`CheckpointReader`] (for tests and small journals; the
/// CLI reads line by line).
///
/// # Errors
///
/// As [`CheckpointReader::line`], and an empty text.
pub fn read_checkpoint(
    text: &[u8],
    manifest: &Manifest,
    shard: Option<Shard>,
    rows: bool,
) -> Result<Checkpoint, String> {
    let mut reader = CheckpointReader::new(manifest, shard, rows);
    let mut records = Vec::new();
    let mut at = 0;
    let mut torn = false;
    while at < text.len() {
        let Some(end) = text[at..].iter().position(|&b| b == b'\n') else {
            torn = true;
            break;
        };
        records.extend(reader.line(&text[at..at + end])?);
        at += end + 1;
    }
    if reader.lines() == 0 {
        return Err("it is empty, not a detente checkpoint".into());
    }
    Ok(Checkpoint {
        records,
        valid_len: at,
        torn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_item_once() {
        for total in [0u64, 1, 5, 17, 1000] {
            for count in 1..=9 {
                let mut next = 0;
                for index in 1..=count {
                    let r = Shard { index, count }.range(total);
                    assert_eq!(r.start, next);
                    assert!(r.end - r.start <= total.div_ceil(count));
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("x").is_err());
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
    }

    #[test]
    fn checkpoints_drop_a_torn_end_and_refuse_damage() {
        let m = Manifest::new(
            "run",
            Some("s.toml"),
            vec!["--seed".into(), "1".into()],
            "00ff",
        );
        let record = Record {
            work: Work::Sweep(SweepPart::default()),
            rows: "1,2\n".into(),
        };
        let mut text = checkpoint_header(&m, None, true);
        text.push_str(&checkpoint_line(&record));
        let whole = text.len();
        text.push_str(&checkpoint_line(&record)[..10]);
        let c = read_checkpoint(text.as_bytes(), &m, None, true).unwrap();
        assert_eq!((c.records.len(), c.valid_len, c.torn), (1, whole, true));
        let damaged = text[..whole].replace("1,2", "1,3");
        assert!(read_checkpoint(damaged.as_bytes(), &m, None, true)
            .unwrap_err()
            .contains("line 2 is damaged"));
        let other = Manifest::new(
            "run",
            Some("s.toml"),
            vec!["--seed".into(), "2".into()],
            "00ff",
        );
        assert!(read_checkpoint(text.as_bytes(), &other, None, true)
            .unwrap_err()
            .contains("different work"));
        // The same work under another path is the same work.
        let moved = Manifest::new(
            "run",
            Some("./s.toml"),
            vec!["--seed".into(), "1".into()],
            "00ff",
        );
        assert!(read_checkpoint(text.as_bytes(), &moved, None, true).is_ok());
        let shard = Some(Shard { index: 1, count: 2 });
        assert!(read_checkpoint(text.as_bytes(), &m, shard, true)
            .unwrap_err()
            .contains("not of shard 1/2"));
        assert!(read_checkpoint(text.as_bytes(), &m, None, false)
            .unwrap_err()
            .contains("keeps the per-run rows"));
        assert!(read_checkpoint(b"{}\n", &m, None, true).is_err());
    }

    #[test]
    fn a_changed_part_is_refused() {
        let m = Manifest::new("sweep", None, vec![], "00ff");
        let part = Part::new(
            m,
            Shard { index: 1, count: 1 },
            Work::Sweep(SweepPart::default()),
        );
        let text = part.to_json();
        assert_eq!(Part::parse(&text).unwrap(), part);
        let changed = text.replace("\"oat\":[]", "\"oat\":[ ]").replace(
            "\"points\":[]",
            "\"points\":[{\"index\":0,\"values\":[],\"estimates\":[]}]",
        );
        assert!(Part::parse(&changed).unwrap_err().contains("checksum"));
    }
}
