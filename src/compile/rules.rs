//! Rules (`[rules]`): who acts, toward whom (the rule's lanes), when and how likely.

use super::context::KindOf;
use super::names::Names;
use super::network::Network;
use super::Compiler;
use crate::diag::Diagnostic;
use crate::expr::{Code, Ctx, Domain, Goldstein, Namespace, Type};
use crate::ids::ActorId;
use crate::model::{Action, Lanes, Rule};
use crate::rng;
use crate::spec::{Located, Name, RuleSpec};

impl Compiler<'_> {
    /// Every enabled rule, sorted by priority (highest first), then name.
    pub(super) fn rules(
        &mut self,
        names: &mut Names,
        actions: &[Action],
        net: &Network,
    ) -> Vec<Rule> {
        let mut out = Vec::new();
        for (name, r) in &self.r.spec.rules {
            self.check_name(name, &r.loc, "rule");
            let spec = &r.value;
            if spec.enabled == Some(false) {
                continue;
            }
            let what = format!("rule `{name}`");
            let action = match &spec.action {
                Some(a) => self.lookup_action(names, a).map(|i| (i, a)),
                None => {
                    self.error(
                        Diagnostic::at(r.loc.clone(), format!("{what} has no `action`"))
                            .with_hint("add action = \"NAME\""),
                    );
                    None
                }
            };
            let actors = self.rule_actors(names, r, &what, net);
            // Toward whom.
            // `reacts_to` may be aimed elsewhere with `target`; otherwise one way at most.
            let given = [
                spec.target.is_some() && spec.reacts_to.is_none(),
                spec.target_relation.is_some(),
                spec.reacts_to.is_some(),
            ];
            if given.iter().filter(|g| **g).count() > 1 {
                self.error(Diagnostic::at(
                    r.loc.clone(),
                    format!("{what}: give at most one of `target`, `target_relation`, `reacts_to` (`reacts_to` may add a `target`: a reaction aimed at that actor)"),
                ));
                continue;
            }
            // What `self` and `target` mean follows from the keys given, so the expressions are
            // checked even when an actor, the action or the target is unknown.
            let domain = if spec.target_relation.is_some() {
                Domain::Relation
            } else if spec.target.is_some() || spec.reacts_to.is_some() {
                Domain::ActorTarget
            } else {
                Domain::Actor
            };
            let lanes = match self.rule_lanes(names, r, &what, actors, action, actions) {
                Toward::Lanes(lanes) => Some(lanes),
                Toward::Unknown => None,
                // Without a target, what the expressions say of it would only be knock-on errors.
                Toward::NeedsTarget => continue,
            };
            let site = rng::key_of(&format!("rule:{name}"));
            let ctx = Ctx {
                domain,
                allow_does: false,
                goldstein: Goldstein::Absent,
                site,
            };
            let when = match &spec.when {
                Some(w) => self.expr(w, Type::Bool, ctx, names, &format!("{what}, `when`")),
                None => Some(Code::constant_code(1.0, Type::Bool)),
            };
            let probability = match &spec.probability {
                Some(p) => {
                    let c = self.expr(
                        p,
                        Type::Num,
                        Ctx {
                            site: rng::mix(site),
                            ..ctx
                        },
                        names,
                        &format!("{what}, `probability`"),
                    );
                    if let Some(v) = c.as_ref().and_then(Code::constant) {
                        if !(0.0..=1.0).contains(&v) {
                            let from_set = self.set_note(&p.value.source().0);
                            self.error(Diagnostic::at(
                                p.loc.clone(),
                                format!("{what}: probability {v} is outside [0, 1]{from_set}"),
                            ));
                        }
                    }
                    c
                }
                None => Some(Code::constant_code(1.0, Type::Num)),
            };
            let cooldown = self.small_count(spec.cooldown.as_ref(), 0, 0, "cooldown");
            let priority = spec.priority.as_ref().map_or(0, |p| p.value);
            if let (Some(lanes), Some((action, _)), Some(when), Some(probability)) =
                (lanes, action, when, probability)
            {
                out.push(Rule {
                    name: name.clone(),
                    key: site,
                    action,
                    lanes,
                    when,
                    probability,
                    cooldown,
                    priority,
                });
            }
        }
        out.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
        out
    }

    /// The actors a rule lets act.
    fn rule_actors(
        &mut self,
        names: &Names,
        r: &Located<RuleSpec>,
        what: &str,
        net: &Network,
    ) -> Option<Vec<u32>> {
        let spec = &r.value;
        let n_actors = net.graph.node_count() as u32;
        match (&spec.actor, &spec.actor_kind) {
            (Some(_), Some(k)) => {
                self.error(Diagnostic::at(
                    k.loc.clone(),
                    format!("{what}: give `actor` or `actor_kind`, not both"),
                ));
                None
            }
            (Some(a), None) if a.value == "*" => Some((0..n_actors).collect()),
            (Some(a), None) => self.lookup_actor(names, a).map(|i| vec![i]),
            (None, Some(k)) => {
                let kind = self.lookup_kind(names, KindOf::Actor, k)?;
                Some(
                    (0..n_actors)
                        .filter(|&a| net.graph[a].kind == kind)
                        .collect(),
                )
            }
            (None, None) => {
                self.error(
                    Diagnostic::at(r.loc.clone(), format!("{what} does not say who acts"))
                        .with_hint("add actor = \"ID\" (or \"*\"), or actor_kind = \"KIND\""),
                );
                None
            }
        }
    }

    /// A rule's lanes (who acts toward whom). The target is looked up even when the actors or
    /// the action are unknown, so that its own error is found too.
    fn rule_lanes(
        &mut self,
        names: &Names,
        r: &Located<RuleSpec>,
        what: &str,
        actors: Option<Vec<u32>>,
        action: Option<(u16, &Name)>,
        actions: &[Action],
    ) -> Toward {
        let spec = &r.value;
        let net = names.net;
        let n_actors = net.graph.node_count();
        let n_edges = net.adj.len() as u32;
        if let Some(re) = &spec.reacts_to {
            let trigger = self.lookup_action(names, re);
            // Aimed elsewhere: at a named actor, rather than back at whoever acted.
            let aim = match &spec.target {
                Some(t) => match self.lookup_actor(names, t) {
                    Some(t) => Some(t),
                    None => return Toward::Unknown,
                },
                None => None,
            };
            let (Some(trigger), Some(actors)) = (trigger, actors) else {
                return Toward::Unknown;
            };
            if aim.is_some() && actors.iter().all(|&a| Some(a) == aim) {
                self.error(
                    Diagnostic::at(
                        r.loc.clone(),
                        format!("{what}: the reaction is aimed at the actor that reacts, so it can never be taken"),
                    )
                    .with_hint("aim it at another actor with `target`, or leave `target` out to answer whoever acted"),
                );
                return Toward::Unknown;
            }
            let mut mask = vec![false; n_actors];
            for &a in &actors {
                // An actor never aims a reaction at itself.
                mask[a as usize] = aim != Some(a);
            }
            return Toward::Lanes(Lanes::Reactions {
                actors: mask,
                action: trigger,
                aim,
            });
        }
        if let Some(t) = &spec.target {
            let (Some(t), Some(actors)) = (self.lookup_actor(names, t), actors) else {
                return Toward::Unknown;
            };
            let actors: Vec<u32> = actors.into_iter().filter(|&a| a != t).collect();
            let edges = actors
                .iter()
                .map(|&a| names.edge(a, t).unwrap_or(n_edges))
                .collect();
            return Toward::Lanes(Lanes::Actors {
                actors,
                target: t,
                edges,
            });
        }
        if let Some(k) = &spec.target_relation {
            let kind = match k.value.as_str() {
                "*" => Some(None),
                _ => self.lookup_kind(names, KindOf::Relation, k).map(Some),
            };
            let (Some(kind), Some(actors)) = (kind, actors) else {
                return Toward::Unknown;
            };
            if actors.len() == n_actors && kind.is_none() {
                return Toward::Lanes(Lanes::AllEdges);
            }
            let mut edges = Vec::new();
            for &a in &actors {
                for e in net.adj.out_range(a) {
                    if kind.is_none_or(|k| net.edge_kind[e] == k) {
                        edges.push(e as u32);
                    }
                }
            }
            return Toward::Lanes(Lanes::Edges(edges));
        }
        if let Some((action, action_name)) = action {
            if actions[action as usize].needs_target {
                self.error(
                    Diagnostic::at(
                        action_name.loc.clone(),
                        format!("{what}: action `{}` needs a target", action_name.value),
                    )
                    .with_hint(
                        "add target = \"ID\", target_relation = \"KIND\" or reacts_to = \"ACTION\"",
                    ),
                );
                return Toward::NeedsTarget;
            }
        }
        let Some(actors) = actors else {
            return Toward::Unknown;
        };
        Toward::Lanes(if actors.len() == n_actors {
            Lanes::AllActors
        } else {
            let edges = vec![n_edges; actors.len()];
            Lanes::Actors {
                actors,
                target: ActorId::NONE.0,
                edges,
            }
        })
    }
}

/// Toward whom a rule acts.
enum Toward {
    Lanes(Lanes),
    /// An actor, the action or the target is unknown (and reported).
    Unknown,
    /// The action needs a target and the rule gives none (reported).
    NeedsTarget,
}
