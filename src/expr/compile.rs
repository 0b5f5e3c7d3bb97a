//! Name resolution, type checking and code generation for expressions.
//!
//! Works on one parsed tree at a time against a [`Namespace`]; registers the aggregates it needs
//! so the stepper can compute each one once per step. Parameters are constants and are folded.

use super::parse::{Ast, BinOp, Node, UnOp};
use super::{Bin, Code, Op, Type, Un, Who};
use std::ops::Range;

/// Most distinct aggregates of each kind (per actor, scalar) a scenario may use: slots are 16 bits.
pub const MAX_AGGREGATES: usize = u16::MAX as usize;

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

/// What `goldstein` means where an expression is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goldstein {
    /// Not inside the effects of an action with a CAMEO code: `goldstein` is an error.
    Absent,
    /// Inside the effects of an action with a CAMEO code: its weight.
    Weight(f64),
    /// Inside the effects of an action whose CAMEO code is not in the table (an error reported
    /// already): `goldstein` is taken as known, so that no second error follows.
    Unknown,
}

/// What else an expression may use, besides its domain.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub domain: Domain,
    /// Whether this step's actions (`does`) are known yet: not in a rule's condition.
    pub allow_does: bool,
    /// What `goldstein` is here.
    pub goldstein: Goldstein,
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
    /// Registers a per-actor aggregate (`actor` is None) or a scalar one; returns its slot, or
    /// `None` when [`MAX_AGGREGATES`] of its kind are registered already.
    fn aggregate(&mut self, key: AggKey) -> Option<u16>;
    /// Known names of one sort, for did-you-mean hints.
    fn names(&self, sort: Sort) -> Vec<String>;
    /// Whether `name` (of sort `Value` or `Action`) was declared in an item that could not be
    /// read: its error is reported already, so an expression naming it gives no other.
    fn broken(&self, sort: Sort, name: &str) -> bool;
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

/// The errors of constants folded: their values may come from `--set`.
const DIVISION_BY_ZERO: &str = "division by zero";
const NOT_FINITE: &str = "this evaluates to a value that is not a finite number";

/// An error at a byte span of the expression text.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl CompileError {
    /// Whether the error is about constants folded (a division by zero, a value that is not
    /// finite), which parameter values given on the command line can cause.
    pub fn is_about_constants(&self) -> bool {
        self.message == DIVISION_BY_ZERO || self.message == NOT_FINITE
    }
}

pub(super) type Res<T> = Result<T, CompileError>;

pub(super) fn err<T>(span: &Range<usize>, message: impl Into<String>) -> Res<T> {
    Err(CompileError {
        span: span.clone(),
        message: message.into(),
        hint: None,
    })
}

