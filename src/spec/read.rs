//! Reading one scenario file: the TOML document is parsed once, with spans, and then each item
//! (a `[scenario]` key, each `[rules.X]`, `[actions.X]`, `[[relations]]` entry, ...) is
//! deserialized on its own. A structural error (an unknown key, a wrong type) is reported for its
//! item, the item is left out (and listed in [`super::Broken`]), and the other items are still read. A
//! TOML syntax error stops the file: after it nothing can be trusted.
//!
//! This knows TOML and the spec's shape, nothing of meaning: names are resolved, and
//! expressions compiled, in `compile`.

use super::{
    ActionSpec, Entry, ExpectationSpec, Located, Meta, RawTable, RelationFileSpec, ScenarioFile,
    SweepSpec, CURRENT_FILE, EXPECT_SETTINGS,
};
use crate::diag::{did_you_mean, Diagnostic, FileId, Loc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::{DeString, DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

/// The top-level tables of a scenario file.
const SECTIONS: [&str; 16] = [
    "scenario",
    "parameters",
    "variables",
    "actors",
    "relations",
    "relation_files",
    "actions",
    "rules",
    "dynamics",
    "events",
    "shocks",
    "outcomes",
    "report",
    "sweep",
    "expect",
    "add",
];

/// The keys of `[scenario]` ([`Meta`]'s fields).
const SCENARIO_KEYS: [&str; 8] = [
    "name",
    "description",
    "steps",
    "time_unit",
    "dt",
    "seed",
    "extends",
    "max_actions_per_step",
];

/// Reads one file's text into a [`ScenarioFile`], with `file` in every location.
///
/// Every structural error (unknown key, wrong type, missing required key) goes to `report` as a
/// [`Diagnostic`] at the place TOML gave, reworded for a scenario author and with a hint (a
/// did-you-mean for a misspelt key); the item it is in is left out and listed in
/// [`ScenarioFile::broken`], and reading carries on with the next item.
///
/// # Errors
///
/// A TOML syntax error (an unclosed string, a duplicate key, ...): the file cannot be read past
/// it, so it is the one error.
pub fn parse_file(
    file: FileId,
    text: &str,
    report: &mut dyn FnMut(Diagnostic),
) -> Result<ScenarioFile, Diagnostic> {
    let doc = DeTable::parse(text).map_err(|e| syntax_error(file, text, &e))?;
    CURRENT_FILE.with(|c| c.set(file));
    let mut reader = Reader {
        file,
        text,
        report,
        out: ScenarioFile::default(),
    };
    for (key, value) in in_file_order(doc.get_ref()) {
        reader.section(key, value);
    }
    CURRENT_FILE.with(|c| c.set(FileId(0)));
    Ok(reader.out)
}

type Key<'i> = Spanned<DeString<'i>>;
type Value<'i> = Spanned<DeValue<'i>>;

/// A table's entries in the order they were written (TOML gives them sorted by key).
fn in_file_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<(&'t Key<'i>, &'t Value<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

struct Reader<'a, 'r> {
    file: FileId,
    text: &'a str,
    report: &'r mut dyn FnMut(Diagnostic),
    out: ScenarioFile,
}

impl Reader<'_, '_> {
    fn loc(&self, span: Range<usize>) -> Loc {
        Loc::new(self.file, span)
    }

    fn report(&mut self, d: Diagnostic) {
        (self.report)(d);
    }

    /// One top-level table.
    fn section(&mut self, key: &Key<'_>, value: &Value<'_>) {
        let name = key.get_ref().as_ref();
        match name {
            "scenario" => self.scenario(value),
            "parameters" => {
                let (items, broken) = self.named(name, value);
                self.out.parameters = items;
                self.out.broken.parameters = broken.into_keys().collect();
            }
            "variables" => {
                let (items, broken) = self.named(name, value);
                self.out.variables = items;
                self.out.broken.variables = broken.into_keys().collect();
            }
            "actors" => {
                for (id, v) in self.entries(name, value) {
                    // An actor that cannot be read is kept without values: every relation and
                    // expression naming it is still checked.
                    let table = self
                        .raw_table(v, "an actor's table, e.g. [actors.LTU]")
                        .unwrap_or_else(|| Located::new(RawTable::new(), self.loc(v.span())));
                    self.out.actors.insert(id, table);
                }
            }
            "relations" => {
                for v in self.list(name, value, "write each relation as a [[relations]] table") {
                    match self.raw_table(v, "a relation's table, e.g. [[relations]]") {
                        Some(t) => self.out.relations.push(t),
                        None => drop(self.out.broken.sections.insert(name.into())),
                    }
                }
            }
            "relation_files" => {
                for v in self.list(name, value, "write each file as a [[relation_files]] table") {
                    match self.item::<Located<RelationFileSpec>>(v) {
                        Some(f) => self.out.relation_files.push(f),
                        None => drop(self.out.broken.sections.insert(name.into())),
                    }
                }
            }
            "actions" => {
                let (mut items, broken) = self.named::<ActionSpec>(name, value);
                // An action that cannot be read is kept without effects, so that the rules and
                // events that take it are still checked.
                for (action, loc) in &broken {
                    items.insert(
                        action.clone(),
                        Located::new(ActionSpec::default(), loc.clone()),
                    );
                }
                self.out.actions = items;
                self.out.broken.actions = broken.into_keys().collect();
            }
            "rules" => self.out.rules = self.named(name, value).0,
            "dynamics" => self.out.dynamics = self.named(name, value).0,
            "events" => self.out.events = self.named(name, value).0,
            "shocks" => self.out.shocks = self.named(name, value).0,
            "outcomes" => self.out.outcomes = self.named(name, value).0,
            "report" => self.report_table(value),
            "sweep" => self.out.sweep = self.item::<Located<SweepSpec>>(value),
            "expect" => self.expect_table(value),
            "add" => self.additions(key, value),
            other if SCENARIO_KEYS.contains(&other) => {
                // `steps = 10` before any table: it is missing from [scenario] now.
                self.out.broken.scenario.insert(other.to_string());
                let d = Diagnostic::at(self.loc(key.span()), format!("unknown key `{other}`"))
                    .with_hint(format!("`{other}` belongs under [scenario]"));
                self.report(d);
            }
            other => {
                let mut d = Diagnostic::at(self.loc(key.span()), format!("unknown key `{other}`"));
                match suggest_key(other, SECTIONS) {
                    Some(best) => {
                        // Whatever the misspelt table held is missing, and knock-on errors
                        // about it would follow.
                        self.out.broken.sections.insert(best.to_string());
                        d = d.with_hint(format!("did you mean `{best}`?"));
                    }
                    None => d = d.with_hint(format!("expected one of: {}", SECTIONS.join(", "))),
                }
                self.report(d);
            }
        }
    }

    /// `[add]`: the sections a variant adds to, read like the file's own into a file of their
    /// own; what cannot be read joins this file's broken items.
    fn additions(&mut self, key: &Key<'_>, value: &Value<'_>) {
        let loc = self.loc(key.span());
        let DeValue::Table(table) = value.get_ref() else {
            self.report(
                Diagnostic::at(self.loc(value.span()), "`add` must be a table").with_hint(
                    "write the items a variant adds as [add.rules.NAME], [add.parameters], …",
                ),
            );
            return;
        };
        let mut sub = Reader {
            file: self.file,
            text: self.text,
            report: &mut *self.report,
            out: ScenarioFile::default(),
        };
        for (k, v) in in_file_order(table) {
            let name = k.get_ref().as_ref();
            if matches!(name, "scenario" | "relation_files" | "add" | "sweep") {
                let what = if name == "scenario" {
                    "[scenario] settings are changed, not added: write them under [scenario]"
                } else if name == "sweep" {
                    "a variant's [sweep] replaces the extended file's whole: write it as [sweep]"
                } else if name == "relation_files" {
                    "a relation file only adds: write it as [[relation_files]]"
                } else {
                    "[add] does not nest"
                };
                sub.report(Diagnostic::at(
                    sub.loc(k.span()),
                    format!("`add.{name}`: {what}"),
                ));
                continue;
            }
            sub.section(k, v);
        }
        let mut added = sub.out;
        let broken = std::mem::take(&mut added.broken);
        self.out.broken.extend(broken);
        self.out.add = Some(Located::new(Box::new(added), loc));
    }

    /// Each item of a section of named items, read on its own; and where each item that could
    /// not be read was (its error is reported).
    fn named<T: DeserializeOwned>(
        &mut self,
        section: &str,
        value: &Value<'_>,
    ) -> (BTreeMap<String, Located<T>>, BTreeMap<String, Loc>) {
        let mut items = BTreeMap::new();
        let mut broken = BTreeMap::new();
        for (name, v) in self.entries(section, value) {
            match self.item::<Located<T>>(v) {
                Some(item) => drop(items.insert(name, item)),
                None => drop(broken.insert(name, self.loc(v.span()))),
            }
        }
        (items, broken)
    }

    /// The entries of a section that is a table of named items, in the order written; an error
    /// (and the section listed as broken) when it is not a table.
    fn entries<'t, 'i>(
        &mut self,
        section: &str,
        value: &'t Value<'i>,
    ) -> Vec<(String, &'t Value<'i>)> {
        match value.get_ref() {
            DeValue::Table(t) => in_file_order(t)
                .into_iter()
                .map(|(k, v)| (k.get_ref().to_string(), v))
                .collect(),
            other => {
                let hint = match section {
                    "series" => "write series = { NAME = \"expression\" } under [report]".into(),
                    "report" => "write it as [report] with series = { ... } under it".into(),
                    _ => format!("write each item as a [{section}.NAME] table"),
                };
                let d = Diagnostic::at(
                    self.loc(value.span()),
                    format!("`{section}` must be a table, found {}", other.type_str()),
                )
                .with_hint(hint);
                self.report(d);
                self.out.broken.sections.insert(section.to_string());
                Vec::new()
            }
        }
    }

    /// The entries of a section that is a list of tables (`[[relations]]`).
    fn list<'t, 'i>(
        &mut self,
        section: &str,
        value: &'t Value<'i>,
        hint: &str,
    ) -> Vec<&'t Value<'i>> {
        match value.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            other => {
                let d = Diagnostic::at(
                    self.loc(value.span()),
                    format!(
                        "`{section}` must be a list of tables, found {}",
                        other.type_str()
                    ),
                )
                .with_hint(hint.to_string());
                self.report(d);
                self.out.broken.sections.insert(section.to_string());
                Vec::new()
            }
        }
    }

    /// One item, deserialized on its own; its error reported, and `None`, if it cannot be.
    fn item<T: DeserializeOwned>(&mut self, value: &Value<'_>) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(t) => Some(t),
            Err(e) => {
                let d = self.structural(&e, value);
                self.report(d);
                None
            }
        }
    }

    /// An actor's or relation's table: each key with its location and raw value.
    fn raw_table(&mut self, value: &Value<'_>, what: &str) -> Option<Located<RawTable>> {
        let DeValue::Table(t) = value.get_ref() else {
            let d = Diagnostic::at(
                self.loc(value.span()),
                format!("expected a table, found {}", value.get_ref().type_str()),
            )
            .with_hint(format!("this is {what}"));
            self.report(d);
            return None;
        };
        let mut table = RawTable::new();
        for (k, v) in t.iter() {
            let raw = match toml::Value::deserialize(ValueDeserializer::from(v.clone())) {
                Ok(raw) => raw,
                Err(e) => {
                    let d = self.structural(&e, value);
                    self.report(d);
                    return None;
                }
            };
            let entry = Entry {
                key: self.loc(k.span()),
                value: Located::new(raw, self.loc(v.span())),
            };
            table.insert(k.get_ref().to_string(), entry);
        }
        Some(Located::new(table, self.loc(value.span())))
    }

    /// `[scenario]`, key by key: a key that cannot be read is reported and left out, and the
    /// others are still read (above all `extends`, without which nothing else would resolve).
    fn scenario(&mut self, value: &Value<'_>) {
        let DeValue::Table(table) = value.get_ref() else {
            let d = Diagnostic::at(
                self.loc(value.span()),
                format!(
                    "`scenario` must be a table, found {}",
                    value.get_ref().type_str()
                ),
            )
            .with_hint("write it as [scenario] with steps = ... under it");
            self.report(d);
            self.out.broken.sections.insert("scenario".into());
            return;
        };
        let mut table = table.clone();
        let mut errors = Vec::new();
        // Each round leaves out one more key, so this ends after at most one round per key.
        loop {
            let whole = Spanned::new(value.span(), DeValue::Table(table.clone()));
            let e = match Meta::deserialize(ValueDeserializer::from(whole)) {
                Ok(meta) => {
                    self.out.scenario = meta;
                    break;
                }
                Err(e) => e,
            };
            let d = self.structural(&e, value);
            let key = key_at(&table, e.span()).map(str::to_string);
            let meant = match unknown_field(e.message()) {
                Some((_, expected)) => key
                    .as_deref()
                    .and_then(|k| suggest_key(k, expected.iter().map(String::as_str)))
                    .map(str::to_string),
                None => key.clone(),
            };
            errors.push(d);
            self.out.broken.scenario.extend(meant);
            match key {
                Some(k) => drop(table.remove(k.as_str())),
                None => {
                    // Not a key's fault: nothing of [scenario] (`extends` above all) is known.
                    self.out.broken.sections.insert("scenario".into());
                    break;
                }
            }
        }
        errors.sort_by_key(|d| d.loc.as_ref().map(|l| l.span.start));
        for d in errors {
            self.report(d);
        }
    }

    /// `[report]`: `series`, each entry an item of its own.
    fn report_table(&mut self, value: &Value<'_>) {
        for (key, v) in self.entries("report", value) {
            if key == "series" {
                for (name, s) in self.entries("series", v) {
                    if let Some(e) = self.item(s) {
                        self.out.report.series.insert(name, e);
                    }
                }
                continue;
            }
            let span = match value.get_ref() {
                DeValue::Table(t) => t.get_key_value(key.as_str()).map(|(k, _)| k.span()),
                _ => None,
            };
            let d = Diagnostic::at(
                self.loc(span.unwrap_or_else(|| v.span())),
                format!("unknown key `{key}`"),
            );
            self.report(match suggest_key(&key, ["series"]) {
                Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                None => d.with_hint("[report] takes only `series`"),
            });
        }
    }

    /// `[expect]`: its settings (`runs`, `seed`), and every other key an expectation, read on
    /// its own: `NAME = "claim"` or a table `[expect.NAME]`.
    fn expect_table(&mut self, value: &Value<'_>) {
        for (name, v) in self.entries("expect", value) {
            match name.as_str() {
                "runs" => self.out.expect.runs = self.item(v),
                "seed" => self.out.expect.seed = self.item(v),
                _ => {
                    let item = match v.get_ref() {
                        DeValue::String(_) => self.item::<Located<String>>(v).map(|that| {
                            let loc = that.loc.clone();
                            let spec = ExpectationSpec {
                                that: Some(that),
                                ..ExpectationSpec::default()
                            };
                            Located::new(spec, loc)
                        }),
                        DeValue::Table(_) => self.item::<Located<ExpectationSpec>>(v),
                        other => {
                            let mut d = Diagnostic::at(
                                self.loc(v.span()),
                                format!(
                                    "expectation `{}`: expected a claim in quotes or a table {{ that = \"...\" }}, found {}",
                                    crate::diag::quoted(&name),
                                    other.type_str()
                                ),
                            );
                            // `rnus = 100`: a misspelt setting reads as an expectation.
                            d = match suggest_key(&name, EXPECT_SETTINGS) {
                                Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                                None => d.with_hint(
                                    "e.g. no_crisis = \"never crisis\"; the settings are runs and seed",
                                ),
                            };
                            self.report(d);
                            None
                        }
                    };
                    if let Some(item) = item {
                        self.out.expect.items.insert(name, item);
                    }
                }
            }
        }
    }

    /// A structural error of `item`, reworded; with a hint for the key it is in, where one helps.
    fn structural(&self, e: &toml::de::Error, item: &Value<'_>) -> Diagnostic {
        let mut d = toml_error(self.file, self.text, e);
        if let (DeValue::Table(t), Some(span)) = (item.get_ref(), e.span()) {
            let value = t.iter().find(|(_, v)| contains(&v.span(), &span));
            if let Some((k, v)) = value {
                if let Some(hint) = key_hint(k.get_ref(), v.get_ref()) {
                    d = d.with_hint(hint);
                }
            }
        }
        d
    }
}

/// The key of `table` whose name or value holds `span`, if any.
fn key_at<'t>(table: &'t DeTable<'_>, span: Option<Range<usize>>) -> Option<&'t str> {
    let span = span?;
    table
        .iter()
        .find(|(k, v)| contains(&k.span(), &span) || contains(&v.span(), &span))
        .map(|(k, _)| k.get_ref().as_ref())
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end.max(outer.start + 1)
}

/// A hint for a value of the wrong type under `key`: CAMEO codes are text.
fn key_hint(key: &str, value: &DeValue<'_>) -> Option<String> {
    if key != "cameo" {
        return None;
    }
    let written = match value {
        DeValue::Integer(i) if i.radix() == 10 => i.as_str().to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        _ => return None,
    };
    Some(format!(
        "CAMEO codes are text: write cameo = \"{}\"",
        cameo_text(&written)
    ))
}

/// The code a number written for a CAMEO code most likely meant: as written if it is a code,
/// else with the leading zero TOML cannot hold (`41` for `041`).
fn cameo_text(digits: &str) -> String {
    let padded = format!("0{digits}");
    if crate::cameo::goldstein(digits).is_none() && crate::cameo::goldstein(&padded).is_some() {
        padded
    } else {
        digits.to_string()
    }
}

/// The key a misspelt or misnamed `key` probably meant, among `expected`: a close spelling
/// (did-you-mean), or a word often used for it (`type` for `kind`).
pub(crate) fn suggest_key<'a>(
    key: &str,
    expected: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    if let Some(best) = did_you_mean(key, expected.clone()) {
        return Some(best);
    }
    let meant = match key.to_lowercase().as_str() {
        "type" | "class" | "category" => "kind",
        "title" | "label" => "name",
        "desc" | "comment" | "note" | "notes" => "description",
        _ => return None,
    };
    expected.into_iter().find(|k| *k == meant)
}

