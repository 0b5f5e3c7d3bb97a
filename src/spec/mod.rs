//! The scenario spec: what one TOML file says, as serde types with source locations.
//!
//! This is the only place that knows TOML's shape. It checks structure (keys, types) but not
//! meaning: names are resolved and expressions compiled in `compile`. Every value that a later
//! error may point at is wrapped in [`Located`]. [`parse_file`] (in `read.rs`) parses the TOML
//! document once and then reads each item on its own, so that a structural error in one item is
//! reported and the others are still read; what could not be read is listed in [`Broken`].
//!
//! Most keys are `Option`s even where the format requires them: the compiler reports every
//! missing key at once, with the location of the table that lacks it, instead of serde stopping
//! at the first. The meaning of each key is in `docs/scenario-format.md`; the field docs here
//! summarize it.

mod read;
mod schema;

use crate::diag::{FileId, Loc};
use serde::{Deserialize, Deserializer};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

pub use read::parse_file;
pub(crate) use read::suggest_key;
pub use schema::json_schema;

thread_local! {
    // The file being deserialized, so that every `Located` knows where it came from. Set only by
    // `parse_file` for the duration of one file's reading.
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

/// One key of an actor's or a relation's table: where the key was written, and its raw value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Where the key was written.
    pub key: Loc,
    /// The value, as TOML gave it.
    pub value: Located<toml::Value>,
}

/// An actor's or a relation's table, by key. Its keys include the scenario's own variable names,
/// so they stay raw here; `compile` interprets them.
pub type RawTable = BTreeMap<String, Entry>;

/// One scenario file, as written: every item that could be read, and what could not.
#[derive(Clone, Debug, Default)]
pub struct ScenarioFile {
    /// `[scenario]`: the scenario's name, length, time unit, seed and `extends`.
    pub scenario: Meta,
    /// `[parameters]`: named numeric knobs usable in every expression, by name.
    pub parameters: BTreeMap<String, Located<ParameterSpec>>,
    /// `[variables]`: the variables every relation or every actor carries, by name.
    pub variables: BTreeMap<String, Located<VariableSpec>>,
    /// `[actors.ID]`: one table per actor, by id. Its keys (`name`, `kind`, `description`,
    /// `max_actions_per_step`, and initial values of actor variables) stay raw TOML values
    /// here, because which variables exist is only known once `[variables]` is read.
    pub actors: BTreeMap<String, Located<RawTable>>,
    /// `[[relations]]`: directed relations, in the order written. Each is a raw table (`from`,
    /// `to`, `kind`, `description`, and initial values of relation variables), for the same
    /// reason as `actors`.
    pub relations: Vec<Located<RawTable>>,
    /// `[[relation_files]]`: CSV files of further relations, in the order written.
    pub relation_files: Vec<Located<RelationFileSpec>>,
    /// `[actions.NAME]`: what actors can do and what it changes, by name.
    pub actions: BTreeMap<String, Located<ActionSpec>>,
    /// `[rules.NAME]`: the actors' policies (who takes which action toward whom, and when), by
    /// name.
    pub rules: BTreeMap<String, Located<RuleSpec>>,
    /// `[dynamics.NAME]`: changes applied to a variable every step, by name.
    pub dynamics: BTreeMap<String, Located<DynamicsSpec>>,
    /// `[events.NAME]`: actions that happen at scheduled steps or at random, by name.
    pub events: BTreeMap<String, Located<EventSpec>>,
    /// `[shocks.NAME]`: exogenous changes no actor takes, at scheduled steps or at random.
    pub shocks: BTreeMap<String, Located<ShockSpec>>,
    /// `[outcomes]`: conditions watched after every step, by name.
    pub outcomes: BTreeMap<String, Located<OutcomeSpec>>,
    /// `[report]`: which numbers reports follow over time.
    pub report: ReportSpec,
    /// `[sweep]`: a parameter sweep to run with `detente sweep` (so a sweep is reproducible and
    /// reviewable in the file); inherited through `extends` as a whole unless the child has one.
    pub sweep: Option<Located<SweepSpec>>,
    /// `[expect]`: what the scenario is expected to do, checked by `detente test`: the table's
    /// settings (runs, seed) and its named expectations. Inherited through `extends` key by key
    /// and expectation by expectation, like rules.
    pub expect: ExpectSpec,
    /// `[add.*]`: in a file that `extends` another, the items it adds, in the same form as the
    /// tables of the same name (`[add.rules.NAME]`, `[add.parameters]`, `[[add.relations]]`, …;
    /// not `[scenario]` or `[[relation_files]]`). The file's other tables may only change items
    /// the files it extends have, so a misspelled name is an error, not a new, silent item.
    pub add: Option<Located<Box<ScenarioFile>>>,
    /// What the file declared but could not be read (each with its error already reported).
    pub broken: Broken,
}

