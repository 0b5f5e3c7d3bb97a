//! The scenario spec: what one TOML file says, as serde types with source locations.
//!
//! This is the only place that knows TOML's shape. It checks structure (keys, types) but not
//! meaning: names are resolved and expressions compiled in `model`. Every value that a later
//! error may point at is wrapped in [`Located`].

use crate::diag::{Diagnostic, FileId, Loc};
use serde::{Deserialize, Deserializer};
use std::cell::Cell;
use std::collections::BTreeMap;

thread_local! {
    // The file being deserialized, so that every `Located` knows where it came from. Set only by
    // `parse_file` for the duration of one `toml::from_str` call.
    static CURRENT_FILE: Cell<FileId> = const { Cell::new(FileId(0)) };
}

/// A value with the place in a source file it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Located<T> {
    pub fn new(value: T, loc: Loc) -> Located<T> {
        Located { value, loc }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<T>::deserialize(d)?;
        let file = CURRENT_FILE.with(Cell::get);
        let span = spanned.span();
        Ok(Located {
            value: spanned.into_inner(),
            loc: Loc::new(file, span),
        })
    }
}

/// A number or an expression string.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ExprText {
    Number(f64),
    Bool(bool),
    Text(String),
}

impl ExprText {
    /// The expression source, and whether it came from a TOML string (so that positions inside
    /// it are offset by the opening quote).
    pub fn source(&self) -> (String, bool) {
        match self {
            ExprText::Number(x) => (format_number(*x), false),
            ExprText::Bool(b) => (b.to_string(), false),
            ExprText::Text(s) => (s.clone(), true),
        }
    }
}

fn format_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x:?}")
    } else if x.is_nan() {
        "nan".into()
    } else if x > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

pub type Expr = Located<ExprText>;
pub type Name = Located<String>;

