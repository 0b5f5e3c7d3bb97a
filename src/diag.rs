//! Diagnostics: source files, locations, and user-facing error messages.
//!
//! Every error a user sees names a file, line and column, says what was wrong and, where one helps,
//! gives a hint. This module renders them as text, plain or marked up with ANSI colours
//! ([`Style`]); it does no I/O and never decides which (it knows nothing of terminals).

use std::fmt;
use std::ops::Range;

/// Index of a file in a [`SourceMap`]: the position at which [`SourceMap::add`] stored it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Loc {
    /// The file the range is in.
    pub file: FileId,
    /// Byte offsets into the file's text, end exclusive.
    pub span: Range<usize>,
}

impl Loc {
    /// The bytes `span` of `file`.
    pub fn new(file: FileId, span: Range<usize>) -> Loc {
        Loc { file, span }
    }

    /// The location `len` bytes long that starts `offset` bytes into this one (used for
    /// positions inside expressions). The start is kept within this span; the end is not
    /// clipped to it.
    pub fn sub(&self, offset: usize, len: usize) -> Loc {
        let start = (self.span.start + offset).min(self.span.end);
        Loc::new(
            self.file,
            start..(start + len).min(self.span.end.max(start + len)),
        )
    }
}

/// One loaded text file: its display name and contents.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown in messages (for a loaded file, its path as normalized by the loader).
    pub name: String,
    /// The file's contents (empty while the compiler holds a relation file's text).
    pub text: String,
    /// Byte offsets of line starts, computed on the first error that needs them (a large CSV
    /// file usually needs none).
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// A file named `name` holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| line_starts(&self.text))
    }

    /// 1-based line and column (in characters) of a byte offset; an offset past the end counts
    /// as the end.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset) - 1;
        let start = starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    fn line_text(&self, line: usize) -> &str {
        let starts = self.line_starts();
        let start = starts[line - 1];
        let end = starts.get(line).copied().unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// Byte offsets of the line starts of `text`: the 1-based line of offset o is the number of
/// starts at or before o.
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    starts
}

/// All files a scenario was loaded from, so that locations can be shown.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Stores `file` and returns its id (ids count up from 0 in the order files are added).
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with id `id`.
    ///
    /// # Panics
    ///
    /// If `id` was not returned by [`SourceMap::add`] on this map.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Every file, in the order they were added (so `files()[id.0 as usize]` is the file of `id`).
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Takes a file's text out, leaving it empty: the compiler releases a large relation file
    /// once it has been read into columns. Nothing may ask for a location in the file until
    /// [`SourceMap::put_text`] gives the text back. Panics, like [`SourceMap::get`], on an
    /// unknown id.
    pub(crate) fn take_text(&mut self, id: FileId) -> String {
        std::mem::take(&mut self.files[id.0 as usize].text)
    }

    /// Gives back a text taken with [`SourceMap::take_text`] (or replaces the file's text).
    /// Panics, like [`SourceMap::get`], on an unknown id.
    pub(crate) fn put_text(&mut self, id: FileId, text: String) {
        let file = &mut self.files[id.0 as usize];
        file.text = text;
        file.line_starts = std::sync::OnceLock::new();
    }
}

/// Errors kept per file, at most; the others are counted, and one note says how many.
pub(crate) const SHOWN_PER_FILE: usize = 20;
/// Errors kept in all, at most.
pub(crate) const SHOWN_IN_ALL: usize = 200;

/// The errors of one load and compile, bounded: at most [`SHOWN_PER_FILE`] kept per file and
/// [`SHOWN_IN_ALL`] in all; the others are only counted, and [`ErrorLog::finish`] adds one note
/// per file saying how many more there were. Every error is still found and counted.
#[derive(Clone, Debug, Default)]
pub(crate) struct ErrorLog {
    /// The errors kept, in the order found. Relation files push here directly, with their own
    /// bound of twenty per file.
    pub kept: Vec<Diagnostic>,
    /// Per file (or none, for errors without a place): how many errors were found and kept.
    counts: Vec<FileCount>,
}

