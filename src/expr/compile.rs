//! Name resolution, type checking and code generation for expressions.
//!
//! Works on one parsed tree at a time against a [`Namespace`]; registers the aggregates it needs
//! so the stepper can compute each one once per step. Parameters are constants and are folded.

use super::lexicon;
use super::parse::{Ast, BinOp, Node, UnOp};
use super::{Bin, Code, Op, Type, Un, Who};
use std::ops::Range;

/// Where an expression runs, which decides what `self`, `target` and bare variable names mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// No actor in scope: outcomes, report series, event rates.
    Global,
    /// Per actor (`self`): actor dynamics, rules without a target.
    Actor,
    /// Per actor and target (`self`, `target`; the relation self→target if it exists).
    ActorTarget,
    /// Per relation (`self` is its `from`, `target` its `to`).
    Relation,
}

/// What else an expression may use, besides its domain.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub domain: Domain,
    /// Whether this step's actions (`does`) are known yet: not in a rule's condition.
    pub allow_does: bool,
    /// The Goldstein weight, inside effects of an action with a CAMEO code.
    pub goldstein: Option<f64>,
    /// A key unique to this expression's place in the scenario, for `random()`.
    pub site: u64,
}

/// The aggregate functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFn {
    Mean,
    Sum,
    Min,
    Max,
    Count,
}

/// The set an aggregate runs over, each optionally filtered by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggSet {
    Out(Option<u16>),
    In(Option<u16>),
    All(Option<u16>),
    Actors(Option<u16>),
}

/// One aggregate the stepper computes at the start of each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AggKey {
    pub func: AggFn,
    /// The variable (relation variable, or actor variable for `Actors`); none for `count`.
    pub var: Option<u16>,
    pub set: AggSet,
    /// For `Out`/`In` over a named actor, that actor; per-actor aggregates have none.
    pub actor: Option<u32>,
}

/// Everything names can resolve to. Implemented by the model compiler.
pub trait Namespace {
    fn param(&self, name: &str) -> Option<f64>;
    fn rel_var(&self, name: &str) -> Option<u16>;
    fn actor_var(&self, name: &str) -> Option<u16>;
    fn actor(&self, id: &str) -> Option<u32>;
    fn action(&self, name: &str) -> Option<u16>;
    fn edge(&self, from: u32, to: u32) -> Option<u32>;
    fn rel_kind(&self, name: &str) -> Option<u16>;
    fn actor_kind(&self, name: &str) -> Option<u16>;
    /// Registers a per-actor aggregate (`actor` is None) or a scalar one; returns its slot.
    fn aggregate(&mut self, key: AggKey) -> u16;
    /// Known names of one sort, for did-you-mean hints.
    fn names(&self, sort: Sort) -> Vec<String>;
}

/// Sorts of names, for hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Value,
    Actor,
    Action,
    RelKind,
    ActorKind,
}

/// An error at a byte span of the expression text.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

type Res<T> = Result<T, CompileError>;

fn err<T>(span: &Range<usize>, message: impl Into<String>) -> Res<T> {
    Err(CompileError {
        span: span.clone(),
        message: message.into(),
        hint: None,
    })
}

/// An unknown-name error, with a did-you-mean hint from `known` when one is close.
fn unknown<T>(span: &Range<usize>, message: String, name: &str, known: &[String]) -> Res<T> {
    let hint = crate::diag::did_you_mean(name, known.iter().map(String::as_str))
        .map(|b| format!("did you mean `{b}`?"));
    Err(CompileError {
        span: span.clone(),
        message,
        hint,
    })
}

fn err_hint<T>(span: &Range<usize>, message: impl Into<String>, hint: impl Into<String>) -> Res<T> {
    Err(CompileError {
        span: span.clone(),
        message: message.into(),
        hint: Some(hint.into()),
    })
}

