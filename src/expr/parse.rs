//! Expression syntax: text to an untyped tree with byte spans. Knows nothing of names' meanings.
//!
//! Precedence, loosest first: `or` (`||`), `and` (`&&`), `not`, comparisons, `+ -`, `* / %`,
//! unary `-`, `^` (right-associative, so `-2^2` is -4 and `2^3^2` is 512), calls, lists and atoms.
//! Nesting is bounded so that no input can overflow the stack.

use std::ops::Range;

/// Deepest nesting of parentheses, calls and unary operators accepted.
pub const MAX_DEPTH: usize = 64;

/// Most tokens in one expression; this also bounds the depth of long operator chains.
pub const MAX_TOKENS: usize = 2000;

#[derive(Clone, Debug, PartialEq)]
pub struct Ast {
    pub node: Node,
    pub span: Range<usize>,
}

/// Every bare name `ast` reads, in order (with repeats).
pub fn names(ast: &Ast) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(a: &Ast, out: &mut Vec<String>) {
        match &a.node {
            Node::Ident(n) => out.push(n.clone()),
            Node::Call { args, .. } | Node::List(args) => args.iter().for_each(|x| walk(x, out)),
            Node::Unary(_, x) => walk(x, out),
            Node::Binary(_, x, y) => {
                walk(x, out);
                walk(y, out);
            }
            Node::Num(_) | Node::Bool(_) | Node::Str(_) => {}
        }
    }
    walk(ast, &mut out);
    out
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Num(f64),
    Bool(bool),
    Str(String),
    Ident(String),
    Call {
        name: String,
        name_span: Range<usize>,
        args: Vec<Ast>,
    },
    Unary(UnOp, Box<Ast>),
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// `[a, b, ...]`: only a lookup table's points (and each point) are lists.
    List(Vec<Ast>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// A syntax error at a byte span of the expression text.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// An outcome condition: an expression, optionally held for a number of consecutive steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub cond: Ast,
    pub steps: u32,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Sym(&'static str),
    End,
}

struct Lexer<'a> {
    text: &'a str,
    toks: Vec<(Tok, Range<usize>)>,
}

const SYMBOLS: [&str; 19] = [
    "<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "%", "^", "(", ")", "[", "]", ",", "&&",
    "||",
];

impl<'a> Lexer<'a> {
    fn run(text: &'a str) -> Result<Vec<(Tok, Range<usize>)>, SyntaxError> {
        let mut lx = Lexer {
            text,
            toks: Vec::new(),
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
            } else if c.is_ascii_digit()
                || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
            {
                i = lx.number(i)?;
            } else if c.is_ascii_alphabetic() || c == b'_' {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                lx.toks
                    .push((Tok::Ident(text[start..i].to_string()), start..i));
            } else if c == b'"' || c == b'\'' {
                let start = i;
                let end = text[i + 1..].find(c as char).ok_or_else(|| SyntaxError {
                    span: start..text.len(),
                    message: "unterminated string".into(),
                    hint: Some(format!("close it with {}", c as char)),
                })?;
                i = i + 1 + end + 1;
                lx.toks
                    .push((Tok::Str(text[start + 1..i - 1].to_string()), start..i));
            } else if let Some(sym) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
                let sym: &'static str = match *sym {
                    "&&" => "and",
                    "||" => "or",
                    s => s,
                };
                let len = if sym.len() == 3 || sym.len() == 2 {
                    2
                } else {
                    1
                };
                lx.toks.push((Tok::Sym(sym), i..i + len));
                i += len;
            } else {
                let ch = text[i..].chars().next().unwrap_or('?');
                let hint = match ch {
                    '=' => Some("comparison is `==`; effects add with `add = ...`".to_string()),
                    '!' => Some("negation is `not`".to_string()),
                    _ => None,
                };
                return Err(SyntaxError {
                    span: i..i + ch.len_utf8(),
                    message: format!("unexpected character `{ch}`"),
                    hint,
                });
            }
        }
        if lx.toks.len() > MAX_TOKENS {
            return Err(SyntaxError {
                span: 0..text.len(),
                message: format!("expression longer than {MAX_TOKENS} tokens"),
                hint: Some("split it into parameters, dynamics or series".into()),
            });
        }
        lx.toks.push((Tok::End, text.len()..text.len()));
        Ok(lx.toks)
    }

    fn number(&mut self, start: usize) -> Result<usize, SyntaxError> {
        let bytes = self.text.as_bytes();
        let mut i = start;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'_')
        {
            i += 1;
        }
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            let mut j = i + 1;
            if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                j += 1;
            }
            if j < bytes.len() && bytes[j].is_ascii_digit() {
                i = j;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
        let lit = self.text[start..i].replace('_', "");
        let value: f64 = lit.parse().map_err(|_| SyntaxError {
            span: start..i,
            message: format!("`{}` is not a number", &self.text[start..i]),
            hint: None,
        })?;
        if !value.is_finite() {
            return Err(SyntaxError {
                span: start..i,
                message: "number too large".into(),
                hint: None,
            });
        }
        self.toks.push((Tok::Num(value), start..i));
        Ok(i)
    }
}

