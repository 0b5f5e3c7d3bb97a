//! The JSON Schema of the scenario format, for editors: taplo (Even Better TOML) reads it to
//! complete keys, show what each one means and flag unknown keys and wrong types as a file is
//! written, before `detente check` runs.
//!
//! It describes the shape of one file — tables, keys, types, enums — and nothing of meaning:
//! names are not resolved, expressions not parsed, and no key is required that a variant (a file
//! with `extends`) may leave to the file it extends. Actor and relation tables take the
//! scenario's own variable names as keys, so they are the only fixed tables open to keys the
//! schema does not list. The descriptions follow `docs/scenario-format.md`, the format reference.
//!
//! Draft-07, because that is the draft editors' TOML and JSON tooling (taplo, SchemaStore)
//! supports best. The schema is built as a tree whose objects keep their keys in the order
//! written, so the text reads in the reference's order and is the same on every build, whatever
//! map serde_json is compiled with.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// The JSON Schema (draft-07) of a scenario file, as pretty-printed JSON text ending in a
/// newline: every table and key the format takes, with its type, enum values, default and a
/// description from the format reference. Unknown keys are refused everywhere except in
/// `[actors.ID]` and `[[relations]]` tables, whose keys include the scenario's variables.
///
/// The same text on every call and every build; `detente schema` prints it, and
/// `docs/detente.schema.json` is a copy a test keeps current.
pub fn json_schema() -> String {
    let mut text = serde_json::to_string_pretty(&root()).expect("a schema tree always serializes");
    text.push('\n');
    text
}

