//! The `[expect]` table: each claim parsed (`expect::parse`), its expressions compiled against
//! the scenario's names, and what it needs watched in every run — conditions as outcomes,
//! numbers as series — collected beside the scenario's own. A plain compile checks every claim
//! and keeps nothing; `expect::compile` appends the watchers to its model's outcomes and series.

use super::names::Names;
use super::Compiler;
use crate::diag::Diagnostic;
use crate::expect::parse::{self, Claim, Count, Event, Quantity, Subject, When, Within};
use crate::expect::{Bound, Check, Claimed, EventCheck, Measure, Plan, Statistic};
use crate::expr::parse::{Ast, Node};
use crate::expr::{self, Code, Ctx, Domain, Goldstein, Type};
use crate::model::{Outcome, Series};
use crate::rng;
use crate::spec::{self, ExprText, Located};

/// Runs an `[expect]` table checks on when it does not say.
pub(crate) const DEFAULT_RUNS: u64 = 1000;

impl Compiler<'_> {
    /// Every enabled expectation, compiled. `outcomes` and `n_series` are the scenario's own
    /// (the watchers are numbered after them); `last_step` bounds the steps a claim may name,
    /// when it is known; `seed` is the scenario's.
    pub(super) fn expectations(
        &mut self,
        names: &mut Names,
        outcomes: &[Outcome],
        n_series: usize,
        last_step: Option<u32>,
        seed: u64,
    ) -> Plan {
        let table = &self.r.spec.expect;
        let runs = match &table.runs {
            None => DEFAULT_RUNS,
            Some(r) if r.value >= 1 => r.value as u64,
            Some(r) => {
                self.error(
                    Diagnostic::at(
                        r.loc.clone(),
                        format!("[expect] `runs` must be at least 1, found {}", r.value),
                    )
                    .with_hint("for a deterministic scenario, runs = 1 is enough"),
                );
                DEFAULT_RUNS
            }
        };
        let seed = match &table.seed {
            None => seed,
            Some(s) if s.value >= 0 => s.value as u64,
            Some(s) => {
                self.error(Diagnostic::at(
                    s.loc.clone(),
                    format!("[expect] `seed` must not be negative, found {}", s.value),
                ));
                seed
            }
        };
        let mut plan = Plan {
            runs,
            seed,
            checks: Vec::new(),
            outcomes: Vec::new(),
            series: Vec::new(),
            first_outcome: outcomes.len(),
            first_series: n_series,
        };
        for (name, item) in &self.r.spec.expect.items {
            self.check_name(name, &item.loc, "expectation");
            let spec = &item.value;
            if spec.enabled == Some(false) {
                continue;
            }
            let what = format!("expectation `{name}`");
            let Some(that) = &spec.that else {
                self.error(
                    Diagnostic::at(item.loc.clone(), format!("{what} has no claim")).with_hint(
                        "write the claim as `that = \"…\"`, e.g. that = \"P(crisis) < 0.05\"",
                    ),
                );
                continue;
            };
            let e = Located::new(ExprText::Text(that.value.clone()), that.loc.clone());
            let claim = match parse::claim(&that.value) {
                Ok(c) => c,
                Err(err) => {
                    self.syntax_error(&e, err, &what);
                    continue;
                }
            };
            let mut b = Builder {
                c: self,
                names,
                e: &e,
                what: &what,
                ctx: Ctx {
                    domain: Domain::Global,
                    allow_does: true,
                    goldstein: Goldstein::Absent,
                    site: rng::key_of(&format!("expect:{name}")),
                },
                name,
                outcomes,
                plan: &mut plan,
                last_step,
            };
            if let Some(claimed) = b.claim(claim) {
                plan.checks.push(Check {
                    name: name.clone(),
                    description: spec.description.clone().unwrap_or_default(),
                    text: that.value.clone(),
                    claimed,
                });
            }
        }
        plan
    }
}

/// What compiling one claim needs.
struct Builder<'c, 'a, 'n, 'p> {
    c: &'c mut Compiler<'a>,
    names: &'c mut Names<'n>,
    /// The claim's text, for error locations.
    e: &'c spec::Expr,
    what: &'c str,
    ctx: Ctx,
    name: &'c str,
    outcomes: &'c [Outcome],
    plan: &'p mut Plan,
    last_step: Option<u32>,
}

impl Builder<'_, '_, '_, '_> {
    fn claim(&mut self, claim: Claim) -> Option<Claimed> {
        match claim {
            Claim::Probability { event, bound } => {
                let event = self.event(event);
                let bound = self.bound(bound, true);
                Some(Claimed::Probability {
                    event: event?,
                    bound: bound?,
                })
            }
            Claim::Statistic {
                stat,
                quantity,
                bound,
            } => {
                let measure = self.measure(quantity);
                let bound = self.bound(bound, false);
                let statistic = match stat {
                    parse::Stat::Mean => Statistic::Mean,
                    parse::Stat::Median => Statistic::Median,
                };
                Some(Claimed::Statistic {
                    statistic,
                    measure: measure?,
                    bound: bound?,
                })
            }
            Claim::Every(event) => Some(Claimed::Every(self.event(event)?)),
        }
    }

