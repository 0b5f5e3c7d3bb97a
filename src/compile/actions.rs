//! Actions (`[actions]`): each effect's target, variable, amount, timing and spill-over.

use super::context::KindOf;
use super::names::Names;
use super::Compiler;
use crate::cameo;
use crate::diag::{quoted, Diagnostic};
use crate::expr::{self, Ctx, Domain, Goldstein, Type};
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
            if self.r.spec.broken.actions.contains(name) {
                // Its table could not be read (and that is reported): an action without
                // effects, so that the rules and events taking it are still checked.
                out.push(Action {
                    name: name.clone(),
                    description: String::new(),
                    cameo: None,
                    effects: Vec::new(),
                    needs_target: false,
                });
                continue;
            }
            let (cameo, goldstein) = self.cameo(spec);
            let site = rng::key_of(&format!("action:{name}"));
            let ctx = Ctx {
                domain: Domain::ActorTarget,
                allow_does: true,
                goldstein,
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

    /// The CAMEO code of an action with its Goldstein weight, and what `goldstein` is in its
    /// effects (taken as known when the code is not in the table, so that its one error is not
    /// followed by one per effect).
    fn cameo(&mut self, spec: &ActionSpec) -> (Option<(String, f64)>, Goldstein) {
        let Some(code) = &spec.cameo else {
            return (None, Goldstein::Absent);
        };
        if let Some(g) = cameo::goldstein(&code.value) {
            return (Some((code.value.clone(), g)), Goldstein::Weight(g));
        }
        let d = Diagnostic::at(
            code.loc.clone(),
            format!("`{}` is not a CAMEO event code", quoted(&code.value)),
        );
        self.error(d.with_hint(cameo_hint(&code.value)));
        (None, Goldstein::Unknown)
    }

    /// One effect of an action. Every part is checked, also when another is wrong: an unknown
    /// variable does not hide an error in the amount.
    fn effect(
        &mut self,
        e: &EffectSpec,
        names: &mut Names,
        kin_kinds: &[u16],
        ctx: Ctx,
        what: &str,
    ) -> Option<Effect> {
        let on = self.effect_on(e);
        let var = on.and_then(|on| self.effect_var(e, names, on));
        let amount = self.expr(&e.add, Type::Num, ctx, names, what);
        let delay = self.small_count(e.delay.as_ref(), 0, 0, "delay");
        let duration = self.small_count(e.duration.as_ref(), 1, 1, "duration");
        let spill = match &e.spill {
            None => Some(None),
            Some(s) => {
                let kind = self.lookup_kind(names, KindOf::Relation, &s.value.kind);
                if !s.value.factor.value.is_finite() {
                    self.error(Diagnostic::at(
                        s.value.factor.loc.clone(),
                        "`factor` must be a finite number",
                    ));
                }
                kind.map(|k| {
                    kin_kinds
                        .iter()
                        .position(|&x| x == k)
                        .map(|i| (i, s.value.factor.value))
                })
            }
        };
        Some(Effect {
            var: var?,
            on: on?,
            amount: amount?,
            delay,
            duration,
            spill: spill?,
        })
    }

    /// Where an effect lands, or an error.
    fn effect_on(&mut self, e: &EffectSpec) -> Option<On> {
        const ON: [&str; 7] = [
            "relation", "reverse", "both", "actor", "target", "out", "in",
        ];
        let on = match e.on.value.as_str() {
            "relation" => On::Relation,
            "reverse" => On::Reverse,
            "both" => On::Both,
            "actor" => On::Actor,
            "target" => On::Target,
            "out" => On::Out,
            "in" => On::In,
            other => {
                let d = Diagnostic::at(
                    e.on.loc.clone(),
                    format!(
                        "`on` must be relation, reverse, both, actor, target, out or in; found \"{}\"",
                        quoted(other)
                    ),
                );
                self.error(d.suggest(other, ON));
                return None;
            }
        };
        Some(on)
    }

    /// The variable an effect changes (of the kind its `on` needs), or an error; nothing is
    /// reported for a variable whose declaration could not be read.
    fn effect_var(&mut self, e: &EffectSpec, names: &Names, on: On) -> Option<u16> {
        let relation = !matches!(on, On::Actor | On::Target);
        let (vars, others) = if relation {
            (&names.vars.relation_idx, &names.vars.actor_idx)
        } else {
            (&names.vars.actor_idx, &names.vars.relation_idx)
        };
        if let Some(&var) = vars.get(&e.var.value) {
            return Some(var);
        }
        if self.r.spec.broken.variables.contains(&e.var.value) {
            return None;
        }
        let what = if relation {
            "a relation variable"
        } else {
            "an actor variable"
        };
        let d = Diagnostic::at(
            e.var.loc.clone(),
            format!("`{}` is not {what}", quoted(&e.var.value)),
        );
        let d = if others.contains_key(&e.var.value) {
            d.with_hint(if relation {
                "it is an actor variable: use on = \"actor\" or \"target\""
            } else {
                "it is a relation variable: use on = \"relation\", \"reverse\" or \"both\""
            })
        } else {
            d.suggest(&e.var.value, vars.keys().map(String::as_str))
        };
        self.error(d);
        None
    }
}

/// What an unknown CAMEO code most likely meant, by meaning: the same code with the leading
/// zero put back (`41` for `041`), or the nearest code above it and the codes under that one.
fn cameo_hint(code: &str) -> String {
    let described = |c: &str| match cameo::description(c) {
        Some(d) => format!("`{c}` ({d})"),
        None => format!("`{c}`"),
    };
    let zero = format!("0{code}");
    if cameo::goldstein(&zero).is_some() {
        return format!("did you mean {}?", described(&zero));
    }
    const LISTED: usize = 5;
    match cameo::related(code).split_first() {
        None => "codes are digits, e.g. \"036\" (express intent to meet or negotiate)".into(),
        Some((parent, [])) => format!("did you mean {}, the code above it?", described(parent)),
        Some((parent, under)) => {
            let mut list: Vec<String> = under.iter().take(LISTED).map(|c| described(c)).collect();
            if under.len() > LISTED {
                list.push(format!("and {} more", under.len() - LISTED));
            }
            format!(
                "did you mean {}, the code above it, or one under it: {}?",
                described(parent),
                list.join(", ")
            )
        }
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
                    | Op::Within(Who::Target, _, _)
                    | Op::PairSince(Who::Target, _, _)
                    | Op::PairSince(_, Who::Target, _)
                    | Op::PairTimes(Who::Target, _, _)
                    | Op::PairTimes(_, Who::Target, _)
                    | Op::PairWithin(Who::Target, _, _, _)
                    | Op::PairWithin(_, Who::Target, _, _)
                    | Op::Exists(..)
            )
        })
}
