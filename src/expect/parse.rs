//! The expectation language's syntax: the words around expressions (`P(…) >= x`, `mean final`,
//! `never`, `by step N`, `within T of V`, …), from a claim's text to a [`Claim`] whose
//! expressions are parsed trees. Knows nothing of names' meanings: whether a bare name is an
//! outcome, and what each expression is, is decided in `compile/expect.rs`.
//!
//! The words are found at the top level of the text (outside parentheses, brackets and quotes),
//! and every expression between them is parsed by the expression parser from a copy of the text
//! with everything else blanked out, so each tree's spans are positions in the claim's own text
//! and errors point at the right column.

use crate::expr::parse::{self, Ast, Held, SyntaxError};
use std::ops::Range;

/// A claim as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Claim {
    /// `P(event) >= x`: the share of runs in which the event happens.
    Probability { event: Event, bound: Bound },
    /// `mean …` or `median …`: a statistic of a per-run number.
    Statistic {
        stat: Stat,
        quantity: Quantity,
        bound: Bound,
    },
    /// A bare event: it must happen in every run.
    Every(Event),
}

/// The statistics of a per-run number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stat {
    Mean,
    Median,
}

/// Something that happens, or not, in one run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Event {
    /// `C` (an outcome's name, if anything), `C by step N`, `C for K steps [by step N]`.
    Reached {
        subject: Subject,
        hold: Option<Count>,
        by: Option<Count>,
    },
    /// `never C [for K steps] [by step N]`.
    Never {
        subject: Subject,
        hold: Option<Count>,
        by: Option<Count>,
    },
    /// `always C`.
    Always(Ast),
    /// `C at step N`, `final C`; also `X within T of V at step N`.
    At { subject: Subject, step: When },
}

/// What an event is about: a condition (or an outcome's name, which parses as a bare name), or
/// a number within a band around a value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Subject {
    Cond(Ast),
    Within(Within),
}

/// `X within T of V`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Within {
    pub value: Ast,
    pub tol: Ast,
    pub centre: Ast,
}

/// A whole number written in a claim (a step, or a number of steps), with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Count {
    pub n: u32,
    pub span: Range<usize>,
}

/// `by step N` or `at step N`, at the end of a claim.
enum Suffix {
    By(Count),
    At(Count),
}

/// At which step a number or condition is read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum When {
    /// `at step N`.
    Step(Count),
    /// `final`: the last step.
    Final,
}

/// A per-run number that a statistic summarizes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Quantity {
    /// `final X`, `X … at step N`.
    Value { expr: Ast, step: When },
    /// `peak X`: its largest value over the run.
    Peak(Ast),
    /// `first_step(S)`: the step the outcome or condition was first reached (held for K steps
    /// with `first_step(C for K steps)`).
    FirstStep { subject: Ast, hold: Option<Count> },
}

/// What a probability or statistic is compared with.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Bound {
    /// `> x`, `>= x`, `< x`, `<= x` (`==` and `!=` are refused at parsing).
    Cmp {
        op: &'static str,
        value: Ast,
        op_span: Range<usize>,
    },
    /// `within T of V`.
    Within { tol: Ast, centre: Ast },
}

/// One token at the top level of a claim: a parenthesised or bracketed group is one token.
#[derive(Clone, Debug, PartialEq)]
struct Tok {
    kind: Kind,
    span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Word(String),
    Num,
    Group,
    Cmp(&'static str),
    Other,
}

const COMPARISONS: [&str; 6] = ["<=", ">=", "==", "!=", "<", ">"];

/// The top-level tokens of `text`.
fn tokens(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            Kind::Word(text[start..i].to_string())
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    i = j;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            Kind::Num
        } else if c == b'(' || c == b'[' {
            i = group_end(b, i);
            Kind::Group
        } else if c == b'"' || c == b'\'' {
            i = text[i + 1..]
                .find(c as char)
                .map_or(b.len(), |e| i + 1 + e + 1);
            Kind::Other
        } else if let Some(op) = COMPARISONS.iter().find(|s| text[i..].starts_with(**s)) {
            i += op.len();
            Kind::Cmp(op)
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            Kind::Other
        };
        out.push(Tok {
            kind,
            span: start..i,
        });
    }
    out
}

