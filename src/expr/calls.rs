//! The built-in functions of the expression language, their arguments (actors, actions,
//! kinds), variables read as functions (`tension(A, B)`, `resolve(self)`), and aggregates over
//! sets of relations or actors. Every name and arity comes from [`lexicon`].

use super::compile::{
    err, err_hint, AggFn, AggKey, AggSet, CompileError, Compiler, Domain, Res, Sort, MAX_AGGREGATES,
};
use super::lexicon;
use super::memory::MAX_WINDOW;
use super::parse::{Ast, Node};
use super::{Bin, Op, Type, Un, Who};
use std::ops::Range;

const TABLE_POINTS: &str = "a table's points must be constants";

impl Compiler<'_> {
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

    pub(super) fn call(
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
            "abs" | "exp" | "ln" | "log10" | "sqrt" | "sin" | "cos" | "tanh" | "logistic"
            | "floor" | "ceil" | "round" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                self.numbers(args)?;
                let op = match name {
                    "abs" => Un::Abs,
                    "exp" => Un::Exp,
                    "ln" => Un::Ln,
                    "log10" => Un::Log10,
                    "sin" => Un::Sin,
                    "cos" => Un::Cos,
                    "tanh" => Un::Tanh,
                    "logistic" => Un::Logistic,
                    "floor" => Un::Floor,
                    "ceil" => Un::Ceil,
                    "round" => Un::Round,
                    _ => Un::Sqrt,
                };
                self.emit(Op::Un(op), span)?;
                Ok(Type::Num)
            }
            "pow" | "mod" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                let left = self.ops.len();
                self.numbers(args)?;
                if name == "mod" && self.ops.last() == Some(&Op::Const(0.0)) {
                    return err(&args[1].span, "division by zero");
                }
                self.emit_bin(if name == "pow" { Bin::Pow } else { Bin::Mod }, left, span)?;
                Ok(Type::Num)
            }
            "lookup" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                self.numbers(&args[..1])?;
                self.lookup(&args[1], span)?;
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
            "times" | "since" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                let a = self.actor_arg(&args[0])?;
                let op = if args.len() == 3 {
                    let b = self.counterpart_arg(a, &args[1])?;
                    let act = self.action_arg(&args[2])?;
                    if name == "times" {
                        Op::PairTimes(a, b, act)
                    } else {
                        Op::PairSince(a, b, act)
                    }
                } else {
                    let act = self.action_arg(&args[1])?;
                    if name == "times" {
                        Op::Times(a, act)
                    } else {
                        Op::Since(a, act)
                    }
                };
                self.ops.push(op);
                Ok(Type::Num)
            }
            "did_within" | "times_within" => {
                self.arity_check(name, args, lexicon::arities(name), span)?;
                if args.len() == 3 && self.names_actor(&args[1]) && self.names_action(&args[2]) {
                    return err_hint(
                        span,
                        format!("`{name}` needs a window as its last argument"),
                        format!("e.g. `{name}(target, self, defect, 2)`: in the last 2 steps"),
                    );
                }
                let a = self.actor_arg(&args[0])?;
                let (b, act) = if args.len() == 4 {
                    let b = self.counterpart_arg(a, &args[1])?;
                    (Some(b), self.action_arg(&args[2])?)
                } else {
                    (None, self.action_arg(&args[1])?)
                };
                let k = self.window_arg(args.last().expect("arity checked"))?;
                if name == "did_within" {
                    // Within the last k steps: at most k steps since the last time.
                    self.ops.push(match b {
                        Some(b) => Op::PairSince(a, b, act),
                        None => Op::Since(a, act),
                    });
                    self.ops.push(Op::BinC(Bin::Le, f64::from(k)));
                    Ok(Type::Bool)
                } else {
                    self.ops.push(match b {
                        Some(b) => Op::PairWithin(a, b, act, k),
                        None => Op::Within(a, act, k),
                    });
                    Ok(Type::Num)
                }
            }
            "out" | "in" | "all" | "actors" => err_hint(
                span,
                format!("`{name}(...)` is a set; it can only be aggregated"),
                "e.g. `mean(tension, out(self))` or `count(in(LTU))`",
            ),
            _ => self.variable_call(name, name_span, args, span),
        }
    }

    /// The table of `lookup(x, table)` (x compiled already): a constant list of `[x, y]` pairs
    /// with increasing x, stored in the code's tables; folded when x is a constant.
    fn lookup(&mut self, table: &Ast, span: &Range<usize>) -> Res<()> {
        const HINT: &str = "a table is a list of [x, y] pairs with increasing x, e.g. `[[0, 0], [0.5, 0.2], [1, 1]]`";
        let Node::List(pairs) = &table.node else {
            return err_hint(&table.span, "expected a table of points", HINT);
        };
        if pairs.is_empty() {
            return err_hint(&table.span, "a table needs at least one point", HINT);
        }
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for pair in pairs {
            let point = match &pair.node {
                Node::List(p) if p.len() == 2 => p,
                _ => return err_hint(&pair.span, "expected a point `[x, y]`", HINT),
            };
            let x = self.constant_number(&point[0], TABLE_POINTS)?;
            let y = self.constant_number(&point[1], TABLE_POINTS)?;
            if let Some(&last) = xs.last() {
                if x <= last {
                    return err_hint(
                        &point[0].span,
                        format!("the table's x values must increase: {x} comes after {last}"),
                        "sort the points by x, with no x twice",
                    );
                }
            }
            xs.push(x);
            ys.push(y);
        }
        if let Some(&Op::Const(x)) = self.ops.last() {
            self.ops.pop();
            xs.extend(ys);
            self.ops.push(Op::Const(super::lookup(&xs, x)));
            return Ok(());
        }
        let (Ok(start), Ok(n)) = (u32::try_from(self.tables.len()), u32::try_from(xs.len())) else {
            return err(span, "too many table points in one expression");
        };
        self.tables.extend(xs);
        self.tables.extend(ys);
        self.ops.push(Op::Lookup { start, n });
        Ok(())
    }

    /// Whether `ast` is a name that reads as an actor (`self`, `target` or an actor id).
    fn names_actor(&self, ast: &Ast) -> bool {
        match &ast.node {
            Node::Ident(n) => matches!(n.as_str(), "self" | "target") || self.ns.actor(n).is_some(),
            Node::Str(n) => self.ns.actor(n).is_some(),
            _ => false,
        }
    }

    /// Whether `ast` is a name that reads as an action.
    fn names_action(&self, ast: &Ast) -> bool {
        matches!(&ast.node, Node::Ident(n) | Node::Str(n) if self.ns.action(n).is_some())
    }

    /// The counterpart `b` of a per-counterpart memory read by `a`: named actors must be joined
    /// by a relation (in either direction), since the memory is kept per relation.
    fn counterpart_arg(&mut self, a: Who, ast: &Ast) -> Res<Who> {
        let b = self.actor_arg(ast)?;
        if let (Who::Fixed(x), Who::Fixed(y)) = (a, b) {
            if self.ns.edge(x, y).is_none() && self.ns.edge(y, x).is_none() && !self.failed() {
                return err_hint(
                    &ast.span,
                    "no relation joins these two actors, in either direction",
                    "what an actor did toward a counterpart is kept per relation: add a relation between them",
                );
            }
        }
        Ok(b)
    }

    /// The window `k` of `did_within` and `times_within`: a constant whole number of steps.
    fn window_arg(&mut self, ast: &Ast) -> Res<u32> {
        let k = self.constant_number(ast, "a window must be a constant number of steps")?;
        if k.fract() != 0.0 || !(1.0..=f64::from(MAX_WINDOW)).contains(&k) {
            if self.failed() {
                return Ok(1);
            }
            return err_hint(
                &ast.span,
                format!("a window is a whole number of steps from 1 to {MAX_WINDOW}, not {k}"),
                "e.g. `did_within(target, self, defect, 2)`: in the last 2 steps",
            );
        }
        Ok(k as u32)
    }

    /// A number that must be a constant (a literal, a parameter or an expression of them).
    fn constant_number(&mut self, ast: &Ast, what: &'static str) -> Res<f64> {
        let len = self.ops.len();
        let t = self.expr(ast)?;
        self.check(t, Type::Num, &ast.span)?;
        let ops = self.ops.split_off(len);
        match ops[..] {
            [Op::Const(c)] => Ok(c),
            _ if self.failed() => Ok(0.0),
            _ => err_hint(
                &ast.span,
                what,
                "numbers, parameters, or expressions of them",
            ),
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
        // Its arguments are not read: what they mean depends on what the function is.
        self.unknown_name(Sort::Value, name, e);
        self.placeholder()
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
                None => {
                    self.unknown_argument(&ast.span, Sort::Actor, "actor", name);
                    Ok(Who::Me)
                }
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
            None => {
                self.unknown_argument(&ast.span, Sort::Action, "action", name);
                Ok(0)
            }
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
                self.unknown_name(sort, name, e);
                Ok(None)
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
                        self.unknown_name(Sort::Value, vname, e);
                        None
                    }
                }
            }
        };
        if self.failed() {
            // A placeholder expression registers no aggregate.
            return self.placeholder();
        }
        let mut key = AggKey {
            func,
            var,
            set,
            actor: None,
        };
        if let Some(Who::Fixed(a)) = who {
            key.actor = Some(a);
        }
        let Some(slot) = self.ns.aggregate(key) else {
            return err(
                span,
                format!("too many different aggregates in the scenario (at most {MAX_AGGREGATES} of a kind)"),
            );
        };
        self.ops.push(match who {
            Some(w @ (Who::Me | Who::Target)) => Op::AggActor(slot, w),
            _ => Op::AggScalar(slot),
        });
        Ok(Type::Num)
    }
}