/// One scenario file, exactly as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    #[serde(default)]
    pub scenario: Meta,
    #[serde(default)]
    pub parameters: BTreeMap<String, Located<ParameterSpec>>,
    #[serde(default)]
    pub variables: BTreeMap<String, Located<VariableSpec>>,
    #[serde(default)]
    pub actors: BTreeMap<String, Located<BTreeMap<String, Located<toml::Value>>>>,
    #[serde(default)]
    pub relations: Vec<Located<BTreeMap<String, Located<toml::Value>>>>,
    #[serde(default)]
    pub relation_files: Vec<Located<RelationFileSpec>>,
    #[serde(default)]
    pub actions: BTreeMap<String, Located<ActionSpec>>,
    #[serde(default)]
    pub rules: BTreeMap<String, Located<RuleSpec>>,
    #[serde(default)]
    pub dynamics: BTreeMap<String, Located<DynamicsSpec>>,
    #[serde(default)]
    pub events: BTreeMap<String, Located<EventSpec>>,
    #[serde(default)]
    pub outcomes: BTreeMap<String, Located<OutcomeSpec>>,
    #[serde(default)]
    pub report: ReportSpec,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: Option<Located<String>>,
    pub description: Option<Located<String>>,
    pub steps: Option<Located<i64>>,
    pub time_unit: Option<Located<String>>,
    pub dt: Option<Located<f64>>,
    pub seed: Option<Located<i64>>,
    pub extends: Option<Located<String>>,
    pub max_actions_per_step: Option<Located<i64>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ParameterSpec {
    Value(f64),
    Full(ParameterFull),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterFull {
    pub value: f64,
    #[serde(default)]
    pub description: Option<String>,
}

impl ParameterSpec {
    pub fn value(&self) -> f64 {
        match self {
            ParameterSpec::Value(v) => *v,
            ParameterSpec::Full(f) => f.value,
        }
    }

    pub fn description(&self) -> Option<&str> {
        match self {
            ParameterSpec::Value(_) => None,
            ParameterSpec::Full(f) => f.description.as_deref(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    pub of: Located<String>,
    #[serde(default)]
    pub default: Option<Located<f64>>,
    #[serde(default)]
    pub range: Option<Located<Vec<f64>>>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationFileSpec {
    pub path: Located<String>,
    #[serde(default)]
    pub from: Option<Located<String>>,
    #[serde(default)]
    pub to: Option<Located<String>>,
    #[serde(default)]
    pub kind: Option<Located<String>>,
    #[serde(default)]
    pub create_actors: Option<bool>,
    #[serde(default)]
    pub actor_kind: Option<Located<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    pub description: Option<String>,
    pub cameo: Option<Located<String>>,
    pub effects: Option<Vec<Located<EffectSpec>>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectSpec {
    pub var: Name,
    pub on: Name,
    pub add: Expr,
    #[serde(default)]
    pub delay: Option<Located<i64>>,
    #[serde(default)]
    pub duration: Option<Located<i64>>,
    #[serde(default)]
    pub spill: Option<Located<SpillSpec>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpillSpec {
    pub kind: Name,
    pub factor: Located<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub actor: Option<Name>,
    pub actor_kind: Option<Name>,
    pub action: Option<Name>,
    pub target: Option<Name>,
    pub target_relation: Option<Name>,
    pub reacts_to: Option<Name>,
    pub when: Option<Expr>,
    pub probability: Option<Expr>,
    pub cooldown: Option<Located<i64>>,
    pub priority: Option<Located<i64>>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicsSpec {
    pub var: Option<Name>,
    pub add: Option<Expr>,
    pub kind: Option<Name>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub actor: Option<Name>,
    pub action: Option<Name>,
    pub target: Option<Name>,
    pub at: Option<Located<Steps>>,
    pub rate: Option<Expr>,
    pub from: Option<Located<i64>>,
    pub until: Option<Located<i64>>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

/// One step or a list of steps.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Steps {
    One(i64),
    Many(Vec<i64>),
}

impl Steps {
    pub fn to_vec(&self) -> Vec<i64> {
        match self {
            Steps::One(s) => vec![*s],
            Steps::Many(v) => v.clone(),
        }
    }
}

/// `"condition"` or `{ when = "condition", description = "..." }`.
#[derive(Clone, Debug, PartialEq)]
pub enum OutcomeSpec {
    Short(String),
    Full(OutcomeFull),
}

impl<'de> Deserialize<'de> for OutcomeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Not `untagged`: that would buffer the table and lose the spans of its values.
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OutcomeSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a condition in quotes, or a table { when = \"...\", description = \"...\" }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OutcomeSpec, E> {
                Ok(OutcomeSpec::Short(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<OutcomeSpec, A::Error> {
                OutcomeFull::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(OutcomeSpec::Full)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFull {
    pub when: Expr,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    #[serde(default)]
    pub series: BTreeMap<String, Expr>,
}

/// Parses one file's text. Structural errors (bad TOML, unknown keys, wrong types) come back as
/// one diagnostic with the location TOML gave.
pub fn parse_file(file: FileId, text: &str) -> Result<ScenarioFile, Diagnostic> {
    CURRENT_FILE.with(|c| c.set(file));
    let parsed = toml::from_str::<ScenarioFile>(text);
    CURRENT_FILE.with(|c| c.set(FileId(0)));
    parsed.map_err(|e| toml_error(file, text, &e))
}

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
        d = match crate::diag::did_you_mean(&unknown, expected.iter().map(String::as_str)) {
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

    #[test]
    fn unknown_key_gets_a_hint() {
        let e = parse_file(FileId(0), "[scenario]\nstpes = 3\n").unwrap_err();
        assert_eq!(e.message, "unknown key `stpes`");
        assert_eq!(e.hint.as_deref(), Some("did you mean `steps`?"));
        assert_eq!(e.loc.unwrap().span.start, 11);
    }

    #[test]
    fn located_values_carry_their_span() {
        let f = parse_file(FileId(3), "[scenario]\nsteps = 12\n").unwrap();
        let steps = f.scenario.steps.unwrap();
        assert_eq!(steps.value, 12);
        assert_eq!(steps.loc.file, FileId(3));
        assert_eq!(&"[scenario]\nsteps = 12\n"[steps.loc.span.clone()], "12");
    }
}
