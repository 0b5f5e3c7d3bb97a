//! Expressions: parsed once, type-checked and compiled to flat code over resolved indices.
//!
//! `parse` turns text into a tree; `compile` resolves every name against a [`Namespace`] (actors,
//! variables, parameters, actions) and emits postfix [`Op`]s with constants folded; `eval` runs a
//! compiled expression over a batch of lanes (relations or actors) at once. Nothing here touches a
//! string or a hash map at run time.

mod affine;
mod calls;
mod compile;
mod eval;
pub(crate) mod lexicon;
pub(crate) mod memory;
pub mod parse;

pub use compile::{
    arity, compile, AggFn, AggKey, AggSet, CompileError, Ctx, Domain, Goldstein, Namespace, Sort,
    MAX_AGGREGATES,
};
pub use eval::{eval, eval_in, eval_mask, ActionView, Lanes, Masks, Stack, World, LANES, NEVER};

/// Which actor an operand refers to, per lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    /// The acting actor (a relation's `from` side).
    Me,
    /// The target actor (a relation's `to` side).
    Target,
    /// A named actor.
    Fixed(u32),
}

/// One instruction of compiled code. Values are `f64`; booleans are 0 and 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Const(f64),
    Step,
    /// A relation variable on the lane's own relation.
    RelOwn(u16),
    /// A relation variable on the reverse of the lane's relation.
    RelRev(u16),
    /// A relation variable on a fixed relation.
    RelEdge(u16, u32),
    /// A relation variable on the relation between two actors, looked up per lane.
    RelPair(u16, Who, Who),
    Exists(Who, Who),
    ActorVar(u16, Who),
    /// A per-actor aggregate computed at the start of the step.
    AggActor(u16, Who),
    /// A scalar aggregate computed at the start of the step.
    AggScalar(u16),
    /// `did`/`does` between two actors: (actor, target, action, this step?).
    DidPair(Who, Who, u16, bool),
    /// `did`/`does` toward anyone.
    DidAny(Who, u16, bool),
    Since(Who, u16),
    /// How many times an actor has taken an action so far.
    Times(Who, u16),
    /// `since(a, b, act)`: steps since `a` last took the action toward `b` before this step.
    PairSince(Who, Who, u16),
    /// `times(a, b, act)`: how many times `a` has taken the action toward `b` so far.
    PairTimes(Who, Who, u16),
    /// `times_within(a, b, act, k)`: how many times `a` took the action toward `b` in the `k`
    /// steps before this one.
    PairWithin(Who, Who, u16, u32),
    /// `times_within(a, act, k)`: the same toward anyone.
    Within(Who, u16, u32),
    /// A uniform draw keyed by the step, this site and the lane's actors.
    Random(u64),
    /// A function of the top value.
    Un(Un),
    /// The top two values combined.
    Bin(Bin),
    /// The top value combined with a constant on the right: `top ∘ c`.
    BinC(Bin, f64),
    /// A constant on the left combined with the top value: `c ∘ top`.
    CBin(Bin, f64),
    /// A linear combination of the top `n` values: `c + Σ coefs[start + i] · value_i`, in one
    /// pass. Linear dynamics (most of them) compile to their loads and one of these.
    Affine {
        n: u16,
        start: u32,
        c: f64,
    },
    Clamp,
    If,
    /// A piecewise-linear table of the top value: the table's `n` points are `tables[start..]`
    /// (the x values, increasing, then the y values), clamped outside the table.
    Lookup {
        start: u32,
        n: u32,
    },
}

/// Functions of one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Un {
    Neg,
    Not,
    Abs,
    Exp,
    Ln,
    Sqrt,
    /// Rounded down, up, and to the nearest whole number (halves away from zero).
    Floor,
    Ceil,
    Round,
    Log10,
    /// Sine and cosine of radians.
    Sin,
    Cos,
    Tanh,
    /// `1 / (1 + e^-x)`.
    Logistic,
}

impl Un {
    /// The function's value at `x`. Every transcendental function (`exp`, `ln`, `log10`, the
    /// trigonometric ones, `logistic`) comes from the `libm` crate, not the platform's maths
    /// library, so that a scenario gives the same bits on every machine.
    #[inline(always)]
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Un::Neg => -x,
            Un::Not => f64::from(u8::from(x == 0.0)) + poison1(x),
            Un::Abs => x.abs(),
            Un::Exp => libm::exp(x),
            Un::Ln => libm::log(x),
            Un::Sqrt => x.sqrt(),
            Un::Floor => x.floor(),
            Un::Ceil => x.ceil(),
            Un::Round => x.round(),
            Un::Log10 => libm::log10(x),
            Un::Sin => libm::sin(x),
            Un::Cos => libm::cos(x),
            Un::Tanh => libm::tanh(x),
            Un::Logistic => 1.0 / (1.0 + libm::exp(-x)),
        }
    }
}

