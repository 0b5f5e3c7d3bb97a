//! Actions (`[actions]`): each effect's target, variable, amount, timing and spill-over.

use super::context::KindOf;
use super::names::Names;
use super::Compiler;
use crate::cameo;
use crate::diag::Diagnostic;
use crate::expr::{self, Ctx, Domain, Type};
use crate::model::{Action, Effect, On};
use crate::rng;
use crate::spec::{ActionSpec, EffectSpec};
use std::collections::BTreeSet;

impl Compiler<'_> {
    /// The relation kinds some effect spills over, in id order.
    pub(super) fn spill_kinds(&mut self, names: &Names) -> Vec<u16> {
        let mut kinds = BTreeSet::new();
        for a in self.r.spec.actions.values() {
            for e in a.value.effects.iter().flatten() {
                if let Some(s) = &e.value.spill {
                    if let Some(k) = names.net.relation_kind_idx.get(&s.value.kind.value) {
                        kinds.insert(*k);
                    }
                }
            }
        }
        kinds.into_iter().collect()
    }

    pub(super) fn actions(&mut self, names: &mut Names, kin_kinds: &[u16]) -> Vec<Action> {
        let mut out = Vec::new();
        for (name, a) in &self.r.spec.actions {
            if !super::valid_name(name) {
                self.error(
                    Diagnostic::at(
                        a.loc.clone(),
                        format!("`{name}` is not a valid action name"),
                    )
                    .with_hint("letters, digits and `_`, starting with a letter"),
                );
            }
            let spec = &a.value;
            let cameo = self.cameo(spec);
            let site = rng::key_of(&format!("action:{name}"));
            let ctx = Ctx {
                domain: Domain::ActorTarget,
                allow_does: true,
                goldstein: cameo.as_ref().map(|c| c.1),
                site,
            };
            let mut effects = Vec::new();
            let mut needs_target = false;
            for (i, eff) in spec.effects.iter().flatten().enumerate() {
                let what = format!("effect {} of action `{name}`", i + 1);
                let sub = Ctx {
                    site: rng::mix(site ^ i as u64),
                    ..ctx
                };
                if let Some(effect) = self.effect(&eff.value, names, kin_kinds, sub, &what) {
                    needs_target |= effect_needs_target(&effect);
                    effects.push(effect);
                }
            }
            out.push(Action {
                name: name.clone(),
                description: spec.description.clone().unwrap_or_default(),
                cameo,
                effects,
                needs_target,
            });
        }
        out
    }

    /// The CAMEO code of an action and its Goldstein weight.
    fn cameo(&mut self, spec: &ActionSpec) -> Option<(String, f64)> {
        match &spec.cameo {
            None => None,
            Some(code) => match cameo::goldstein(&code.value) {
                Some(g) => Some((code.value.clone(), g)),
                None => {
                    let d = Diagnostic::at(
                        code.loc.clone(),
                        format!("`{}` is not a CAMEO event code", code.value),
                    );
                    let d = d.suggest(&code.value, cameo::codes());
                    self.error(if d.hint.is_none() {
                        d.with_hint("codes are digits, e.g. \"036\" (express intent to meet)")
                    } else {
                        d
                    });
                    None
                }
            },
        }
    }

    /// One effect of an action.
    fn effect(
        &mut self,
        e: &EffectSpec,
        names: &mut Names,
        kin_kinds: &[u16],
        ctx: Ctx,
        what: &str,
    ) -> Option<Effect> {
        let on = match e.on.value.as_str() {
            "relation" => On::Relation,
            "reverse" => On::Reverse,
            "both" => On::Both,
            "actor" => On::Actor,
            "target" => On::Target,
            "out" => On::Out,
            "in" => On::In,
            other => {
                let d = Diagnostic::at(e.on.loc.clone(), format!("`on` must be relation, reverse, both, actor, target, out or in; found \"{other}\""));
                self.error(d.suggest(
                    other,
                    [
                        "relation", "reverse", "both", "actor", "target", "out", "in",
                    ],
                ));
                return None;
            }
        };
        let relation = !matches!(on, On::Actor | On::Target);
        let var = if relation {
            names.vars.relation_idx.get(&e.var.value)
        } else {
            names.vars.actor_idx.get(&e.var.value)
        };
        let Some(&var) = var else {
            let (what, other) = if relation {
                (
                    "a relation variable",
                    names.vars.actor_idx.contains_key(&e.var.value),
                )
            } else {
                (
                    "an actor variable",
                    names.vars.relation_idx.contains_key(&e.var.value),
                )
            };
            let d = Diagnostic::at(
                e.var.loc.clone(),
                format!("`{}` is not {what}", e.var.value),
            );
            let d = if other {
                d.with_hint(if relation {
                    "it is an actor variable: use on = \"actor\" or \"target\""
                } else {
                    "it is a relation variable: use on = \"relation\", \"reverse\" or \"both\""
                })
            } else {
                let known: Vec<&String> = if relation {
                    names.vars.relation_idx.keys().collect()
                } else {
                    names.vars.actor_idx.keys().collect()
                };
                d.suggest(&e.var.value, known.into_iter().map(String::as_str))
            };
            self.error(d);
            return None;
        };
        let amount = self.expr(&e.add, Type::Num, ctx, names, what)?;
        let delay = self.small_count(e.delay.as_ref(), 0, 0, "delay");
        let duration = self.small_count(e.duration.as_ref(), 1, 1, "duration");
        let spill = match &e.spill {
            None => None,
            Some(s) => {
                let kind = self.lookup_kind(names, KindOf::Relation, &s.value.kind);
                if kind.is_some() && !s.value.factor.value.is_finite() {
                    self.error(Diagnostic::at(
                        s.value.factor.loc.clone(),
                        "`factor` must be a finite number",
                    ));
                }
                kind.and_then(|k| kin_kinds.iter().position(|&x| x == k))
                    .map(|i| (i, s.value.factor.value))
            }
        };
        Some(Effect {
            var,
            on,
            amount,
            delay,
            duration,
            spill,
        })
    }
}

/// Whether an effect needs the action to have a target: it lands on a relation or the target,
/// or its amount reads the target.
fn effect_needs_target(effect: &Effect) -> bool {
    use expr::{Op, Who};
    !matches!(effect.on, On::Actor | On::Out | On::In)
        || effect.amount.uses(|op| {
            matches!(
                op,
                Op::RelOwn(_)
                    | Op::RelRev(_)
                    | Op::RelPair(_, Who::Target, _)
                    | Op::RelPair(_, _, Who::Target)
                    | Op::ActorVar(_, Who::Target)
                    | Op::AggActor(_, Who::Target)
                    | Op::DidPair(Who::Target, _, _, _)
                    | Op::DidPair(_, Who::Target, _, _)
                    | Op::DidAny(Who::Target, _, _)
                    | Op::Since(Who::Target, _)
                    | Op::Times(Who::Target, _)
                    | Op::Exists(..)
            )
        })
}
