//! The scenario spec: what one TOML file says, as serde types with source locations.
//!
//! This is the only place that knows TOML's shape. It checks structure (keys, types) but not
//! meaning: names are resolved and expressions compiled in `model`. Every value that a later
//! error may point at is wrapped in [`Located`].
//!
//! Most keys are `Option`s even where the format requires them: the compiler reports every
//! missing key at once, with the location of the table that lacks it, instead of serde stopping
//! at the first. The meaning of each key is in `docs/scenario-format.md`; the field docs here
//! summarize it.

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
    /// The value as deserialized.
    pub value: T,
    /// Where it was written: the span of the value's text in its file.
    pub loc: Loc,
}

impl<T> Located<T> {
    /// `value`, written at `loc`.
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

/// A number, a boolean or an expression string: what a key that takes an expression may hold.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ExprText {
    /// A bare TOML number, e.g. `probability = 0.3`.
    Number(f64),
    /// A bare TOML boolean, e.g. `when = true`.
    Bool(bool),
    /// An expression in quotes, e.g. `when = "tension(self, target) > 0.6"`.
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

/// An expression as written, with its location.
pub type Expr = Located<ExprText>;
/// A name (of an actor, variable, action, kind, ...) as written, with its location; resolved by
/// the compiler.
pub type Name = Located<String>;

/// One scenario file, exactly as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `[scenario]`: the scenario's name, length, time unit, seed and `extends`.
    #[serde(default)]
    pub scenario: Meta,
    /// `[parameters]`: named numeric knobs usable in every expression, by name.
    #[serde(default)]
    pub parameters: BTreeMap<String, Located<ParameterSpec>>,
    /// `[variables]`: the variables every relation or every actor carries, by name.
    #[serde(default)]
    pub variables: BTreeMap<String, Located<VariableSpec>>,
    /// `[actors.ID]`: one table per actor, by id. Its keys (`name`, `kind`, `description`,
    /// `max_actions_per_step`, and initial values of actor variables) stay raw TOML values
    /// here, because which variables exist is only known once `[variables]` is read.
    #[serde(default)]
    pub actors: BTreeMap<String, Located<BTreeMap<String, Located<toml::Value>>>>,
    /// `[[relations]]`: directed relations, in the order written. Each is a raw table (`from`,
    /// `to`, `kind`, `description`, and initial values of relation variables), for the same
    /// reason as `actors`.
    #[serde(default)]
    pub relations: Vec<Located<BTreeMap<String, Located<toml::Value>>>>,
    /// `[[relation_files]]`: CSV files of further relations, in the order written.
    #[serde(default)]
    pub relation_files: Vec<Located<RelationFileSpec>>,
    /// `[actions.NAME]`: what actors can do and what it changes, by name.
    #[serde(default)]
    pub actions: BTreeMap<String, Located<ActionSpec>>,
    /// `[rules.NAME]`: the actors' policies (who takes which action toward whom, and when), by
    /// name.
    #[serde(default)]
    pub rules: BTreeMap<String, Located<RuleSpec>>,
    /// `[dynamics.NAME]`: changes applied to a variable every step, by name.
    #[serde(default)]
    pub dynamics: BTreeMap<String, Located<DynamicsSpec>>,
    /// `[events.NAME]`: actions that happen at scheduled steps or at random, by name.
    #[serde(default)]
    pub events: BTreeMap<String, Located<EventSpec>>,
    /// `[outcomes]`: conditions watched after every step, by name.
    #[serde(default)]
    pub outcomes: BTreeMap<String, Located<OutcomeSpec>>,
    /// `[report]`: which numbers reports follow over time.
    #[serde(default)]
    pub report: ReportSpec,
    /// `[add.*]`: in a file that `extends` another, the items it adds. Its other tables may only
    /// change items the files it extends have (so a misspelled name is an error, not a new,
    /// silent item).
    #[serde(default)]
    pub add: Option<Located<Additions>>,
}

