//! Loading: a scenario file and everything it pulls in (`extends` chain, relation CSV files),
//! merged into one spec.
//!
//! The engine does no I/O: files are read through the [`Sources`] trait, which the CLI implements
//! over the file system and tests implement over a map in memory.

use crate::diag::{Diagnostic, Diagnostics, ErrorLog, FileId, Loc, SourceFile, SourceMap};
use crate::spec::{self, Located, ScenarioFile};
use std::collections::BTreeMap;
use std::path::Path;

/// Where scenario files come from.
pub trait Sources {
    /// The text of the file at `path` (a normalized `/`-separated path, relative paths already
    /// joined to the folder of the file that names them).
    ///
    /// # Errors
    ///
    /// A message saying why the file cannot be read (e.g. "no such file"); the loader puts it in
    /// a diagnostic after the path.
    fn read(&self, path: &str) -> Result<String, String>;

    /// What `path` is the same file as, if the source can tell (a file system: the path with
    /// links resolved). The loader detects `extends` cycles by it, so a loop through a linked
    /// folder is a cycle too. By default, the path itself.
    fn identity(&self, path: &str) -> String {
        path.to_string()
    }
}

/// Text from a file's bytes, or a message saying where the first byte that is not UTF-8 is.
/// For `Sources` implementations that read raw bytes.
///
/// # Errors
///
/// When `bytes` are not valid UTF-8: a message naming the first bad byte and its 1-based line
/// and column (in characters).
pub fn decode_utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        format!(
            "the file is not UTF-8 text: byte 0x{:02X} at line {line}, column {column}",
            e.as_bytes()[at]
        )
    })
}

/// An in-memory set of files, for tests and embedded scenarios.
#[derive(Clone, Debug, Default)]
pub struct MemorySources {
    /// File texts by path. Paths are looked up normalized (`a/./b/../c.toml` as `a/c.toml`), so
    /// keys should be written that way.
    pub files: BTreeMap<String, String>,
}

impl MemorySources {
    /// A set holding each `(path, text)` pair given.
    pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> MemorySources {
        MemorySources {
            files: files
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

impl Sources for MemorySources {
    fn read(&self, path: &str) -> Result<String, String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| "no such file".to_string())
    }
}

/// A relation CSV file, read but not yet interpreted.
#[derive(Clone, Debug)]
pub struct CsvSource {
    /// The file's id in the resolved scenario's source map.
    pub file: FileId,
    /// Index into the merged spec's `relation_files`.
    pub spec_index: usize,
}

/// A scenario with its `extends` chain merged and its data files read.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The merged spec: each file of the `extends` chain over its parent, the file asked for
    /// last.
    pub(crate) spec: ScenarioFile,
    /// Every file read: the scenario files from the one asked for up its `extends` chain, then
    /// the relation CSV files.
    pub(crate) sources: SourceMap,
    /// The file that was asked for.
    pub(crate) main: FileId,
    /// The relation CSV files, one per entry of the merged spec's `relation_files`.
    pub(crate) csv: Vec<CsvSource>,
    /// Hash of every file read (its name without folders, and its text), in load order: the
    /// same on every platform, and unchanged when the files move together.
    pub(crate) content_hash: u64,
    /// The structural errors of the files read (their items are left out of `spec`), for the
    /// compiler to report first.
    pub(crate) errors: ErrorLog,
}