struct Parser {
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    depth: usize,
}

/// Parses a whole expression.
pub fn parse(text: &str) -> Result<Ast, SyntaxError> {
    let mut p = Parser {
        toks: Lexer::run(text)?,
        pos: 0,
        depth: 0,
    };
    let ast = p.expr()?;
    p.expect_end()?;
    Ok(ast)
}

/// Parses an outcome condition: an expression optionally followed by `for N steps`.
pub fn parse_held(text: &str) -> Result<Held, SyntaxError> {
    let mut p = Parser {
        toks: Lexer::run(text)?,
        pos: 0,
        depth: 0,
    };
    let cond = p.expr()?;
    let mut steps = 1;
    if p.peek_ident("for") {
        p.pos += 1;
        let (tok, span) = p.next();
        steps = match tok {
            Tok::Num(n) if n >= 1.0 && n.fract() == 0.0 && n <= u32::MAX as f64 => n as u32,
            _ => {
                return Err(SyntaxError {
                    span,
                    message: "expected a whole number of steps (1 or more) after `for`".into(),
                    hint: Some("e.g. `tension(LTU, BLR) < 0.3 for 8 steps`".into()),
                })
            }
        };
        if p.peek_ident("steps") || p.peek_ident("step") {
            p.pos += 1;
        } else {
            let span = p.toks[p.pos].1.clone();
            return Err(SyntaxError {
                span,
                message: "expected `steps`".into(),
                hint: None,
            });
        }
    }
    p.expect_end()?;
    Ok(Held { cond, steps })
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn peek_ident(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w == word)
    }

    fn peek_sym(&self, sym: &str) -> bool {
        matches!(self.peek(), Tok::Sym(s) if *s == sym)
    }

    fn next(&mut self) -> (Tok, Range<usize>) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn expect_end(&mut self) -> Result<(), SyntaxError> {
        match &self.toks[self.pos] {
            (Tok::End, _) => Ok(()),
            (Tok::Sym(")"), span) => Err(SyntaxError {
                span: span.clone(),
                message: "unmatched `)`".into(),
                hint: None,
            }),
            (_, span) => Err(SyntaxError {
                span: span.clone(),
                message: "expected an operator or the end of the expression".into(),
                hint: Some("combine terms with + - * / < > == and or".into()),
            }),
        }
    }

    fn enter(&mut self, span: Range<usize>) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError {
                span,
                message: format!("expression nested more than {MAX_DEPTH} levels deep"),
                hint: Some("split it using parameters or simpler terms".into()),
            });
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Ast, SyntaxError> {
        self.binary(0)
    }

    fn binary(&mut self, level: usize) -> Result<Ast, SyntaxError> {
        const LEVELS: [&[(&str, BinOp)]; 5] = [
            &[("or", BinOp::Or)],
            &[("and", BinOp::And)],
            &[
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Mod)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        if level == 2 && self.peek_ident("not") {
            let (_, span) = self.next();
            self.enter(span.clone())?;
            let e = self.binary(2)?;
            self.depth -= 1;
            let span = span.start..e.span.end;
            return Ok(Ast {
                node: Node::Unary(UnOp::Not, Box::new(e)),
                span,
            });
        }
        let mut lhs = self.binary(level + 1)?;
        loop {
            let op = match self.peek() {
                Tok::Sym(s) => LEVELS[level]
                    .iter()
                    .find(|(t, _)| t == s)
                    .map(|(_, op)| *op),
                Tok::Ident(w) => LEVELS[level]
                    .iter()
                    .find(|(t, _)| t == w)
                    .map(|(_, op)| *op),
                _ => None,
            };
            let Some(op) = op else { break };
            self.next();
            let rhs = self.binary(level + 1)?;
            if level == 2 && matches!(rhs.node, Node::Binary(o, ..) if is_comparison(o)) {
                return Err(SyntaxError {
                    span: lhs.span.start..rhs.span.end,
                    message: "comparisons cannot be chained".into(),
                    hint: Some("write `a < b and b < c`".into()),
                });
            }
            let span = lhs.span.start..rhs.span.end;
            lhs = Ast {
                node: Node::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
            if level == 2 && self.peek_comparison() {
                let span = self.toks[self.pos].1.clone();
                return Err(SyntaxError {
                    span,
                    message: "comparisons cannot be chained".into(),
                    hint: Some("write `a < b and b < c`".into()),
                });
            }
        }
        Ok(lhs)
    }

    fn peek_comparison(&self) -> bool {
        ["<", "<=", ">", ">=", "==", "!="]
            .iter()
            .any(|s| self.peek_sym(s))
    }

    fn unary(&mut self) -> Result<Ast, SyntaxError> {
        if self.peek_sym("-") || self.peek_sym("+") {
            let negate = self.peek_sym("-");
            let (_, span) = self.next();
            self.enter(span.clone())?;
            let e = self.unary()?;
            self.depth -= 1;
            if !negate {
                return Ok(e);
            }
            let span = span.start..e.span.end;
            return Ok(Ast {
                node: Node::Unary(UnOp::Neg, Box::new(e)),
                span,
            });
        }
        self.power()
    }

    /// `atom ^ unary`: above unary minus on its left (`-2^2` is `-(2^2)`), and right-associative
    /// with a signed exponent on its right (`2^-1`, `2^3^2`).
    fn power(&mut self) -> Result<Ast, SyntaxError> {
        let base = self.atom()?;
        if !self.peek_sym("^") {
            return Ok(base);
        }
        let (_, span) = self.next();
        self.enter(span)?;
        let exponent = self.unary()?;
        self.depth -= 1;
        let span = base.span.start..exponent.span.end;
        Ok(Ast {
            node: Node::Binary(BinOp::Pow, Box::new(base), Box::new(exponent)),
            span,
        })
    }

    fn atom(&mut self) -> Result<Ast, SyntaxError> {
        let (tok, span) = self.next();
        match tok {
            Tok::Num(n) => Ok(Ast {
                node: Node::Num(n),
                span,
            }),
            Tok::Str(s) => Ok(Ast {
                node: Node::Str(s),
                span,
            }),
            Tok::Ident(w) if w == "true" || w == "false" => Ok(Ast {
                node: Node::Bool(w == "true"),
                span,
            }),
            Tok::Ident(w) if super::lexicon::is_keyword(&w) => Err(SyntaxError {
                span,
                message: format!("expected a value, found `{w}`"),
                hint: None,
            }),
            Tok::Ident(name) => {
                if !self.peek_sym("(") {
                    return Ok(Ast {
                        node: Node::Ident(name),
                        span,
                    });
                }
                let (_, open) = self.next();
                self.enter(open.clone())?;
                let args = self.items(")")?;
                let close = self.close(&open)?;
                self.depth -= 1;
                Ok(Ast {
                    node: Node::Call {
                        name,
                        name_span: span.clone(),
                        args,
                    },
                    span: span.start..close.end,
                })
            }
            Tok::Sym("[") => {
                self.enter(span.clone())?;
                let items = self.items("]")?;
                let close = match self.next() {
                    (Tok::Sym("]"), close) => close,
                    (Tok::End, _) => {
                        return Err(SyntaxError {
                            span,
                            message: "this `[` is never closed".into(),
                            hint: Some("add the missing `]`".into()),
                        })
                    }
                    (_, at) => {
                        return Err(SyntaxError {
                            span: at,
                            message: "expected `]` or `,`".into(),
                            hint: None,
                        })
                    }
                };
                self.depth -= 1;
                Ok(Ast {
                    node: Node::List(items),
                    span: span.start..close.end,
                })
            }
            Tok::Sym("(") => {
                self.enter(span.clone())?;
                let mut e = self.expr()?;
                let close = self.close(&span)?;
                self.depth -= 1;
                e.span = span.start..close.end;
                Ok(e)
            }
            Tok::End => Err(SyntaxError {
                span,
                message: "expression ends too early".into(),
                hint: Some("something is missing after the last operator".into()),
            }),
            Tok::Sym(s) => Err(SyntaxError {
                span,
                message: format!("expected a value, found `{s}`"),
                hint: None,
            }),
        }
    }

    /// Expressions separated by commas, up to (not including) `close`, which may come first.
    fn items(&mut self, close: &str) -> Result<Vec<Ast>, SyntaxError> {
        let mut items = Vec::new();
        if self.peek_sym(close) {
            return Ok(items);
        }
        loop {
            items.push(self.expr()?);
            if !self.peek_sym(",") {
                return Ok(items);
            }
            self.next();
        }
    }

    fn close(&mut self, open: &Range<usize>) -> Result<Range<usize>, SyntaxError> {
        match self.next() {
            (Tok::Sym(")"), span) => Ok(span),
            (Tok::End, _) => Err(SyntaxError {
                span: open.clone(),
                message: "this `(` is never closed".into(),
                hint: Some("add the missing `)`".into()),
            }),
            (_, span) => Err(SyntaxError {
                span,
                message: "expected `)` or `,`".into(),
                hint: None,
            }),
        }
    }
}

fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(a: &Ast) -> String {
        match &a.node {
            Node::Num(n) => format!("{n}"),
            Node::Bool(b) => format!("{b}"),
            Node::Str(s) => format!("{s:?}"),
            Node::Ident(s) => s.clone(),
            Node::Call { name, args, .. } => {
                format!(
                    "{name}({})",
                    args.iter().map(show).collect::<Vec<_>>().join(", ")
                )
            }
            Node::Unary(op, e) => format!("({op:?} {})", show(e)),
            Node::List(items) => format!(
                "[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            Node::Binary(op, l, r) => format!("({op:?} {} {})", show(l), show(r)),
        }
    }

    #[test]
    fn precedence() {
        let cases = [
            ("1 + 2 * 3", "(Add 1 (Mul 2 3))"),
            (
                "a < b and not c > 1 or d",
                "(Or (And (Lt a b) (Not (Gt c 1))) d)",
            ),
            ("-x - -2", "(Sub (Neg x) (Neg 2))"),
            (
                "tension(self, target) > 0.6",
                "(Gt tension(self, target) 0.6)",
            ),
            (
                "did(target, self, \"defect\")",
                "did(target, self, \"defect\")",
            ),
            ("(1 + 2) / 3", "(Div (Add 1 2) 3)"),
            ("a && b || c", "(Or (And a b) c)"),
            ("1e-3 + 2_000", "(Add 0.001 2000)"),
            ("-2^2", "(Neg (Pow 2 2))"),
            ("2^3^2", "(Pow 2 (Pow 3 2))"),
            ("2^-x * 3", "(Mul (Pow 2 (Neg x)) 3)"),
            ("-7 % 3 + 1", "(Add (Mod (Neg 7) 3) 1)"),
            ("a * b % c", "(Mod (Mul a b) c)"),
            ("f(x)^2", "(Pow f(x) 2)"),
            ("lookup(x, [[0, 1], [2, 3]])", "lookup(x, [[0, 1], [2, 3]])"),
        ];
        for (text, want) in cases {
            assert_eq!(show(&parse(text).unwrap()), want, "{text}");
        }
    }

    #[test]
    fn errors_point_inside_the_text() {
        let cases = [
            ("1 +", 3..3, "expression ends too early"),
            ("(1 + 2", 0..1, "this `(` is never closed"),
            ("max(1 2)", 6..7, "expected `)` or `,`"),
            ("a = b", 2..3, "unexpected character `=`"),
            ("1 < 2 < 3", 6..7, "comparisons cannot be chained"),
            ("f(1,)", 4..5, "expected a value, found `)`"),
            ("[1, 2", 0..1, "this `[` is never closed"),
            ("[1 2]", 3..4, "expected `]` or `,`"),
            (
                "1 2",
                2..3,
                "expected an operator or the end of the expression",
            ),
        ];
        for (text, span, message) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!((e.span, e.message.as_str()), (span, message), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}1{}", "(".repeat(65), ")".repeat(65));
        assert!(parse(&text)
            .unwrap_err()
            .message
            .contains("nested more than"));
        let text = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&text).unwrap_err().message.contains("longer than"));
        let text = format!("1{}", " + 1".repeat(100_000));
        assert!(parse(&text).is_err());
        let text = format!("{}1", "-".repeat(100_000));
        assert!(parse(&text).is_err());
        let text = format!("{}true", "not ".repeat(100_000));
        assert!(parse(&text).is_err());
    }

    #[test]
    fn held_for_steps() {
        let h = parse_held("x < 0.3 for 8 steps").unwrap();
        assert_eq!(h.steps, 8);
        assert_eq!(parse_held("x < 0.3").unwrap().steps, 1);
        assert!(parse_held("x < 0.3 for 0 steps").is_err());
        assert!(parse_held("x < 0.3 for 2 weeks").is_err());
    }
}