/// The `[add]` table of a file that `extends` another: new items, in the same form as the
/// tables of the same name.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Additions {
    /// `[add.parameters]`: new parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, Located<ParameterSpec>>,
    /// `[add.variables]`: new variables.
    #[serde(default)]
    pub variables: BTreeMap<String, Located<VariableSpec>>,
    /// `[add.actors.ID]`: new actors.
    #[serde(default)]
    pub actors: BTreeMap<String, Located<BTreeMap<String, Located<toml::Value>>>>,
    /// `[[add.relations]]`: relations between two actors the extended files do not relate.
    #[serde(default)]
    pub relations: Vec<Located<BTreeMap<String, Located<toml::Value>>>>,
    /// `[add.actions.NAME]`: new actions.
    #[serde(default)]
    pub actions: BTreeMap<String, Located<ActionSpec>>,
    /// `[add.rules.NAME]`: new rules.
    #[serde(default)]
    pub rules: BTreeMap<String, Located<RuleSpec>>,
    /// `[add.dynamics.NAME]`: new dynamics.
    #[serde(default)]
    pub dynamics: BTreeMap<String, Located<DynamicsSpec>>,
    /// `[add.events.NAME]`: new events.
    #[serde(default)]
    pub events: BTreeMap<String, Located<EventSpec>>,
    /// `[add.outcomes]`: new outcomes.
    #[serde(default)]
    pub outcomes: BTreeMap<String, Located<OutcomeSpec>>,
    /// `[add.report]`: new report series.
    #[serde(default)]
    pub report: ReportSpec,
}

/// The `[scenario]` table: settings of the scenario as a whole.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// `name`: the scenario's title in reports (default: the file name without `.toml`).
    pub name: Option<Located<String>>,
    /// `description`: free text for reports.
    pub description: Option<Located<String>>,
    /// `steps`: how many steps one run simulates, 1 to 10,000,000. Required (here or in an
    /// extended file); `--steps` overrides it.
    pub steps: Option<Located<i64>>,
    /// `time_unit`: what a step is called in reports, e.g. `"week"` (default `"step"`).
    pub time_unit: Option<Located<String>>,
    /// `dt`: the value of `dt` in expressions, greater than 0 (default 1).
    pub dt: Option<Located<f64>>,
    /// `seed`: the default random seed, not negative (default 0; `--seed` overrides it).
    pub seed: Option<Located<i64>>,
    /// `extends`: another scenario file to start from, relative to this one; this file's
    /// values replace its values. Not inherited itself.
    pub extends: Option<Located<String>>,
    /// `max_actions_per_step`: the most actions one actor takes through rules in one step, at
    /// least 1 (default: no limit); an actor's own key overrides it.
    pub max_actions_per_step: Option<Located<i64>>,
}

/// One entry of `[parameters]`: a number, or a table with its value and a description.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ParameterSpec {
    /// The short form: `decay = 0.1`.
    Value(f64),
    /// The long form: `decay = { value = 0.1, description = "..." }`.
    Full(ParameterFull),
}

/// The long form of a parameter: `{ value = ..., description = "..." }`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterFull {
    /// `value` (required): the parameter's value, unless `--set` overrides it.
    pub value: f64,
    /// `description`: free text.
    #[serde(default)]
    pub description: Option<String>,
}

impl ParameterSpec {
    /// The value written in the file, in either form.
    pub fn value(&self) -> f64 {
        match self {
            ParameterSpec::Value(v) => *v,
            ParameterSpec::Full(f) => f.value,
        }
    }

    /// The description, if the long form gives one.
    pub fn description(&self) -> Option<&str> {
        match self {
            ParameterSpec::Value(_) => None,
            ParameterSpec::Full(f) => f.description.as_deref(),
        }
    }
}