/// The errors of one file (or of none) an [`ErrorLog`] has seen.
#[derive(Clone, Debug)]
struct FileCount {
    file: Option<FileId>,
    found: usize,
    kept: usize,
    /// Where the first error not kept was (itself without a place, perhaps), once there is one.
    first_hidden: Option<Option<Loc>>,
}

impl ErrorLog {
    /// Records an error: kept if its file has fewer than [`SHOWN_PER_FILE`] and the log fewer
    /// than [`SHOWN_IN_ALL`], else only counted.
    pub fn push(&mut self, d: Diagnostic) {
        let file = d.loc.as_ref().map(|l| l.file);
        let i = match self.counts.iter().position(|c| c.file == file) {
            Some(i) => i,
            None => {
                self.counts.push(FileCount {
                    file,
                    found: 0,
                    kept: 0,
                    first_hidden: None,
                });
                self.counts.len() - 1
            }
        };
        let entry = &mut self.counts[i];
        entry.found += 1;
        if entry.kept < SHOWN_PER_FILE && self.kept.len() < SHOWN_IN_ALL {
            entry.kept += 1;
            self.kept.push(d);
        } else if entry.first_hidden.is_none() {
            entry.first_hidden = Some(d.loc);
        }
    }

    /// Records every error of `ds`, in order.
    pub fn push_all(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        for d in ds {
            self.push(d);
        }
    }

    /// Whether an error about `file` would be kept: hints that cost a search (did-you-mean over
    /// every actor) are computed only then.
    pub fn will_show(&self, file: FileId) -> bool {
        let kept = self
            .counts
            .iter()
            .find(|c| c.file == Some(file))
            .map_or(0, |c| c.kept);
        kept < SHOWN_PER_FILE && self.kept.len() < SHOWN_IN_ALL
    }

    /// Whether no error was found.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// How many errors are kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// The errors kept, then one note per file whose errors were not all kept, saying how many
    /// more there were (at the first of them, or at the start of `main`).
    pub fn finish(mut self, main: FileId) -> Vec<Diagnostic> {
        let at = |loc: Option<Loc>| loc.unwrap_or_else(|| Loc::new(main, 0..0));
        // Relation files keep their own twenty per file; in all, no more than SHOWN_IN_ALL.
        if self.kept.len() > SHOWN_IN_ALL {
            let extra = self.kept.split_off(SHOWN_IN_ALL);
            let n = extra.len();
            let first = extra.into_iter().next().and_then(|d| d.loc);
            self.kept.push(Diagnostic::at(
                at(first),
                format!("{n} more errors are not shown (the first is here)"),
            ));
        }
        for count in self.counts {
            let Some(first) = count.first_hidden else {
                continue;
            };
            let more = count.found - count.kept;
            self.kept.push(Diagnostic::at(
                at(first),
                format!(
                    "{more} more error{} {} not shown (the first is here)",
                    if more == 1 { "" } else { "s" },
                    if more == 1 { "is" } else { "are" }
                ),
            ));
        }
        self.kept
    }
}

/// How serious a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Severity {
    /// The scenario cannot be compiled (or a file cannot be read).
    #[default]
    Error,
    /// The scenario compiles, but something in it is probably not what was meant (an actor id
    /// that looks like another one, say). A model keeps its warnings
    /// ([`crate::Model::warnings`]).
    Warning,
}

