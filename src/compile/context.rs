//! What every compile stage shares: the scenario being compiled, the diagnostics found so far,
//! source locations (also inside relation files being read), and the helpers that compile one
//! expression or look up one name with a did-you-mean hint.

use super::names::Names;
use super::relation_file::{self, Origin};
use super::settings::MAX_DELAY;
use crate::diag::{quoted, Diagnostic, ErrorLog, FileId, Loc, SHOWN_PER_FILE};
use crate::expr::parse::{self, SyntaxError};
use crate::expr::{self, Code, CompileError, Ctx, Type};
use crate::load::Resolved;
use crate::spec::{self, ExprText, Located};

/// The compilation of one resolved scenario.
pub(super) struct Compiler<'a> {
    pub r: &'a Resolved,
    /// The errors found: the structural ones the loader found first, then the compiler's.
    pub errors: ErrorLog,
    /// The parameters' values (after `--set`), for numbers written as expressions over them.
    pub consts: std::collections::BTreeMap<String, f64>,
    /// Parameters whose value could not be evaluated (reported).
    pub consts_broken: std::collections::BTreeSet<String>,
    /// Parameters named by constant expressions (settings, initial values, other parameters).
    pub consts_read: std::collections::BTreeSet<String>,
    /// The named places effects land on, as registered (`On::Places` indexes them).
    pub places: Vec<crate::model::Places>,
    /// Warnings kept (at most [`SHOWN_PER_FILE`]), and how many there were in all.
    pub warnings: Vec<Diagnostic>,
    pub warnings_found: usize,
    /// The text of each relation file (`Resolved::csv` order), taken out of the source map
    /// while it is read; empty once released.
    pub csv_texts: Vec<String>,
    /// Line starts of each relation file, built when a diagnostic first needs a line number.
    csv_lines: Vec<std::cell::OnceCell<Vec<usize>>>,
    /// The `--set` values, to name in errors they cause.
    pub set: Vec<(String, f64)>,
}

/// Which of the two kinds of kind a name was looked up as.
#[derive(Clone, Copy)]
pub(super) enum KindOf {
    Actor,
    Relation,
}

impl<'a> Compiler<'a> {
    pub fn new(r: &'a Resolved, errors: ErrorLog, csv_texts: Vec<String>) -> Compiler<'a> {
        Compiler {
            r,
            errors,
            consts: Default::default(),
            consts_broken: Default::default(),
            consts_read: Default::default(),
            places: Vec::new(),
            warnings: Vec::new(),
            warnings_found: 0,
            csv_lines: vec![std::cell::OnceCell::new(); csv_texts.len()],
            csv_texts,
            set: Vec::new(),
        }
    }
}

impl Compiler<'_> {
    /// Records an error: kept if its file has fewer than [`SHOWN_PER_FILE`] errors kept and the
    /// scenario fewer than [`crate::diag::SHOWN_IN_ALL`], else only counted.
    pub fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    /// Records a warning: the first [`SHOWN_PER_FILE`] are kept, the others counted.
    pub fn warn(&mut self, d: Diagnostic) {
        self.warnings_found += 1;
        if self.warnings.len() < SHOWN_PER_FILE {
            self.warnings.push(Diagnostic {
                severity: crate::diag::Severity::Warning,
                ..d
            });
        }
    }

    /// Whether a warning would be kept.
    pub fn will_warn(&self) -> bool {
        self.warnings.len() < SHOWN_PER_FILE
    }

    /// Whether an error about `file` would be kept: hints that cost a search (did-you-mean over
    /// every actor) are computed only then.
    pub fn will_show(&self, file: FileId) -> bool {
        self.errors.will_show(file)
    }

    /// The errors, each file's note of how many more were not kept, and the warnings (with a
    /// note of how many more were not kept).
    pub fn finish(self) -> (Vec<Diagnostic>, Vec<String>, Vec<Diagnostic>) {
        let main = self.r.main;
        let mut warnings = self.warnings;
        let more = self.warnings_found - warnings.len();
        if more > 0 {
            warnings.push(Diagnostic::warning(
                Loc::new(main, 0..0),
                format!(
                    "{more} more warning{} not shown",
                    if more == 1 { " is" } else { "s are" }
                ),
            ));
        }
        (self.errors.finish(main), self.csv_texts, warnings)
    }