/// Compiles a parsed expression, checking that it has type `want`.
pub fn compile(ast: &Ast, want: Type, ctx: Ctx, ns: &mut dyn Namespace) -> Res<Code> {
    let mut c = Compiler {
        ctx,
        ns,
        ops: Vec::new(),
        random_sites: 0,
    };
    let ty = c.expr(ast)?;
    if ty != want {
        return err_hint(
            &ast.span,
            format!("expected {}, found {}", want.name(), ty.name()),
            match want {
                Type::Bool => "a condition compares values, e.g. `tension(self, target) > 0.6`",
                Type::Num => "use if(condition, a, b) to turn a condition into a number",
            },
        );
    }
    let (ops, coefs) = super::affine::fuse(c.ops);
    let depth = stack_depth(&ops);
    Ok(Code {
        ops,
        coefs,
        ty,
        depth,
    })
}

fn stack_depth(ops: &[Op]) -> usize {
    let (mut d, mut max) = (0i64, 0i64);
    for op in ops {
        d += 1 - arity(op) as i64;
        max = max.max(d);
    }
    max as usize
}

/// How many operands an op pops.
pub fn arity(op: &Op) -> usize {
    match op {
        Op::Un(_) | Op::BinC(..) | Op::CBin(..) => 1,
        Op::Bin(_) => 2,
        Op::Clamp | Op::If => 3,
        Op::Affine { n, .. } => *n as usize,
        _ => 0,
    }
}

/// Whether `ops` is the complete code of exactly one operand: no op takes an operand from
/// before the slice, and one value remains.
fn is_single(ops: &[Op]) -> bool {
    let mut depth = 0;
    for op in ops {
        let a = arity(op);
        if depth < a {
            return false;
        }
        depth = depth - a + 1;
    }
    depth == 1
}

struct Compiler<'a> {
    ctx: Ctx,
    ns: &'a mut dyn Namespace,
    ops: Vec<Op>,
    random_sites: u64,
}

