//! Actions (`[actions]`): each effect's target, variable, amount, timing and spill-over.

use super::context::KindOf;
use super::names::Names;
use super::Compiler;
use crate::cameo;
use crate::diag::{quoted, Diagnostic, Loc};
use crate::expr::{self, Ctx, Domain, Goldstein, Namespace, Type};
use crate::model::{Action, Effect, On, Places, Spill};
use crate::rng;
use crate::spec::{ActionSpec, EffectSpec, Located, OnSpec, PlacesSpec};
use std::collections::BTreeSet;

impl Compiler<'_> {
    /// The relation kinds some effect spills over, in id order.
    pub(super) fn spill_kinds(&mut self, names: &Names) -> Vec<u16> {
        let mut kinds = BTreeSet::new();
        let actions = self.r.spec.actions.values().map(|a| &a.value.effects);
        let shocks = self.r.spec.shocks.values().map(|s| &s.value.effects);
        for effects in actions.chain(shocks) {
            for e in effects.iter().flatten() {
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
                    once_per_step: false,
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
                if let Some(effect) = self.effect(&eff.value, names, kin_kinds, sub, &what, false) {
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
                once_per_step: spec.once_per_step.unwrap_or(false),
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

    /// One effect of an action (or, with `shock`, of a shock: named places only, its amount
    /// read on each place). Every part is checked, also when another is wrong: an unknown
    /// variable does not hide an error in the amount.
    pub(super) fn effect(
        &mut self,
        e: &EffectSpec,
        names: &mut Names,
        kin_kinds: &[u16],
        ctx: Ctx,
        what: &str,
        shock: bool,
    ) -> Option<Effect> {
        let on = self.effect_on(e, names, what, shock);
        let var = on.and_then(|on| self.effect_var(e, names, on));
        let ctx = match on {
            // A shock's amount is read on each place it lands on, as dynamics are.
            Some(On::Places(p)) if shock => Ctx {
                domain: if self.places[p as usize].relation {
                    Domain::Relation
                } else {
                    Domain::Actor
                },
                allow_does: true,
                ..ctx
            },
            _ => ctx,
        };
        let amount = self.expr(&e.add, Type::Num, ctx, names, what);
        let delay = self.small_count(e.delay.as_ref(), 0, 0, "delay");
        let duration = self.small_count(e.duration.as_ref(), 1, 1, "duration");
        let spill = match &e.spill {
            None => Some(None),
            Some(s) => {
                let kind = self.lookup_kind(names, KindOf::Relation, &s.value.kind);
                let factor = self.constant(&s.value.factor, "`factor`");
                let hops = self.small_count(s.value.hops.as_ref(), 1, 1, "hops");
                match (kind, factor) {
                    (Some(k), Some(factor)) => kin_kinds
                        .iter()
                        .position(|&x| x == k)
                        .map(|kin| Some(Spill { kin, factor, hops })),
                    _ => None,
                }
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
    fn effect_on(&mut self, e: &EffectSpec, names: &Names, what: &str, shock: bool) -> Option<On> {
        const ON: [&str; 7] = [
            "relation", "reverse", "both", "actor", "target", "out", "in",
        ];
        let word = match &e.on.value {
            OnSpec::Places(p) => return self.places(p, &e.on.loc, names, what),
            OnSpec::Word(w) => w.as_str(),
        };
        if shock {
            self.error(
                Diagnostic::at(
                    e.on.loc.clone(),
                    format!("{what}: a shock has no actor, so `on = \"{}\"` has no meaning", quoted(word)),
                )
                .with_hint("name the places: on = { actor = \"ID\" }, { relation = [\"FROM\", \"TO\"] }, { actor_kind = \"KIND\" } or { relation_kind = \"KIND\" }"),
            );
            return None;
        }
        let on = match word {
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
                        "`on` must be relation, reverse, both, actor, target, out or in, or a table of named places; found \"{}\"",
                        quoted(other)
                    ),
                );
                self.error(d.suggest(other, ON));
                return None;
            }
        };
        Some(on)
    }

    /// Named places (`on = { actor = ... }` and the like), registered in `self.places`.
    fn places(&mut self, p: &PlacesSpec, loc: &Loc, names: &Names, what: &str) -> Option<On> {
        let given = [
            p.actor.is_some(),
            p.relation.is_some(),
            p.actor_kind.is_some(),
            p.relation_kind.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            self.error(
                Diagnostic::at(loc.clone(), format!("{what}: `on` names places with exactly one of `actor`, `relation`, `actor_kind`, `relation_kind`"))
                    .with_hint("e.g. on = { actor = [\"POL\", \"LTU\"] } or on = { relation_kind = \"neighbor\" }"),
            );
            return None;
        }
        let name = |n: &String| Located::new(n.clone(), loc.clone());
        let net = names.net;
        let (relation, mut items) = if let Some(actors) = &p.actor {
            let mut items = Vec::new();
            for a in actors.to_vec() {
                items.push(self.lookup_actor(names, &name(&a)));
            }
            (false, items.into_iter().collect::<Option<Vec<u32>>>()?)
        } else if let Some(pairs) = &p.relation {
            let mut items = Vec::new();
            for [a, b] in pairs.0.clone() {
                let (x, y) = (
                    self.lookup_actor(names, &name(&a)),
                    self.lookup_actor(names, &name(&b)),
                );
                let (Some(x), Some(y)) = (x, y) else {
                    items.push(None);
                    continue;
                };
                let e = names.edge(x, y);
                if e.is_none() {
                    self.error(
                        Diagnostic::at(
                            loc.clone(),
                            format!(
                                "{what}: there is no relation {} → {}",
                                quoted(&a),
                                quoted(&b)
                            ),
                        )
                        .with_hint(
                            "effects land on relations that exist: add it under [[relations]]",
                        ),
                    );
                }
                items.push(e);
            }
            (true, items.into_iter().collect::<Option<Vec<u32>>>()?)
        } else if let Some(k) = &p.actor_kind {
            let kind = self.lookup_kind(names, KindOf::Actor, &name(k))?;
            let n = net.graph.node_count() as u32;
            (
                false,
                (0..n).filter(|&a| net.graph[a].kind == kind).collect(),
            )
        } else {
            let k = p.relation_kind.as_ref().expect("one key given");
            let kind = self.lookup_kind(names, KindOf::Relation, &name(k))?;
            let n = net.adj.len() as u32;
            (
                true,
                (0..n)
                    .filter(|&e| net.edge_kind[e as usize] == kind)
                    .collect(),
            )
        };
        if items.is_empty() {
            self.error(
                Diagnostic::at(loc.clone(), format!("{what}: `on` names no place"))
                    .with_hint("name at least one actor or relation, or remove the effect"),
            );
            return None;
        }
        items.sort_unstable();
        items.dedup();
        let places = Places { relation, items };
        let index = match self.places.iter().position(|q| *q == places) {
            Some(i) => i,
            None => {
                self.places.push(places);
                self.places.len() - 1
            }
        };
        Some(On::Places(index as u32))
    }

    /// The variable an effect changes (of the kind its `on` needs), or an error; nothing is
    /// reported for a variable whose declaration could not be read.
    fn effect_var(&mut self, e: &EffectSpec, names: &Names, on: On) -> Option<u16> {
        let relation = match on {
            On::Actor | On::Target => false,
            On::Places(p) => self.places[p as usize].relation,
            _ => true,
        };
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
        let places = matches!(on, On::Places(_));
        let d = if others.contains_key(&e.var.value) {
            d.with_hint(match (relation, places) {
                (true, false) => "it is an actor variable: use on = \"actor\" or \"target\"",
                (false, false) => {
                    "it is a relation variable: use on = \"relation\", \"reverse\" or \"both\""
                }
                (true, true) => {
                    "it is an actor variable: name actors, on = { actor = [\"ID\"] } or { actor_kind = \"KIND\" }"
                }
                (false, true) => {
                    "it is a relation variable: name relations, on = { relation = [\"FROM\", \"TO\"] } or { relation_kind = \"KIND\" }"
                }
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
    !matches!(effect.on, On::Actor | On::Out | On::In | On::Places(_))
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