/// A user-facing error or warning with a location and an optional hint.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Error (the default) or warning.
    pub severity: Severity,
    /// Where the problem is, or `None` for one that is not in any file (e.g. a file that cannot
    /// be read).
    pub loc: Option<Loc>,
    /// What is wrong, in one line.
    pub message: String,
    /// What to do about it, if anything helps (e.g. "did you mean `LTU`?").
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `loc`, without a hint.
    pub fn at(loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            loc: Some(loc),
            message: message.into(),
            hint: None,
        }
    }

    /// A diagnostic with no location and no hint.
    pub fn bare(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            loc: None,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning at `loc`, without a hint.
    pub fn warning(loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::at(loc, message)
        }
    }

    /// Whether this is a warning.
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    /// The same diagnostic with `hint` as its hint (replacing any earlier one).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a did-you-mean hint when a candidate is close to `name` (as [`did_you_mean`]
    /// judges); otherwise returns the diagnostic unchanged.
    pub fn suggest<'a>(
        self,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        match did_you_mean(name, candidates) {
            // Two names that print alike: say which characters differ.
            Some(best) if crate::lookalike::look_alike(name, best) => self.with_hint(format!(
                "did you mean `{best}`? The two look alike: `{name}` has {}{}",
                crate::lookalike::spelled(name),
                match crate::lookalike::spelled(best) {
                    s if s.is_empty() => ", and the other is plain ASCII".to_string(),
                    s => format!("; `{best}` has {s}"),
                }
            )),
            Some(best) => self.with_hint(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    /// Renders as `file:line:col: error: message` (or `warning:`), the source line with carets
    /// under the span, and the hint. Without a location, or with one in a file `sources` does not
    /// hold, just `error: message` and the hint. Plain text: the same as
    /// [`Diagnostic::render_styled`] with [`Style::Plain`].
    pub fn render(&self, sources: &SourceMap) -> String {
        self.render_styled(sources, Style::Plain)
    }

    /// Renders as [`Diagnostic::render`] does, marked up as `style` says. With [`Style::Ansi`]
    /// the text is the same but for the escapes around its parts (see [`Part`]); text from the
    /// inputs is escaped as in plain text, so only the escapes this function adds reach a
    /// terminal.
    pub fn render_styled(&self, sources: &SourceMap, style: Style) -> String {
        let mut out = String::new();
        let message = escape_controls(&self.message);
        let (label, part) = match self.severity {
            Severity::Error => ("error", Part::Error),
            Severity::Warning => ("warning", Part::Warning),
        };
        let head = format!(
            "{}: {}\n",
            style.paint(part, label),
            style.paint(Part::Message, &message)
        );
        match &self.loc {
            Some(loc) if (loc.file.0 as usize) < sources.files.len() => {
                let file = sources.get(loc.file);
                let (line, col) = file.line_col(loc.span.start);
                let place = format!("{}:{}:{}:", escape_controls(&file.name), line, col);
                out.push_str(&format!("{} {head}", style.paint(Part::Location, &place)));
                let text = file.line_text(line);
                let (end_line, end_col) = file.line_col(loc.span.end);
                let end_col = if end_line == line && end_col > col {
                    end_col
                } else {
                    col + 1
                };
                // A bounded excerpt of the line around the column: a line of a relation file
                // may be megabytes long.
                let long = text.chars().nth(EXCERPT_WIDTH).is_some();
                let first = if long {
                    (col - 1).saturating_sub(EXCERPT_BEFORE)
                } else {
                    0
                };
                let excerpt: String = text.chars().skip(first).take(EXCERPT_WIDTH).collect();
                let cut_end = text.chars().nth(first + EXCERPT_WIDTH).is_some();
                let lead = if first > 0 { "…" } else { "" };
                let shown_excerpt = format!(
                    "{lead}{}{}",
                    escape_controls(&excerpt),
                    if cut_end { "…" } else { "" }
                );
                // Columns as shown: a control character shows escaped, wider than one.
                let shown = |upto: usize| -> usize {
                    let upto = (upto - 1).clamp(first, first + EXCERPT_WIDTH) - first;
                    let prefix: String = excerpt.chars().take(upto).collect();
                    lead.chars().count() + escape_controls(&prefix).chars().count()
                };
                let (from, to) = (shown(col), shown(end_col).max(shown(col) + 1));
                let gutter = format!("{line:>5} |");
                out.push_str(&format!(
                    "{} {shown_excerpt}\n",
                    style.paint(Part::Gutter, &gutter)
                ));
                out.push_str(&format!(
                    "{} {}{}\n",
                    style.paint(Part::Gutter, "      |"),
                    " ".repeat(from),
                    style.paint(part, &"^".repeat(to - from))
                ));
            }
            _ => out.push_str(&head),
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!(
                "      {} {}\n",
                style.paint(Part::Hint, "= hint:"),
                escape_controls(hint)
            ));
        }
        out
    }
}