    /// The start of the scenario file that was asked for.
    pub fn main_loc(&self) -> Loc {
        Loc::new(self.r.main, 0..0)
    }

    /// Where a relation was written (see [`Origin`]).
    pub fn origin_loc(&self, origin: u64) -> Loc {
        if origin & Origin::INLINE != 0 {
            let i = (origin & !Origin::INLINE) as usize;
            return self.r.spec.relations[i].loc.clone();
        }
        let (k, start) = Origin::split(origin);
        let line = relation_file::line_at(&self.csv_texts[k], start);
        Loc::new(self.r.csv[k].file, start..start + line.len())
    }

    /// File name and 1-based line of a location, also in a relation file being read.
    pub fn file_line(&self, loc: &Loc) -> (String, usize) {
        let f = self.r.sources.get(loc.file);
        let line = match self.r.csv.iter().position(|c| c.file == loc.file) {
            Some(k) => {
                let starts =
                    self.csv_lines[k].get_or_init(|| crate::diag::line_starts(&self.csv_texts[k]));
                starts.partition_point(|&s| s <= loc.span.start)
            }
            None => f.line_col(loc.span.start).0,
        };
        (f.name.clone(), line)
    }

    /// Reports `name` (of a `what`) unless it is a plain name: names appear in reports, CSV
    /// headers and Markdown tables, where a comma, a quote or a line break would break them.
    pub fn check_name(&mut self, name: &str, loc: &Loc, what: &str) {
        if !super::valid_name(name) {
            self.error(
                Diagnostic::at(
                    loc.clone(),
                    format!("`{}` is not a valid {what} name", super::escaped(name)),
                )
                .with_hint("letters, digits and `_`, starting with a letter or `_`"),
            );
        }
    }