    fn error(&mut self, span: &std::ops::Range<usize>, message: String, hint: Option<String>) {
        let err = parse_error(span, message, hint);
        self.c.syntax_error(self.e, err, self.what);
    }

    /// The index of the scenario's outcome that `ast` names, if it is a bare outcome name.
    fn own_outcome(&self, ast: &Ast) -> Option<usize> {
        match &ast.node {
            Node::Ident(n) => self.outcomes.iter().position(|o| &o.name == n),
            _ => None,
        }
    }

    fn compile(&mut self, ast: &Ast, want: Type) -> Option<Code> {
        if let Some(o) = self.own_outcome(ast) {
            let name = &self.outcomes[o].name;
            self.error(
                &ast.span,
                format!("`{name}` is an outcome, not a {}", if want == Type::Bool { "condition" } else { "number" }),
                Some(format!(
                    "an outcome is reached or not: `{name}`, `never {name}`, `{name} by step N`, `P({name}) >= x`, `first_step({name})`"
                )),
            );
            return None;
        }
        match expr::compile(ast, want, self.ctx, self.names) {
            Ok(code) => Some(code),
            Err(mut errs) => {
                // A misspelt outcome is a misspelt name: say which outcome it likely was.
                for err in &mut errs {
                    let unknown = err
                        .message
                        .strip_prefix("unknown name `")
                        .and_then(|rest| rest.split_once('`'))
                        .map(|(n, _)| n.to_string());
                    let names = self.outcomes.iter().map(|o| o.name.as_str());
                    if let Some(best) = unknown.and_then(|n| crate::diag::did_you_mean(&n, names)) {
                        err.hint = Some(format!("did you mean the outcome `{best}`?"));
                    }
                }
                self.c.compile_errors(self.e, errs, self.what);
                None
            }
        }
    }

    /// A constant: a number, or an expression over parameters.
    fn constant(&mut self, ast: &Ast, what: &str) -> Option<f64> {
        let code = self.compile(ast, Type::Num)?;
        match code.constant() {
            Some(x) if x.is_finite() => Some(x),
            Some(x) => {
                self.error(
                    &ast.span,
                    format!("{what} is not a finite number ({x})"),
                    None,
                );
                None
            }
            None => {
                self.error(
                    &ast.span,
                    format!("{what} must be a constant"),
                    Some("a number, or an expression over parameters".into()),
                );
                None
            }
        }
    }

    fn text(&self, span: &std::ops::Range<usize>) -> String {
        let (text, _) = self.e.value.source();
        text.get(span.clone()).unwrap_or("").trim().to_string()
    }

    /// A step a claim names, checked against the last step.
    fn step(&mut self, c: &Count) -> Option<u32> {
        match self.last_step {
            Some(last) if c.n > last => {
                self.error(
                    &c.span,
                    format!("step {} is after the last step ({last})", c.n),
                    Some("name a step of the run, or `final` for the last".into()),
                );
                None
            }
            _ => Some(c.n),
        }
    }

    /// A watcher outcome of condition `cond`, held for `hold` steps, or the scenario's outcome
    /// `cond` names.
    fn outcome(&mut self, cond: &Ast, hold: Option<&Count>) -> Option<usize> {
        if let Some(o) = self.own_outcome(cond) {
            if let Some(h) = hold {
                let name = self.outcomes[o].name.clone();
                self.error(
                    &h.span,
                    format!("outcome `{name}` says itself how long it must hold"),
                    Some(format!(
                        "write `{name}` alone, or its condition with `for N steps`"
                    )),
                );
                return None;
            }
            return Some(o);
        }
        let code = self.compile(cond, Type::Bool)?;
        let i = self.plan.first_outcome + self.plan.outcomes.len();
        self.plan.outcomes.push(Outcome {
            name: format!("expect:{}", self.name),
            description: String::new(),
            text: self.text(&cond.span),
            cond: code,
            hold: hold.map_or(1, |h| h.n),
        });
        Some(i)
    }

    /// A watcher series of `ast` (a number, or a condition read as 1 or 0).
    fn series(&mut self, ast: &Ast, want: Type) -> Option<usize> {
        let code = self.compile(ast, want)?;
        let i = self.plan.first_series + self.plan.series.len();
        self.plan.series.push(Series {
            name: format!("expect:{}", self.name),
            text: self.text(&ast.span),
            code,
        });
        Some(i)
    }

    fn subject_cond(subject: Subject) -> Ast {
        match subject {
            Subject::Cond(c) => c,
            Subject::Within(w) => parse::within_cond(w),
        }
    }

