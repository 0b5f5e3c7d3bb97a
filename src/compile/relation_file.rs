//! Relation files: CSV rows read straight into relation columns.
//!
//! A network of a million relations is mostly this file's work, so the reader makes one pass over
//! each line's bytes (cell boundaries, quotes and the line end together), borrows every unquoted
//! cell, looks plain integer actor ids up in a table instead of hashing them, and keeps a row's
//! origin in 8 bytes. Quoted cells take the general path.

use crate::diag::{quoted, Diagnostic, FileId, Loc, SHOWN_PER_FILE};
use crate::model::Variable;
use crate::spec::RelationFileSpec;
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::collections::BTreeMap;

const NONE: u32 = u32::MAX;

/// Actor ids and the provisional index each was given, in reading order.
pub(super) struct ActorIds {
    pub ids: Vec<String>,
    map: HashMap<String, u32>,
    /// Index of each canonical integer id (digits only, no leading zero) below `small_limit`;
    /// such ids are never in `map` unless they were declared as `[actors.ID]` tables.
    small: Vec<u32>,
    small_limit: usize,
}

/// `s` without surrounding white space; checks the two ends first, as cells rarely have any.
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if *a > b' ' && *a < 0x80 && *b > b' ' && *b < 0x80 => s,
        _ => s.trim(),
    }
}

/// `id` as a canonical non-negative integer of at most nine digits.
fn small_int(id: &str) -> Option<usize> {
    let b = id.as_bytes();
    if b.is_empty() || b.len() > 9 || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    let mut v = 0usize;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + usize::from(d);
    }
    Some(v)
}