/// What a file declared but could not read: each has had its structural error reported, and
/// the compiler neither uses it nor reports the names that refer to it, so that one mistake
/// gives one error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Broken {
    /// `[scenario]` keys that could not be read, or that a misspelt key probably meant
    /// (`stpes` for `steps`).
    pub scenario: BTreeSet<String>,
    /// Parameters whose entry could not be read.
    pub parameters: BTreeSet<String>,
    /// Variables whose entry could not be read.
    pub variables: BTreeSet<String>,
    /// Actions whose table could not be read. Each is kept in
    /// [`ScenarioFile::actions`] as an action without effects, so that the rules and events
    /// naming it are still checked.
    pub actions: BTreeSet<String>,
    /// Sections that could not be read (`actors = 5`, or a misspelt section name meant them),
    /// and `relations` or `relation_files` when one of their entries could not be read.
    pub sections: BTreeSet<String>,
}

impl Broken {
    /// Whether nothing is broken.
    pub fn is_empty(&self) -> bool {
        *self == Broken::default()
    }

    /// Whether what is missing leaves the scenario incomplete: without the file it `extends`,
    /// or with actors, relations, parameters, variables or actions missing wholesale, every item
    /// that refers to them would only give knock-on errors, so nothing more is checked.
    pub fn incomplete(&self) -> bool {
        const WHOLE: [&str; 7] = [
            "scenario",
            "actors",
            "relations",
            "relation_files",
            "parameters",
            "variables",
            "actions",
        ];
        self.scenario.contains("extends") || WHOLE.iter().any(|s| self.sections.contains(*s))
    }

    /// Adds what `other` lists (a file's parent's broken items).
    pub fn extend(&mut self, other: Broken) {
        self.scenario.extend(other.scenario);
        self.parameters.extend(other.parameters);
        self.variables.extend(other.variables);
        self.actions.extend(other.actions);
        self.sections.extend(other.sections);
    }
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
    pub steps: Option<Expr>,
    /// `time_unit`: what a step is called in reports, e.g. `"week"` (default `"step"`).
    pub time_unit: Option<Located<String>>,
    /// `dt`: the value of `dt` in expressions, greater than 0 (default 1).
    pub dt: Option<Expr>,
    /// `seed`: the default random seed, not negative (default 0; `--seed` overrides it).
    pub seed: Option<Located<i64>>,
    /// `extends`: another scenario file to start from, relative to this one; this file's
    /// values replace its values. Not inherited itself.
    pub extends: Option<Located<String>>,
    /// `max_actions_per_step`: the most actions one actor takes through rules in one step, at
    /// least 1 (default: no limit); an actor's own key overrides it.
    pub max_actions_per_step: Option<Expr>,
}

/// One entry of `[parameters]`: a number, or a table with its value and a description.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ParameterSpec {
    /// The short form: `decay = 0.1`.
    Value(f64),
    /// A derived parameter: `b = "2 * a"`, a constant expression over other parameters.
    Derived(String),
    /// The long form: `decay = { value = 0.1, description = "..." }` (`value` may be an
    /// expression too).
    Full(ParameterFull),
}

/// The long form of a parameter: `{ value = ..., description = "..." }`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterFull {
    /// `value` (required): the parameter's value (a number, or a constant expression over other
    /// parameters), unless `--set` overrides it.
    pub value: ExprText,
    /// `description`: free text.
    #[serde(default)]
    pub description: Option<String>,
}