    /// `by step N`, if written: `Some(None)` when not, `None` after an error.
    fn deadline(&mut self, by: Option<&Count>) -> Option<Option<u32>> {
        match by {
            None => Some(None),
            Some(c) => self.step(c).map(Some),
        }
    }

    fn when(&mut self, w: &When) -> Option<Option<u32>> {
        match w {
            When::Final => Some(None),
            When::Step(c) => self.step(c).map(Some),
        }
    }

    fn event(&mut self, event: Event) -> Option<EventCheck> {
        match event {
            Event::Reached { subject, hold, by } => {
                let by = self.deadline(by.as_ref());
                let outcome = self.outcome(&Self::subject_cond(subject), hold.as_ref());
                Some(EventCheck::Reached {
                    outcome: outcome?,
                    by: by?,
                })
            }
            Event::Never { subject, hold, by } => {
                let by = self.deadline(by.as_ref());
                let outcome = self.outcome(&Self::subject_cond(subject), hold.as_ref());
                Some(EventCheck::Never {
                    outcome: outcome?,
                    by: by?,
                    always: false,
                })
            }
            Event::Always(cond) => {
                if self.own_outcome(&cond).is_some() {
                    self.compile(&cond, Type::Bool);
                    return None;
                }
                let span = cond.span.clone();
                let not = Ast {
                    node: Node::Unary(crate::expr::parse::UnOp::Not, Box::new(cond)),
                    span,
                };
                let outcome = self.outcome(&not, None)?;
                Some(EventCheck::Never {
                    outcome,
                    by: None,
                    always: true,
                })
            }
            Event::At { subject, step } => {
                let step = self.when(&step);
                match subject {
                    Subject::Cond(c) => {
                        let series = self.series(&c, Type::Bool);
                        Some(EventCheck::Holds {
                            series: series?,
                            step: step?,
                        })
                    }
                    Subject::Within(Within { value, tol, centre }) => {
                        let series = self.series(&value, Type::Num);
                        let band = self.within(&tol, &centre);
                        Some(EventCheck::Within {
                            series: series?,
                            step: step?,
                            band: band?,
                        })
                    }
                }
            }
        }
    }

    /// `within T of V`: a band around a constant.
    fn within(&mut self, tol: &Ast, centre: &Ast) -> Option<Bound> {
        let t = self.constant(tol, "the tolerance");
        let v = self.constant(centre, "the value");
        let (t, v) = (t?, v?);
        if t < 0.0 {
            self.error(
                &tol.span,
                format!("the tolerance must not be negative, found {t}"),
                None,
            );
            return None;
        }
        Some(Bound::Within {
            centre: v,
            tolerance: t,
        })
    }

    fn bound(&mut self, bound: parse::Bound, probability: bool) -> Option<Bound> {
        let b = match &bound {
            parse::Bound::Within { tol, centre } => self.within(tol, centre)?,
            parse::Bound::Cmp { op, value, .. } => {
                let x = self.constant(value, "the bound")?;
                match *op {
                    ">" => Bound::Above {
                        value: x,
                        inclusive: false,
                    },
                    ">=" => Bound::Above {
                        value: x,
                        inclusive: true,
                    },
                    "<" => Bound::Below {
                        value: x,
                        inclusive: false,
                    },
                    _ => Bound::Below {
                        value: x,
                        inclusive: true,
                    },
                }
            }
        };
        let x = match b {
            Bound::Above { value, .. } | Bound::Below { value, .. } => value,
            Bound::Within { centre, .. } => centre,
        };
        if probability && !(0.0..=1.0).contains(&x) {
            let span = match &bound {
                parse::Bound::Within { centre, .. } => centre.span.clone(),
                parse::Bound::Cmp { value, .. } => value.span.clone(),
            };
            self.error(
                &span,
                format!("a probability lies from 0 to 1; this bound is {x}"),
                Some("write the probability as a share: 0.05, not 5".into()),
            );
            return None;
        }
        Some(b)
    }

    fn measure(&mut self, q: Quantity) -> Option<Measure> {
        match q {
            Quantity::Value { expr, step } => {
                let step = self.when(&step);
                let series = self.series(&expr, Type::Num);
                Some(Measure::Value {
                    series: series?,
                    step: step?,
                })
            }
            Quantity::Peak(expr) => Some(Measure::Peak {
                series: self.series(&expr, Type::Num)?,
            }),
            Quantity::FirstStep { subject, hold } => Some(Measure::FirstStep {
                outcome: self.outcome(&subject, hold.as_ref())?,
            }),
        }
    }
}

fn parse_error(
    span: &std::ops::Range<usize>,
    message: String,
    hint: Option<String>,
) -> crate::expr::parse::SyntaxError {
    crate::expr::parse::SyntaxError {
        span: span.clone(),
        message,
        hint,
    }
}
