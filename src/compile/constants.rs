//! Numbers that may come from parameters: a setting written as a number or as a constant
//! expression over parameters (`delay = "wall_delay"`, `steps = "2 * years * 52"`), folded at
//! load time, and derived parameters (`b = "2 * a"`), evaluated once in dependency order.

use super::Compiler;
use crate::diag::Diagnostic;
use crate::expr::{self, parse, AggKey, Ctx, Domain, Goldstein, Namespace, Sort, Type};
use crate::spec::{self, ExprText};
use std::collections::BTreeMap;

/// The names a constant expression may read: parameters only.
pub(super) struct Consts<'a> {
    pub values: &'a BTreeMap<String, f64>,
    /// Parameters that could not be evaluated (their error is reported).
    pub broken: &'a std::collections::BTreeSet<String>,
    /// The parameters the expression named.
    pub read: std::cell::RefCell<Vec<String>>,
}

impl Namespace for Consts<'_> {
    fn param(&self, name: &str) -> Option<f64> {
        let v = self.values.get(name).copied();
        if v.is_some() {
            self.read.borrow_mut().push(name.to_string());
        }
        v
    }
    fn rel_var(&self, _: &str) -> Option<u16> {
        None
    }
    fn actor_var(&self, _: &str) -> Option<u16> {
        None
    }
    fn actor(&self, _: &str) -> Option<u32> {
        None
    }
    fn action(&self, _: &str) -> Option<u16> {
        None
    }
    fn edge(&self, _: u32, _: u32) -> Option<u32> {
        None
    }
    fn rel_kind(&self, _: &str) -> Option<u16> {
        None
    }
    fn actor_kind(&self, _: &str) -> Option<u16> {
        None
    }
    fn aggregate(&mut self, _: AggKey) -> Option<u16> {
        None
    }
    fn names(&self, sort: Sort) -> Vec<String> {
        match sort {
            Sort::Value => self.values.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
    fn broken(&self, sort: Sort, name: &str) -> bool {
        matches!(sort, Sort::Value) && self.broken.contains(name)
    }
}

impl Compiler<'_> {
    /// The value of `e`: a number, or a constant expression over the parameters (folded now);
    /// `None` after reporting why not.
    pub fn constant(&mut self, e: &spec::Expr, what: &str) -> Option<f64> {
        let x = match &e.value {
            ExprText::Number(x) => *x,
            ExprText::Bool(_) => {
                self.error(Diagnostic::at(
                    e.loc.clone(),
                    format!("{what}: expected a number, found true or false"),
                ));
                return None;
            }
            ExprText::Text(_) => self.fold(e, what)?,
        };
        if !x.is_finite() {
            self.error(Diagnostic::at(
                e.loc.clone(),
                format!("{what}: must be a finite number, found {x}"),
            ));
            return None;
        }
        Some(x)
    }

    /// A constant expression folded against the parameters known so far.
    fn fold(&mut self, e: &spec::Expr, what: &str) -> Option<f64> {
        let (text, _) = e.value.source();
        let ast = match parse::parse(&text) {
            Ok(a) => a,
            Err(err) => {
                self.syntax_error(e, err, what);
                return None;
            }
        };
        let ctx = Ctx {
            domain: Domain::Global,
            allow_does: false,
            goldstein: Goldstein::Absent,
            site: 0,
        };
        let values = self.consts.clone();
        let broken = self.consts_broken.clone();
        let mut ns = Consts {
            values: &values,
            broken: &broken,
            read: Default::default(),
        };
        let compiled = expr::compile(&ast, Type::Num, ctx, &mut ns);
        self.consts_read.extend(ns.read.take());
        match compiled {
            Ok(code) => match code.constant() {
                Some(v) => Some(v),
                None => {
                    self.error(
                        Diagnostic::at(e.loc.clone(), format!("{what}: must be a constant"))
                            .with_hint("a number, or an expression over parameters such as \"2 * delay_weeks\""),
                    );
                    None
                }
            },
            Err(mut errs) => {
                // Only parameters can be named here: say so, not what expressions elsewhere read.
                for err in &mut errs {
                    let named = err
                        .message
                        .strip_prefix("unknown name `")
                        .or_else(|| err.message.strip_prefix("unknown function `"))
                        .and_then(|rest| rest.split_once('`'))
                        .map(|(n, _)| n.to_string());
                    if let Some(n) = named.filter(|n| self.r.spec.variables.contains_key(n)) {
                        err.message = format!(
                            "`{n}` is a variable, and this number is fixed when the scenario loads: only parameters can be named here"
                        );
                        err.hint = Some(
                            "a number, or an expression over parameters; a value that changes during a run belongs in a `when` or an effect's `add`".into(),
                        );
                        continue;
                    }
                    if err.message.starts_with("unknown name")
                        && !err
                            .hint
                            .as_deref()
                            .is_some_and(|h| h.starts_with("did you mean"))
                    {
                        err.hint = Some(
                            "a number, or an expression over parameters (declare it under [parameters])".into(),
                        );
                    }
                }
                self.compile_errors(e, errs, what);
                None
            }
        }
    }

    /// A whole number from `lo` to `hi` written as a number or a constant expression; `None`
    /// after reporting why not.
    pub fn whole(&mut self, e: &spec::Expr, what: &str, lo: i64, hi: i64) -> Option<i64> {
        let x = self.constant(e, &format!("`{what}`"))?;
        let shown = if matches!(e.value, ExprText::Text(_)) {
            format!(" (the expression gives {x})")
        } else {
            String::new()
        };
        if x.fract() != 0.0 || x < lo as f64 || x > hi as f64 {
            self.error(Diagnostic::at(
                e.loc.clone(),
                format!("`{what}` must be a whole number from {lo} to {hi}, found {x}{shown}"),
            ));
            return None;
        }
        Some(x as i64)
    }

    /// Every parameter's value: numbers as written, derived parameters evaluated in dependency
    /// order (a cycle is an error naming it), then `--set` values replacing them. Sets
    /// [`Compiler::consts`] for the numbers that follow.
    pub(super) fn evaluate_parameters(
        &mut self,
        overrides: &[(String, f64)],
    ) -> Vec<(String, f64)> {
        let spec = &self.r.spec.parameters;
        let mut state: BTreeMap<String, u8> = BTreeMap::new(); // 1: visiting, 2: done
        let names: Vec<String> = spec.keys().cloned().collect();
        for name in &names {
            self.evaluate(name, overrides, &mut state, &mut Vec::new());
        }
        names
            .iter()
            .filter_map(|n| self.consts.get(n).map(|v| (n.clone(), *v)))
            .collect()
    }

    fn evaluate(
        &mut self,
        name: &str,
        overrides: &[(String, f64)],
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) {
        match state.get(name) {
            Some(2) => return,
            Some(1) => {
                let start = path.iter().position(|p| p == name).unwrap_or(0);
                let cycle: Vec<&str> = path[start..]
                    .iter()
                    .map(String::as_str)
                    .chain([name])
                    .collect();
                let p = &self.r.spec.parameters[name];
                self.error(
                    Diagnostic::at(
                        p.loc.clone(),
                        format!(
                            "parameters derive from each other in a cycle: {}",
                            cycle.join(" → ")
                        ),
                    )
                    .with_hint("give one of them a number"),
                );
                self.consts_broken.insert(name.to_string());
                return;
            }
            _ => {}
        }
        let Some(p) = self.r.spec.parameters.get(name) else {
            return;
        };
        state.insert(name.to_string(), 1);
        path.push(name.to_string());
        // `--set` replaces the value written, derived or not.
        let value = match overrides.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Some(*v),
            None => {
                let written = Located::new(p.value.value(), p.loc.clone());
                if let ExprText::Text(text) = &written.value {
                    // What it reads first.
                    if let Ok(ast) = parse::parse(text) {
                        for dep in parse::names(&ast) {
                            if self.r.spec.parameters.contains_key(&dep) {
                                self.evaluate(&dep, overrides, state, path);
                            }
                        }
                    }
                }
                self.constant(&written, &format!("parameter `{name}`"))
            }
        };
        path.pop();
        state.insert(name.to_string(), 2);
        match value {
            Some(v) => drop(self.consts.insert(name.to_string(), v)),
            None => drop(self.consts_broken.insert(name.to_string())),
        }
    }
}

use crate::spec::Located;

/// The value of a constant expression of numbers alone (`4/5`, `2 * 52`, `1e-3`), as `--set`
/// takes it.
///
/// # Errors
///
/// A message when `text` is not an expression, names anything, or is not a finite number.
pub fn constant_value(text: &str) -> Result<f64, String> {
    let ast = parse::parse(text).map_err(|e| e.message)?;
    let ctx = Ctx {
        domain: Domain::Global,
        allow_does: false,
        goldstein: Goldstein::Absent,
        site: 0,
    };
    let (values, broken) = (BTreeMap::new(), std::collections::BTreeSet::new());
    let mut ns = Consts {
        values: &values,
        broken: &broken,
        read: Default::default(),
    };
    let code = expr::compile(&ast, Type::Num, ctx, &mut ns).map_err(|errs| {
        errs.into_iter()
            .next()
            .map_or_else(|| "not a number".to_string(), |e| e.message)
    })?;
    match code.constant() {
        Some(v) if v.is_finite() => Ok(v),
        Some(v) => Err(format!("the value must be a finite number, not {v}")),
        None => Err("expected a number or a constant expression".into()),
    }
}