impl ActorIds {
    /// `small_limit` bounds the integer table (4 bytes per slot up to the largest id seen), so
    /// a few huge ids in a small file go to the hash map instead.
    pub fn new(small_limit: usize) -> ActorIds {
        ActorIds {
            ids: Vec::new(),
            map: HashMap::default(),
            small: Vec::new(),
            small_limit,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn get(&mut self, id: &str) -> Option<u32> {
        match small_int(id) {
            Some(v) if v < self.small_limit => {
                if let Some(&a) = self.small.get(v).filter(|&&a| a != NONE) {
                    return Some(a);
                }
                // Declared in a table: remember it in the integer table from now on.
                let a = *self.map.get(id)?;
                self.set_small(v, a);
                Some(a)
            }
            _ => self.map.get(id).copied(),
        }
    }

    /// Adds an id that [`ActorIds::get`] does not know; returns its index.
    pub fn insert(&mut self, id: &str, declared: bool) -> u32 {
        let a = self.ids.len() as u32;
        self.ids.push(id.to_string());
        match small_int(id) {
            Some(v) if v < self.small_limit && !declared => self.set_small(v, a),
            _ => {
                self.map.insert(id.to_string(), a);
            }
        }
        a
    }

    fn set_small(&mut self, v: usize, a: u32) {
        if v >= self.small.len() {
            let len = (v + 1).max(2 * self.small.len()).min(self.small_limit);
            self.small.resize(len, NONE);
        }
        self.small[v] = a;
    }
}

/// Relations as read, before sorting.
pub(super) struct RawRelations {
    pub src: Vec<u32>,
    pub dst: Vec<u32>,
    pub kind: Vec<u16>,
    /// Per relation variable, the value per relation (NaN = default).
    pub values: Vec<Vec<f64>>,
    /// Where each relation was written: see [`Origin`].
    pub origins: Vec<u64>,
}

/// A relation's origin packed in 8 bytes: `[[relations]]` entry i is `INLINE | i`; a CSV row is
/// the relation file's index (in `Resolved::csv`) shifted by 40 bits, plus the line's byte offset.
pub(super) struct Origin;

impl Origin {
    pub const INLINE: u64 = 1 << 63;
    pub const SHIFT: u32 = 40;

    pub fn csv(file: usize, offset: usize) -> u64 {
        ((file as u64) << Self::SHIFT) | offset as u64
    }

    /// (relation file index, line offset) of a CSV origin.
    pub fn split(o: u64) -> (usize, usize) {
        (
            (o >> Self::SHIFT) as usize,
            (o & ((1 << Self::SHIFT) - 1)) as usize,
        )
    }
}

impl RawRelations {
    pub fn new(n_vars: usize, capacity: usize) -> RawRelations {
        RawRelations {
            src: Vec::with_capacity(capacity),
            dst: Vec::with_capacity(capacity),
            kind: Vec::with_capacity(capacity),
            // Not `vec![...; n]`: a clone of a vector does not keep its capacity.
            values: (0..n_vars).map(|_| Vec::with_capacity(capacity)).collect(),
            origins: Vec::with_capacity(capacity),
        }
    }

    pub fn push(&mut self, ends: [u32; 2], kind: u16, values: &[f64], origin: u64) {
        self.src.push(ends[0]);
        self.dst.push(ends[1]);
        self.kind.push(kind);
        for (col, &x) in self.values.iter_mut().zip(values) {
            col.push(x);
        }
        self.origins.push(origin);
    }
}

/// How a relation file creates the actors it names: the kind name of those it creates.
#[derive(Default)]
pub(super) struct Created {
    /// Per created actor (provisional index minus the number of declared actors), an index
    /// into `kinds`.
    pub kind_of: Vec<u16>,
    pub kinds: Vec<String>,
}

/// Lines in `text` (line ends plus one), counted in blocks of 255 bytes with byte-sized
/// counters, which vectorises.
fn count_lines(text: &str) -> usize {
    text.as_bytes()
        .chunks(255)
        .map(|block| {
            let n = block
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n')));
            usize::from(n)
        })
        .sum::<usize>()
        + 1
}

/// Rows a relation file can hold at most, to size its columns: one per line, and no row is
/// shorter than `a,b` and its line end (a file of blank lines reserves nothing much).
pub(super) fn max_rows(text: &str) -> usize {
    count_lines(text).min(text.len() / 4 + 1)
}

/// The line of `text` that starts at `start`, without its line ending.
pub(super) fn line_at(text: &str, start: usize) -> &str {
    let rest = &text[start.min(text.len())..];
    let line = rest.find('\n').map_or(rest, |i| &rest[..i]);
    line.trim_end_matches('\r')
}

/// What the rows of one file are checked against.
pub(super) struct Columns<'a> {
    pub vars: &'a BTreeMap<String, u16>,
    pub specs: &'a [Variable],
    /// Variables whose declaration could not be read.
    pub broken: &'a std::collections::BTreeSet<String>,
}

/// What is being read into: the actor ids so far, the actors files created, the relation
/// columns and the relation kinds so far.
pub(super) struct Reading<'a> {
    pub actors: &'a mut ActorIds,
    pub created: &'a mut Created,
    pub raw: &'a mut RawRelations,
    pub kinds: &'a mut HashMap<String, u16>,
}

/// One relation file's settings from its `[[relation_files]]` entry.
pub(super) struct File<'a> {
    /// Index among the scenario's relation files (`Resolved::csv` order).
    index: usize,
    id: FileId,
    from_col: &'a str,
    to_col: &'a str,
    default_kind: &'a str,
    create: bool,
    created_kind: &'a str,
}

