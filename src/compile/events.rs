//! Events (`[events]`): actions taken at scheduled steps, or at a rate per step.

use super::names::Names;
use super::settings::Settings;
use super::Compiler;
use crate::diag::Diagnostic;
use crate::expr::{Ctx, Domain, Goldstein, Namespace, Type};
use crate::ids::ActorId;
use crate::model::{Action, Event, When};
use crate::rng;
use crate::spec::{EventSpec, ExprText, Located};

impl Compiler<'_> {
    /// Every enabled event, in name order.
    pub(super) fn events(
        &mut self,
        names: &mut Names,
        actions: &[Action],
        settings: &Settings,
    ) -> Vec<Event> {
        let mut out = Vec::new();
        let n_edges = names.net.adj.len() as u32;
        let steps = settings.steps;
        // Without a known `steps` (its error is reported), no step is outside the run.
        let file_steps = if settings.steps_known {
            i64::from(settings.file_steps)
        } else {
            i64::MAX
        };
        for (name, ev) in &self.r.spec.events {
            self.check_name(name, &ev.loc, "event");
            let spec = &ev.value;
            if spec.enabled == Some(false) {
                continue;
            }
            let what = format!("event `{name}`");
            let (Some(actor), Some(action_name)) = (&spec.actor, &spec.action) else {
                self.error(Diagnostic::at(
                    ev.loc.clone(),
                    format!("{what} needs `actor` and `action`"),
                ));
                continue;
            };
            let actor = self.lookup_actor(names, actor);
            let action = self.lookup_action(names, action_name);
            let target = match &spec.target {
                Some(t) => self.lookup_actor(names, t).map(Some),
                None => Some(None),
            };
            // When it happens is checked whatever the actors and the action are.
            let site = rng::key_of(&format!("event-rate:{name}"));
            let when = self.event_when(site, ev, &what, names, (file_steps, steps));
            let (Some(actor), Some(action), Some(target), Some(when)) =
                (actor, action, target, when)
            else {
                continue;
            };
            if target.is_none() && actions[action as usize].needs_target {
                self.error(
                    Diagnostic::at(
                        action_name.loc.clone(),
                        format!("{what}: action `{}` needs a target", action_name.value),
                    )
                    .with_hint("add target = \"ID\""),
                );
                continue;
            }
            if target == Some(actor) {
                self.error(Diagnostic::at(
                    ev.loc.clone(),
                    format!("{what}: an actor cannot target itself"),
                ));
                continue;
            }
            let target_idx = target.unwrap_or(ActorId::NONE.0);
            let edge = target.and_then(|t| names.edge(actor, t)).unwrap_or(n_edges);
            out.push(Event {
                name: name.clone(),
                key: rng::key_of(&format!("event:{name}")),
                actor,
                action,
                target: target_idx,
                edge,
                when,
            });
        }
        out
    }

    /// When an event happens: its scheduled steps, or its rate and window.
    pub(super) fn event_when(
        &mut self,
        site: u64,
        ev: &Located<EventSpec>,
        what: &str,
        names: &mut Names,
        (file_steps, steps): (i64, u32),
    ) -> Option<When> {
        let spec = &ev.value;
        let when = match (&spec.at, &spec.rate) {
            (Some(at), None) => {
                for (key, v) in [("from", &spec.from), ("until", &spec.until)] {
                    if let Some(v) = v {
                        self.error(
                            Diagnostic::at(
                                v.loc.clone(),
                                format!(
                                    "{what}: `{key}` bounds a `rate`; with `at` it has no meaning"
                                ),
                            )
                            .with_hint(
                                "list the steps in `at`, or use `rate` with `from` and `until`",
                            ),
                        );
                    }
                }
                let listed = at.value.exprs(&at.loc);
                if listed.is_empty() {
                    self.error(
                        Diagnostic::at(at.loc.clone(), format!("{what}: `at` lists no step"))
                            .with_hint(
                            "give the steps it happens at, e.g. at = [10, 30], or remove the event",
                        ),
                    );
                    return None;
                }
                let mut v = Vec::new();
                for e in &listed {
                    let Some(x) = self.constant(e, &format!("{what}, `at`")) else {
                        continue;
                    };
                    let shown = if matches!(e.value, ExprText::Text(_)) {
                        format!(" (the expression gives {x})")
                    } else {
                        String::new()
                    };
                    if x.fract() != 0.0 {
                        self.error(Diagnostic::at(
                            e.loc.clone(),
                            format!("{what}: a step is a whole number, found {x}{shown}"),
                        ));
                    } else if x < 1.0 || x > file_steps as f64 {
                        self.error(Diagnostic::at(
                            e.loc.clone(),
                            format!(
                                "{what}: step {x} is outside the run ({}){shown}",
                                steps_text(file_steps)
                            ),
                        ));
                    } else if x <= f64::from(steps) {
                        // A shorter run asked for on the command line simply ends first.
                        v.push(x as u32);
                    }
                }
                v.sort_unstable();
                v.dedup();
                When::At(v)
            }
            (None, Some(rate)) => {
                let ctx = Ctx {
                    domain: Domain::Global,
                    allow_does: false,
                    goldstein: Goldstein::Absent,
                    site,
                };
                let code = self.expr(rate, Type::Num, ctx, names, &format!("{what}, `rate`"))?;
                if let Some(v) = code.constant() {
                    if !(0.0..=1.0).contains(&v) {
                        self.error(Diagnostic::at(rate.loc.clone(), format!("{what}: rate {v} is outside [0, 1] (it is a probability per step){}", self.set_note(&rate.value.source().0))));
                    }
                }
                let (from, until) = self.rate_window(spec, what, file_steps, steps)?;
                When::Rate {
                    rate: code,
                    from,
                    until,
                }
            }
            _ => {
                self.error(Diagnostic::at(ev.loc.clone(), format!("{what} needs exactly one of `at` (scheduled steps) or `rate` (probability per step)")));
                return None;
            }
        };
        Some(when)
    }

    /// The steps a `rate` event may happen in: `from` and `until`, each from 1 to the
    /// scenario's steps and in order, checked before any narrowing; a shorter run asked for on
    /// the command line ends the window early.
    fn rate_window(
        &mut self,
        spec: &EventSpec,
        what: &str,
        file_steps: i64,
        steps: u32,
    ) -> Option<(u32, u32)> {
        // Each may be a constant expression over parameters.
        let mut bound = |v: &Option<crate::spec::Expr>, key: &str, default: i64| match v {
            None => Some(default),
            Some(x) => {
                let value = self.constant(x, &format!("{what}: `{key}`"))?;
                if value.fract() == 0.0 && value >= 1.0 && value <= file_steps as f64 {
                    return Some(value as i64);
                }
                self.error(Diagnostic::at(
                    x.loc.clone(),
                    format!(
                        "{what}: `{key}` must be a step from {}, found {value}",
                        steps_text(file_steps),
                    ),
                ));
                None
            }
        };
        let from = bound(&spec.from, "from", 1);
        let until = bound(&spec.until, "until", file_steps);
        let (from, until) = (from?, until?);
        if from > until {
            let loc = spec.until.as_ref().map_or_else(
                || {
                    spec.from
                        .as_ref()
                        .map(|f| f.loc.clone())
                        .unwrap_or_default()
                },
                |u| u.loc.clone(),
            );
            self.error(Diagnostic::at(
                loc,
                format!("{what}: `until` ({until}) comes before `from` ({from})"),
            ));
            return None;
        }
        let until = until.min(i64::from(steps));
        Some((from as u32, until as u32))
    }
}

/// The steps of a run, as errors name them: "1 to 52", or "1 onwards" when `steps` is not known.
fn steps_text(last: i64) -> String {
    if last == i64::MAX {
        "1 onwards".into()
    } else {
        format!("1 to {last}")
    }
}