/// One entry of `[variables]`: a variable every relation, or every actor, carries.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// `of` (required): `"relation"` or `"actor"`, what carries the variable.
    pub of: Located<String>,
    /// `default`: the initial value where none is given, and the value read from a relation
    /// that does not exist (default 0; must lie in `range`).
    #[serde(default)]
    pub default: Option<Located<f64>>,
    /// `range`: `[min, max]`, finite, min ≤ max; values are clamped into it after every step.
    /// None: unbounded.
    #[serde(default)]
    pub range: Option<Located<Vec<f64>>>,
    /// `description`: free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// One `[[relation_files]]` entry: a CSV file of relations, one per row.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationFileSpec {
    /// `path` (required): the CSV file, relative to the scenario file that names it.
    pub path: Located<String>,
    /// `from`: the column holding each relation's source actor id (default `"from"`).
    #[serde(default)]
    pub from: Option<Located<String>>,
    /// `to`: the column holding each relation's target actor id (default `"to"`).
    #[serde(default)]
    pub to: Option<Located<String>>,
    /// `kind`: the relations' kind where the file has no `kind` column (default `"related"`).
    #[serde(default)]
    pub kind: Option<Located<String>>,
    /// `create_actors`: whether actor ids not declared in `[actors]` create actors (default
    /// false: they are errors).
    #[serde(default)]
    pub create_actors: Option<bool>,
    /// `actor_kind`: the kind of actors created by `create_actors` (default `"actor"`).
    #[serde(default)]
    pub actor_kind: Option<Located<String>>,
}

/// One `[actions.NAME]` table: an action actors can take, and what it changes.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// `description`: free text.
    pub description: Option<String>,
    /// `cameo`: the action's CAMEO event code, e.g. `"0862"`, checked against the CAMEO table;
    /// it gives `goldstein` its value in the action's effects.
    pub cameo: Option<Located<String>>,
    /// `effects`: what taking the action changes. None: no effects here (in a child file, the
    /// parent's list is kept; a list given replaces the parent's whole).
    pub effects: Option<Vec<Located<EffectSpec>>>,
}

/// One entry of an action's `effects`: a change to one variable, for some steps.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectSpec {
    /// `var` (required): the variable changed.
    pub var: Name,
    /// `on` (required): where the change lands: `relation` (actor→target), `reverse`
    /// (target→actor), `both`, `actor`, `target`, `out` (every relation from the actor) or `in`
    /// (every relation to it).
    pub on: Name,
    /// `add` (required): the amount added per step of the effect, evaluated when the action is
    /// taken.
    pub add: Expr,
    /// `delay`: steps after the action before the effect starts (default 0: the same step).
    #[serde(default)]
    pub delay: Option<Located<i64>>,
    /// `duration`: steps the effect keeps applying, at least 1 (default 1).
    #[serde(default)]
    pub duration: Option<Located<i64>>,
    /// `spill`: the effect also lands, scaled, on actors linked by relations of one kind.
    #[serde(default)]
    pub spill: Option<Located<SpillSpec>>,
}

/// An effect's `spill = { kind = "...", factor = ... }`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpillSpec {
    /// `kind` (required): the relation kind linking the actors the effect spills to (in either
    /// direction, once per actor).
    pub kind: Name,
    /// `factor` (required): what the amount is multiplied by where it spills.
    pub factor: Located<f64>,
}

/// One `[rules.NAME]` table: a policy saying who takes which action, toward whom, and when.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// `actor`: the actor id that acts, or `"*"` for every actor. This or `actor_kind` is
    /// required.
    pub actor: Option<Name>,
    /// `actor_kind`: every actor of this kind acts (instead of `actor`).
    pub actor_kind: Option<Name>,
    /// `action` (required): the action taken.
    pub action: Option<Name>,
    /// `target`: the actor id the action is taken toward.
    pub target: Option<Name>,
    /// `target_relation`: the action is taken along every relation of this kind out of the
    /// actor (`"*"`: every relation out of it), instead of toward one `target`.
    pub target_relation: Option<Name>,
    /// `reacts_to`: an action name; the target is whoever took that action toward the actor in
    /// the previous step.
    pub reacts_to: Option<Name>,
    /// `when`: the condition under which the rule fires (default: always).
    pub when: Option<Expr>,
    /// `probability`: the chance the rule fires when `when` holds, a number or expression
    /// (default 1; a constant must lie in [0, 1]).
    pub probability: Option<Expr>,
    /// `cooldown`: after firing at step t, the rule does not fire again for the same actor (or
    /// relation) before step t + cooldown + 1 (default 0).
    pub cooldown: Option<Located<i64>>,
    /// `priority`: higher first when an actor's `max_actions_per_step` cap binds (default 0).
    pub priority: Option<Located<i64>>,
    /// `enabled`: `false` switches the rule off, e.g. in a variant (default true).
    pub enabled: Option<bool>,
    /// `description`: free text.
    pub description: Option<String>,
}