pub(super) fn err_hint<T>(
    span: &Range<usize>,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> Res<T> {
    Err(CompileError {
        span: span.clone(),
        message: message.into(),
        hint: Some(hint.into()),
    })
}

/// Compiles a parsed expression, checking that it has type `want`.
///
/// # Errors
///
/// Every unknown name in the expression (each with its own span and hint); or, when every name
/// is known, the first other error (a type error, a division by zero). An empty list means the
/// expression names something whose declaration could not be read: nothing more to report.
pub fn compile(
    ast: &Ast,
    want: Type,
    ctx: Ctx,
    ns: &mut dyn Namespace,
) -> Result<Code, Vec<CompileError>> {
    let mut c = Compiler {
        ctx,
        ns,
        ops: Vec::new(),
        random_sites: 0,
        unknown: Vec::new(),
        broken: false,
        tables: Vec::new(),
    };
    let ty = c.expr(ast);
    // After an unknown name, the other errors may be its knock-on (a placeholder has no type
    // worth checking): report the unknown names only.
    if c.failed() {
        return Err(c.unknown);
    }
    let ty = ty.map_err(|e| vec![e])?;
    if ty != want {
        return err_hint(
            &ast.span,
            format!("expected {}, found {}", want.name(), ty.name()),
            match want {
                Type::Bool => "a condition compares values, e.g. `tension(self, target) > 0.6`",
                Type::Num => "use if(condition, a, b) to turn a condition into a number",
            },
        )
        .map_err(|e| vec![e]);
    }
    let (ops, coefs) = super::affine::fuse(c.ops);
    let depth = stack_depth(&ops);
    Ok(Code {
        ops,
        coefs,
        ty,
        depth,
        tables: c.tables,
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
        Op::Un(_) | Op::BinC(..) | Op::CBin(..) | Op::Lookup { .. } => 1,
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

/// The compilation of one expression (the built-in functions, their arguments and the
/// aggregates are in `calls.rs`).
pub(super) struct Compiler<'a> {
    pub ctx: Ctx,
    pub ns: &'a mut dyn Namespace,
    pub ops: Vec<Op>,
    pub random_sites: u64,
    /// The unknown names found so far: each is recorded, stands in as a placeholder, and
    /// compilation carries on to find the others.
    pub unknown: Vec<CompileError>,
    /// Whether the expression names something whose declaration could not be read.
    pub broken: bool,
    /// The points of the expression's lookup tables (see [`Op::Lookup`]).
    pub tables: Vec<f64>,
}

impl Compiler<'_> {
    /// Whether an unknown or broken name was found: the code is a placeholder.
    pub(super) fn failed(&self) -> bool {
        self.broken || !self.unknown.is_empty()
    }

    /// Records an unknown name of `sort` (silently if its declaration could not be read), so
    /// that the caller can put a stand-in in its place and go on.
    pub(super) fn unknown_name(&mut self, sort: Sort, name: &str, e: CompileError) {
        if self.ns.broken(sort, name) {
            self.broken = true;
        } else {
            self.unknown.push(e);
        }
    }

    /// Records an unknown actor or action argument (`what`: "actor", "action"), with a
    /// did-you-mean hint among the known names of `sort`.
    pub(super) fn unknown_argument(
        &mut self,
        span: &Range<usize>,
        sort: Sort,
        what: &str,
        name: &str,
    ) {
        let known = self.ns.names(sort);
        let hint = crate::diag::did_you_mean(name, known.iter().map(String::as_str))
            .map(|b| format!("did you mean `{b}`?"));
        let e = CompileError {
            span: span.clone(),
            message: format!("unknown {what} `{name}`"),
            hint,
        };
        self.unknown_name(sort, name, e);
    }

    /// A number that stands in for an unknown name: not a constant, so nothing folds on it.
    pub(super) fn placeholder(&mut self) -> Res<Type> {
        self.ops.push(Op::Step);
        Ok(Type::Num)
    }

    pub(super) fn expr(&mut self, ast: &Ast) -> Res<Type> {
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
            Node::List(_) => err_hint(
                &ast.span,
                "a list cannot be used as a value",
                "lists are the points of a table, e.g. `lookup(x, [[0, 0], [1, 1]])`",
            ),
            Node::Call {
                name,
                name_span,
                args,
            } => self.call(name, name_span, args, &ast.span),
        }
    }

    pub(super) fn check(&self, got: Type, want: Type, span: &Range<usize>) -> Res<()> {
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
            BinOp::Mod => (Type::Num, Type::Num, Bin::Mod),
            BinOp::Pow => (Type::Num, Type::Num, Bin::Pow),
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
        if matches!(op, BinOp::Div | BinOp::Mod) && self.ops.last() == Some(&Op::Const(0.0)) {
            return err(&r.span, DIVISION_BY_ZERO);
        }
        self.emit_bin(code, left, span)?;
        Ok(result)
    }

    /// Pushes a binary operator whose left operand's code starts at `left`. Folds it when both
    /// operands are constants; uses the immediate forms when one of them is.
    pub(super) fn emit_bin(&mut self, bin: Bin, left: usize, span: &Range<usize>) -> Res<()> {
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
    pub(super) fn emit(&mut self, op: Op, span: &Range<usize>) -> Res<()> {
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
            let hint = match op {
                Op::Un(Un::Ln | Un::Log10) => Some("`ln` and `log10` take a number above 0"),
                Op::Un(Un::Sqrt) => Some("`sqrt` takes a number at or above 0"),
                Op::Bin(Bin::Pow) => Some(
                    "`pow(a, b)` needs a > 0, or a whole b (and b > 0 when a is 0), and a finite result",
                ),
                _ => None,
            };
            return Err(CompileError {
                span: span.clone(),
                message: NOT_FINITE.into(),
                hint: hint.map(String::from),
            });
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
                return match self.ctx.goldstein {
                    Goldstein::Weight(g) => {
                        self.ops.push(Op::Const(g));
                        Ok(Type::Num)
                    }
                    Goldstein::Unknown => {
                        self.broken = true;
                        self.placeholder()
                    }
                    Goldstein::Absent => err_hint(
                        span,
                        "`goldstein` is only known inside the effects of an action with a `cameo` code",
                        "add cameo = \"CODE\" to the action",
                    ),
                };
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
        self.unknown_name(Sort::Value, name, e);
        self.placeholder()
    }
}
