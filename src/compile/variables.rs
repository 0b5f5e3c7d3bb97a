//! Declared variables (`[variables]`) and the initial values written in actor and relation
//! tables.

use super::Compiler;
use crate::diag::{Diagnostic, Loc};
use crate::expr::lexicon;
use crate::model::Variable;
use crate::spec::{Entry, Located, RawTable};
use std::collections::BTreeMap;

/// Most variables of one kind (relation, actor): variable ids are 16 bits.
pub(crate) const MAX_VARIABLES: usize = u16::MAX as usize;

/// The declared variables, by kind, with each name's index.
pub(super) struct Variables {
    pub relation: Vec<Variable>,
    pub actor: Vec<Variable>,
    pub relation_idx: BTreeMap<String, u16>,
    pub actor_idx: BTreeMap<String, u16>,
}

/// One `[actors.ID]` table, read.
pub(super) struct ActorRow {
    pub kind: String,
    /// The display name (the id unless `name` is given).
    pub name: String,
    /// Its own `max_actions_per_step`, if given.
    pub cap: Option<u32>,
    /// Initial value of each actor variable.
    pub values: Vec<f64>,
}

impl Compiler<'_> {
    pub(super) fn variables(&mut self) -> Variables {
        let (mut rel, mut act) = (Vec::new(), Vec::new());
        for (name, v) in &self.r.spec.variables {
            let spec = &v.value;
            if lexicon::is_reserved(name) {
                self.error(
                    Diagnostic::at(
                        v.loc.clone(),
                        format!("`{name}` is a reserved word and cannot name a variable"),
                    )
                    .with_hint("`and`, `or`, `not`, `for`, `true`, `false`, `self`, `target`, `step`, `dt`, `goldstein`, `all` and `actors` are the expression language's own"),
                );
            } else if !super::valid_name(name) {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!("`{name}` cannot name a variable"),
                ));
            }
            if self.r.spec.parameters.contains_key(name) {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!("`{name}` is both a parameter and a variable"),
                ));
            }
            // Both may be constant expressions over parameters.
            let default = match &spec.default {
                Some(d) => self
                    .constant(d, &format!("the default of `{name}`"))
                    .unwrap_or(0.0),
                None => 0.0,
            };
            let ends: Option<Vec<f64>> = spec.range.as_ref().map(|r| {
                r.value
                    .iter()
                    .map(|end| {
                        let e = crate::spec::Located::new(end.clone(), r.loc.clone());
                        self.constant(&e, &format!("the range of `{name}`"))
                            .unwrap_or(f64::NAN)
                    })
                    .collect()
            });
            let range = match (&spec.range, ends) {
                (Some(r), Some(ends)) => match ends.as_slice() {
                    [lo, hi] if lo.is_finite() && hi.is_finite() && lo <= hi => {
                        if !(default >= *lo && default <= *hi) {
                            let loc = spec
                                .default
                                .as_ref()
                                .map_or(r.loc.clone(), |d| d.loc.clone());
                            self.error(Diagnostic::at(loc, format!("default {default} of `{name}` is outside its range [{lo}, {hi}]")));
                        }
                        Some((*lo, *hi))
                    }
                    // An end that is not a number has its error already.
                    ends if ends.iter().any(|x| x.is_nan()) => None,
                    _ => {
                        self.error(
                            Diagnostic::at(
                                r.loc.clone(),
                                "a range is `[min, max]` with finite min <= max",
                            )
                            .with_hint("e.g. range = [0, 1]"),
                        );
                        None
                    }
                },
                _ => None,
            };
            let var = Variable {
                name: name.clone(),
                default,
                range,
                description: spec.description.clone().unwrap_or_default(),
            };
            let list = match spec.of.value.as_str() {
                "relation" => Some(&mut rel),
                "actor" => Some(&mut act),
                other => {
                    let d = Diagnostic::at(
                        spec.of.loc.clone(),
                        format!("`of` must be \"relation\" or \"actor\", found \"{other}\""),
                    );
                    self.error(d.suggest(other, ["relation", "actor"]));
                    None
                }
            };
            let Some(list) = list else { continue };
            list.push(var);
            if list.len() == MAX_VARIABLES + 1 {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!(
                        "too many {} variables: `{name}` is number {}, and a scenario may have at most {MAX_VARIABLES} of a kind",
                        spec.of.value,
                        MAX_VARIABLES + 1
                    ),
                ));
            }
        }
        Variables {
            relation_idx: index_of(&rel),
            actor_idx: index_of(&act),
            relation: rel,
            actor: act,
        }
    }

    /// One `[actors.ID]` table.
    pub(super) fn actor_row(
        &mut self,
        id: &str,
        table: &Located<RawTable>,
        vars: &Variables,
    ) -> ActorRow {
        let mut values: Vec<f64> = vars.actor.iter().map(|v| v.default).collect();
        let (mut kind, mut name, mut cap) = ("actor".to_string(), id.to_string(), None);
        for (key, entry) in &table.value {
            let value = &entry.value;
            match key.as_str() {
                "name" => name = self.string(value, "name").unwrap_or(name),
                "kind" => kind = self.string(value, "kind").unwrap_or(kind),
                "description" => {
                    let _ = self.string(value, "description");
                }
                "max_actions_per_step" => match value.value.as_integer() {
                    Some(c) if c >= 1 => cap = Some(c.min(u32::MAX as i64) as u32),
                    _ => self.error(Diagnostic::at(
                        value.loc.clone(),
                        "`max_actions_per_step` must be a whole number, at least 1",
                    )),
                },
                var => self.initial_value(
                    var,
                    entry,
                    (&vars.actor_idx, &vars.actor, &mut values),
                    &["name", "kind", "description", "max_actions_per_step"],
                    (
                        &format!("actor `{id}`: unknown key or actor variable"),
                        "actor",
                    ),
                ),
            }
        }
        ActorRow {
            kind,
            name,
            cap,
            values,
        }
    }

    /// A key of an actor or relation table that is not one of `keys`: the initial value of a
    /// declared variable, or an error at the key with a hint (`what`: the message start and the
    /// `of`). A variable whose declaration could not be read is passed over: its error is
    /// reported already.
    pub(super) fn initial_value(
        &mut self,
        var: &str,
        entry: &Entry,
        (vars, specs, values): (&BTreeMap<String, u16>, &[Variable], &mut [f64]),
        keys: &[&str],
        (message, of): (&str, &str),
    ) {
        if let Some(&v) = vars.get(var) {
            if let Some(x) = self.number(&entry.value, var, specs[v as usize].range) {
                values[v as usize] = x;
            }
            return;
        }
        if self.r.spec.broken.variables.contains(var) {
            return;
        }
        let candidates = keys.iter().copied().chain(vars.keys().map(String::as_str));
        let d = Diagnostic::at(entry.key.clone(), format!("{message} `{var}`"));
        let d = match crate::spec::suggest_key(var, candidates) {
            Some(b) => d.with_hint(format!("did you mean `{b}`?")),
            None => d.with_hint(format!("declare it under [variables] with of = \"{of}\"")),
        };
        self.error(d);
    }

    fn number(
        &mut self,
        v: &Located<toml::Value>,
        var: &str,
        range: Option<(f64, f64)>,
    ) -> Option<f64> {
        let x = match &v.value {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            // A constant expression over parameters: `tension = "base_tension + 0.1"`.
            toml::Value::String(text) => {
                let e = crate::spec::Located::new(
                    crate::spec::ExprText::Text(text.clone()),
                    v.loc.clone(),
                );
                self.constant(&e, &format!("the initial value of `{var}`"))?
            }
            _ => {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!("the initial value of `{var}` must be a number, or an expression over parameters in quotes"),
                ));
                return None;
            }
        };
        self.check_value(x, var, range, v.loc.clone())
    }

    fn check_value(
        &mut self,
        x: f64,
        var: &str,
        range: Option<(f64, f64)>,
        loc: Loc,
    ) -> Option<f64> {
        if !x.is_finite() {
            self.error(Diagnostic::at(
                loc,
                format!("the initial value of `{var}` must be a finite number"),
            ));
            return None;
        }
        if let Some((lo, hi)) = range {
            if x < lo || x > hi {
                self.error(Diagnostic::at(
                    loc,
                    format!("initial value {x} of `{var}` is outside its range [{lo}, {hi}]"),
                ));
                return None;
            }
        }
        Some(x)
    }
}

fn index_of(vars: &[Variable]) -> BTreeMap<String, u16> {
    vars.iter()
        .enumerate()
        .map(|(i, v)| (v.name.clone(), i as u16))
        .collect()
}