/// One `[dynamics.NAME]` table: a change applied to a variable every step, on every relation
/// (or actor) that carries it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicsSpec {
    /// `var` (required): the variable changed.
    pub var: Option<Name>,
    /// `add` (required): the change per step, an expression.
    pub add: Option<Expr>,
    /// `kind`: only relations (or actors) of this kind change (default: all).
    pub kind: Option<Name>,
    /// `enabled`: `false` switches the dynamics line off (default true).
    pub enabled: Option<bool>,
    /// `description`: free text.
    pub description: Option<String>,
}

/// One `[events.NAME]` table: an action taken at scheduled steps (`at`) or at random (`rate`),
/// whatever the rules say. Exactly one of `at` and `rate` is required.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// `actor` (required): the actor id that takes the action.
    pub actor: Option<Name>,
    /// `action` (required): the action taken.
    pub action: Option<Name>,
    /// `target`: the actor id it is taken toward (required if the action needs a target).
    pub target: Option<Name>,
    /// `at`: the step, or list of steps, the event happens at (1 to `steps`).
    pub at: Option<Located<Steps>>,
    /// `rate`: the probability per step that the event happens, a number or expression.
    pub rate: Option<Expr>,
    /// `from`: the first step a `rate` event can happen (default 1).
    pub from: Option<Located<i64>>,
    /// `until`: the last step a `rate` event can happen (default: the last step).
    pub until: Option<Located<i64>>,
    /// `enabled`: `false` switches the event off (default true).
    pub enabled: Option<bool>,
    /// `description`: free text.
    pub description: Option<String>,
}

/// One step or a list of steps.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Steps {
    /// `at = 10`.
    One(i64),
    /// `at = [10, 30]`.
    Many(Vec<i64>),
}

impl Steps {
    /// The steps as a list, in the order written.
    pub fn to_vec(&self) -> Vec<i64> {
        match self {
            Steps::One(s) => vec![*s],
            Steps::Many(v) => v.clone(),
        }
    }
}

/// One entry of `[outcomes]`: `"condition"` or `{ when = "condition", description = "..." }`.
/// The condition may end in `for N steps`.
#[derive(Clone, Debug, PartialEq)]
pub enum OutcomeSpec {
    /// The short form: just the condition.
    Short(String),
    /// The long form: the condition and a description.
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

/// The long form of an outcome: `{ when = "...", description = "..." }`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFull {
    /// `when` (required): the condition, checked after every step and on the initial state.
    pub when: Expr,
    /// `description`: free text for reports.
    #[serde(default)]
    pub description: Option<String>,
}

/// The `[report]` table.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// `series`: the numbers reports follow over time, by name, each an expression evaluated
    /// after every step. Empty: every relation variable of every relation when there are at
    /// most 64 relations, else each relation variable's mean over all relations.
    #[serde(default)]
    pub series: BTreeMap<String, Expr>,
}

/// Parses one file's text into a [`ScenarioFile`], with `file` in every location.
///
/// # Errors
///
/// Structural errors (bad TOML, unknown keys, wrong types, missing required keys) come back as
/// one [`Diagnostic`] at the location TOML gave, reworded for a scenario author and with a
/// did-you-mean hint for a misspelt key.
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