/// Loads `path` and everything it extends or reads: follows the `extends` chain, parses each
/// file, merges them child over parent, and reads the relation CSV files (without interpreting
/// them; that is the compiler's job).
///
/// Structural errors (unknown keys, wrong types) do not stop loading: the items they are in are
/// left out (see [`crate::spec::Broken`]), the errors are kept in the [`Resolved`] scenario, and
/// [`crate::compile::compile`] reports them together with every error it finds in the rest.
///
/// # Errors
///
/// [`Diagnostics`] (with the files read so far, and the structural errors found so far) when a
/// file cannot be read, a scenario file is empty or is not TOML, `extends` makes a cycle or
/// names no file, or what could not be read leaves the scenario incomplete (an unreadable
/// `extends`, a relation or relation file entry, a whole section); loading stops at the first
/// such problem. Every relation file that cannot be read is reported, together.
pub fn load(path: &str, sources: &dyn Sources) -> Result<Resolved, Diagnostics> {
    let mut map = SourceMap::default();
    let mut errors = ErrorLog::default();
    let fail = |mut errors: ErrorLog, map: SourceMap, d: Option<Diagnostic>| {
        errors.push_all(d);
        if errors.is_empty() {
            errors.push(Diagnostic::bare("the scenario could not be loaded"));
        }
        Err(Diagnostics {
            items: errors.finish(FileId(0)),
            sources: map,
        })
    };
    let mut chain: Vec<(String, FileId)> = Vec::new();
    let mut files: Vec<ScenarioFile> = Vec::new();
    let mut next = Some((normalize(path), None::<Loc>));
    while let Some((path, from)) = next.take() {
        let same = sources.identity(&path);
        if let Some(pos) = chain
            .iter()
            .position(|(p, _)| *p == path || sources.identity(p) == same)
        {
            let names: Vec<&str> = chain[pos..]
                .iter()
                .map(|(p, _)| p.as_str())
                .chain([path.as_str()])
                .collect();
            let d = Diagnostic::bare(format!("`extends` makes a cycle: {}", names.join(" → ")))
                .with_hint("a scenario cannot extend itself, directly or through others");
            let d = Diagnostic { loc: from, ..d };
            return fail(errors, map, Some(d));
        }
        let text = match sources.read(&path) {
            Ok(t) => t,
            Err(why) => {
                let mut d = Diagnostic::bare(format!("cannot read `{path}`: {why}"));
                if let Some(loc) = from.clone() {
                    d = Diagnostic::at(
                        loc,
                        format!("cannot read the extended file `{path}`: {why}"),
                    );
                }
                if chain.len() > 1 || from.is_some() {
                    let names: Vec<&str> = chain.iter().map(|(p, _)| p.as_str()).collect();
                    d = d.with_hint(format!("extends chain: {} → {path}", names.join(" → ")));
                }
                return fail(errors, map, Some(d));
            }
        };
        let id = map.add(SourceFile::new(path.clone(), text));
        chain.push((path.clone(), id));
        let text = &map.get(id).text;
        let file = check_text(text, id)
            .and_then(|()| spec::parse_file(id, text, &mut |d| errors.push(through(d, &chain))));
        let file = match file {
            Ok(f) => f,
            Err(d) => {
                let d = through(d, &chain);
                return fail(errors, map, Some(d));
            }
        };
        if let Some(ext) = &file.scenario.extends {
            if ext.value.trim().is_empty() || ext.value.ends_with('/') || ext.value.trim() == "." {
                let d = Diagnostic::at(
                    ext.loc.clone(),
                    format!("`extends = \"{}\"` names no scenario file", crate::diag::quoted(&ext.value)),
                )
                .with_hint("give the path of the .toml file this one extends, e.g. extends = \"baseline.toml\"");
                return fail(errors, map, Some(d));
            }
            next = Some((join(&path, &ext.value), Some(ext.loc.clone())));
        }
        files.push(file);
    }
    // Merge from the root ancestor down to the file asked for. A file below the root may only
    // change what the files above it have; what it adds is under [add].
    let mut merged = ScenarioFile::default();
    let n = files.len();
    for (depth, mut f) in files.into_iter().rev().enumerate() {
        if depth == 0 {
            if let Some(add) = &f.add {
                errors.push(
                    Diagnostic::at(add.loc.clone(), "[add] in a file that extends no other")
                        .with_hint("[add.*] is for variants (files with `extends`); here, write the items in their own tables"),
                );
            }
        } else {
            let parent = &chain[n - depth].0;
            let parents = format!(
                "`{}`{}",
                parent.rsplit('/').next().unwrap_or(parent),
                if depth > 1 {
                    " or the files it extends"
                } else {
                    ""
                }
            );
            let mut found = Vec::new();
            additions(&merged, &mut f, &parents, &mut found);
            errors.push_all(found);
        }
        merged = merge(merged, f);
    }
    // What could not be read leaves holes every other item would fall into: report only the
    // structural errors (and those of changes and additions).
    if merged.broken.incomplete() {
        return fail(errors, map, None);
    }
    let main = chain[0].1;
    let mut csv = Vec::new();
    let mut unreadable = Vec::new();
    for (i, rf) in merged.relation_files.iter().enumerate() {
        let base = map.get(rf.loc.file).name.clone();
        let path = join(&base, &rf.value.path.value);
        match sources.read(&path) {
            Ok(text) => {
                let file = map.add(SourceFile::new(path, text));
                csv.push(CsvSource {
                    file,
                    spec_index: i,
                });
            }
            Err(why) => unreadable.push(Diagnostic::at(
                rf.value.path.loc.clone(),
                format!("cannot read relation file `{path}`: {why}"),
            )),
        }
    }
    if !unreadable.is_empty() {
        errors.push_all(unreadable);
        return fail(errors, map, None);
    }
    let mut h = Fnv::default();
    for f in map.files() {
        h.write(f.name.rsplit('/').next().unwrap_or("").as_bytes());
        h.write(&[0]);
        h.write(f.text.as_bytes());
        h.write(&[0xff]);
    }
    Ok(Resolved {
        spec: merged,
        sources: map,
        main,
        csv,
        content_hash: h.0,
        errors,
    })
}