impl<'a> File<'a> {
    pub fn new(index: usize, id: FileId, spec: &'a RelationFileSpec) -> File<'a> {
        let text = |s: &'a Option<crate::spec::Located<String>>, default: &'a str| {
            s.as_ref().map_or(default, |s| s.value.as_str())
        };
        File {
            index,
            id,
            from_col: text(&spec.from, "from"),
            to_col: text(&spec.to, "to"),
            default_kind: text(&spec.kind, "related"),
            create: spec.create_actors.unwrap_or(false),
            created_kind: text(&spec.actor_kind, "actor"),
        }
    }
}

/// The header of a relation file: which cell holds what.
struct Header {
    /// Number of cells.
    len: usize,
    from: usize,
    to: usize,
    kind: Option<usize>,
    /// (cell, relation variable) of each value column.
    vars: Vec<(usize, u16)>,
}

/// Reads one relation file's rows into `into`; every problem found goes to `errors` (at most
/// twenty row errors, then a note that more are not shown).
pub(super) fn read(
    f: &File,
    text: &str,
    cols: &Columns,
    into: &mut Reading,
    errors: &mut Vec<Diagnostic>,
) {
    let file = f.id;
    // A row's origin packs the file's index and the line's offset in 64 bits.
    if f.index >= 1 << 23 || text.len() >= 1 << Origin::SHIFT {
        errors.push(
            Diagnostic::at(Loc::new(file, 0..0), "too many or too large relation files")
                .with_hint("at most 8,388,608 files of at most 1 TiB each"),
        );
        return;
    }
    let header_end = text.find('\n').unwrap_or(text.len());
    let mut report = FileErrors {
        errors,
        count: 0,
        first_hidden: None,
    };
    let header = header(f, text, header_end, cols, &mut report);
    let created = header
        .as_ref()
        .and_then(|_| created_kind(f, into.created, report.errors));
    if let (Some(header), Some(created_kind_id)) = (header, created) {
        rows(
            f,
            text,
            header_end,
            &header,
            cols,
            created_kind_id,
            into,
            &mut report,
        );
    }
    report.finish();
}

/// The kind id of the actors this file creates.
fn created_kind(f: &File, created: &mut Created, errors: &mut Vec<Diagnostic>) -> Option<u16> {
    match created.kinds.iter().position(|n| n == f.created_kind) {
        Some(i) => Some(i as u16),
        None if created.kinds.len() < usize::from(u16::MAX) => {
            created.kinds.push(f.created_kind.to_string());
            Some(created.kinds.len() as u16 - 1)
        }
        None => {
            errors.push(Diagnostic::at(
                Loc::new(f.id, 0..0),
                "too many different `actor_kind`s in relation files (at most 65,535)",
            ));
            None
        }
    }
}

/// Reads and checks the header line.
fn header(
    f: &File,
    text: &str,
    header_end: usize,
    cols: &Columns,
    errors: &mut FileErrors,
) -> Option<Header> {
    let (file, from_col, to_col) = (f.id, f.from_col, f.to_col);
    let header = text[..header_end].trim_end_matches('\r');
    if text.is_empty() {
        errors.push(
            Diagnostic::at(Loc::new(file, 0..0), "the relation file is empty").with_hint(format!(
                "the first line must name the columns, e.g. `{from_col},{to_col},kind`"
            )),
        );
        return None;
    }
    let cells = match split_csv(header) {
        Ok(mut c) => {
            // A byte-order mark, as spreadsheet programs write one: not part of the first name.
            if let Some(first) = c.first_mut() {
                if let Some(rest) = first.0.strip_prefix('\u{feff}') {
                    first.0 = rest.to_string();
                    first.1 += '\u{feff}'.len_utf8();
                }
            }
            c
        }
        Err(col) => {
            errors.push(Diagnostic::at(
                Loc::new(file, col..col + 1),
                "unterminated quote in the header",
            ));
            return None;
        }
    };
    let find = |name: &str| cells.iter().position(|(c, _)| c.trim() == name);
    let (Some(from), Some(to)) = (find(from_col), find(to_col)) else {
        let missing = if find(from_col).is_none() {
            from_col
        } else {
            to_col
        };
        let d = Diagnostic::at(
            Loc::new(file, 0..header.len()),
            format!("the header has no `{missing}` column"),
        );
        let d = d.suggest(missing, cells.iter().map(|(c, _)| c.as_str()));
        let d = if d.hint.is_none() {
            d.with_hint(format!("name the columns with from = \"...\" and to = \"...\" in [[relation_files]] (found: {})", quoted(header.trim())))
        } else {
            d
        };
        errors.push(d);
        return None;
    };
    let kind = find("kind");
    let mut vars: Vec<(usize, u16)> = Vec::new();
    let mut ok = true;
    let mut seen: HashMap<&str, usize> = HashMap::default();
    for (i, (cell, off)) in cells.iter().enumerate() {
        let cell = cell.trim();
        if let Some(&first) = seen.get(cell) {
            errors.push(
                Diagnostic::at(
                    Loc::new(file, *off..off + cell.len().max(1)),
                    format!("column `{}` appears twice in the header", quoted(cell)),
                )
                .with_hint(format!(
                    "column {} has the same name; each column is read once, so one of them would be ignored",
                    first + 1
                )),
            );
            ok = false;
            continue;
        }
        seen.insert(cell, i);
        if i == from || i == to || Some(i) == kind {
            continue;
        }
        match cols.vars.get(cell) {
            Some(&v) => vars.push((i, v)),
            // A variable whose declaration could not be read (reported): its column is passed
            // over.
            None if cols.broken.contains(cell) => {}
            None => {
                let d = Diagnostic::at(
                    Loc::new(file, *off..off + cell.len().max(1)),
                    format!("column `{}` is not a relation variable", quoted(cell)),
                );
                let d = if errors.shown() {
                    d.suggest(cell, cols.vars.keys().map(String::as_str))
                } else {
                    d
                };
                errors.push(if d.hint.is_none() {
                    d.with_hint("declare it under [variables] with of = \"relation\"")
                } else {
                    d
                });
                ok = false;
            }
        }
    }
    ok.then_some(Header {
        len: cells.len(),
        from,
        to,
        kind,
        vars,
    })
}

/// The errors of one file: the first [`SHOWN_PER_FILE`] are kept, the others only counted, and
/// [`FileErrors::finish`] says how many more there were. Hints (did-you-mean searches) are
/// computed only for errors that will be shown.
struct FileErrors<'a> {
    errors: &'a mut Vec<Diagnostic>,
    count: usize,
    /// Where the first error not shown was.
    first_hidden: Option<Loc>,
}