impl ParameterSpec {
    /// The value as written: a number, or the expression that derives it.
    pub fn value(&self) -> ExprText {
        match self {
            ParameterSpec::Value(v) => ExprText::Number(*v),
            ParameterSpec::Derived(s) => ExprText::Text(s.clone()),
            ParameterSpec::Full(f) => f.value.clone(),
        }
    }

    /// The description, if the long form gives one.
    pub fn description(&self) -> Option<&str> {
        match self {
            ParameterSpec::Value(_) | ParameterSpec::Derived(_) => None,
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
    pub default: Option<Expr>,
    /// `range`: `[min, max]`, finite, min ≤ max; values are clamped into it after every step.
    /// None: unbounded. Each end may be a constant expression over parameters.
    #[serde(default)]
    pub range: Option<Located<Vec<ExprText>>>,
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
    /// `once_per_step`: `true` for an action that does not stack: taken by one actor toward one
    /// target at most once in a step, however many rules and events take it (default false:
    /// each taking applies).
    pub once_per_step: Option<bool>,
}

/// One entry of an action's `effects`: a change to one variable, for some steps.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectSpec {
    /// `var` (required): the variable changed.
    pub var: Name,
    /// `on` (required): where the change lands: `relation` (actor→target), `reverse`
    /// (target→actor), `both`, `actor`, `target`, `out` (every relation from the actor) or `in`
    /// (every relation to it); or named places, `{ actor = "POL" }`, `{ relation = ["POL",
    /// "BLR"] }`, `{ actor_kind = "state" }`, `{ relation_kind = "neighbor" }`.
    pub on: Located<OnSpec>,
    /// `add` (required): the amount added per step of the effect, evaluated when the action is
    /// taken.
    pub add: Expr,
    /// `delay`: steps after the action before the effect starts (default 0: the same step).
    #[serde(default)]
    pub delay: Option<Expr>,
    /// `duration`: steps the effect keeps applying, at least 1 (default 1).
    #[serde(default)]
    pub duration: Option<Expr>,
    /// `spill`: the effect also lands, scaled, on actors linked by relations of one kind.
    #[serde(default)]
    pub spill: Option<Located<SpillSpec>>,
}

/// Where an effect lands: a word relative to the actor and target, or named places.
#[derive(Clone, Debug, PartialEq)]
pub enum OnSpec {
    /// `on = "relation"` and the other words.
    Word(String),
    /// `on = { actor = "POL" }` and the other tables.
    Places(PlacesSpec),
}

// By hand rather than `untagged`, so that a misspelt key in the table gets its own message (and
// a did-you-mean) instead of "matches no variant".
impl<'de> Deserialize<'de> for OnSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = OnSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "relation, reverse, both, actor, target, out or in, or a table of named places",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OnSpec, E> {
                Ok(OnSpec::Word(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<OnSpec, A::Error> {
                PlacesSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(OnSpec::Places)
            }
        }
        d.deserialize_any(Visit)
    }
}

/// Named places an effect lands on; exactly one key.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacesSpec {
    /// `actor`: one actor id or a list of them.
    pub actor: Option<OneOrMany<String>>,
    /// `relation`: one relation `["from", "to"]` or a list of them.
    pub relation: Option<Pairs>,
    /// `actor_kind`: every actor of this kind.
    pub actor_kind: Option<String>,
    /// `relation_kind`: every relation of this kind.
    pub relation_kind: Option<String>,
}

