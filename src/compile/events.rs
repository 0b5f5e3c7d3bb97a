//! Events (`[events]`): actions taken at scheduled steps, or at a rate per step.

use super::names::Names;
use super::Compiler;
use crate::diag::Diagnostic;
use crate::expr::{Ctx, Domain, Namespace, Type};
use crate::ids::ActorId;
use crate::model::{Action, Event, When};
use crate::rng;

impl Compiler<'_> {
    /// Every enabled event, in name order.
    pub(super) fn events(
        &mut self,
        names: &mut Names,
        actions: &[Action],
        steps: u32,
    ) -> Vec<Event> {
        let mut out = Vec::new();
        let n_edges = names.net.adj.len() as u32;
        let file_steps = self
            .r
            .spec
            .scenario
            .steps
            .as_ref()
            .map_or(0, |s| s.value)
            .max(i64::from(steps));
        for (name, ev) in &self.r.spec.events {
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
            let (Some(actor), Some(action), Some(target)) = (actor, action, target) else {
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
            let when = match (&spec.at, &spec.rate) {
                (Some(at), None) => {
                    let mut v = Vec::new();
                    for s in at.value.to_vec() {
                        if s < 1 || s > file_steps {
                            self.error(Diagnostic::at(
                                at.loc.clone(),
                                format!("{what}: step {s} is outside the run (1 to {file_steps})"),
                            ));
                        } else if s <= i64::from(steps) {
                            // A shorter run asked for on the command line simply ends first.
                            v.push(s as u32);
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
                        goldstein: None,
                        site: rng::key_of(&format!("event-rate:{name}")),
                    };
                    let Some(code) =
                        self.expr(rate, Type::Num, ctx, names, &format!("{what}, `rate`"))
                    else {
                        continue;
                    };
                    if let Some(v) = code.constant() {
                        if !(0.0..=1.0).contains(&v) {
                            self.error(Diagnostic::at(rate.loc.clone(), format!("{what}: rate {v} is outside [0, 1] (it is a probability per step)")));
                        }
                    }
                    let from = spec.from.as_ref().map_or(1, |f| f.value.max(1)) as u32;
                    let until = spec
                        .until
                        .as_ref()
                        .map_or(i64::from(steps), |u| u.value.min(i64::from(steps)))
                        .max(0) as u32;
                    When::Rate {
                        rate: code,
                        from,
                        until,
                    }
                }
                _ => {
                    self.error(Diagnostic::at(ev.loc.clone(), format!("{what} needs exactly one of `at` (scheduled steps) or `rate` (probability per step)")));
                    continue;
                }
            };
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
}