impl FileErrors<'_> {
    /// Whether the next error will be shown (and so deserves a hint).
    fn shown(&self) -> bool {
        self.count < SHOWN_PER_FILE
    }

    fn push(&mut self, d: Diagnostic) {
        self.count += 1;
        if self.count <= SHOWN_PER_FILE {
            self.errors.push(d);
        } else if self.first_hidden.is_none() {
            self.first_hidden = d.loc;
        }
    }

    /// Says how many errors of the file were not shown, if any.
    fn finish(self) {
        if let Some(loc) = self.first_hidden {
            let more = self.count - SHOWN_PER_FILE;
            self.errors.push(Diagnostic::at(
                loc,
                format!(
                    "{more} more error{} in this file {} not shown (the first is here)",
                    if more == 1 { "" } else { "s" },
                    if more == 1 { "is" } else { "are" }
                ),
            ));
        }
    }
}

/// Reads the rows after the header.
#[allow(clippy::too_many_arguments)]
fn rows(
    f: &File,
    text: &str,
    header_end: usize,
    header: &Header,
    cols: &Columns,
    created_kind_id: u16,
    into: &mut Reading,
    report: &mut FileErrors,
) {
    let file = f.id;
    let bytes = text.as_bytes();
    let mut values = vec![f64::NAN; cols.specs.len()];
    // Without a `kind` column every row has the default kind: look it up once.
    let default_kind_id = if header.kind.is_none() {
        kind_id(into.kinds, f.default_kind)
    } else {
        0
    };
    let mut cells: Vec<(Cow<str>, usize)> = Vec::with_capacity(header.len + 1);
    let mut cuts: Vec<usize> = Vec::with_capacity(header.len + 1);
    let mut pos = (header_end + 1).min(bytes.len());
    let mut line_no = 1;
    while pos < bytes.len() {
        let start = pos;
        line_no += 1;
        // One pass over the line: cell boundaries, quotes, and where it ends.
        let (i, has_quote) = scan_line(bytes, start, &mut cuts);
        pos = i + 1;
        let line = text[start..i].trim_end_matches('\r');
        let end = start + line.len();
        if trim(line).is_empty() {
            continue;
        }
        cells.clear();
        if has_quote {
            match split_quoted(line) {
                Ok(c) => cells.extend(c.into_iter().map(|(c, o)| (Cow::Owned(c), o))),
                Err(col) => {
                    report.push(Diagnostic::at(
                        Loc::new(file, start + col..start + col + 1),
                        "unterminated quote",
                    ));
                    continue;
                }
            }
        } else {
            let mut from = start;
            for &cut in cuts.iter().filter(|&&c| c < end) {
                cells.push((Cow::Borrowed(&text[from..cut]), from - start));
                from = cut + 1;
            }
            cells.push((Cow::Borrowed(&text[from..end]), from - start));
        }
        if cells.len() != header.len {
            report.push(Diagnostic::at(
                Loc::new(file, start..end),
                format!(
                    "row {line_no} has {} fields, the header has {}",
                    cells.len(),
                    header.len
                ),
            ));
            continue;
        }
        let cell_loc = |i: usize| {
            Loc::new(
                file,
                start + cells[i].1..start + cells[i].1 + cells[i].0.len().max(1),
            )
        };
        let mut ends = [0u32; 2];
        let mut ok = true;
        for (slot, col) in [(0, header.from), (1, header.to)] {
            match endpoint(
                f,
                trim(&cells[col].0),
                created_kind_id,
                into,
                report.shown(),
            ) {
                Ok(a) => ends[slot] = a,
                Err(mut d) => {
                    d.loc = Some(cell_loc(col));
                    report.push(d);
                    ok = false;
                }
            }
        }
        values.fill(f64::NAN);
        for &(col, v) in &header.vars {
            let text = trim(&cells[col].0);
            if text.is_empty() {
                continue;
            }
            let spec = &cols.specs[v as usize];
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => match spec.range {
                    Some((lo, hi)) if x < lo || x > hi => {
                        report.push(Diagnostic::at(
                            cell_loc(col),
                            format!(
                                "value {x} of `{}` is outside its range [{lo}, {hi}]",
                                spec.name
                            ),
                        ));
                        ok = false;
                    }
                    _ => values[v as usize] = x,
                },
                _ => {
                    report.push(Diagnostic::at(
                        cell_loc(col),
                        format!("`{}` is not a finite number", quoted(text)),
                    ));
                    ok = false;
                }
            }
        }
        if !ok {
            continue;
        }
        if ends[0] == ends[1] {
            report.push(Diagnostic::at(
                Loc::new(file, start..end),
                format!(
                    "relation from `{}` to itself",
                    into.actors.ids[ends[0] as usize]
                ),
            ));
            continue;
        }
        let kind = match header.kind.map(|k| cells[k].0.trim()) {
            None => default_kind_id,
            Some(kind) => kind_id(into.kinds, kind),
        };
        into.raw
            .push(ends, kind, &values, Origin::csv(f.index, start));
    }
}