/// A TOML syntax error: the file cannot be read past it.
fn syntax_error(file: FileId, text: &str, e: &toml::de::Error) -> Diagnostic {
    let mut d = toml_error(file, text, e);
    if e.message().starts_with("unexpected leading zero") {
        // `cameo = 041`: a number cannot start with 0 in TOML; a code must be quoted.
        let start = d.loc.as_ref().map_or(0, |l| l.span.start);
        let line_start = text[..start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let key = text[line_start..start.min(text.len())]
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        let number: String = text[start.min(text.len())..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
            .collect();
        let shown = crate::diag::quoted(&number);
        if let Some(loc) = &mut d.loc {
            loc.span = start..start + number.len().max(1);
        }
        d.message = format!("`{shown}`: a TOML number cannot start with 0");
        d = d.with_hint(if key == "cameo" {
            format!("CAMEO codes are text: write cameo = \"{shown}\"")
        } else {
            format!(
                "write `{}`, or \"{shown}\" in quotes if it is a code",
                shown.trim_start_matches('0')
            )
        });
    }
    d
}

/// A TOML or serde error as a diagnostic: at the location TOML gave, reworded for a scenario
/// author, with a did-you-mean for a misspelt key.
fn toml_error(file: FileId, text: &str, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().to_string();
    let span = e.span().unwrap_or(0..0);
    let span = if span.start >= text.len() && !text.is_empty() {
        text.len() - 1..text.len()
    } else {
        span
    };
    let mut d = Diagnostic::at(Loc::new(file, span), first_line(&message));
    if let Some((unknown, expected)) = unknown_field(&message) {
        d.message = format!("unknown key `{unknown}`");
        d = match suggest_key(&unknown, expected.iter().map(String::as_str)) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None if !expected.is_empty() => {
                d.with_hint(format!("expected one of: {}", expected.join(", ")))
            }
            None => d,
        };
    } else if let Some(what) =
        message.strip_prefix("data did not match any variant of untagged enum ")
    {
        d.message = match what.trim() {
            "ExprText" => "expected a number or an expression in quotes".into(),
            "ParameterSpec" => {
                "expected a number, or a table { value = ..., description = \"...\" }".into()
            }
            "Steps" => "expected a step number or a list of step numbers".into(),
            "OnSpec" => "expected relation, reverse, both, actor, target, out or in, or a table of named places: { actor = \"POL\" }, { relation = [\"POL\", \"BLR\"] }, { actor_kind = \"state\" } or { relation_kind = \"neighbor\" }".into(),
            "OneOrMany" => "expected one value or a list of them".into(),
            _ => "this value has the wrong shape".into(),
        };
        d = d.with_hint("see docs/scenario-format.md for what this key takes");
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        // serde's "invalid type: string \"ten\", expected i64", in words a reader knows.
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        let expected = match expected.trim() {
            "i64" | "u64" | "u32" | "i32" => "a whole number",
            "f64" | "f32" => "a number",
            "a sequence" => "a list in brackets, e.g. [0, 1]",
            "a boolean" => "true or false",
            "a string" => "text in quotes",
            e if e.starts_with("struct") || e == "a map" => "a table",
            e => e,
        };
        let found = found
            .replace("string", "the text")
            .replace("sequence", "a list")
            .replace("map", "a table");
        d.message = format!("expected {expected}, found {found}");
    } else if message.starts_with("missing field") {
        let field = message.split('`').nth(1).unwrap_or("?");
        d.message = format!("missing required key `{field}`");
    }
    d
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" message.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((name.to_string(), expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Result<ScenarioFile, Diagnostic>, Vec<Diagnostic>) {
        let mut errors = Vec::new();
        let f = parse_file(FileId(0), text, &mut |d| errors.push(d));
        (f, errors)
    }

    #[test]
    fn unknown_key_gets_a_hint() {
        let (_, e) = read("[scenario]\nstpes = 3\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].message, "unknown key `stpes`");
        assert_eq!(e[0].hint.as_deref(), Some("did you mean `steps`?"));
        assert_eq!(e[0].loc.as_ref().unwrap().span.start, 11);
    }

    #[test]
    fn located_values_carry_their_span() {
        let text = "[scenario]\nsteps = 12\n";
        let f = parse_file(FileId(3), text, &mut |_| {}).unwrap();
        let steps = f.scenario.steps.unwrap();
        assert_eq!(steps.value, crate::spec::ExprText::Number(12.0));
        assert_eq!(steps.loc.file, FileId(3));
        assert_eq!(&text[steps.loc.span.clone()], "12");
    }

    #[test]
    fn a_bad_scenario_key_leaves_the_others() {
        let (f, e) = read("[scenario]\nsteps = [10]\nextends = \"b.toml\"\nfoo = 1\n");
        let f = f.unwrap();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(f.scenario.extends.unwrap().value, "b.toml");
        assert!(f.broken.scenario.contains("steps"));
    }
}