/// A JSON value whose objects keep their keys in the order they were built.
#[derive(Clone)]
enum Json {
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Int(i) => s.serialize_i64(*i),
            Json::Str(t) => s.serialize_str(t),
            Json::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Obj(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(s.to_string())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl From<i64> for Json {
    fn from(i: i64) -> Json {
        Json::Int(i)
    }
}

impl Json {
    /// This object with `key` added last.
    fn with(mut self, key: &'static str, value: impl Into<Json>) -> Json {
        match &mut self {
            Json::Obj(entries) => entries.push((key, value.into())),
            _ => unreachable!("`{key}` added to a value that is not an object"),
        }
        self
    }
}

fn strings(items: &[&str]) -> Json {
    Json::Arr(items.iter().map(|s| Json::from(*s)).collect())
}

/// Item names: ASCII letters, digits and `_`, starting with a letter or `_` (`valid_name` in
/// `compile`). They appear in CSV headers and Markdown tables.
const NAME: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

// Value schemas, each with the description of the key that holds it. Small ones are written out
// at every use rather than referenced: in draft-07 a `$ref` hides the description beside it.

/// `{"type": type, "description": text}`.
fn typed(ty: Json, text: &str) -> Json {
    Json::Obj(vec![("type", ty), ("description", text.into())])
}

fn text(description: &str) -> Json {
    typed("string".into(), description)
}

fn text_default(description: &str, default: &str) -> Json {
    text(description).with("default", default)
}

fn flag(description: &str, default: bool) -> Json {
    typed("boolean".into(), description).with("default", default)
}

/// A number or an expression in quotes.
fn number(description: &str) -> Json {
    typed(strings(&["number", "string"]), description)
}

/// A whole number of at least `min`, or a constant expression over parameters in quotes.
fn whole(description: &str, min: i64) -> Json {
    typed(strings(&["integer", "string"]), description).with("minimum", min)
}

/// A condition: `true`, `false` or an expression in quotes.
fn condition(description: &str) -> Json {
    typed(strings(&["boolean", "string"]), description)
}

/// A literal whole number, no expression.
fn integer(description: &str) -> Json {
    typed("integer".into(), description)
}

/// `["A", "B"]`: two actor ids, a relation from the first to the second.
fn pair() -> Json {
    Json::Obj(vec![
        ("type", "array".into()),
        ("items", Json::Obj(vec![("type", "string".into())])),
        ("minItems", 2.into()),
        ("maxItems", 2.into()),
    ])
}

fn list(description: &str, items: Json) -> Json {
    typed("array".into(), description).with("items", items)
}

/// A table with exactly these keys (`required` among them).
fn table(description: &str, properties: Vec<(&'static str, Json)>, required: &[&str]) -> Json {
    let t = typed("object".into(), description)
        .with("properties", Json::Obj(properties))
        .with("additionalProperties", false);
    if required.is_empty() {
        t
    } else {
        t.with("required", strings(required))
    }
}

/// A table of named items, each of schema `item`.
fn named(description: &str, item: Json) -> Json {
    typed("object".into(), description)
        .with("propertyNames", Json::Obj(vec![("pattern", NAME.into())]))
        .with("additionalProperties", item)
}

fn reference(definition: &str) -> Json {
    Json::Obj(vec![(
        "$ref",
        Json::Str(format!("#/definitions/{definition}")),
    )])
}

/// An enum of strings, with what each value means (`x-taplo` shows it on completion and hover).
fn choice(description: &str, values: &[(&str, &str)]) -> Json {
    let names: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
    let docs: Vec<&str> = values.iter().map(|(_, d)| *d).collect();
    let docs = Json::Obj(vec![("enumValues", strings(&docs))]);
    text(description)
        .with("enum", strings(&names))
        .with("x-taplo", Json::Obj(vec![("docs", docs)]))
}

fn root() -> Json {
    Json::Obj(vec![
        ("$schema", "http://json-schema.org/draft-07/schema#".into()),
        ("title", "detente scenario".into()),
        (
            "description",
            "A detente scenario file (TOML): actors, the directed relations between them, the \
             variables they carry, the actions they can take, the rules that take them, dynamics, \
             events, shocks and outcomes. Reference: docs/scenario-format.md; `detente check FILE` \
             checks what a schema cannot (names, expressions, values)."
                .into(),
        ),
        ("type", "object".into()),
        ("properties", Json::Obj(sections(true))),
        ("additionalProperties", false.into()),
        ("definitions", definitions()),
    ])
}

/// The top-level tables, each a reference to its definition; `[add]` holds the same tables but
/// `[scenario]`, `[[relation_files]]`, `[sweep]` and itself.
fn sections(top: bool) -> Vec<(&'static str, Json)> {
    let mut s = Vec::new();
    for name in [
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
    ] {
        let only_top = matches!(name, "scenario" | "relation_files" | "sweep" | "add");
        if top || !only_top {
            s.push((name, reference(name)));
        }
    }
    s
}

fn definitions() -> Json {
    Json::Obj(vec![
        ("scenario", scenario()),
        ("parameters", parameters()),
        ("variables", variables()),
        ("actors", actors()),
        ("relations", relations()),
        ("relation_files", relation_files()),
        ("actions", actions()),
        ("rules", rules()),
        ("dynamics", dynamics()),
        ("events", events()),
        ("shocks", shocks()),
        ("outcomes", outcomes()),
        ("report", report()),
        ("sweep", sweep()),
        ("expect", expect()),
        ("add", add()),
        ("effect", effect(true)),
        ("shock_effect", effect(false)),
    ])
}

fn scenario() -> Json {
    table(
        "[scenario]: settings of the scenario as a whole.",
        vec![
            (
                "name",
                text("The scenario's title in reports (default: the file name without .toml)."),
            ),
            ("description", text("Free text for reports.")),
            (
                "steps",
                whole(
                    "How many steps one run simulates, 1 to 10,000,000: a whole number or a \
                     constant expression over parameters in quotes (\"years * 52\"). Required, \
                     here or in an extended file; --steps overrides it.",
                    1,
                )
                .with("maximum", 10_000_000),
            ),
            (
                "time_unit",
                text_default("What a step is called in reports, e.g. \"week\".", "step"),
            ),
            (
                "dt",
                number(
                    "The value of `dt` in expressions, greater than 0 (default 1): a number or a \
                     constant expression over parameters.",
                )
                .with("exclusiveMinimum", 0)
                .with("default", 1),
            ),
            (
                "seed",
                integer(
                    "The default random seed, a whole number, not negative (--seed overrides it). \
                     Always a literal: a parameter cannot hold every 64-bit seed exactly.",
                )
                .with("minimum", 0)
                .with("default", 0),
            ),
            (
                "extends",
                text(
                    "Another scenario file to start from, relative to this one. This file's \
                     tables then change the items the extended files have, and new items go \
                     under [add]. Not inherited itself.",
                ),
            ),
            (
                "max_actions_per_step",
                whole(
                    "The most actions one actor takes through rules in one step, at least 1 \
                     (default: no limit); an actor's own key overrides it.",
                    1,
                ),
            ),
        ],
        &[],
    )
}

fn parameters() -> Json {
    let value = number(
        "The parameter's value: a number, or a constant expression over other parameters in \
         quotes.",
    );
    let parameter = typed(
        strings(&["number", "string", "object"]),
        "A parameter: a number (decay = 0.1), a derived parameter (a constant expression over \
         other parameters, half_life = \"0.693 / decay\"), or the long form { value = ..., \
         description = \"...\" }. --set name=value replaces it, and the parameters derived from \
         it follow.",
    )
    .with(
        "properties",
        Json::Obj(vec![("value", value), ("description", text("Free text."))]),
    )
    .with("required", strings(&["value"]))
    .with("additionalProperties", false);
    named(
        "[parameters]: named numeric knobs, usable in every expression and wherever a number is \
         taken, overridable with --set name=value.",
        parameter,
    )
}

fn variables() -> Json {
    let variable = table(
        "A variable every relation, or every actor, carries. After every step each value is \
         clamped into its range, if it has one.",
        vec![
            (
                "of",
                choice(
                    "What carries the variable (required).",
                    &[
                        ("relation", "Every directed relation has one."),
                        ("actor", "Every actor has one."),
                    ],
                ),
            ),
            (
                "default",
                number(
                    "The initial value where none is given (default 0; must lie in range), and \
                     the value read from a relation that does not exist. A number or a constant \
                     expression over parameters.",
                ),
            ),
            (
                "range",
                list(
                    "[min, max], finite, min ≤ max; each end a number or a constant expression \
                     over parameters. Optional: without it the variable is unbounded.",
                    typed(strings(&["number", "string"]), "One end of the range."),
                )
                .with("minItems", 2)
                .with("maxItems", 2),
            ),
            ("description", text("Free text.")),
        ],
        &["of"],
    );
    named(
        "[variables]: the variables relations or actors carry, declared once.",
        variable,
    )
}

/// The value of a key of an actor's or relation's table that is not one of its own keys.
fn initial_value(of: &str) -> Json {
    number(&format!(
        "The initial value of a declared {of} variable: a number, or a constant expression over \
         parameters in quotes. Initial values outside the variable's range are errors."
    ))
}

fn actors() -> Json {
    let actor =
        typed(
            "object".into(),
            "One actor. Any declared actor variable can be given an initial value here; any other \
         key is an error (detente check reports it).",
        )
        .with(
            "properties",
            Json::Obj(vec![
            ("name", text("The actor's name in reports (default: the id).")),
            (
                "kind",
                text_default(
                    "The actor's group, free text (e.g. \"state\"); rules, dynamics, aggregates \
                     and effects can select actors by kind.",
                    "actor",
                ),
            ),
            ("description", text("Free text.")),
            (
                "max_actions_per_step",
                integer(
                    "The most actions this actor takes through rules in one step, at least 1; \
                     overrides the scenario-wide cap.",
                )
                .with("minimum", 1),
            ),
        ]),
        )
        .with("propertyNames", Json::Obj(vec![("pattern", NAME.into())]))
        .with("additionalProperties", initial_value("actor"));
    typed(
        "object".into(),
        "[actors.ID]: one table per actor, keyed by its id (Unicode letters, digits, `_` or `-`). \
         Actors are ordered by id, so the order they are written in never matters.",
    )
    .with("additionalProperties", actor)
}

fn relations() -> Json {
    let relation = typed(
        "object".into(),
        "A directed relation from one actor to another, at most one per ordered pair. Any \
         declared relation variable can be given an initial value here.",
    )
    .with(
        "properties",
        Json::Obj(vec![
            ("from", text("The actor the relation goes from (required).")),
            ("to", text("The actor the relation goes to (required).")),
            (
                "kind",
                text_default(
                    "The relation's kind, free text: neighbor, member, ally, ...",
                    "related",
                ),
            ),
            ("description", text("Free text.")),
        ]),
    )
    .with("required", strings(&["from", "to"]))
    .with("propertyNames", Json::Obj(vec![("pattern", NAME.into())]))
    .with("additionalProperties", initial_value("relation"));
    list(
        "[[relations]]: the directed edges of the relation graph, one table each.",
        relation,
    )
}

fn relation_files() -> Json {
    let file = table(
        "A CSV file of relations, one per row. The first line is the header: besides the two id \
         columns and an optional `kind` column, every column is a declared relation variable.",
        vec![
            (
                "path",
                text("The CSV file, relative to the scenario file (required)."),
            ),
            (
                "from",
                text_default(
                    "The column holding each relation's source actor id.",
                    "from",
                ),
            ),
            (
                "to",
                text_default("The column holding each relation's target actor id.", "to"),
            ),
            (
                "kind",
                text_default(
                    "The relations' kind where the file has no `kind` column.",
                    "related",
                ),
            ),
            (
                "create_actors",
                flag(
                    "Whether actor ids not declared in [actors] create actors (false: they are \
                     errors).",
                    false,
                ),
            ),
            (
                "actor_kind",
                text_default("The kind of the actors create_actors creates.", "actor"),
            ),
        ],
        &["path"],
    );
    list(
        "[[relation_files]]: large networks from CSV files, added to [[relations]].",
        file,
    )
}

fn actions() -> Json {
    let action = table(
        "An action actors can take, and what it changes.",
        vec![
            ("description", text("Free text.")),
            (
                "cameo",
                text(
                    "The action's CAMEO event code, in quotes (\"0862\"): codes have leading \
                     zeros a TOML number cannot hold. Checked against the CAMEO table; it gives \
                     `goldstein` its value in the action's effects.",
                )
                .with("pattern", "^[0-9]+$"),
            ),
            (
                "effects",
                list(
                    "What taking the action changes, one table per change. In a variant, a list \
                     given replaces the extended file's whole.",
                    reference("effect"),
                ),
            ),
            (
                "once_per_step",
                flag(
                    "An action that must not stack: taken at most once per step by one actor \
                     toward one target. The first taking of the step counts (events before \
                     rules, rules by priority then name) and the others are dropped. By default \
                     (false) actions stack: two rules, or a rule and an event, taking it toward \
                     the same target in one step both apply.",
                    false,
                ),
            ),
        ],
        &[],
    );
    named("[actions.NAME]: what actors can do.", action)
}

/// An effect: a change to one variable for some steps. An action's may land relative to the
/// actor and target (`relative`); a shock has neither, so it names where its effects land.
fn effect(relative: bool) -> Json {
    const WHERE: &str =
        "{ actor = \"POL\" } (or a list of ids), { relation = [\"POL\", \"BLR\"] } \
                         (or a list of pairs), { actor_kind = \"state\" }, { relation_kind = \
                         \"border\" }";
    let on = if relative {
        let description = format!(
            "Where the change lands (required): relation (actor→target), reverse \
             (target→actor), both, actor, target, out (every relation from the actor), in (every \
             relation to it); or named places, whoever acts: {WHERE}. The variable must be of \
             the places' sort (an actor variable for actors); a named relation must exist."
        );
        Json::Obj(vec![
            ("description", description.as_str().into()),
            (
                "anyOf",
                Json::Arr(vec![
                    choice(
                        "Where the change lands, seen from the actor and target.",
                        &[
                            ("relation", "The relation actor→target."),
                            ("reverse", "The relation target→actor."),
                            ("both", "Both relations between actor and target."),
                            ("actor", "The acting actor (an actor variable)."),
                            ("target", "The target (an actor variable)."),
                            ("out", "Every relation from the actor."),
                            ("in", "Every relation to the actor."),
                        ],
                    ),
                    on_table(&format!("Where the change lands, named: {WHERE}.")),
                ]),
            ),
        ])
    } else {
        on_table(&format!(
            "Where the change lands (required), named places only (a shock has no actor or \
             target for relation, target and the other words to mean anything): {WHERE}."
        ))
    };
    let spill = table(
        "The effect also lands, times factor, on every actor linked by a relation of this kind \
         (either direction; once per actor) to the side the effect lands on: the actor for \
         relation, reverse, both, actor, out and in; the target for target; for named places, \
         each named actor, or the from side of each named relation. The actor and the target \
         themselves (for named places: the places' own actors) never receive spill. A relation \
         effect that spills to actor m lands on m→target (or target→m) where that relation \
         exists; out and in land on m's own relations.",
        vec![
            (
                "kind",
                text("The relation kind the effect spills along (required)."),
            ),
            (
                "factor",
                number(
                    "What the amount is multiplied by where it spills, per hop (required): a \
                     number or a constant expression over parameters.",
                ),
            ),
            (
                "hops",
                whole(
                    "Spill follows this many hops of relations of the kind; hop h lands times \
                     factor^h (an actor first reached at hop h: its shortest path from the side \
                     the spill starts at). A hop may pass through the actor or the target, which \
                     still receive nothing. A whole number or a constant expression over \
                     parameters.",
                    1,
                )
                .with("default", 1),
            ),
        ],
        &["kind", "factor"],
    );
    table(
        "A change to one variable: set off at step t (by an action taken, or a shock), with \
         delay d and duration n it adds `add` in each of the steps t+d, ..., t+d+n-1. An effect \
         on a relation that does not exist does nothing.",
        vec![
            ("var", text("The variable changed (required).")),
            ("on", on),
            (
                "add",
                number(if relative {
                    "The amount added per step of the effect (required): a number or an \
                     expression, evaluated once per taking of the action, with self the actor."
                } else {
                    "The amount added per step of the effect (required): a number or an \
                     expression, evaluated on each place it lands on, as a dynamics line is (on \
                     relations self and target are the relation's ends and a bare relation \
                     variable its own value; on actors self is the actor)."
                }),
            ),
            (
                "delay",
                whole(
                    "Steps before the effect starts (default 0: it lands in the same step): a \
                     whole number or a constant expression over parameters.",
                    0,
                )
                .with("default", 0),
            ),
            (
                "duration",
                whole(
                    "Steps the effect keeps applying, at least 1: a whole number or a constant \
                     expression over parameters.",
                    1,
                )
                .with("default", 1),
            ),
            ("spill", spill),
        ],
        &["var", "on", "add"],
    )
}

/// An effect's `on` as a table: exactly one of four keys naming where the change lands.
fn on_table(description: &str) -> Json {
    let one_or_many = |what: &str, one: Json| {
        Json::Obj(vec![
            ("description", what.into()),
            ("anyOf", Json::Arr(vec![one.clone(), list("A list.", one)])),
        ])
    };
    table(
        &format!("{description} Exactly one key."),
        vec![
            (
                "actor",
                one_or_many(
                    "The named actor, or each of a list of actors (an actor variable).",
                    Json::Obj(vec![("type", "string".into())]),
                ),
            ),
            (
                "relation",
                one_or_many(
                    "The named relation [\"FROM\", \"TO\"], or each of a list of them (a \
                     relation variable).",
                    pair(),
                ),
            ),
            (
                "actor_kind",
                text("Every actor of this kind (an actor variable)."),
            ),
            (
                "relation_kind",
                text("Every relation of this kind (a relation variable)."),
            ),
        ],
        &[],
    )
    .with("minProperties", 1)
    .with("maxProperties", 1)
}

fn rules() -> Json {
    let rule = table(
        "A policy: who takes which action, toward whom, and when. When an actor's cap binds, \
         its actions are chosen by priority, then rule name, then target id.",
        vec![
            (
                "actor",
                text("The actor id that acts, or \"*\" for every actor. This or actor_kind is required."),
            ),
            ("actor_kind", text("Every actor of this kind acts (instead of actor).")),
            ("action", text("The action taken (required).")),
            ("target", text("The actor id the action is taken toward.")),
            (
                "target_relation",
                text(
                    "The action is taken along every relation of this kind out of the actor \
                     (\"*\": every relation out of it), instead of toward one target.",
                ),
            ),
            (
                "reacts_to",
                text(
                    "An action name: the rule answers whoever took that action toward the actor \
                     in the previous step, and the reaction is aimed at them, or at target when \
                     target names an actor.",
                ),
            ),
            (
                "when",
                condition(
                    "The condition under which the rule fires (default: always): an expression \
                     in quotes, e.g. \"tension(self, target) > 0.6\". It reads the state at the \
                     start of the step.",
                ),
            ),
            (
                "probability",
                number(
                    "The chance the rule fires when `when` holds: a number or an expression. A \
                     constant outside [0, 1] is an error; an expression's value below 0 never \
                     fires, above 1 always.",
                )
                .with("minimum", 0)
                .with("maximum", 1)
                .with("default", 1),
            ),
            (
                "cooldown",
                whole(
                    "After firing at step t, the rule does not fire again for the same actor (or \
                     relation) before step t + cooldown + 1.",
                    0,
                )
                .with("default", 0),
            ),
            (
                "priority",
                integer("Higher first when an actor's max_actions_per_step cap binds.")
                    .with("default", 0),
            ),
            ("enabled", flag("false switches the rule off, e.g. in a variant.", true)),
            ("description", text("Free text.")),
        ],
        &[],
    );
    named("[rules.NAME]: the actors' policies.", rule)
}

fn dynamics() -> Json {
    let line = table(
        "A change applied every step to every relation (or actor) carrying the variable, \
         computed from the state at the start of the step.",
        vec![
            ("var", text("The variable changed (required).")),
            (
                "add",
                number(
                    "The change per step (required), an expression, e.g. \"dt * (k * \
                     tension(target, self) - decay * tension)\".",
                ),
            ),
            (
                "kind",
                text("Only relations (or actors) of this kind change (default: all)."),
            ),
            (
                "actors",
                list(
                    "Only these actors change (for an actor variable; with kind too, those of the \
                     kind).",
                    Json::Obj(vec![("type", "string".into())]),
                ),
            ),
            (
                "relations",
                list(
                    "Only these relations change, each [\"FROM\", \"TO\"] (for a relation \
                     variable; with kind too, those of the kind).",
                    pair(),
                ),
            ),
            (
                "enabled",
                flag("false switches the dynamics line off.", true),
            ),
            ("description", text("Free text.")),
        ],
        &[],
    );
    named("[dynamics.NAME]: per-step changes.", line)
}

/// `at`: one step or a list, each a whole number or a constant expression over parameters.
fn steps_at(description: &str) -> Json {
    typed(strings(&["integer", "string", "array"]), description)
        .with("minimum", 1)
        .with(
            "items",
            typed(
                strings(&["integer", "string"]),
                "A step: a whole number or a constant expression over parameters.",
            )
            .with("minimum", 1),
        )
}

/// `rate`, `from` and `until`, shared by events and shocks.
fn timing(what: &str) -> Vec<(&'static str, Json)> {
    vec![
        (
            "at",
            steps_at(&format!(
                "Scheduled: the step, or list of steps, the {what} happens at (1 to steps); each \
                 a whole number or an expression over parameters, e.g. [\"surge_week\", \
                 \"surge_week + 20\"]. Exactly one of at and rate is required."
            )),
        ),
        (
            "rate",
            number(&format!(
                "Stochastic: the probability per step that the {what} happens, a number or an \
                 expression (a constant outside [0, 1] is an error)."
            ))
            .with("minimum", 0)
            .with("maximum", 1),
        ),
        (
            "from",
            whole(
                &format!("The first step a rate {what} can happen (default 1)."),
                1,
            ),
        ),
        (
            "until",
            whole(
                &format!("The last step a rate {what} can happen (default: the last step)."),
                1,
            ),
        ),
    ]
}

fn events() -> Json {
    let mut keys = vec![
        (
            "actor",
            text("The actor id that takes the action (required)."),
        ),
        ("action", text("The action taken (required).")),
        (
            "target",
            text("The actor id it is taken toward (required if the action needs one)."),
        ),
    ];
    keys.extend(timing("event"));
    keys.push(("enabled", flag("false switches the event off.", true)));
    keys.push(("description", text("Free text.")));
    let event = table(
        "An action taken at scheduled steps (at) or at random (rate), whatever the rules say. \
         Events do not count toward an actor's cap.",
        keys,
        &[],
    );
    named("[events.NAME]: scheduled or random actions.", event)
}

fn shocks() -> Json {
    let mut keys = vec![("description", text("Free text."))];
    keys.push(("enabled", flag("false switches the shock off.", true)));
    keys.extend(timing("shock"));
    keys.push((
        "effects",
        list(
            "What the shock changes: effects as an action's (delay, duration, spill), each \
             naming where it lands with an on table.",
            reference("shock_effect"),
        ),
    ));
    let shock = table(
        "An exogenous event no actor takes: at scheduled steps (at) or at random (rate) it \
         changes variables directly; its name appears in reports.",
        keys,
        &[],
    );
    named("[shocks.NAME]: events no actor takes.", shock)
}

fn outcomes() -> Json {
    let outcome = typed(
        strings(&["string", "object"]),
        "A condition checked on the state after every step and on the initial state, in quotes, \
         or { when = \"...\", description = \"...\" }. It may end in `for N steps`: held on N \
         consecutive steps, reached at the last of them.",
    )
    .with(
        "properties",
        Json::Obj(vec![
            ("when", condition("The condition (required).")),
            ("description", text("Free text for reports.")),
        ]),
    )
    .with("required", strings(&["when"]))
    .with("additionalProperties", false);
    named("[outcomes]: conditions watched after every step.", outcome)
}

fn report() -> Json {
    table(
        "[report]: which numbers reports follow over time. Without it: every relation variable \
         of every relation when there are at most 64 relations, else each relation variable's \
         mean over all relations.",
        vec![(
            "series",
            named(
                "The series, by name: each an expression evaluated after every step.",
                number("An expression evaluated after every step, e.g. \"mean(tension, all)\"."),
            ),
        )],
        &[],
    )
}

fn sweep() -> Json {
    let vary = table(
        "How one parameter varies: range or two or more values.",
        vec![
            (
                "range",
                list(
                    "[low, high], low below high.",
                    typed("number".into(), "An end."),
                )
                .with("minItems", 2)
                .with("maxItems", 2),
            ),
            (
                "values",
                list(
                    "The values, two or more.",
                    typed("number".into(), "A value."),
                )
                .with("minItems", 2),
            ),
            (
                "whole",
                flag("Whole numbers only (values are rounded).", false),
            ),
        ],
        &[],
    );
    let count = |text: &str| integer(text).with("minimum", 1);
    let seed = |text: &str| integer(text).with("minimum", 0);
    table(
        "[sweep]: what `detente sweep` runs when its command line does not say otherwise (each \
         flag overrides its key). A file that extends another inherits its [sweep] unless it \
         has its own.",
        vec![
            (
                "design",
                choice(
                    "The design.",
                    &[
                        ("grid", "Every combination of the factors' values."),
                        ("oat", "One factor at a time."),
                        ("lhs", "A Latin hypercube."),
                        ("sobol", "Saltelli's design for Sobol indices."),
                        ("morris", "Morris trajectories (elementary effects)."),
                    ],
                )
                .with("default", "grid"),
            ),
            (
                "points",
                count(
                    "lhs: points (default 20); sobol: base rows N, (k + 2) × N points (default \
                     256).",
                ),
            ),
            (
                "levels",
                count("grid: values per range (default 5); morris: grid levels, even (default 4)."),
            ),
            ("trajectories", count("morris: trajectories (default 10).")),
            (
                "runs",
                count("Runs per point, the same runs with the same seed at every point.")
                    .with("default", 100),
            ),
            ("seed", seed("The runs' seed (default: [scenario] seed).")),
            (
                "design_seed",
                seed("The design's own draws (default: the runs' seed)."),
            ),
            (
                "metrics",
                list(
                    "The outputs, as metric ids, e.g. \"outcome.border_reopened\", \
                     \"final.tension_ltu_blr\" (default: every outcome and final value).",
                    Json::Obj(vec![("type", "string".into())]),
                ),
            ),
            (
                "vary",
                named(
                    "The parameters varied, by name: each must be a parameter.",
                    vary,
                ),
            ),
        ],
        &[],
    )
}

fn expect() -> Json {
    let item = typed(
        strings(&["string", "object"]),
        "An expectation: a claim in quotes, e.g. \"P(normalization) >= 0.5\", \"never crisis\" \
         or \"tension(LTU, BLR) < 0.5 by step 20\", or { that = \"...\", description = \"...\", \
         enabled = false } (a variant may switch an inherited one off, or change it).",
    )
    .with(
        "properties",
        Json::Obj(vec![
            ("that", text("The claim.")),
            (
                "description",
                text("What it means, for people (shown when it fails)."),
            ),
            (
                "enabled",
                flag("`false` switches the expectation off.", true),
            ),
        ]),
    )
    .with("additionalProperties", false);
    named(
        "[expect]: claims about the scenario's results that `detente test` checks, by name, and \
         the runs they are checked on.",
        item,
    )
    .with(
        "properties",
        Json::Obj(vec![
            (
                "runs",
                integer("Runs the expectations are checked on (default 1000).").with("minimum", 1),
            ),
            (
                "seed",
                integer("The runs' seed (default: the scenario's `seed`).").with("minimum", 0),
            ),
        ]),
    )
}

fn add() -> Json {
    table(
        "[add]: in a file that extends another, the items it adds, in the same form as the \
         tables of the same name ([add.rules.NAME], [add.parameters], [[add.relations]], ...). \
         The file's other tables only change items the extended files have.",
        sections(false),
        &[],
    )
}
