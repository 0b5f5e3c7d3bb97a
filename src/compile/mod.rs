//! Compilation: a resolved scenario in, a validated [`Model`] (or every diagnostic found) out.
//!
//! The stages run in the order below, each in its own file; every stage records the problems it
//! finds and carries on, so one compile reports as many errors as it can.
//!
//! | stage | file | gives |
//! |---|---|---|
//! | parameters, settings | `settings.rs`, `constants.rs` | parameter values (derived ones in dependency order, `--set` applied), then steps, dt, seed, caps — numbers that may be constant expressions over parameters |
//! | variables | `variables.rs` | declared variables and their ranges; actors' initial values |
//! | network | `network.rs`, `relation_file.rs` | dense ids, the relation graph, initial columns |
//! | names | `names.rs` | what expressions may name, resolved to dense indices |
//! | actions | `actions.rs` | effects with their amounts compiled |
//! | rules, dynamics, events, shocks | `rules.rs`, `dynamics.rs`, `events.rs`, `shocks.rs` | lanes and compiled code |
//! | outcomes, series | `outcomes.rs` | what a report shows |
//! | sweep | `sweep.rs` | the `[sweep]` table, checked |
//! | warnings | `mod.rs`, `network.rs` | parameters nothing reads, unconnected actors nothing names, look-alike ids |
//! | assembly | `assemble.rs` | the [`Model`], with its derived indexes |
//!
//! `context.rs` holds what every stage shares: the diagnostics, source locations, and the
//! helpers that compile one expression or look up one name.

mod actions;
mod assemble;
mod constants;
mod context;
mod dynamics;
mod events;
mod expect;
mod names;
mod network;
mod outcomes;
mod relation_file;
mod rules;
mod settings;
mod shocks;
mod sweep;
mod variables;

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::Resolved;
use crate::model::Model;
pub use constants::constant_value;
use context::Compiler;
pub use settings::{MAX_DELAY, MAX_STEPS};

/// Values given on the command line: `--set name=value` and `--steps`.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Parameter values that replace the scenario's, by name.
    pub parameters: Vec<(String, f64)>,
    /// Steps of a run, instead of the scenario's `steps`.
    pub steps: Option<u32>,
}

/// Compiles a resolved scenario into a model.
///
/// # Errors
///
/// Every diagnostic found (errors, then warnings), with the scenario's files (relation files
/// included) to render them against. A model that compiles keeps its warnings
/// ([`Model::warnings`]).
///
/// Relation files are released as soon as they have been read into columns, so a large network
/// is not held as text and as columns at once; they are put back into the diagnostics' sources
/// when compilation fails, so the errors can quote them.
pub fn compile(resolved: Resolved, overrides: &Overrides) -> Result<Model, Diagnostics> {
    compile_as(resolved, overrides, false).map(|(model, _)| model)
}

/// Compiles a resolved scenario with its `[expect]` table: the model with what the claims watch
/// appended to its outcomes and series, and the compiled claims ([`crate::expect::compile`]).
pub(crate) fn compile_observing(
    resolved: Resolved,
    overrides: &Overrides,
) -> Result<(Model, crate::expect::Plan), Diagnostics> {
    compile_as(resolved, overrides, true)
}

/// [`compile`], with the expectations' watchers in the model when `observe`.
fn compile_as(
    mut resolved: Resolved,
    overrides: &Overrides,
    observe: bool,
) -> Result<(Model, crate::expect::Plan), Diagnostics> {
    let csv_texts = resolved
        .csv
        .iter()
        .map(|c| resolved.sources.take_text(c.file))
        .collect();
    let errors = std::mem::take(&mut resolved.errors);
    let mut c = Compiler::new(&resolved, errors, csv_texts);
    c.set.clone_from(&overrides.parameters);
    let model = c.model(overrides, observe);
    let (mut items, texts, warnings) = c.finish();
    // Kept whenever something failed, or a warning points into them, before they were released.
    let files: Vec<_> = resolved.csv.iter().map(|c| c.file).collect();
    for (file, text) in files.into_iter().zip(texts) {
        resolved.sources.put_text(file, text);
    }
    match model {
        Some((mut model, plan)) if items.is_empty() => {
            if !warnings.is_empty() {
                model.warnings = Diagnostics {
                    items: warnings,
                    sources: resolved.sources,
                };
            }
            Ok((model, plan))
        }
        _ => {
            if items.is_empty() {
                items.push(Diagnostic::bare("the scenario could not be compiled"));
            }
            items.extend(warnings);
            Err(Diagnostics {
                items,
                sources: resolved.sources,
            })
        }
    }
}

