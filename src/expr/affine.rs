//! A pass over compiled code that turns linear arithmetic into single `Affine` ops.
//!
//! `dt * (k * tension(target, self) - alpha * (tension - base) + g)` compiles to two loads and
//! ten arithmetic ops; after this pass it is the two loads and one op computing
//! `c + a·rev + b·own` in one sweep over the batch. Each value is tracked symbolically as a
//! constant plus a weighted sum of opaque terms (loads, or code this pass cannot see into);
//! non-linear operators materialise their operands back into code.
//!
//! Results can differ from unfused evaluation in the last bits (the sum is regrouped), but the
//! compiled code is a pure function of the expression, so runs stay reproducible.

use super::{Bin, Op, Un};

/// A value: `c + Σ coef · term`, each term the code of one opaque value.
#[derive(Clone, Debug)]
struct Lin {
    terms: Vec<(Vec<Op>, f64)>,
    c: f64,
}

impl Lin {
    fn constant(c: f64) -> Lin {
        Lin {
            terms: Vec::new(),
            c,
        }
    }

    fn opaque(code: Vec<Op>) -> Lin {
        Lin {
            terms: vec![(code, 1.0)],
            c: 0.0,
        }
    }

    fn scale(mut self, k: f64) -> Lin {
        for t in &mut self.terms {
            t.1 *= k;
        }
        self.c *= k;
        self
    }

    fn add(mut self, other: Lin) -> Lin {
        for (code, coef) in other.terms {
            match self.terms.iter_mut().find(|(c, _)| *c == code) {
                Some(t) => t.1 += coef,
                None => self.terms.push((code, coef)),
            }
        }
        self.c += other.c;
        self
    }

    fn as_constant(&self) -> Option<f64> {
        self.terms.is_empty().then_some(self.c)
    }

    /// Code computing this value.
    fn into_code(self, coefs: &mut Vec<f64>) -> Vec<Op> {
        match (self.terms.len(), self.c) {
            (0, c) => vec![Op::Const(c)],
            (1, c) if c == 0.0 && self.terms[0].1 == 1.0 => self
                .terms
                .into_iter()
                .next()
                .map(|t| t.0)
                .unwrap_or_default(),
            (n, c) => {
                let start = coefs.len() as u32;
                let mut code = Vec::new();
                for (term, coef) in self.terms {
                    code.extend(term);
                    coefs.push(coef);
                }
                code.push(Op::Affine {
                    n: n as u16,
                    start,
                    c,
                });
                code
            }
        }
    }
}

/// Rewrites `ops` with linear parts fused; returns the new ops and the `Affine` coefficients.
pub fn fuse(ops: Vec<Op>) -> (Vec<Op>, Vec<f64>) {
    let original = ops.clone();
    let mut coefs = Vec::new();
    let mut stack: Vec<Lin> = Vec::new();
    for op in ops {
        let arity = super::arity(&op);
        if stack.len() < arity {
            // Not well-formed postfix: leave the code as it was (the compiler never emits this).
            return (original, Vec::new());
        }
        let lin = match op {
            Op::Const(c) => Lin::constant(c),
            Op::Un(Un::Neg) => pop(&mut stack).scale(-1.0),
            Op::BinC(Bin::Add, c) | Op::CBin(Bin::Add, c) => pop(&mut stack).add(Lin::constant(c)),
            Op::BinC(Bin::Sub, c) => pop(&mut stack).add(Lin::constant(-c)),
            Op::CBin(Bin::Sub, c) => pop(&mut stack).scale(-1.0).add(Lin::constant(c)),
            Op::BinC(Bin::Mul, c) | Op::CBin(Bin::Mul, c) => pop(&mut stack).scale(c),
            Op::Bin(b @ (Bin::Add | Bin::Sub | Bin::Mul)) => {
                let rhs = pop(&mut stack);
                let lhs = pop(&mut stack);
                match b {
                    Bin::Add => lhs.add(rhs),
                    Bin::Sub => lhs.add(rhs.scale(-1.0)),
                    _ => match (lhs.as_constant(), rhs.as_constant()) {
                        (Some(k), _) => rhs.scale(k),
                        (_, Some(k)) => lhs.scale(k),
                        _ => opaque(op, vec![lhs, rhs], &mut coefs),
                    },
                }
            }
            _ => {
                let args = stack.split_off(stack.len() - arity);
                opaque(op, args, &mut coefs)
            }
        };
        stack.push(lin);
    }
    let code = stack
        .into_iter()
        .flat_map(|l| l.into_code(&mut coefs))
        .collect();
    (code, coefs)
}

fn pop(stack: &mut Vec<Lin>) -> Lin {
    stack.pop().unwrap_or_else(|| Lin::constant(0.0))
}

/// `op` applied to materialised operands, as one opaque term.
fn opaque(op: Op, args: Vec<Lin>, coefs: &mut Vec<f64>) -> Lin {
    let mut code: Vec<Op> = args.into_iter().flat_map(|a| a.into_code(coefs)).collect();
    code.push(op);
    Lin::opaque(code)
}