/// Operators on two values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    /// The floored remainder, as in Python: its sign is the divisor's (`-7 % 3 == 2`).
    Mod,
    /// `a` to the power `b` (`libm::pow`).
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
    Min,
    Max,
}

impl Bin {
    /// The comparison `b` with `a OP b == b FLIPPED a`; `None` if this is not a comparison.
    pub fn flipped(self) -> Option<Bin> {
        Some(match self {
            Bin::Lt => Bin::Gt,
            Bin::Le => Bin::Ge,
            Bin::Gt => Bin::Lt,
            Bin::Ge => Bin::Le,
            Bin::Eq => Bin::Eq,
            Bin::Ne => Bin::Ne,
            _ => return None,
        })
    }

    #[inline(always)]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        let t = |c: bool| f64::from(u8::from(c));
        match self {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Mod => floored_mod(a, b),
            Bin::Pow => libm::pow(a, b),
            Bin::Lt => t(a < b) + poison(a, b),
            Bin::Le => t(a <= b) + poison(a, b),
            Bin::Gt => t(a > b) + poison(a, b),
            Bin::Ge => t(a >= b) + poison(a, b),
            Bin::Eq => t(a == b) + poison(a, b),
            Bin::Ne => t(a != b) + poison(a, b),
            Bin::And => t(a != 0.0 && b != 0.0) + poison(a, b),
            Bin::Or => t(a != 0.0 || b != 0.0) + poison(a, b),
            // `f64::min` and `max` drop a NaN operand; a value that is not a number must
            // not vanish, so it poisons the result.
            Bin::Min => a.min(b) + poison(a, b),
            Bin::Max => a.max(b) + poison(a, b),
        }
    }
}

/// 0 when `a` and `b` are finite numbers, else NaN: added to a comparison's or a logical
/// operator's 0 or 1, it carries a value that is not a number through to the condition's
/// result (where the stepper reports it) instead of letting the comparison be quietly false.
/// `x - x` is 0 exactly when `x` is finite, and this vectorises.
#[inline(always)]
pub fn poison(a: f64, b: f64) -> f64 {
    poison1(a) + poison1(b)
}

/// 0 when `x` is a finite number, else NaN (see [`poison`]).
#[inline(always)]
#[allow(clippy::eq_op)]
pub fn poison1(x: f64) -> f64 {
    x - x
}

/// `a` modulo `b`, floored: the result has the sign of `b` (or is 0), so `-7 mod 3 == 2` and
/// `7 mod -3 == -2`; `a mod 0` is NaN.
#[inline(always)]
pub fn floored_mod(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && (r < 0.0) != (b < 0.0) {
        r + b
    } else {
        r
    }
}

/// The value at `x` of the piecewise-linear table `points` (its `n` x values, increasing, then
/// its `n` y values): linear between points, the first or last y outside the table.
#[inline]
pub fn lookup(points: &[f64], x: f64) -> f64 {
    let n = points.len() / 2;
    let (xs, ys) = points.split_at(n);
    if x.is_nan() {
        return x;
    }
    // The number of points at or left of x: 0 before the table, n at or after its end.
    let i = xs.partition_point(|&p| p <= x);
    if i == 0 {
        return ys[0];
    }
    if i == n {
        return ys[n - 1];
    }
    let (x0, x1, y0, y1) = (xs[i - 1], xs[i], ys[i - 1], ys[i]);
    y0 + (y1 - y0) * ((x - x0) / (x1 - x0))
}

/// The value type of an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Num,
    Bool,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Num => "a number",
            Type::Bool => "a condition (true/false)",
        }
    }
}

/// A compiled expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Code {
    pub ops: Vec<Op>,
    pub ty: Type,
    /// Deepest operand stack the code needs.
    pub depth: usize,
    /// Coefficients of the `Affine` ops.
    pub coefs: Vec<f64>,
    /// Points of the `Lookup` ops' tables.
    pub tables: Vec<f64>,
}

impl Code {
    /// The value if the expression folded to a constant.
    pub fn constant(&self) -> Option<f64> {
        match self.ops.as_slice() {
            [Op::Const(c)] => Some(*c),
            _ => None,
        }
    }

    /// The code of one op that pushes a number (a load).
    pub fn from_op(op: Op) -> Code {
        Code {
            ops: vec![op],
            ty: Type::Num,
            depth: 1,
            coefs: Vec::new(),
            tables: Vec::new(),
        }
    }

    pub fn constant_code(value: f64, ty: Type) -> Code {
        Code {
            ops: vec![Op::Const(value)],
            ty,
            depth: 1,
            coefs: Vec::new(),
            tables: Vec::new(),
        }
    }

    /// Whether the code reads anything that changes per lane or per step.
    pub fn uses(&self, pred: impl Fn(&Op) -> bool) -> bool {
        self.ops.iter().any(pred)
    }
}