/// The actor a row names at one end (created if the file creates actors), or the error to
/// report at the cell (located by the caller).
fn endpoint(
    f: &File,
    id: &str,
    created_kind_id: u16,
    into: &mut Reading,
    hint: bool,
) -> Result<u32, Diagnostic> {
    if let Some(a) = into.actors.get(id) {
        return Ok(a);
    }
    if id.is_empty() {
        return Err(
            Diagnostic::bare("empty actor id").with_hint("every row names the actors at both ends")
        );
    }
    if f.create {
        if !super::network::valid_actor_id(id) {
            return Err(Diagnostic::bare(format!(
                "actor id `{}` may only hold letters, digits, `_` and `-`",
                quoted(id)
            ))
            .with_hint(
                "ids created from a relation file follow the same rule as [actors.ID] tables",
            ));
        }
        into.created.kind_of.push(created_kind_id);
        return Ok(into.actors.insert(id, false));
    }
    let d = Diagnostic::bare(format!("unknown actor `{}`", quoted(id)));
    if !hint {
        return Err(d); // not shown: no did-you-mean search
    }
    let d = d.suggest(id, into.actors.ids.iter().map(String::as_str));
    Err(if d.hint.is_none() {
        d.with_hint("declare it under [actors], or set create_actors = true in [[relation_files]]")
    } else {
        d
    })
}