/// `d`, with a note of the `extends` chain when it is in a file loaded through one.
fn through(mut d: Diagnostic, chain: &[(String, FileId)]) -> Diagnostic {
    if chain.len() > 1 {
        let names: Vec<&str> = chain.iter().map(|(p, _)| p.as_str()).collect();
        let via = format!("loaded through extends: {}", names.join(" → "));
        d.hint = Some(match d.hint {
            Some(h) => format!("{h} ({via})"),
            None => via,
        });
    }
    d
}

fn check_text(text: &str, file: FileId) -> Result<(), Diagnostic> {
    if text.trim().is_empty() {
        return Err(
            Diagnostic::at(Loc::new(file, 0..0), "the scenario file is empty")
                .with_hint("a scenario needs at least [scenario] with steps, and some actors"),
        );
    }
    Ok(())
}

/// `rel` relative to the folder of `base`, with `.` and `..` folded (an absolute `rel` is only
/// normalized). Paths are `/`-separated.
pub fn join(base: &str, rel: &str) -> String {
    if Path::new(rel).is_absolute() {
        return normalize(rel);
    }
    let dir = Path::new(base)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    if dir.is_empty() {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
}

fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// FNV-1a over 8-byte little-endian words (then the tail bytes), followed by a final mix: the
    /// same value on every platform, and a word at a time, so hashing a large relation file costs
    /// little next to reading it.
    fn write(&mut self, bytes: &[u8]) {
        let words = bytes.chunks_exact(8);
        let tail = words.remainder();
        for w in words {
            let word = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            self.0 = (self.0 ^ word).wrapping_mul(0x0000_0100_0000_01b3);
            self.0 ^= self.0 >> 29;
        }
        for &b in tail {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 ^= bytes.len() as u64;
    }
}

/// Checks that every item `child` overrides exists in `parent` (what the files it extends give)
/// and that every item it adds does not, then moves its additions into its own tables, ready for
/// [`merge`]. `parents` names the extended files in messages.
fn additions(
    parent: &ScenarioFile,
    child: &mut ScenarioFile,
    parents: &str,
    errors: &mut Vec<Diagnostic>,
) {
    let mut add = child.add.take().map(|a| *a.value).unwrap_or_default();
    let mut check = Check { parents, errors };
    check.named(
        "parameter",
        "parameters",
        &parent.parameters,
        &mut child.parameters,
        &mut add.parameters,
        false,
    );
    check.named(
        "variable",
        "variables",
        &parent.variables,
        &mut child.variables,
        &mut add.variables,
        false,
    );
    check.named(
        "actor",
        "actors",
        &parent.actors,
        &mut child.actors,
        &mut add.actors,
        true,
    );
    check.named(
        "action",
        "actions",
        &parent.actions,
        &mut child.actions,
        &mut add.actions,
        true,
    );
    check.named(
        "rule",
        "rules",
        &parent.rules,
        &mut child.rules,
        &mut add.rules,
        true,
    );
    check.named(
        "dynamics",
        "dynamics",
        &parent.dynamics,
        &mut child.dynamics,
        &mut add.dynamics,
        true,
    );
    check.named(
        "event",
        "events",
        &parent.events,
        &mut child.events,
        &mut add.events,
        true,
    );
    check.named(
        "shock",
        "shocks",
        &parent.shocks,
        &mut child.shocks,
        &mut add.shocks,
        true,
    );
    check.named(
        "outcome",
        "outcomes",
        &parent.outcomes,
        &mut child.outcomes,
        &mut add.outcomes,
        false,
    );
    check.named(
        "report series",
        "report.series",
        &parent.report.series,
        &mut child.report.series,
        &mut add.report.series,
        false,
    );
    check.named(
        "expectation",
        "expect",
        &parent.expect.items,
        &mut child.expect.items,
        &mut add.expect.items,
        true,
    );
    // The table's settings are changed (under [expect]), never added.
    for (key, setting) in [("runs", &add.expect.runs), ("seed", &add.expect.seed)] {
        if let Some(v) = setting {
            check.errors.push(
                Diagnostic::at(
                    v.loc.clone(),
                    format!("`add.expect.{key}`: a setting of [expect] is changed, not added"),
                )
                .with_hint(format!("write `{key} = …` under [expect]")),
            );
        }
    }
    check.relations(&parent.relations, &mut child.relations, add.relations);
}

/// The checks of [`additions`], with where their messages go.
struct Check<'a> {
    parents: &'a str,
    errors: &'a mut Vec<Diagnostic>,
}