/// Relations named by their ends: `["POL", "BLR"]`, or a list of such pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Pairs(pub Vec<[String; 2]>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Item {
            Id(String),
            Pair(Vec<String>),
        }
        const SHAPE: &str = "a relation is named by its two ends, [\"FROM\", \"TO\"]; several are a list of such pairs, [[\"POL\", \"BLR\"], [\"LTU\", \"BLR\"]]";
        let items = Vec::<Item>::deserialize(d).map_err(|_| serde::de::Error::custom(SHAPE))?;
        let ids: Vec<&String> = items
            .iter()
            .filter_map(|i| match i {
                Item::Id(s) => Some(s),
                Item::Pair(_) => None,
            })
            .collect();
        if ids.len() == items.len() {
            return match ids[..] {
                [a, b] => Ok(Pairs(vec![[a.clone(), b.clone()]])),
                _ => Err(serde::de::Error::custom(format!(
                    "{SHAPE}; this names {} actor{}",
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" }
                ))),
            };
        }
        items
            .into_iter()
            .map(|i| match i {
                Item::Pair(p) if p.len() == 2 => Ok([p[0].clone(), p[1].clone()]),
                _ => Err(serde::de::Error::custom(SHAPE)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Pairs)
    }
}

/// One value or a list of them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    /// The values, in the order written.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(x) => vec![x.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// An effect's `spill = { kind = "...", factor = ..., hops = ... }`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpillSpec {
    /// `kind` (required): the relation kind linking the actors the effect spills to (in either
    /// direction, once per actor).
    pub kind: Name,
    /// `factor` (required): what the amount is multiplied by where it spills, per hop.
    pub factor: Expr,
    /// `hops`: how many hops of relations of the kind it follows (default 1); an actor first
    /// reached at hop h gets the amount times `factor`^h.
    pub hops: Option<Expr>,
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
    /// `reacts_to`: an action name; the rule's lanes are the actors that someone took that
    /// action toward in the previous step, and the target is whoever took it — or, with
    /// `target`, that named actor (a reaction aimed elsewhere).
    pub reacts_to: Option<Name>,
    /// `when`: the condition under which the rule fires (default: always).
    pub when: Option<Expr>,
    /// `probability`: the chance the rule fires when `when` holds, a number or expression
    /// (default 1; a constant must lie in [0, 1]).
    pub probability: Option<Expr>,
    /// `cooldown`: after firing at step t, the rule does not fire again for the same actor (or
    /// relation) before step t + cooldown + 1 (default 0).
    pub cooldown: Option<Expr>,
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
    /// `actors`: only these actors change (an actor variable's dynamics).
    pub actors: Option<Located<Vec<String>>>,
    /// `relations`: only these relations change, each `["from", "to"]` (a relation variable's
    /// dynamics).
    pub relations: Option<Located<Vec<[String; 2]>>>,
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
    pub from: Option<Expr>,
    /// `until`: the last step a `rate` event can happen (default: the last step).
    pub until: Option<Expr>,
    /// `enabled`: `false` switches the event off (default true).
    pub enabled: Option<bool>,
    /// `description`: free text.
    pub description: Option<String>,
}

/// The `[expect]` table: the settings of a scenario's test (`runs`, `seed`) and its named
/// expectations, each a claim in the expectation language (`"P(crisis) < 0.05"`, `"never
/// tension(LTU, BLR) > 0.95"`; see `docs/scenario-format.md`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExpectSpec {
    /// `runs`: how many runs the expectations are checked on (default 1000), at least 1.
    pub runs: Option<Located<i64>>,
    /// `seed`: the runs' seed (default: the scenario's `seed`), not negative.
    pub seed: Option<Located<i64>>,
    /// Every other key: an expectation, by name, in the order of their names.
    pub items: BTreeMap<String, Located<ExpectationSpec>>,
}

/// The keys of `[expect]` that are its settings, not expectations.
pub const EXPECT_SETTINGS: [&str; 2] = ["runs", "seed"];

/// One expectation: `NAME = "claim"` (the short form: only `that`) or a table `[expect.NAME]`
/// with `that`, `description` and `enabled`. Every key is optional here so that a variant can
/// change one (`enabled = false`) and keep the others; the compiler requires `that` once the
/// files are merged.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectationSpec {
    /// `that`: the claim, e.g. `"P(normalization) >= 0.5"` or `"never crisis"`.
    pub that: Option<Located<String>>,
    /// `description`: what the claim means, for people (shown when it fails).
    pub description: Option<String>,
    /// `enabled`: `false` switches the expectation off, e.g. in a variant that is meant to
    /// change what its parent expects (default true).
    pub enabled: Option<bool>,
}