/// How [`Diagnostic::render_styled`] marks up a diagnostic. The library never chooses: whoever
/// shows the text knows whether it goes to a terminal that wants colour (the `detente` command
/// decides from `--color`, `NO_COLOR` and whether standard error is a terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// Plain text, byte for byte what [`Diagnostic::render`] gives.
    #[default]
    Plain,
    /// ANSI (ECMA-48 SGR) escapes around each [`Part`]: the `error` label and an error's carets
    /// bold red, the `warning` label and a warning's carets bold yellow, the message and the
    /// `file:line:col:` location bold, the line-number gutter bold blue, `= hint:` bold cyan.
    Ansi,
}

/// A part of a rendered diagnostic that [`Style::paint`] marks up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The `error` label, and the carets under an error's span.
    Error,
    /// The `warning` label, and the carets under a warning's span.
    Warning,
    /// The one-line message after the label.
    Message,
    /// The `file:line:col:` a diagnostic starts with.
    Location,
    /// The line number and bar in front of a quoted line, and the bar in front of the carets.
    Gutter,
    /// The `= hint:` label (the hint's text stays plain).
    Hint,
}

impl Style {
    /// `text` marked up as `part`: unchanged for [`Style::Plain`]; for [`Style::Ansi`], between
    /// the escape that sets the part's colour and weight and the one that resets them. `text`
    /// is written as it is: escape text from the inputs ([`escape_controls`]) first.
    pub fn paint(self, part: Part, text: &str) -> std::borrow::Cow<'_, str> {
        let sgr = match (self, part) {
            (Style::Plain, _) => return text.into(),
            (Style::Ansi, Part::Error) => "1;31",
            (Style::Ansi, Part::Warning) => "1;33",
            (Style::Ansi, Part::Message | Part::Location) => "1",
            (Style::Ansi, Part::Gutter) => "1;34",
            (Style::Ansi, Part::Hint) => "1;36",
        };
        format!("\u{1b}[{sgr}m{text}\u{1b}[0m").into()
    }
}

/// Characters of a line quoted before the column of an error, at most.
const EXCERPT_BEFORE: usize = 60;
/// Characters of a line quoted in all, at most.
const EXCERPT_WIDTH: usize = 160;

/// A value from an input, as a message quotes it: control characters escaped and at most 60
/// characters kept (then `…`), since a cell of a relation file may be megabytes long.
pub fn quoted(value: &str) -> String {
    const MAX: usize = 60;
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(MAX).collect();
    let more = chars.next().is_some();
    format!("{}{}", escape_controls(&head), if more { "…" } else { "" })
}

/// Text of several lines with [`escape_controls`] applied to each line: the line breaks stay.
pub fn escape_controls_by_line(s: &str) -> String {
    s.split('\n')
        .map(escape_controls)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `s` with every control character but the tab, and every bidirectional-text control, written
/// as a `\u{..}` escape: text from a scenario or a relation file may hold anything, and must
/// neither drive the terminal that shows a message nor reorder what it shows.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(hidden) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Diagnostics with the files to show them against: every error and warning of a failed load or
/// compile, or the warnings of a model that compiled.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    /// Every diagnostic, in the order found.
    pub items: Vec<Diagnostic>,
    /// The files the diagnostics' locations point into.
    pub sources: SourceMap,
}

impl Diagnostics {
    /// Every diagnostic rendered with [`Diagnostic::render`], one after another.
    pub fn render(&self) -> String {
        self.render_styled(Style::Plain)
    }