impl Check<'_> {
    /// One kind of named item: overrides must exist in `parent`, additions must not (nor be
    /// overridden in the same file); the additions join `child`. `tables`: whether each item is
    /// its own table (`[add.rules.NAME]`) or a key of one (`[add.parameters] NAME = …`).
    fn named<T>(
        &mut self,
        what: &str,
        table: &str,
        parent: &BTreeMap<String, Located<T>>,
        child: &mut BTreeMap<String, Located<T>>,
        added: &mut BTreeMap<String, Located<T>>,
        tables: bool,
    ) {
        let add_form = |name: &str| {
            if tables {
                format!("[add.{table}.{name}]")
            } else {
                format!("`{name} = …` under [add.{table}]")
            }
        };
        let change_form = |name: &str| {
            if tables {
                format!("[{table}.{name}]")
            } else {
                format!("`{name} = …` under [{table}]")
            }
        };
        // A change of something the parent does not have is reported and dropped: merged, it
        // would only give knock-on errors ("rule has no `action`").
        let missing: Vec<String> = child
            .keys()
            .filter(|name| !parent.contains_key(*name))
            .cloned()
            .collect();
        for name in &missing {
            let Some(item) = child.remove(name) else {
                continue;
            };
            let name_shown = crate::diag::quoted(name);
            if added.contains_key(name) {
                self.errors.push(
                    Diagnostic::at(
                        item.loc.clone(),
                        format!("{what} `{name_shown}` is both added and changed in this file"),
                    )
                    .with_hint(format!("write it once, as {}", add_form(&name_shown))),
                );
                continue;
            }
            let d = Diagnostic::at(
                item.loc.clone(),
                format!(
                    "{what} `{name_shown}` is not in {}: a file that extends another changes only what that one has",
                    self.parents
                ),
            );
            let add = add_form(&name_shown);
            let d = match crate::diag::did_you_mean(name, parent.keys().map(String::as_str)) {
                Some(best) => d.with_hint(format!(
                    "did you mean `{best}`? To add a new {what}, write it as {add}"
                )),
                None => d.with_hint(format!("to add a new {what}, write it as {add}")),
            };
            self.errors.push(d);
        }
        for (name, item) in std::mem::take(added) {
            let name_shown = crate::diag::quoted(&name);
            if parent.contains_key(&name) {
                self.errors.push(
                    Diagnostic::at(
                        item.loc.clone(),
                        format!(
                            "{what} `{name_shown}` is added, but {} already has it",
                            self.parents
                        ),
                    )
                    .with_hint(format!("to change it, write {}", change_form(&name_shown))),
                );
            } else {
                // A change of the same name was dropped above with its error.
                child.insert(name, item);
            }
        }
    }

    /// Relations: a `[[relations]]` entry must be between two actors the extended files relate
    /// (in that direction); `[[add.relations]]` entries must not be.
    fn relations(
        &mut self,
        parent: &[Located<spec::RawTable>],
        child: &mut Vec<Located<spec::RawTable>>,
        added: Vec<Located<spec::RawTable>>,
    ) {
        let inherited: Vec<_> = parent
            .iter()
            .filter_map(|r| relation_key(&r.value))
            .collect();
        let shown = |(a, b): &(String, String)| {
            format!("{} → {}", crate::diag::quoted(a), crate::diag::quoted(b))
        };
        child.retain(|rel| {
            // One without both ends is left for the compiler to report.
            let Some(key) = relation_key(&rel.value).filter(|k| !inherited.contains(k)) else {
                return true;
            };
            self.errors.push(
                Diagnostic::at(
                    rel.loc.clone(),
                    format!("relation {} is not in {}", shown(&key), self.parents),
                )
                .with_hint("to add a new relation, write it as [[add.relations]]"),
            );
            false
        });
        for rel in added {
            match relation_key(&rel.value).filter(|k| inherited.contains(k)) {
                Some(key) => self.errors.push(
                    Diagnostic::at(
                        rel.loc.clone(),
                        format!(
                            "relation {} is added, but {} already has it",
                            shown(&key),
                            self.parents
                        ),
                    )
                    .with_hint("to change it, write it as [[relations]] with the same from and to"),
                ),
                None => child.push(rel),
            }
        }
    }
}