/// Where the group opening at `start` ends (one past its closing bracket, or the end of the text
/// if it is not closed: the expression parser reports that).
fn group_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            q @ (b'"' | b'\'') => {
                while i + 1 < b.len() && b[i + 1] != q {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

impl Tok {
    fn is(&self, word: &str) -> bool {
        matches!(&self.kind, Kind::Word(w) if w == word)
    }
}

/// The hint every claim that does not say when it holds gets.
const WHEN_HINT: &str = "say when: `… by step N`, `… for N steps`, `… at step N`, or begin with `never`, `always` or `final`; a probability is `P(…) >= x`";

fn error(span: Range<usize>, message: impl Into<String>, hint: Option<&str>) -> SyntaxError {
    SyntaxError {
        span,
        message: message.into(),
        hint: hint.map(str::to_string),
    }
}

/// Parses a claim.
///
/// # Errors
///
/// The first syntax error, at its span in `text`.
pub(crate) fn claim(text: &str) -> Result<Claim, SyntaxError> {
    let toks = tokens(text);
    let p = Parser { text, toks: &toks };
    if toks.is_empty() {
        return Err(error(
            0..text.len(),
            "the claim is empty",
            Some("e.g. \"P(crisis) < 0.05\" or \"never tension(A, B) > 0.9\""),
        ));
    }
    let first = &toks[0];
    let second_is_group = toks.get(1).is_some_and(|t| t.kind == Kind::Group);
    if first.is("P") && second_is_group {
        let group = &toks[1];
        let inner = group.span.start + 1..close_of(text, &group.span);
        let inner_toks = tokens_in(text, inner.clone());
        let event = Parser {
            text,
            toks: &inner_toks,
        }
        .event(inner.clone())?;
        let rest = &toks[2..];
        if rest.is_empty() {
            return Err(error(
                first.span.start..group.span.end,
                "a probability needs a bound: `P(…) >= x`",
                Some("compare it with a number: >, >=, < or <=, or `within T of V`"),
            ));
        }
        let bound = p.bound(rest)?;
        return Ok(Claim::Probability { event, bound });
    }
    let stat = match first {
        t if t.is("median") => Some(Stat::Median),
        // `mean(tension, all)` is the aggregate function.
        t if t.is("mean") && !second_is_group => Some(Stat::Mean),
        _ => None,
    };
    if let Some(stat) = stat {
        let (quantity, bound) = p.statistic(&toks[1..], first.span.clone())?;
        return Ok(Claim::Statistic {
            stat,
            quantity,
            bound,
        });
    }
    Ok(Claim::Every(p.event(0..text.len())?))
}

/// One past the last character inside the group at `span` (before its closing bracket, if it
/// has one).
fn close_of(text: &str, span: &Range<usize>) -> usize {
    match text.as_bytes().get(span.end.wrapping_sub(1)) {
        Some(b')' | b']') if span.end > span.start + 1 => span.end - 1,
        _ => span.end,
    }
}

/// The top-level tokens of `text[range]`, positioned in `text`.
fn tokens_in(text: &str, range: Range<usize>) -> Vec<Tok> {
    tokens(&text[range.clone()])
        .into_iter()
        .map(|t| Tok {
            kind: t.kind,
            span: t.span.start + range.start..t.span.end + range.start,
        })
        .collect()
}

struct Parser<'a> {
    text: &'a str,
    toks: &'a [Tok],
}

impl Parser<'_> {
    /// The expression written at `span`, parsed with spans in the claim's text.
    fn expr(&self, span: Range<usize>, what: &str) -> Result<Ast, SyntaxError> {
        if self.text[span.clone()].trim().is_empty() {
            let at = span.start.min(self.text.len());
            return Err(error(
                at..span.end.max(at),
                format!("expected {what} here"),
                None,
            ));
        }
        parse::parse(&blanked(self.text, &span))
    }

    /// `C [for K steps]` at `span`, parsed as an outcome's condition is.
    fn held(&self, span: Range<usize>) -> Result<(Ast, Option<Count>), SyntaxError> {
        if self.text[span.clone()].trim().is_empty() {
            return Err(error(span, "expected an outcome or a condition here", None));
        }
        let Held { cond, steps } = parse::parse_held(&blanked(self.text, &span))?;
        // Where `for K steps` was written, for messages about it.
        let hold =
            (steps != 1 || self.text[cond.span.end..span.end].contains("for")).then_some(Count {
                n: steps,
                span: cond.span.end..span.end,
            });
        Ok((cond, hold))
    }

    /// The span of tokens `toks[range]` (empty at the end of the text if there are none).
    fn span_of(&self, toks: &[Tok], fallback: usize) -> Range<usize> {
        match (toks.first(), toks.last()) {
            (Some(a), Some(b)) => a.span.start..b.span.end,
            _ => fallback..fallback,
        }
    }

    /// A whole number token after `after`: a step (`by step N`, 0 or more) or a number of steps
    /// (`for N steps`, 1 or more).
    fn count(&self, tok: Option<&Tok>, after: &Tok, step: bool) -> Result<Count, SyntaxError> {
        let (what, min, example) = if step {
            ("a step number", 0, "e.g. `by step 20`")
        } else {
            ("a whole number of steps", 1, "e.g. `for 8 steps`")
        };
        let Some(tok) = tok.filter(|t| t.kind == Kind::Num) else {
            let span = tok.map_or(after.span.end..after.span.end, |t| t.span.clone());
            let word = &self.text[after.span.clone()];
            return Err(error(
                span,
                format!("expected {what} after `{word}`"),
                Some(example),
            ));
        };
        let written = &self.text[tok.span.clone()];
        match written.replace('_', "").parse::<u32>() {
            Ok(n) if n >= min => Ok(Count {
                n,
                span: tok.span.clone(),
            }),
            _ => Err(error(
                tok.span.clone(),
                format!("expected {what} ({min} or more), found `{written}`"),
                Some(example),
            )),
        }
    }

    /// Strips `by step N` or `at step N` from the end of `toks`: what is left, and the step.
    fn step_suffix<'t>(&self, toks: &'t [Tok]) -> Result<(&'t [Tok], Option<Suffix>), SyntaxError> {
        let n = toks.len();
        for word in ["by", "at"] {
            // `… by step 20`: the word, `step`, a number, at the end.
            if let Some(i) = (0..n).rev().find(|&i| toks[i].is(word)) {
                if toks.get(i + 1).is_some_and(|t| t.is("step")) {
                    if i + 3 != n && i + 2 < n {
                        let extra = toks[i + 3..].first().unwrap_or(&toks[n - 1]);
                        if toks[i + 2].kind == Kind::Num {
                            return Err(error(
                                extra.span.start..toks[n - 1].span.end,
                                format!("unexpected text after `{word} step N`"),
                                Some("`by step N` and `at step N` end a claim"),
                            ));
                        }
                    }
                    let count = self.count(toks.get(i + 2), &toks[i + 1], true)?;
                    let suffix = if word == "by" {
                        Suffix::By(count)
                    } else {
                        Suffix::At(count)
                    };
                    return Ok((&toks[..i], Some(suffix)));
                }
            }
        }
        Ok((toks, None))
    }

    /// Strips `for K steps` from the end of `toks`.
    fn hold_suffix<'t>(&self, toks: &'t [Tok]) -> Result<(&'t [Tok], Option<Count>), SyntaxError> {
        let n = toks.len();
        let Some(i) = (0..n).rev().find(|&i| toks[i].is("for")) else {
            return Ok((toks, None));
        };
        let count = self.count(toks.get(i + 1), &toks[i], false)?;
        match toks.get(i + 2) {
            Some(t) if (t.is("steps") || t.is("step")) && i + 3 == n => {
                // Messages about the hold point at all of `for N steps`.
                let count = Count {
                    n: count.n,
                    span: toks[i].span.start..t.span.end,
                };
                Ok((&toks[..i], Some(count)))
            }
            Some(t) if t.is("steps") || t.is("step") => Err(error(
                toks[i + 3].span.start..toks[n - 1].span.end,
                "unexpected text after `for N steps`",
                Some("write `C for N steps by step M` for a deadline"),
            )),
            other => Err(error(
                other.map_or(count.span.end..count.span.end, |t| t.span.clone()),
                "expected `steps`",
                Some("e.g. `for 8 steps`"),
            )),
        }
    }

    /// `X within T of V` at `toks`, if it has a top-level `within`.
    fn within(&self, toks: &[Tok], fallback: usize) -> Result<Option<Within>, SyntaxError> {
        let Some(w) = toks.iter().position(|t| t.is("within")) else {
            return Ok(None);
        };
        let Some(o) = toks[w..].iter().position(|t| t.is("of")).map(|o| o + w) else {
            return Err(error(
                toks[w].span.clone(),
                "`within` needs `of`: `X within T of V`",
                Some("e.g. `arms(A, B) within 1e-6 of 0.6667 at step 2000`"),
            ));
        };
        let value = self.expr(self.span_of(&toks[..w], fallback), "a number")?;
        let tol = self.expr(
            self.span_of(&toks[w + 1..o], toks[w].span.end),
            "a tolerance",
        )?;
        let centre = self.expr(self.span_of(&toks[o + 1..], toks[o].span.end), "a value")?;
        Ok(Some(Within { value, tol, centre }))
    }

    /// A subject: `X within T of V`, or a condition (or an outcome's name).
    fn subject(&self, toks: &[Tok], fallback: usize) -> Result<Subject, SyntaxError> {
        if let Some(w) = self.within(toks, fallback)? {
            return Ok(Subject::Within(w));
        }
        Ok(Subject::Cond(self.expr(
            self.span_of(toks, fallback),
            "an outcome or a condition",
        )?))
    }

    /// An event at `span` (all of `self.toks`).
    fn event(&self, span: Range<usize>) -> Result<Event, SyntaxError> {
        let toks = self.toks;
        let Some(first) = toks.first() else {
            return Err(error(span, "expected an outcome or a condition here", None));
        };
        let lead = ["never", "always", "final"]
            .into_iter()
            .find(|w| first.is(w));
        let body = if lead.is_some() { &toks[1..] } else { toks };
        let (body, step) = self.step_suffix(body)?;
        let (body, hold) = self.hold_suffix(body)?;
        let fallback = first.span.end;
        let subject = self.subject(body, fallback)?;
        let (by, at) = match step {
            Some(Suffix::By(c)) => (Some(c), None),
            Some(Suffix::At(c)) => (None, Some(c)),
            None => (None, None),
        };
        let whole = first.span.start..toks.last().map_or(span.end, |t| t.span.end);
        match lead {
            Some("never") => {
                if let Some(at) = at {
                    return Err(error(
                        at.span,
                        "`never … at step N`: say `not` instead",
                        Some("e.g. `not (C) at step N`"),
                    ));
                }
                Ok(Event::Never { subject, hold, by })
            }
            Some("always") => {
                let extra = by.or(at).map(|c| c.span).or(hold.map(|h| h.span));
                if let Some(span) = extra {
                    return Err(error(
                        span,
                        "`always C` holds at every step: it takes no step or `for N steps`",
                        Some("for a deadline write `C by step N`; for a later start, `never not C` has none either"),
                    ));
                }
                match subject {
                    Subject::Cond(c) => Ok(Event::Always(c)),
                    Subject::Within(w) => Ok(Event::Always(within_cond(w))),
                }
            }
            Some(_) => {
                let extra = by.or(at).map(|c| c.span).or(hold.map(|h| h.span));
                if let Some(span) = extra {
                    return Err(error(
                        span,
                        "`final …` is read at the last step: it takes no other step",
                        Some("drop `final`, or the step"),
                    ));
                }
                Ok(Event::At {
                    subject,
                    step: When::Final,
                })
            }
            None => {
                if let Some(at) = at {
                    if let Some(h) = hold {
                        return Err(error(
                            h.span,
                            "`for N steps … at step M`: a condition is read at one step",
                            Some("write `C for N steps by step M` for a deadline"),
                        ));
                    }
                    return Ok(Event::At {
                        subject,
                        step: When::Step(at),
                    });
                }
                if let (Subject::Within(_), None, None) = (&subject, &by, &hold) {
                    return Err(error(
                        whole,
                        "`X within T of V` needs a step: `… at step N`, or `final X within T of V`",
                        None,
                    ));
                }
                if by.is_none() && hold.is_none() {
                    // A bare name may be an outcome: the compiler decides, and gives the hint.
                    if !matches!(&subject, Subject::Cond(a) if matches!(a.node, parse::Node::Ident(_)))
                    {
                        return Err(error(
                            whole,
                            "a condition needs a time: when must it hold?",
                            Some(WHEN_HINT),
                        ));
                    }
                }
                Ok(Event::Reached { subject, hold, by })
            }
        }
    }

    /// The bound after `P(…)`: `>= x` or `within T of V`.
    fn bound(&self, rest: &[Tok]) -> Result<Bound, SyntaxError> {
        let first = &rest[0];
        if first.is("within") {
            let w = self.within_bound(rest)?;
            return Ok(w);
        }
        match first.kind {
            Kind::Cmp(op) if op == "==" || op == "!=" => Err(error(
                first.span.clone(),
                format!("`{op}` cannot be decided from a sample"),
                Some("bound it from one side (`>= x`, `< x`), or write `within T of V`"),
            )),
            Kind::Cmp(op) => {
                // `P(x) > 0.5 by step 9`: the time belongs to the event, inside the parentheses.
                if let Some(t) = rest[1..]
                    .iter()
                    .find(|t| t.is("by") || t.is("for") || t.is("at"))
                {
                    return Err(error(
                        t.span.clone(),
                        "a probability's bound is a number: when the event happens goes inside `P(…)`",
                        Some("e.g. `P(crisis by step 20) >= 0.8` or `P(tension(A, B) < 0.5 for 8 steps) > 0.5`"),
                    ));
                }
                Ok(Bound::Cmp {
                    op,
                    value: self.expr(self.span_of(&rest[1..], first.span.end), "a number")?,
                    op_span: first.span.clone(),
                })
            }
            _ => Err(error(
                first.span.clone(),
                "expected a comparison: >, >=, < or <=, or `within T of V`",
                Some("e.g. `P(crisis) < 0.05`"),
            )),
        }
    }

    /// `within T of V` as a bound.
    fn within_bound(&self, rest: &[Tok]) -> Result<Bound, SyntaxError> {
        let w = &rest[0];
        let Some(o) = rest.iter().position(|t| t.is("of")) else {
            return Err(error(
                w.span.clone(),
                "`within` needs `of`: `within T of V`",
                None,
            ));
        };
        let tol = self.expr(self.span_of(&rest[1..o], w.span.end), "a tolerance")?;
        let centre = self.expr(self.span_of(&rest[o + 1..], rest[o].span.end), "a value")?;
        Ok(Bound::Within { tol, centre })
    }

    /// After `mean` or `median`: the quantity and its bound.
    fn statistic(
        &self,
        toks: &[Tok],
        stat: Range<usize>,
    ) -> Result<(Quantity, Bound), SyntaxError> {
        let Some(first) = toks.first() else {
            return Err(error(
                stat,
                "expected what to average: `mean final X > x`, `median first_step(O) > N`",
                None,
            ));
        };
        let lead = ["final", "peak"].into_iter().find(|w| first.is(w));
        let body = if lead.is_some() { &toks[1..] } else { toks };
        let (body, step) = self.step_suffix(body)?;
        let at = match step {
            Some(Suffix::By(c)) => {
                return Err(error(
                    c.span,
                    "`by step N` is for events; a number is read `at step N`",
                    Some("e.g. `mean tension(A, B) < 0.5 at step 52`"),
                ))
            }
            Some(Suffix::At(c)) => Some(c),
            None => None,
        };
        // The bound: `within T of V`, or the one top-level comparison.
        let (lhs, bound) = match body.iter().position(|t| t.is("within")) {
            Some(w) => (&body[..w], self.within_bound(&body[w..])?),
            None => {
                let cmps: Vec<usize> = (0..body.len())
                    .filter(|&i| matches!(body[i].kind, Kind::Cmp(_)))
                    .collect();
                let Some(&c) = cmps.first() else {
                    return Err(error(
                        self.span_of(body, first.span.start),
                        "expected a bound: `> x`, `>= x`, `< x`, `<= x` or `within T of V`",
                        Some("e.g. `mean final trust(A, B) > 0.3`"),
                    ));
                };
                if cmps.len() > 1 {
                    return Err(error(
                        body[cmps[1]].span.clone(),
                        "a statistic takes one bound",
                        Some("write two expectations, or `within T of V`"),
                    ));
                }
                (&body[..c], self.bound(&body[c..])?)
            }
        };
        let fallback = first.span.start;
        let quantity = match (lead, at) {
            (Some(word), Some(at)) => {
                return Err(error(
                    at.span,
                    format!("`{word} …` takes no step"),
                    Some("drop the step, or the word"),
                ))
            }
            (Some("peak"), None) => {
                Quantity::Peak(self.expr(self.span_of(lhs, fallback), "a number")?)
            }
            (Some(_), None) => Quantity::Value {
                expr: self.expr(self.span_of(lhs, fallback), "a number")?,
                step: When::Final,
            },
            (None, at) => match lhs {
                [f, g] if f.is("first_step") && g.kind == Kind::Group => {
                    if let Some(at) = at {
                        return Err(error(
                            at.span,
                            "`first_step(…)` is a step already: it takes no `at step N`",
                            None,
                        ));
                    }
                    let inner = g.span.start + 1..close_of(self.text, &g.span);
                    let (subject, hold) = self.held(inner)?;
                    Quantity::FirstStep { subject, hold }
                }
                _ => {
                    let Some(at) = at else {
                        return Err(error(
                            self.span_of(body, fallback),
                            "say which step the number is read at: `mean final X …` or `mean X … at step N`",
                            Some("`peak X` is its largest value; `first_step(outcome)` the step it is reached"),
                        ));
                    };
                    Quantity::Value {
                        expr: self.expr(self.span_of(lhs, fallback), "a number")?,
                        step: When::Step(at),
                    }
                }
            },
        };
        Ok((quantity, bound))
    }
}