/// The id of relation kind `name`, handing out the next one to a new name.
fn kind_id(kinds: &mut HashMap<String, u16>, name: &str) -> u16 {
    match kinds.get(name) {
        Some(&k) => k,
        None => {
            let next = kinds.len() as u16;
            kinds.insert(name.to_string(), next);
            next
        }
    }
}

/// Scans the line starting at `start`: pushes the offset of every comma into `cuts` (cleared
/// first) and returns the offset of the line's `\n` (or the end of the text) and whether the
/// line holds a quote. Sixteen bytes at a time with SSE2, else eight as one word: a block with
/// none of the three bytes is skipped in a few instructions.
fn scan_line(bytes: &[u8], start: usize, cuts: &mut Vec<usize>) -> (usize, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte of `w` equal to `b`; exact for the lowest such byte (a borrow can
    // only mark bytes above a real match), which is the only one used before rescanning.
    let matches = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    cuts.clear();
    let mut quoted = false;
    let mut i = start;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SSE2 (part of every x86-64): sixteen bytes compared at once, one bit per byte.
        use std::arch::x86_64::*;
        while let Some(chunk) = bytes.get(i..i + 16) {
            let lo = u64::from_le_bytes(chunk[..8].try_into().unwrap_or([0; 8]));
            let hi = u64::from_le_bytes(chunk[8..].try_into().unwrap_or([0; 8]));
            // SAFETY: SSE2 is part of the x86-64 baseline; these take values, no pointers.
            let mut m = unsafe {
                let v = _mm_set_epi64x(hi as i64, lo as i64);
                let hit = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8)),
                    ),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)),
                );
                _mm_movemask_epi8(hit) as u32
            };
            while m != 0 {
                let j = i + m.trailing_zeros() as usize;
                m &= m - 1;
                match bytes[j] {
                    b'\n' => return (j, quoted),
                    b',' => cuts.push(j),
                    _ => quoted = true,
                }
            }
            i += 16;
        }
    }
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        let m = matches(w, b'\n') | matches(w, b',') | matches(w, b'"');
        if m == 0 {
            i += 8;
            continue;
        }
        let j = i + (m.trailing_zeros() / 8) as usize;
        match bytes[j] {
            b'\n' => return (j, quoted),
            b',' => cuts.push(j),
            _ => quoted = true,
        }
        i = j + 1;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => return (i, quoted),
            b',' => cuts.push(i),
            b'"' => quoted = true,
            _ => {}
        }
        i += 1;
    }
    (bytes.len(), quoted)
}

/// Splits one CSV line into (cell, byte offset) pairs; quotes may wrap a cell. Err: offset of an
/// unterminated quote.
fn split_csv(line: &str) -> Result<Vec<(String, usize)>, usize> {
    if !line.contains('"') {
        let mut offset = 0;
        return Ok(line
            .split(',')
            .map(|cell| {
                let c = (cell.to_string(), offset);
                offset += cell.len() + 1;
                c
            })
            .collect());
    }
    split_quoted(line)
}