macro_rules! or_fields {
    ($child:expr, $parent:expr; $($f:ident),*) => {
        $( $child.$f = $child.$f.take().or($parent.$f); )*
    };
}

/// Merges `child` over `parent`: named items field by field, relations by their two actors.
fn merge(parent: ScenarioFile, mut child: ScenarioFile) -> ScenarioFile {
    child.broken.extend(parent.broken);
    let (p, c) = (parent.scenario, &mut child.scenario);
    or_fields!(c, p; name, description, steps, time_unit, dt, seed, max_actions_per_step);
    c.extends = None;
    child.sweep = child.sweep.take().or(parent.sweep);
    let (p, c) = (parent.expect, &mut child.expect);
    or_fields!(c, p; runs, seed);
    c.items = merge_named(p.items, std::mem::take(&mut c.items), |p, mut c| {
        or_fields!(c, p; that, description, enabled);
        c
    });
    child.parameters = over(parent.parameters, child.parameters);
    child.variables = over(parent.variables, child.variables);
    child.outcomes = over(parent.outcomes, child.outcomes);
    child.report.series = over(parent.report.series, child.report.series);
    child.actors = merge_named(parent.actors, child.actors, |p, mut c| {
        for (k, v) in p {
            c.entry(k).or_insert(v);
        }
        c
    });
    child.actions = merge_named(parent.actions, child.actions, |p, mut c| {
        or_fields!(c, p; description, cameo, effects, once_per_step);
        c
    });
    child.rules = merge_named(parent.rules, child.rules, |p, mut c| {
        or_fields!(c, p; actor, actor_kind, action, target, target_relation, reacts_to, when, probability, cooldown, priority, enabled, description);
        c
    });
    child.dynamics = merge_named(parent.dynamics, child.dynamics, |p, mut c| {
        or_fields!(c, p; var, add, kind, actors, relations, enabled, description);
        c
    });
    child.events = merge_named(parent.events, child.events, |p, mut c| {
        or_fields!(c, p; actor, action, target, at, rate, from, until, enabled, description);
        c
    });
    child.shocks = merge_named(parent.shocks, child.shocks, |p, mut c| {
        or_fields!(c, p; at, rate, from, until, effects, enabled, description);
        c
    });
    // A child's relation overrides the parent's between the same two actors; two relations
    // between the same actors in one file stay two, so that the compiler reports the duplicate.
    let mut relations = parent.relations;
    let inherited = relations.len();
    let mut overridden = vec![false; inherited];
    for rel in child.relations {
        let key = relation_key(&rel.value);
        // Only the child's first relation between two actors overrides the inherited one; a
        // second one is a duplicate, left for the compiler to report.
        let slot = (0..inherited)
            .find(|&i| !overridden[i] && key.is_some() && relation_key(&relations[i].value) == key);
        match slot {
            Some(i) => {
                overridden[i] = true;
                let existing = &mut relations[i];
                existing.loc = rel.loc;
                for (k, v) in rel.value {
                    existing.value.insert(k, v);
                }
            }
            None => relations.push(rel),
        }
    }
    child.relations = relations;
    let mut files = parent.relation_files;
    files.append(&mut child.relation_files);
    child.relation_files = files;
    child
}