    /// A text value, or an error that it must be one.
    pub fn string(&mut self, v: &Located<toml::Value>, key: &str) -> Option<String> {
        match v.value.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!("`{key}` must be text (in quotes)"),
                ));
                None
            }
        }
    }

    /// A whole number of steps from `min` to [`MAX_DELAY`], or `default` when absent.
    pub fn small_count(
        &mut self,
        v: Option<&spec::Expr>,
        default: u32,
        min: i64,
        what: &str,
    ) -> u32 {
        match v {
            None => default,
            Some(x) => self
                .whole(x, what, min, MAX_DELAY)
                .map_or(default, |n| n as u32),
        }
    }

    pub fn lookup_action(&mut self, names: &Names, n: &spec::Name) -> Option<u16> {
        match names.actions.get(&n.value) {
            Some(&a) => Some(a),
            None => {
                let d = Diagnostic::at(n.loc.clone(), format!("unknown action `{}`", n.value));
                let d = d.suggest(&n.value, names.actions.keys().map(String::as_str));
                self.error(if d.hint.is_none() {
                    d.with_hint("declare it as [actions.NAME]")
                } else {
                    d
                });
                None
            }
        }
    }

    pub fn lookup_actor(&mut self, names: &Names, n: &spec::Name) -> Option<u32> {
        use crate::expr::Namespace;
        match names.actor(&n.value) {
            Some(a) => Some(a),
            None => {
                let d = Diagnostic::at(
                    n.loc.clone(),
                    format!("unknown actor `{}`", quoted(&n.value)),
                );
                let d = if self.will_show(n.loc.file) {
                    d.suggest(&n.value, names.actor_ids().iter().map(String::as_str))
                } else {
                    d
                };
                self.error(d);
                None
            }
        }
    }

    /// The id of an actor kind or a relation kind, or an error naming the known ones.
    pub fn lookup_kind(&mut self, names: &Names, of: KindOf, k: &spec::Name) -> Option<u16> {
        let (table, what) = match of {
            KindOf::Actor => (&names.net.actor_kind_idx, "actor"),
            KindOf::Relation => (&names.net.relation_kind_idx, "relation"),
        };
        if let Some(&kind) = table.get(&k.value) {
            return Some(kind);
        }
        let d = Diagnostic::at(k.loc.clone(), format!("no {what} has kind `{}`", k.value));
        self.error(d.suggest(&k.value, table.keys().map(String::as_str)));
        None
    }

    /// Where a span of an expression's text lies in its file (inside the quotes).
    fn expr_loc(&self, e: &spec::Expr, span: &std::ops::Range<usize>) -> Loc {
        let (_, quoted) = e.value.source();
        let file = self.r.sources.get(e.loc.file);
        let off = if !quoted {
            0
        } else if file
            .text
            .get(e.loc.span.start..e.loc.span.start + 3)
            .is_some_and(|s| s == "\"\"\"" || s == "'''")
        {
            3
        } else {
            1
        };
        let start = e.loc.span.start + off + span.start;
        let end = (e.loc.span.start + off + span.end).max(start);
        Loc::new(e.loc.file, start..end.min(e.loc.span.end.max(start)))
    }

    pub fn syntax_error(&mut self, e: &spec::Expr, err: SyntaxError, what: &str) {
        self.expr_error(e, &err.span, format!("{what}: {}", err.message), err.hint);
    }

    /// Every error of one expression's compilation.
    pub fn compile_errors(&mut self, e: &spec::Expr, errs: Vec<CompileError>, what: &str) {
        for err in errs {
            let from_set = if err.is_about_constants() {
                let (text, _) = e.value.source();
                self.set_note(text.get(err.span.clone()).unwrap_or(""))
            } else {
                String::new()
            };
            let message = format!("{what}: {}{from_set}", err.message);
            self.expr_error(e, &err.span, message, err.hint);
        }
    }

    /// " with --set k=0" for every parameter `text` names that `--set` gave a value, or "":
    /// an error a value from the command line causes is reported where it shows, and names the
    /// value.
    pub fn set_note(&self, text: &str) -> String {
        let words: Vec<&str> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        let given: Vec<String> = self
            .set
            .iter()
            .filter(|(name, _)| words.contains(&name.as_str()))
            .map(|(name, v)| format!("--set {name}={v}"))
            .collect();
        if given.is_empty() {
            String::new()
        } else {
            format!(" with {}", given.join(", "))
        }
    }

    fn expr_error(
        &mut self,
        e: &spec::Expr,
        span: &std::ops::Range<usize>,
        message: String,
        hint: Option<String>,
    ) {
        let mut d = Diagnostic::at(self.expr_loc(e, span), message);
        d.hint = hint;
        self.error(d);
    }

    /// Parses and compiles one expression; errors are recorded and `None` returned.
    pub fn expr(
        &mut self,
        e: &spec::Expr,
        want: Type,
        ctx: Ctx,
        ns: &mut Names,
        what: &str,
    ) -> Option<Code> {
        if let ExprText::Number(x) = e.value {
            if !x.is_finite() {
                self.error(Diagnostic::at(
                    e.loc.clone(),
                    format!("{what}: must be a finite number"),
                ));
                return None;
            }
        }
        let (text, _) = e.value.source();
        let ast = match parse::parse(&text) {
            Ok(a) => a,
            Err(err) => {
                let mut err = err;
                if err.message.starts_with("expected an operator")
                    && text.get(err.span.clone()) == Some("for")
                {
                    err.message = "`for N steps` is only allowed in outcomes".into();
                    err.hint = Some(
                        "a rule reads one step; keep a count in a variable to require persistence"
                            .into(),
                    );
                }
                self.syntax_error(e, err, what);
                return None;
            }
        };
        match expr::compile(&ast, want, ctx, ns) {
            Ok(c) => Some(c),
            Err(errs) => {
                self.compile_errors(e, errs, what);
                None
            }
        }
    }
}