/// The general case of [`split_csv`]: quotes may wrap a cell.
fn split_quoted(line: &str) -> Result<Vec<(String, usize)>, usize> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        if i < bytes.len() && bytes[i] == b'"' {
            let mut cell = String::new();
            i += 1;
            loop {
                match line[i..].find('"') {
                    None => return Err(start),
                    Some(j) => {
                        cell.push_str(&line[i..i + j]);
                        i += j + 1;
                        if i < bytes.len() && bytes[i] == b'"' {
                            cell.push('"');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            out.push((cell, start + 1));
            while i < bytes.len() && bytes[i] != b',' {
                i += 1;
            }
        } else {
            let end = line[i..].find(',').map_or(line.len(), |j| i + j);
            out.push((line[i..end].to_string(), start));
            i = end;
        }
        if i >= bytes.len() {
            break;
        }
        i += 1;
        if i == bytes.len() {
            out.push((String::new(), i));
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_and_quotes() {
        let cells = |s| {
            split_csv(s)
                .unwrap()
                .into_iter()
                .map(|(c, _)| c)
                .collect::<Vec<_>>()
        };
        assert_eq!(cells("a,b,c"), ["a", "b", "c"]);
        assert_eq!(cells("\"x,y\",2"), ["x,y", "2"]);
        assert_eq!(cells("a,"), ["a", ""]);
        assert_eq!(cells("\"say \"\"hi\"\"\""), ["say \"hi\""]);
        assert!(split_csv("\"open").is_err());
    }

    #[test]
    fn integer_ids_use_the_table_and_agree_with_declared_ones() {
        assert_eq!(small_int("0"), Some(0));
        assert_eq!(small_int("123"), Some(123));
        assert_eq!(small_int("007"), None);
        assert_eq!(small_int("-1"), None);
        assert_eq!(small_int("1234567890"), None);
        let mut ids = ActorIds::new(1000);
        let declared = ids.insert("12", true);
        let lit = ids.insert("LTU", true);
        assert_eq!(ids.get("12"), Some(declared));
        assert_eq!(ids.get("12"), Some(declared), "cached in the table");
        assert_eq!(ids.get("LTU"), Some(lit));
        assert_eq!(ids.get("5"), None);
        let five = ids.insert("5", false);
        assert_eq!(ids.get("5"), Some(five));
        assert_eq!(ids.get("05"), None, "a different id");
        let big = ids.insert("5000", false);
        assert_eq!(ids.get("5000"), Some(big), "beyond the table: hashed");
        assert_eq!(ids.ids, ["12", "LTU", "5", "5000"]);
    }

    #[test]
    fn lines_are_scanned_like_byte_by_byte() {
        let text = "a,bb,\"c,d\"\n,,\n0123456789,0123456789abcdef,x\r\nlast,line";
        let mut cuts = Vec::new();
        let mut start = 0;
        let mut lines = Vec::new();
        while start <= text.len() {
            let (end, quoted) = scan_line(text.as_bytes(), start, &mut cuts);
            let want: Vec<usize> = (start..end).filter(|&i| &text[i..i + 1] == ",").collect();
            assert_eq!(cuts, want, "line at {start}");
            assert_eq!(quoted, text[start..end].contains('"'));
            lines.push(&text[start..end]);
            start = end + 1;
        }
        assert_eq!(
            lines,
            [
                "a,bb,\"c,d\"",
                ",,",
                "0123456789,0123456789abcdef,x\r",
                "last,line"
            ]
        );
    }

    #[test]
    fn origins_round_trip() {
        let o = Origin::csv(3, 123_456_789);
        assert_eq!(Origin::split(o), (3, 123_456_789));
        assert_eq!(o & Origin::INLINE, 0);
        assert_eq!(line_at("a\nbc\r\nd", 2), "bc");
        assert_eq!(crate::diag::line_starts("a\nbc\r\nd"), [0, 2, 6]);
        assert_eq!(count_lines("a\nbc\r\nd"), 3);
        assert_eq!(count_lines(&"x\n".repeat(1000)), 1001);
    }
}