    /// Every diagnostic rendered with [`Diagnostic::render_styled`] in `style`, one after
    /// another.
    pub fn render_styled(&self, style: Style) -> String {
        self.items
            .iter()
            .map(|d| d.render_styled(&self.sources, style))
            .collect()
    }

    /// How many errors there are.
    pub fn errors(&self) -> usize {
        self.items.iter().filter(|d| !d.is_warning()).count()
    }

    /// How many warnings there are.
    pub fn warnings(&self) -> usize {
        self.items.iter().filter(|d| d.is_warning()).count()
    }

    /// "2 errors, 1 warning": the counts, leaving out a kind there is none of ("no problems"
    /// when there are none).
    pub fn counts(&self) -> String {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let parts: Vec<String> = [(self.errors(), "error"), (self.warnings(), "warning")]
            .into_iter()
            .filter(|&(n, _)| n > 0)
            .map(|(n, what)| plural(n, what))
            .collect();
        if parts.is_empty() {
            "no problems".into()
        } else {
            parts.join(", ")
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
///
/// Closeness is the optimal-string-alignment distance (Levenshtein with adjacent transpositions
/// counted as one edit; `strsim::osa_distance`), ignoring case. A name of one or two characters
/// is too short for most edits to say anything: only a case-insensitive match or, for two
/// characters, the two swapped (`EU` for `UE`) is suggested — never `A` for `X`. A candidate that
/// looks just like `name` (a Cyrillic `А` for a Latin `A`: Unicode TR #39 skeletons) is always
/// suggested, first. Longer names
/// allow one edit per three characters, at least one, and never as many edits as the shorter of
/// the two names has characters.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let len = lower.chars().count();
    let limit = if len <= 2 { 0 } else { (len / 3).max(1) };
    candidates
        .into_iter()
        .filter_map(|c| {
            let other = c.to_lowercase();
            let d = strsim::osa_distance(&lower, &other);
            let shorter = len.min(other.chars().count());
            let swapped = len == 2 && lower.chars().rev().eq(other.chars());
            if crate::lookalike::look_alike(name, c) {
                return Some((0, c)); // `А` (Cyrillic) for `A`: the likeliest mistake of all
            }
            ((d <= limit && d < shorter.max(1)) || swapped).then_some((d, c))
        })
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("LTV", ["LTU", "BLR", "EU"]), Some("LTU"));
        assert_eq!(
            did_you_mean("tensoin", ["tension", "trust"]),
            Some("tension")
        );
        assert_eq!(did_you_mean("xyz", ["tension", "trust"]), None);
        // Too short for an edit to mean anything: only a change of case is suggested.
        assert_eq!(did_you_mean("X", ["A", "B"]), None);
        assert_eq!(did_you_mean("ab", ["ac", "xb"]), None);
        assert_eq!(did_you_mean("eu", ["EU", "LTU"]), Some("EU"));
        assert_eq!(did_you_mean("UE", ["EU", "LTU"]), Some("EU"));
        // One edit per three characters: `tnesoin` is two edits from `tension`.
        assert_eq!(did_you_mean("tnesoin", ["tension"]), Some("tension"));
        assert_eq!(did_you_mean("trsut", ["trust", "tension"]), Some("trust"));
    }

    #[test]
    fn control_characters_are_shown_escaped_and_the_caret_still_points() {
        let mut map = SourceMap::default();
        let id = map.add(SourceFile::new("a.toml", "x = \"\u{1b}[31mred\"\n"));
        let d = Diagnostic::at(Loc::new(id, 10..13), "bad `\u{1b}[31m` id \u{202e}here");
        let text = d.render(&map);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(
            text.contains("bad `\\u{1b}[31m` id \\u{202e}here"),
            "{text}"
        );
        // The caret sits under `red`, after the escaped ESC (6 columns wide).
        let lines: Vec<&str> = text.lines().collect();
        let at = lines[1].find("red").unwrap();
        assert_eq!(lines[2].find('^'), Some(at), "{text}");
    }