/// One `[shocks.NAME]` table: an exogenous event no actor takes, changing variables directly at
/// scheduled steps (`at`) or at random (`rate`). Exactly one of `at` and `rate` is required.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShockSpec {
    /// `at`: the step, or list of steps, the shock happens at.
    pub at: Option<Located<Steps>>,
    /// `rate`: the probability per step that it happens, a number or expression.
    pub rate: Option<Expr>,
    /// `from`: the first step a `rate` shock can happen (default 1).
    pub from: Option<Expr>,
    /// `until`: the last step a `rate` shock can happen (default: the last step).
    pub until: Option<Expr>,
    /// `effects` (required): what it changes, each on named places (`on = { actor = ... }` and
    /// the other tables).
    pub effects: Option<Vec<Located<EffectSpec>>>,
    /// `enabled`: `false` switches the shock off (default true).
    pub enabled: Option<bool>,
    /// `description`: free text.
    pub description: Option<String>,
}

/// One step or a list of steps; each a whole number, a parameter or a constant expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Steps {
    /// `at = 10` or `at = "first_wave"` (located by the enclosing value).
    One(ExprText),
    /// `at = [10, "first_wave + 20"]`, each step located.
    Many(Vec<Expr>),
}

impl Steps {
    /// The steps in the order written; `loc` is where the whole value was written.
    pub fn exprs(&self, loc: &Loc) -> Vec<Expr> {
        match self {
            Steps::One(s) => vec![Located::new(s.clone(), loc.clone())],
            Steps::Many(v) => v.clone(),
        }
    }
}

// By hand rather than `untagged`: an untagged enum buffers its input, and the steps of a list
// would lose their places.
impl<'de> Deserialize<'de> for Steps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Steps;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a step number or a list of step numbers")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Steps, E> {
                Ok(Steps::One(ExprText::Number(v as f64)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Steps, E> {
                Ok(Steps::One(ExprText::Number(v as f64)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Steps, E> {
                Ok(Steps::One(ExprText::Number(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Steps, E> {
                Ok(Steps::One(ExprText::Text(v.to_owned())))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Steps, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = seq.next_element::<Expr>()? {
                    v.push(e);
                }
                Ok(Steps::Many(v))
            }
        }
        d.deserialize_any(Visit)
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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportSpec {
    /// `series`: the numbers reports follow over time, by name, each an expression evaluated
    /// after every step. Empty: every relation variable of every relation when there are at
    /// most 64 relations, else each relation variable's mean over all relations.
    pub series: BTreeMap<String, Expr>,
}

/// The `[sweep]` table: what `detente sweep` varies and how, when the command line does not say.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// `design`: `grid`, `oat`, `lhs`, `sobol` or `morris` (default `grid`).
    pub design: Option<Located<String>>,
    /// `points`: Latin hypercube points, or Sobol base rows.
    pub points: Option<Located<u32>>,
    /// `levels`: grid values per interval, or Morris levels.
    pub levels: Option<Located<u32>>,
    /// `trajectories`: Morris trajectories.
    pub trajectories: Option<Located<u32>>,
    /// `runs`: runs per point.
    pub runs: Option<Located<u64>>,
    /// `seed`: the seed every point's runs share.
    pub seed: Option<Located<u64>>,
    /// `design_seed`: the seed of the design's own draws.
    pub design_seed: Option<Located<u64>>,
    /// `metrics`: the outputs, as metric ids.
    #[serde(default)]
    pub metrics: Vec<Located<String>>,
    /// `vary`: per parameter, `{ range = [lo, hi] }` or `{ values = [v1, v2, …] }`, and
    /// `whole = true` for whole numbers.
    #[serde(default)]
    pub vary: BTreeMap<String, Located<VarySpec>>,
}

/// How one parameter varies in a `[sweep]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarySpec {
    /// `range = [lo, hi]`.
    pub range: Option<[f64; 2]>,
    /// `values = [v1, v2, …]`.
    pub values: Option<Vec<f64>>,
    /// `whole = true`: whole numbers only.
    #[serde(default)]
    pub whole: bool,
}
