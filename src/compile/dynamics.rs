//! Dynamics (`[dynamics]`): what changes a variable every step, over all its relations or
//! actors, or those of one kind.

use super::context::KindOf;
use super::names::Names;
use super::Compiler;
use crate::diag::{quoted, Diagnostic};
use crate::expr::{Ctx, Domain, Goldstein, Type};
use crate::model::Dynamic;
use crate::rng;
use crate::spec::{DynamicsSpec, Located};

impl Compiler<'_> {
    /// Every enabled dynamics line, in name order.
    pub(super) fn dynamics(&mut self, names: &mut Names) -> Vec<Dynamic> {
        let mut out = Vec::new();
        for (name, d) in &self.r.spec.dynamics {
            self.check_name(name, &d.loc, "dynamics");
            let spec = &d.value;
            if spec.enabled == Some(false) {
                continue;
            }
            let what = format!("dynamics `{name}`");
            let (Some(var), Some(add)) = (&spec.var, &spec.add) else {
                self.error(
                    Diagnostic::at(d.loc.clone(), format!("{what} needs `var` and `add`"))
                        .with_hint("e.g. var = \"tension\", add = \"-0.1 * tension\""),
                );
                continue;
            };
            let (relation, idx) = match (
                names.vars.relation_idx.get(&var.value),
                names.vars.actor_idx.get(&var.value),
            ) {
                (Some(&v), _) => (true, v),
                (None, Some(&v)) => (false, v),
                // Its declaration could not be read, and that is reported.
                (None, None) if self.r.spec.broken.variables.contains(&var.value) => continue,
                (None, None) => {
                    let d = Diagnostic::at(
                        var.loc.clone(),
                        format!("unknown variable `{}`", var.value),
                    );
                    let known: Vec<String> = names
                        .vars
                        .relation_idx
                        .keys()
                        .chain(names.vars.actor_idx.keys())
                        .cloned()
                        .collect();
                    self.error(d.suggest(&var.value, known.iter().map(String::as_str)));
                    continue;
                }
            };
            // An unknown kind does not keep `add` from being checked.
            let only = match &spec.kind {
                None => Some(None),
                Some(k) if relation => self.lookup_kind(names, KindOf::Relation, k).map(|kind| {
                    let e = &names.net.edge_kind;
                    Some(
                        (0..e.len() as u32)
                            .filter(|&i| e[i as usize] == kind)
                            .collect(),
                    )
                }),
                Some(k) => self.lookup_kind(names, KindOf::Actor, k).map(|kind| {
                    let g = &names.net.graph;
                    Some(
                        (0..g.node_count() as u32)
                            .filter(|&a| g[a].kind == kind)
                            .collect(),
                    )
                }),
            };
            let only = match only {
                Some(only) => self.dynamics_list(names, spec, &what, relation, only),
                None => None,
            };
            let domain = if relation {
                Domain::Relation
            } else {
                Domain::Actor
            };
            let ctx = Ctx {
                domain,
                allow_does: true,
                goldstein: Goldstein::Absent,
                site: rng::key_of(&format!("dynamics:{name}")),
            };
            let add = self.expr(add, Type::Num, ctx, names, &what);
            if let (Some(add), Some(only)) = (add, only) {
                out.push(Dynamic {
                    name: name.clone(),
                    relation,
                    var: idx,
                    add,
                    only,
                });
            }
        }
        out
    }

    /// `actors` or `relations`: a dynamics line limited to named actors or relations (with
    /// `kind` too, to those of the kind among them). `None` after an error.
    fn dynamics_list(
        &mut self,
        names: &Names,
        spec: &DynamicsSpec,
        what: &str,
        relation: bool,
        kind: Option<Vec<u32>>,
    ) -> Option<Option<Vec<u32>>> {
        use crate::expr::Namespace;
        let listed: Option<Vec<u32>> = match (&spec.actors, &spec.relations) {
            (None, None) => return Some(kind),
            (Some(_), Some(l)) => {
                self.error(Diagnostic::at(
                    l.loc.clone(),
                    format!("{what}: give `actors` or `relations`, not both"),
                ));
                return None;
            }
            (Some(l), None) if relation => {
                self.error(
                    Diagnostic::at(l.loc.clone(), format!("{what}: `actors` limits an actor variable's dynamics; this one changes a relation variable"))
                        .with_hint("list relations instead: relations = [[\"FROM\", \"TO\"]]"),
                );
                return None;
            }
            (None, Some(l)) if !relation => {
                self.error(
                    Diagnostic::at(l.loc.clone(), format!("{what}: `relations` limits a relation variable's dynamics; this one changes an actor variable"))
                        .with_hint("list actors instead: actors = [\"ID\"]"),
                );
                return None;
            }
            (Some(l), None) => l
                .value
                .iter()
                .map(|a| self.lookup_actor(names, &Located::new(a.clone(), l.loc.clone())))
                .collect::<Vec<_>>()
                .into_iter()
                .collect(),
            (None, Some(l)) => {
                let mut out = Vec::new();
                for [a, b] in &l.value {
                    let x = self.lookup_actor(names, &Located::new(a.clone(), l.loc.clone()));
                    let y = self.lookup_actor(names, &Located::new(b.clone(), l.loc.clone()));
                    let e = match (x, y) {
                        (Some(x), Some(y)) => names.edge(x, y),
                        _ => {
                            out.push(None);
                            continue;
                        }
                    };
                    if e.is_none() {
                        self.error(Diagnostic::at(
                            l.loc.clone(),
                            format!("{what}: there is no relation {} → {}", quoted(a), quoted(b)),
                        ));
                    }
                    out.push(e);
                }
                out.into_iter().collect()
            }
        };
        let mut listed = listed?;
        if let Some(kind) = kind {
            listed.retain(|x| kind.binary_search(x).is_ok());
            if listed.is_empty() {
                let loc = spec
                    .actors
                    .as_ref()
                    .map(|l| l.loc.clone())
                    .or_else(|| spec.relations.as_ref().map(|l| l.loc.clone()))
                    .unwrap_or_default();
                self.error(
                    Diagnostic::at(loc, format!("{what}: none of the places listed is of its `kind`, so it changes nothing"))
                        .with_hint("`kind` with a list keeps the listed places of that kind: drop one of them, or fix the list"),
                );
                return None;
            }
        }
        listed.sort_unstable();
        listed.dedup();
        Some(Some(listed))
    }
}