impl Compiler<'_> {
    /// The pipeline: every stage in order. With `observe`, what the expectations watch joins
    /// the outcomes and series.
    fn model(
        &mut self,
        overrides: &Overrides,
        observe: bool,
    ) -> Option<(Model, crate::expect::Plan)> {
        // Parameters first: settings may be written as expressions over them.
        let parameters = self.parameters(overrides);
        let settings = self.settings(overrides);
        let vars = self.variables();
        if self.too_many_actions() {
            return None;
        }
        let network = self.network(&vars, settings.default_cap)?;
        let actions = self.r.spec.actions.keys();
        let broken = &self.r.spec.broken;
        let mut names =
            names::Names::new(&network, (&parameters, settings.dt), vars, actions, broken);
        let kin_kinds = self.spill_kinds(&names);
        let actions = self.actions(&mut names, &kin_kinds);
        let rules = self.rules(&mut names, &actions, &network);
        let dynamics = self.dynamics(&mut names);
        let events = self.events(&mut names, &actions, &settings);
        let shocks = self.shocks(&mut names, &kin_kinds, &settings);
        let outcomes = self.outcomes(&mut names);
        let mut series = self.series(&mut names);
        let mark = names.aggregates_mark();
        // A step a claim names must be in the run it checks; a plain compile (its claims are
        // not run) checks them against the file's steps, as it checks events.
        let last_step = settings.steps_known.then_some(if observe {
            settings.steps
        } else {
            settings.file_steps
        });
        let mut plan = self.expectations(
            &mut names,
            &outcomes,
            series.len(),
            last_step,
            settings.seed,
        );
        let mut outcomes = outcomes;
        if observe {
            outcomes.append(&mut plan.outcomes);
            series.append(&mut plan.series);
        } else {
            names.forget_aggregates_since(mark);
            plan.outcomes.clear();
            plan.series.clear();
        }
        let sweep = self.sweep(&parameters);
        // After an error (a relation file not read, a misspelled name) these would be knock-ons.
        if self.errors.is_empty() {
            self.unread(&names);
        }
        let (vars, aggregates) = names.finish();
        let items = assemble::Items {
            parameters,
            vars,
            aggregates,
            kin_kinds,
            actions,
            rules,
            dynamics,
            events,
            shocks,
            places: std::mem::take(&mut self.places),
            outcomes,
            series,
        };
        let files = self
            .r
            .sources
            .files()
            .iter()
            .map(|f| f.name.clone())
            .collect();
        let mut model = assemble::model(settings, (self.r.content_hash, files), network, items);
        model.sweep = sweep;
        Some((model, plan))
    }
}

impl Compiler<'_> {
    /// Warns about parameters no expression reads (constant ones included) and actors with no relations that nothing
    /// names: both change nothing, and are usually a typo (a variant's misspelled override, an
    /// actor id written two ways).
    fn unread(&mut self, names: &names::Names) {
        for (name, p) in &self.r.spec.parameters {
            let read = names.param_used(name) || self.consts_read.contains(name);
            if !read && self.will_warn() {
                self.warn(
                    Diagnostic::at(
                        p.loc.clone(),
                        format!(
                            "parameter `{}` is never read: no expression names it",
                            escaped(name)
                        ),
                    )
                    .with_hint(
                        "use it in an expression, or remove it; `--set` on it changes nothing",
                    ),
                );
            }
        }
        let adj = &names.net.adj;
        let mut linked = vec![false; names.net.actor_ids.len()];
        for &a in adj.src.iter().chain(&adj.dst) {
            linked[a as usize] = true;
        }
        for (a, id) in names.net.actor_ids.iter().enumerate() {
            if linked[a] || names.actor_named(a as u32) || !self.will_warn() {
                continue;
            }
            let Some(table) = self.r.spec.actors.get(id) else {
                continue;
            };
            let d = Diagnostic::at(
                table.loc.clone(),
                format!(
                    "actor `{}` has no relations and nothing names it, so nothing can reach it",
                    escaped(id)
                ),
            );
            // An actor id written two ways: the one with relations is what was meant.
            let others = names.net.actor_ids.iter().zip(&linked);
            let d = d.suggest(id, others.filter(|(_, &l)| l).map(|(o, _)| o.as_str()));
            self.warn(if d.hint.is_none() {
                d.with_hint("give it a relation ([[relations]]), name it in a rule, or remove it")
            } else {
                d
            });
        }
    }

    /// Reports (and says whether) the scenario has more actions than action ids can number.
    fn too_many_actions(&mut self) -> bool {
        let Some((name, a)) = self.r.spec.actions.iter().nth(settings::MAX_ACTIONS) else {
            return false;
        };
        let n = self.r.spec.actions.len();
        self.error(Diagnostic::at(
            a.loc.clone(),
            format!(
                "too many actions: {n}, of which `{name}` is number {}; a scenario may have at most {}",
                settings::MAX_ACTIONS + 1,
                settings::MAX_ACTIONS
            ),
        ));
        true
    }
}

/// `s` with control characters escaped (`\u{1b}`), for messages: a name or id from a file may
/// hold anything, and must not drive the terminal that shows the error.
pub(crate) fn escaped(s: &str) -> std::borrow::Cow<'_, str> {
    crate::diag::escape_controls(s)
}

/// Whether `s` is a plain name: an ASCII letter or `_`, then ASCII letters, digits and `_`.
fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