/// `abs(X - V) <= T`, the condition `X within T of V` stands for, built as a tree (never parsed
/// again as text) with the spans of its parts.
pub(crate) fn within_cond(w: Within) -> Ast {
    use parse::{BinOp, Node};
    let span = w.value.span.start..w.centre.span.end;
    let diff = Ast {
        node: Node::Binary(BinOp::Sub, Box::new(w.value), Box::new(w.centre)),
        span: span.clone(),
    };
    let abs = Ast {
        node: Node::Call {
            name: "abs".into(),
            name_span: span.clone(),
            args: vec![diff],
        },
        span: span.clone(),
    };
    Ast {
        node: Node::Binary(BinOp::Le, Box::new(abs), Box::new(w.tol)),
        span,
    }
}

/// `text` with every byte outside `keep` replaced by a space: the same length, so an expression
/// parsed from it has its spans in `text`.
fn blanked(text: &str, keep: &Range<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, ch) in text.char_indices() {
        if keep.contains(&i) {
            out.push(ch);
        } else {
            out.extend(std::iter::repeat_n(' ', ch.len_utf8()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> String {
        match claim(text) {
            Ok(c) => format!("{c:?}")
                .split(['{', '(', ' ', ','])
                .filter(|w| {
                    [
                        "Probability",
                        "Statistic",
                        "Every",
                        "Reached",
                        "Never",
                        "Always",
                        "At",
                        "Mean",
                        "Median",
                        "Value",
                        "Peak",
                        "FirstStep",
                        "Cmp",
                        "Within",
                        "Final",
                        "Step",
                    ]
                    .contains(w)
                })
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("error at {:?}: {}", e.span, e.message),
        }
    }

    #[test]
    fn each_form_parses_to_its_shape() {
        let cases = [
            ("P(normalization) >= 0.5", "Probability Reached Cmp"),
            (
                "P(tension(A, B) < 0.5 by step 20) >= 0.8",
                "Probability Reached Cmp",
            ),
            (
                "mean final trust(A, B) > 0.3",
                "Statistic Mean Value Final Cmp",
            ),
            (
                "median first_step(crisis) > 52",
                "Statistic Median FirstStep Cmp",
            ),
            (
                "mean tension(A, B) < 0.5 at step 52",
                "Statistic Mean Value Step Cmp",
            ),
            ("mean peak tension(A, B) < 0.9", "Statistic Mean Peak Cmp"),
            ("tension(A, B) < 0.5 by step 20", "Every Reached"),
            ("tension(A, B) < 0.5 for 8 steps", "Every Reached"),
            ("never tension(A, B) > 0.95", "Every Never"),
            ("always resolve(A) > 0.2", "Every Always"),
            (
                "arms(A, B) within 1e-6 of 0.6667 at step 2000",
                "Every At Within Within Step",
            ),
            (
                "final arms(A, B) within 0.01 of 0.6667",
                "Every At Within Within Final",
            ),
            ("mean(tension, all) < 0.5 at step 3", "Every At Step"),
            (
                "mean final x within 0.1 of 0.5",
                "Statistic Mean Value Final Within",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(shape(text), want, "{text}");
        }
    }

    #[test]
    fn spans_are_positions_in_the_claim() {
        let Ok(Claim::Statistic {
            quantity, bound, ..
        }) = claim("mean final trust(A, B) > 0.3")
        else {
            panic!()
        };
        let Quantity::Value { expr, .. } = quantity else {
            panic!()
        };
        assert_eq!(expr.span, 11..22);
        let Bound::Cmp { value, op, .. } = bound else {
            panic!()
        };
        assert_eq!((op, value.span), (">", 25..28));
    }

    #[test]
    fn mistakes_point_at_their_place() {
        let cases = [
            ("tension(A, B) < 0.5", "error at 0..19: a condition needs a time: when must it hold?"),
            ("P(crisis) == 0", "error at 10..12: `==` cannot be decided from a sample"),
            ("P(crisis)", "error at 0..9: a probability needs a bound: `P(…) >= x`"),
            (
                "P(crisis) > 0.5 by step 9",
                "error at 16..18: a probability's bound is a number: when the event happens goes inside `P(…)`",
            ),
            ("x < 1 by step", "error at 13..13: expected a step number after `step`"),
            ("x < 1 by step -3", "error at 14..15: expected a step number after `step`"),
            ("x < 1 for 0 steps", "error at 10..11: expected a whole number of steps (1 or more), found `0`"),
            ("mean final x", "error at 11..12: expected a bound: `> x`, `>= x`, `< x`, `<= x` or `within T of V`"),
            ("always x > 1 by step 3", "error at 21..22: `always C` holds at every step: it takes no step or `for N steps`"),
            ("x within 0.1 at step 3", "error at 2..8: `within` needs `of`: `X within T of V`"),
            ("mean final a > 1 and b < 2", "error at 23..24: a statistic takes one bound"),
        ];
        for (text, want) in cases {
            assert_eq!(shape(text), want, "{text}");
        }
    }
}