fn relation_key(r: &spec::RawTable) -> Option<(String, String)> {
    let s = |k: &str| {
        r.get(k)
            .and_then(|e| e.value.value.as_str().map(str::to_string))
    };
    Some((s("from")?, s("to")?))
}

fn over<V>(mut parent: BTreeMap<String, V>, child: BTreeMap<String, V>) -> BTreeMap<String, V> {
    parent.extend(child);
    parent
}

fn merge_named<T>(
    mut parent: BTreeMap<String, Located<T>>,
    child: BTreeMap<String, Located<T>>,
    fields: impl Fn(T, T) -> T,
) -> BTreeMap<String, Located<T>> {
    for (name, c) in child {
        let merged = match parent.remove(&name) {
            Some(p) => Located::new(fields(p.value, c.value), c.loc),
            None => c,
        };
        parent.insert(name, merged);
    }
    parent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_relative_to_the_including_file() {
        assert_eq!(join("scenarios/x/a.toml", "b.toml"), "scenarios/x/b.toml");
        assert_eq!(
            join("scenarios/x/a.toml", "../y/b.toml"),
            "scenarios/y/b.toml"
        );
        assert_eq!(join("a.toml", "b.toml"), "b.toml");
        assert_eq!(join("/abs/a.toml", "./b.toml"), "/abs/b.toml");
    }

    #[test]
    fn extends_cycles_are_reported_with_the_chain() {
        let src = MemorySources::new([
            ("a.toml", "[scenario]\nextends = \"b.toml\"\n"),
            ("b.toml", "[scenario]\nextends = \"a.toml\"\n"),
        ]);
        let e = load("a.toml", &src).unwrap_err();
        assert!(
            e.render().contains("cycle: a.toml → b.toml → a.toml"),
            "{}",
            e.render()
        );
    }

    #[test]
    fn child_overrides_parent_field_by_field() {
        let src = MemorySources::new([
            ("base.toml", "[scenario]\nname = \"base\"\nsteps = 10\n[rules.r]\naction = \"x\"\nprobability = 0.5\n"),
            ("v.toml", "[scenario]\nextends = \"base.toml\"\nname = \"v\"\n[rules.r]\nprobability = 0.9\n"),
        ]);
        let r = load("v.toml", &src).unwrap();
        assert_eq!(r.spec.scenario.name.unwrap().value, "v");
        assert_eq!(
            r.spec.scenario.steps.unwrap().value,
            crate::spec::ExprText::Number(10.0)
        );
        let rule = &r.spec.rules["r"].value;
        assert_eq!(rule.action.as_ref().unwrap().value, "x");
        assert_eq!(
            rule.probability.as_ref().unwrap().value,
            spec::ExprText::Number(0.9)
        );
    }
}