impl Compiler<'_> {
    fn expr(&mut self, ast: &Ast) -> Res<Type> {
        match &ast.node {
            Node::Num(n) => {
                self.ops.push(Op::Const(*n));
                Ok(Type::Num)
            }
            Node::Bool(b) => {
                self.ops.push(Op::Const(f64::from(u8::from(*b))));
                Ok(Type::Bool)
            }
            Node::Str(s) => err_hint(
                &ast.span,
                format!("a text `\"{s}\"` cannot be used as a value"),
                "text is only used for actor ids, action names and kinds in function arguments",
            ),
            Node::Ident(name) => self.ident(name, &ast.span),
            Node::Unary(op, e) => {
                let t = self.expr(e)?;
                let (want, op) = match op {
                    UnOp::Neg => (Type::Num, Op::Un(Un::Neg)),
                    UnOp::Not => (Type::Bool, Op::Un(Un::Not)),
                };
                self.check(t, want, &e.span)?;
                self.emit(op, &ast.span)?;
                Ok(want)
            }
            Node::Binary(op, l, r) => self.binary(*op, l, r, &ast.span),
            Node::Call {
                name,
                name_span,
                args,
            } => self.call(name, name_span, args, &ast.span),
        }
    }

    fn check(&self, got: Type, want: Type, span: &Range<usize>) -> Res<()> {
        if got == want {
            return Ok(());
        }
        err(
            span,
            format!("expected {}, found {}", want.name(), got.name()),
        )
    }

    fn binary(&mut self, op: BinOp, l: &Ast, r: &Ast, span: &Range<usize>) -> Res<Type> {
        let left = self.ops.len();
        let lt = self.expr(l)?;
        let rt = self.expr(r)?;
        let (operand, result, code) = match op {
            BinOp::Add => (Type::Num, Type::Num, Bin::Add),
            BinOp::Sub => (Type::Num, Type::Num, Bin::Sub),
            BinOp::Mul => (Type::Num, Type::Num, Bin::Mul),
            BinOp::Div => (Type::Num, Type::Num, Bin::Div),
            BinOp::Lt => (Type::Num, Type::Bool, Bin::Lt),
            BinOp::Le => (Type::Num, Type::Bool, Bin::Le),
            BinOp::Gt => (Type::Num, Type::Bool, Bin::Gt),
            BinOp::Ge => (Type::Num, Type::Bool, Bin::Ge),
            BinOp::Eq | BinOp::Ne => {
                if lt != rt {
                    return err(
                        span,
                        format!("cannot compare {} with {}", lt.name(), rt.name()),
                    );
                }
                (
                    lt,
                    Type::Bool,
                    if op == BinOp::Eq { Bin::Eq } else { Bin::Ne },
                )
            }
            BinOp::And => (Type::Bool, Type::Bool, Bin::And),
            BinOp::Or => (Type::Bool, Type::Bool, Bin::Or),
        };
        self.check(lt, operand, &l.span)?;
        self.check(rt, operand, &r.span)?;
        if op == BinOp::Div && self.ops.last() == Some(&Op::Const(0.0)) {
            return err(&r.span, "division by zero");
        }
        self.emit_bin(code, left, span)?;
        Ok(result)
    }

    /// Pushes a binary operator whose left operand's code starts at `left`. Folds it when both
    /// operands are constants; uses the immediate forms when one of them is.
    fn emit_bin(&mut self, bin: Bin, left: usize, span: &Range<usize>) -> Res<()> {
        let len = self.ops.len();
        let left_const = match self.ops.get(left) {
            Some(Op::Const(c)) if len - left >= 2 && is_single(&self.ops[left + 1..]) => Some(*c),
            _ => None,
        };
        match (left_const, self.ops.last().copied()) {
            (Some(_), Some(Op::Const(_))) => self.emit(Op::Bin(bin), span),
            (_, Some(Op::Const(c))) => {
                self.ops.pop();
                self.ops.push(Op::BinC(bin, c));
                Ok(())
            }
            (Some(c), _) => {
                self.ops.remove(left);
                self.ops.push(Op::CBin(bin, c));
                Ok(())
            }
            _ => {
                self.ops.push(Op::Bin(bin));
                Ok(())
            }
        }
    }

    /// Pushes an operator, folding it when all its operands are constants.
    fn emit(&mut self, op: Op, span: &Range<usize>) -> Res<()> {
        let n = arity(&op);
        let len = self.ops.len();
        let args: Option<Vec<f64>> = self.ops[len - n..]
            .iter()
            .map(|o| match o {
                Op::Const(c) => Some(*c),
                _ => None,
            })
            .collect();
        let Some(args) = args else {
            self.ops.push(op);
            return Ok(());
        };
        let value = super::eval::apply(op, &args);
        if !value.is_finite() {
            return err(
                span,
                "this evaluates to a value that is not a finite number",
            );
        }
        self.ops.truncate(len - n);
        self.ops.push(Op::Const(value));
        Ok(())
    }

    fn ident(&mut self, name: &str, span: &Range<usize>) -> Res<Type> {
        let d = self.ctx.domain;
        match name {
            "step" => {
                self.ops.push(Op::Step);
                return Ok(Type::Num);
            }
            "goldstein" => {
                let Some(g) = self.ctx.goldstein else {
                    return err_hint(
                        span,
                        "`goldstein` is only known inside the effects of an action with a `cameo` code",
                        "add cameo = \"CODE\" to the action",
                    );
                };
                self.ops.push(Op::Const(g));
                return Ok(Type::Num);
            }
            "self" | "target" => {
                return err_hint(
                    span,
                    format!("`{name}` is an actor, not a number"),
                    format!(
                    "read one of its variables, e.g. `tension({name}, ...)` or `resolve({name})`"
                ),
                )
            }
            "all" | "actors" => {
                return err_hint(
                    span,
                    format!("`{name}` is a set; it can only be aggregated"),
                    format!("e.g. `mean(tension, {name})` or `count({name})`"),
                )
            }
            _ => {}
        }
        if let Some(v) = self.ns.param(name) {
            self.ops.push(Op::Const(v));
            return Ok(Type::Num);
        }
        if let Some(var) = self.ns.rel_var(name) {
            return match d {
                Domain::Relation | Domain::ActorTarget => {
                    self.ops.push(Op::RelOwn(var));
                    Ok(Type::Num)
                }
                _ => err_hint(
                    span,
                    format!("`{name}` is a relation variable; say which relation"),
                    format!("e.g. `{name}(LTU, BLR)`"),
                ),
            };
        }
        if let Some(var) = self.ns.actor_var(name) {
            return match d {
                Domain::Actor | Domain::ActorTarget => {
                    self.ops.push(Op::ActorVar(var, Who::Me));
                    Ok(Type::Num)
                }
                _ => err_hint(
                    span,
                    format!("`{name}` is an actor variable; say which actor"),
                    format!("e.g. `{name}(self)` or `{name}(target)`"),
                ),
            };
        }
        if self.ns.actor(name).is_some() {
            return err_hint(
                span,
                format!("`{name}` is an actor, not a number"),
                format!("read one of its variables, e.g. `resolve({name})`"),
            );
        }
        let known = self.ns.names(Sort::Value);
        let mut e = CompileError {
            span: span.clone(),
            message: format!("unknown name `{name}`"),
            hint: None,
        };
        if let Some(best) = crate::diag::did_you_mean(name, known.iter().map(String::as_str)) {
            e.hint = Some(format!("did you mean `{best}`?"));
        } else {
            e.hint = Some(
                "names are parameters, variables, `step`, `dt`, or `goldstein` in effects".into(),
            );
        }
        Err(e)
    }

    fn arity_check(
        &self,
        name: &str,
        args: &[Ast],
        allowed: &[usize],
        span: &Range<usize>,
    ) -> Res<()> {
        if allowed.contains(&args.len()) {
            return Ok(());
        }
        let want = allowed
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        err(
            span,
            format!("`{name}` takes {want} argument(s), found {}", args.len()),
        )
    }

    fn call(
        &mut self,
        name: &str,
        name_span: &Range<usize>,
        args: &[Ast],
        span: &Range<usize>,
    ) -> Res<Type> {
        match name {
            "if" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                let c = self.expr(&args[0])?;
                self.check(c, Type::Bool, &args[0].span)?;
                let a = self.expr(&args[1])?;
                let b = self.expr(&args[2])?;
                if a != b {
                    return err(
                        &args[2].span,
                        format!(
                            "both branches of `if` must have one type: {} vs {}",
                            a.name(),
                            b.name()
                        ),
                    );
                }
                self.emit(Op::If, span)?;
                Ok(a)
            }
            "abs" | "exp" | "ln" | "sqrt" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                self.numbers(args)?;
                let op = match name {
                    "abs" => Op::Un(Un::Abs),
                    "exp" => Op::Un(Un::Exp),
                    "ln" => Op::Un(Un::Ln),
                    _ => Op::Un(Un::Sqrt),
                };
                self.emit(op, span)?;
                Ok(Type::Num)
            }
            "clamp" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                self.numbers(args)?;
                self.emit(Op::Clamp, span)?;
                Ok(Type::Num)
            }
            "min" | "max" | "mean" | "sum" | "count" if self.is_aggregate(name, args) => {
                self.aggregate(name, args, span)
            }
            "min" | "max" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                let left = self.ops.len();
                self.numbers(args)?;
                self.emit_bin(if name == "min" { Bin::Min } else { Bin::Max }, left, span)?;
                Ok(Type::Num)
            }
            "mean" | "sum" | "count" => err_hint(
                span,
                format!("`{name}` aggregates over a set of relations or actors"),
                if name == "count" {
                    "e.g. `count(out(self))`"
                } else {
                    "e.g. `mean(tension, out(self))`"
                },
            ),
            "random" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                self.random_sites += 1;
                let site = crate::rng::mix(self.ctx.site ^ crate::rng::mix(self.random_sites));
                self.ops.push(Op::Random(site));
                Ok(Type::Num)
            }
            "exists" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                let a = self.actor_arg(&args[0])?;
                let b = self.actor_arg(&args[1])?;
                match (a, b) {
                    (Who::Fixed(a), Who::Fixed(b)) => {
                        let e = self.ns.edge(a, b).is_some();
                        self.ops.push(Op::Const(f64::from(u8::from(e))));
                    }
                    _ => self.ops.push(Op::Exists(a, b)),
                }
                Ok(Type::Bool)
            }
            "did" | "does" => {
                let now = name == "does";
                if now && !self.ctx.allow_does {
                    return err_hint(
                        name_span,
                        "`does` (this step's actions) cannot be read here: this step's actions are decided from the state at its start",
                        "use `did` for the previous step",
                    );
                }
                self.arity_check(name, args, lexicon::arities(name), span)?;
                let a = self.actor_arg(&args[0])?;
                if args.len() == 3 {
                    let b = self.actor_arg(&args[1])?;
                    let act = self.action_arg(&args[2])?;
                    self.ops.push(Op::DidPair(a, b, act, now));
                } else {
                    let act = self.action_arg(&args[1])?;
                    self.ops.push(Op::DidAny(a, act, now));
                }
                Ok(Type::Bool)
            }
            "times" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                let a = self.actor_arg(&args[0])?;
                let act = self.action_arg(&args[1])?;
                self.ops.push(Op::Times(a, act));
                Ok(Type::Num)
            }
            "since" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                let a = self.actor_arg(&args[0])?;
                let act = self.action_arg(&args[1])?;
                self.ops.push(Op::Since(a, act));
                Ok(Type::Num)
            }
            "out" | "in" | "all" | "actors" => err_hint(
                span,
                format!("`{name}(...)` is a set; it can only be aggregated"),
                "e.g. `mean(tension, out(self))` or `count(in(LTU))`",
            ),
            _ => self.variable_call(name, name_span, args, span),
        }
    }

    fn numbers(&mut self, args: &[Ast]) -> Res<()> {
        for a in args {
            let t = self.expr(a)?;
            self.check(t, Type::Num, &a.span)?;
        }
        Ok(())
    }

    /// `v(a, b)` for a relation variable or `v(a)` for an actor variable.
    fn variable_call(
        &mut self,
        name: &str,
        name_span: &Range<usize>,
        args: &[Ast],
        span: &Range<usize>,
    ) -> Res<Type> {
        if let Some(var) = self.ns.rel_var(name) {
            self.arity_check(name, args, &[2], span)?;
            let a = self.actor_arg(&args[0])?;
            let b = self.actor_arg(&args[1])?;
            let d = self.ctx.domain;
            let lane_edge = matches!(d, Domain::Relation | Domain::ActorTarget);
            let op = match (a, b) {
                (Who::Me, Who::Target) if lane_edge => Op::RelOwn(var),
                (Who::Target, Who::Me) if d == Domain::Relation => Op::RelRev(var),
                (Who::Fixed(x), Who::Fixed(y)) => match self.ns.edge(x, y) {
                    Some(e) => Op::RelEdge(var, e),
                    None => {
                        return err_hint(
                            span,
                            format!(
                                "there is no relation {} → {}",
                                self.actor_name(x),
                                self.actor_name(y)
                            ),
                            "declare it in [[relations]], or use exists(a, b) to test for it",
                        )
                    }
                },
                (a, b) => Op::RelPair(var, a, b),
            };
            self.ops.push(op);
            return Ok(Type::Num);
        }
        if let Some(var) = self.ns.actor_var(name) {
            self.arity_check(name, args, &[1], span)?;
            let a = self.actor_arg(&args[0])?;
            self.ops.push(Op::ActorVar(var, a));
            return Ok(Type::Num);
        }
        if self.ns.param(name).is_some() {
            return err_hint(
                name_span,
                format!("`{name}` is a parameter, not a function"),
                format!("write `{name}` alone"),
            );
        }
        let mut known: Vec<String> = lexicon::words().map(String::from).collect();
        known.extend(self.ns.names(Sort::Value));
        let mut e = CompileError {
            span: name_span.clone(),
            message: format!("unknown function `{name}`"),
            hint: None,
        };
        if let Some(best) = crate::diag::did_you_mean(name, known.iter().map(String::as_str)) {
            e.hint = Some(format!("did you mean `{best}`?"));
        }
        Err(e)
    }

    fn actor_name(&self, idx: u32) -> String {
        self.ns
            .names(Sort::Actor)
            .get(idx as usize)
            .cloned()
            .unwrap_or_else(|| idx.to_string())
    }

    /// An actor argument: `self`, `target` or an actor id (bare or quoted).
    fn actor_arg(&mut self, ast: &Ast) -> Res<Who> {
        let (name, quoted) = match &ast.node {
            Node::Ident(n) => (n.as_str(), false),
            Node::Str(s) => (s.as_str(), true),
            _ => {
                return err_hint(
                    &ast.span,
                    "expected an actor",
                    "an actor id, `self` or `target`",
                )
            }
        };
        let d = self.ctx.domain;
        match name {
            "self" if !quoted => {
                if d == Domain::Global {
                    return err_hint(
                        &ast.span,
                        "`self` has no meaning here",
                        "name an actor by its id",
                    );
                }
                Ok(Who::Me)
            }
            "target" if !quoted => {
                if matches!(d, Domain::Global | Domain::Actor) {
                    return err_hint(
                        &ast.span,
                        "`target` has no meaning here: there is no target",
                        "name an actor by its id",
                    );
                }
                Ok(Who::Target)
            }
            _ => match self.ns.actor(name) {
                Some(i) => Ok(Who::Fixed(i)),
                None => unknown(
                    &ast.span,
                    format!("unknown actor `{name}`"),
                    name,
                    &self.ns.names(Sort::Actor),
                ),
            },
        }
    }

    fn action_arg(&mut self, ast: &Ast) -> Res<u16> {
        let name = match &ast.node {
            Node::Ident(n) | Node::Str(n) => n.as_str(),
            _ => return err(&ast.span, "expected an action name"),
        };
        match self.ns.action(name) {
            Some(a) => Ok(a),
            None => unknown(
                &ast.span,
                format!("unknown action `{name}`"),
                name,
                &self.ns.names(Sort::Action),
            ),
        }
    }

    fn kind_arg(&mut self, ast: &Ast, actor_kind: bool) -> Res<Option<u16>> {
        let name = match &ast.node {
            Node::Str(n) | Node::Ident(n) => n.as_str(),
            _ => return err(&ast.span, "expected a kind, e.g. \"neighbor\""),
        };
        if name == "*" {
            return Ok(None);
        }
        let found = if actor_kind {
            self.ns.actor_kind(name)
        } else {
            self.ns.rel_kind(name)
        };
        match found {
            Some(k) => Ok(Some(k)),
            None => {
                let sort = if actor_kind {
                    Sort::ActorKind
                } else {
                    Sort::RelKind
                };
                let known = self.ns.names(sort);
                let what = if actor_kind {
                    "actor kind"
                } else {
                    "relation kind"
                };
                let mut e = CompileError {
                    span: ast.span.clone(),
                    message: format!("no {what} `{name}` in this scenario"),
                    hint: None,
                };
                e.hint = Some(
                    match crate::diag::did_you_mean(name, known.iter().map(String::as_str)) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!("known: {}", known.join(", ")),
                    },
                );
                Err(e)
            }
        }
    }

    fn is_aggregate(&self, name: &str, args: &[Ast]) -> bool {
        let set = if name == "count" {
            args.first()
        } else {
            args.get(1)
        };
        match set.map(|a| &a.node) {
            Some(Node::Ident(n)) => n == "all" || n == "actors",
            Some(Node::Call { name, .. }) => {
                matches!(name.as_str(), "out" | "in" | "all" | "actors")
            }
            _ => false,
        }
    }

    /// `mean(var, set)`, `sum`, `min`, `max`, or `count(set)`.
    fn aggregate(&mut self, name: &str, args: &[Ast], span: &Range<usize>) -> Res<Type> {
        let func = match name {
            "mean" => AggFn::Mean,
            "sum" => AggFn::Sum,
            "min" => AggFn::Min,
            "max" => AggFn::Max,
            _ => AggFn::Count,
        };
        let (var_ast, set_ast) = if func == AggFn::Count {
            self.arity_check(name, args, lexicon::arities(name), span)?;
            (None, &args[0])
        } else {
            self.arity_check(name, args, lexicon::arities(name), span)?;
            (Some(&args[0]), &args[1])
        };
        let (set_name, set_args): (&str, &[Ast]) = match &set_ast.node {
            Node::Ident(n) => (n.as_str(), &[]),
            Node::Call { name, args, .. } => (name.as_str(), args.as_slice()),
            _ => {
                return err(
                    &set_ast.span,
                    "expected a set: out(actor), in(actor), all or actors",
                )
            }
        };
        // Anything but `out` and `in` is read as `all` or `actors` (`is_aggregate` said it is a set).
        let of = if matches!(set_name, "out" | "in") {
            set_name
        } else {
            "all"
        };
        self.arity_check(set_name, set_args, lexicon::arities(of), &set_ast.span)?;
        let mut who = None;
        let set = match set_name {
            "out" | "in" => {
                who = Some(self.actor_arg(&set_args[0])?);
                let kind = match set_args.get(1) {
                    Some(k) => self.kind_arg(k, false)?,
                    None => None,
                };
                if set_name == "out" {
                    AggSet::Out(kind)
                } else {
                    AggSet::In(kind)
                }
            }
            _ => {
                let actors = set_name == "actors";
                let kind = match set_args.first() {
                    Some(k) => self.kind_arg(k, actors)?,
                    None => None,
                };
                if actors {
                    AggSet::Actors(kind)
                } else {
                    AggSet::All(kind)
                }
            }
        };
        let var = match var_ast {
            None => None,
            Some(v) => {
                let Node::Ident(vname) = &v.node else {
                    return err_hint(
                        &v.span,
                        "expected a variable name",
                        "aggregates take a variable, e.g. `mean(tension, out(self))`",
                    );
                };
                let found = if matches!(set, AggSet::Actors(_)) {
                    self.ns.actor_var(vname)
                } else {
                    self.ns.rel_var(vname)
                };
                match found {
                    Some(i) => Some(i),
                    None => {
                        let what = if matches!(set, AggSet::Actors(_)) {
                            "an actor variable"
                        } else {
                            "a relation variable"
                        };
                        let mut e = CompileError {
                            span: v.span.clone(),
                            message: format!("`{vname}` is not {what}"),
                            hint: None,
                        };
                        let known = self.ns.names(Sort::Value);
                        if let Some(best) =
                            crate::diag::did_you_mean(vname, known.iter().map(String::as_str))
                        {
                            e.hint = Some(format!("did you mean `{best}`?"));
                        }
                        return Err(e);
                    }
                }
            }
        };
        let mut key = AggKey {
            func,
            var,
            set,
            actor: None,
        };
        match who {
            Some(Who::Fixed(a)) => {
                key.actor = Some(a);
                let slot = self.ns.aggregate(key);
                self.ops.push(Op::AggScalar(slot));
            }
            Some(w) => {
                let slot = self.ns.aggregate(key);
                self.ops.push(Op::AggActor(slot, w));
            }
            None => {
                let slot = self.ns.aggregate(key);
                self.ops.push(Op::AggScalar(slot));
            }
        }
        Ok(Type::Num)
    }
}