    #[test]
    fn a_long_line_is_quoted_as_a_bounded_excerpt_around_the_column() {
        let mut map = SourceMap::default();
        let line = format!("{}BAD{}", "a,".repeat(50_000), ",b".repeat(50_000));
        let id = map.add(SourceFile::new("r.csv", line.clone()));
        let at = 100_000;
        let text = Diagnostic::at(Loc::new(id, at..at + 3), "not a number").render(&map);
        assert!(text.len() < 600, "{} bytes", text.len());
        assert!(text.starts_with("r.csv:1:100001: error"), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].contains('…') && lines[1].ends_with('…'), "{text}");
        let bad = lines[1][..lines[1].find("BAD").unwrap()].chars().count();
        assert_eq!(lines[2].find('^'), Some(bad), "{text}");
        assert_eq!(lines[2].matches('^').count(), 3, "{text}");
    }

    /// `text` without its SGR escapes (`ESC [ … m`).
    fn strip_sgr(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('\u{1b}') {
            out.push_str(&rest[..at]);
            let end = rest[at..].find('m').expect("an SGR escape ends with m");
            rest = &rest[at + end + 1..];
        }
        out + rest
    }

    #[test]
    fn styled_rendering_is_the_plain_text_with_escapes_around_its_parts() {
        let mut map = SourceMap::default();
        let id = map.add(SourceFile::new("a.toml", "x = 1\ny = \"\u{1b}bad\"\n"));
        let cases = [
            Diagnostic::at(Loc::new(id, 10..15), "not a number").with_hint("write 2"),
            Diagnostic::warning(Loc::new(id, 0..1), "looks odd"),
            Diagnostic::bare("no file \u{1b}[2J").with_hint("none"),
        ];
        for d in cases {
            let plain = d.render(&map);
            assert_eq!(d.render_styled(&map, Style::Plain), plain);
            let ansi = d.render_styled(&map, Style::Ansi);
            assert_ne!(ansi, plain);
            assert_eq!(strip_sgr(&ansi), plain, "{ansi:?}");
        }
        let error = Diagnostic::at(Loc::new(id, 10..15), "bad").with_hint("h");
        let ansi = error.render_styled(&map, Style::Ansi);
        for part in [
            "\u{1b}[1ma.toml:2:5:\u{1b}[0m",
            "\u{1b}[1;31merror\u{1b}[0m: \u{1b}[1mbad\u{1b}[0m",
            "\u{1b}[1;34m    2 |\u{1b}[0m",
            // `"\u{1b}bad"` shows as ten characters: ten carets.
            "\u{1b}[1;31m^^^^^^^^^^\u{1b}[0m",
            "\u{1b}[1;36m= hint:\u{1b}[0m h",
        ] {
            assert!(ansi.contains(part), "{part:?} in {ansi:?}");
        }
        let warning = Diagnostic::warning(Loc::new(id, 0..1), "w").render_styled(&map, Style::Ansi);
        assert!(
            warning.contains("\u{1b}[1;33mwarning\u{1b}[0m"),
            "{warning:?}"
        );
        // The ESC in the quoted line is still escaped: only the markup's escapes are raw.
        // Seven parts: location, label, message, two gutters, carets, hint.
        assert_eq!(ansi.matches('\u{1b}').count(), 2 * 7, "{ansi:?}");
    }

    #[test]
    fn renders_line_and_column() {
        let mut map = SourceMap::default();
        let id = map.add(SourceFile::new("a.toml", "x = 1\ny = \"bad\"\n"));
        let d = Diagnostic::at(Loc::new(id, 10..15), "not a number").with_hint("write 2");
        let text = d.render(&map);
        assert!(
            text.starts_with("a.toml:2:5: error: not a number\n"),
            "{text}"
        );
        assert!(text.contains("^^^^^"), "{text}");
        assert!(text.contains("hint: write 2"), "{text}");
    }
}
