//! Outcomes (`[outcomes]`: conditions, possibly held for N steps) and the report's series.

use super::names::Names;
use super::Compiler;
use crate::diag::Diagnostic;
use crate::expr::parse;
use crate::expr::{self, AggFn, AggKey, AggSet, Code, Ctx, Domain, Goldstein, Namespace, Op, Type};
use crate::model::{Outcome, Series};
use crate::rng;
use crate::spec::{ExprText, Located, OutcomeSpec};

/// Networks with at most this many relations get one default series per relation and
/// variable; larger ones one mean per variable.
const DEFAULT_SERIES_PER_RELATION: usize = 64;

impl Compiler<'_> {
    /// Every outcome, in name order.
    pub(super) fn outcomes(&mut self, names: &mut Names) -> Vec<Outcome> {
        let mut out = Vec::new();
        for (name, o) in &self.r.spec.outcomes {
            self.check_name(name, &o.loc, "outcome");
            let (text_expr, description) = match &o.value {
                OutcomeSpec::Short(s) => (
                    Located::new(ExprText::Text(s.clone()), o.loc.clone()),
                    String::new(),
                ),
                OutcomeSpec::Full(f) => (f.when.clone(), f.description.clone().unwrap_or_default()),
            };
            let (text, _) = text_expr.value.source();
            let held = match parse::parse_held(&text) {
                Ok(h) => h,
                Err(e) => {
                    self.syntax_error(&text_expr, e, &format!("outcome `{name}`"));
                    continue;
                }
            };
            let ctx = Ctx {
                domain: Domain::Global,
                allow_does: true,
                goldstein: Goldstein::Absent,
                site: rng::key_of(&format!("outcome:{name}")),
            };
            match expr::compile(&held.cond, Type::Bool, ctx, names) {
                Ok(cond) => out.push(Outcome {
                    name: name.clone(),
                    description,
                    text,
                    cond,
                    hold: held.steps,
                }),
                Err(e) => self.compile_errors(&text_expr, e, &format!("outcome `{name}`")),
            }
        }
        out
    }

    /// The report's series: those of `[report] series`, or by default every relation variable
    /// of every relation (of a small network) or its mean over all relations.
    pub(super) fn series(&mut self, names: &mut Names) -> Vec<Series> {
        let mut out = Vec::new();
        let ctx = |name: &str| Ctx {
            domain: Domain::Global,
            allow_does: true,
            goldstein: Goldstein::Absent,
            site: rng::key_of(&format!("series:{name}")),
        };
        if !self.r.spec.report.series.is_empty() {
            for (name, e) in &self.r.spec.report.series {
                self.check_name(name, &e.loc, "series");
                if let Some(code) =
                    self.expr(e, Type::Num, ctx(name), names, &format!("series `{name}`"))
                {
                    out.push(Series {
                        name: name.clone(),
                        text: e.value.source().0,
                        code,
                    });
                }
            }
            return out;
        }
        let net = names.net;
        let n_edges = net.adj.len();
        let var_names: Vec<String> = names.vars.relation.iter().map(|v| v.name.clone()).collect();
        for (v, var) in var_names.iter().enumerate() {
            if n_edges <= DEFAULT_SERIES_PER_RELATION {
                for e in 0..n_edges {
                    let (a, b) = (
                        &net.actor_ids[net.adj.src[e] as usize],
                        &net.actor_ids[net.adj.dst[e] as usize],
                    );
                    out.push(Series {
                        name: format!("{}_{a}_{b}", var),
                        text: format!("{}({a}, {b})", var),
                        code: Code::from_op(Op::RelEdge(v as u16, e as u32)),
                    });
                }
            } else {
                // `mean(VAR, all)`, built as the aggregate it compiles to: a variable's name
                // may be anything the scenario allows, so it is never parsed again as text.
                let key = AggKey {
                    func: AggFn::Mean,
                    var: Some(v as u16),
                    set: AggSet::All(None),
                    actor: None,
                };
                let Some(slot) = names.aggregate(key) else {
                    self.error(Diagnostic::bare(format!(
                        "too many different aggregates in the scenario (at most {} of a kind)",
                        expr::MAX_AGGREGATES
                    )));
                    break;
                };
                out.push(Series {
                    name: format!("mean_{}", var),
                    text: format!("mean({}, all)", var),
                    code: Code::from_op(Op::AggScalar(slot)),
                });
            }
        }
        out
    }
}
