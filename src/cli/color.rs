//! When diagnostics on standard error are coloured: `--color`, `NO_COLOR`, and whether standard
//! error is a terminal. The library only renders in the [`Style`] it is given; this decides it.

use detente::diag::{Part, Style};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color WHEN`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Color {
    /// Colour on a terminal, unless `NO_COLOR` is set (and not empty) or `TERM` is `dumb`.
    #[default]
    Auto,
    /// Colour, even into a file or a pipe, and whatever `NO_COLOR` says.
    Always,
    /// No colour.
    Never,
}

impl Color {
    /// The `--color` of a command line, read before clap parses it so that clap's own usage
    /// errors and help follow it too; `Auto` if it is missing or not a value (clap then says so).
    pub fn from_args(args: impl IntoIterator<Item = OsString>) -> Color {
        let mut args = args.into_iter().skip(1);
        let mut found = Color::Auto;
        while let Some(arg) = args.next() {
            let Some(arg) = arg.to_str() else { continue };
            let value = match arg {
                "--" => break,
                "--color" => args.next().and_then(|v| v.into_string().ok()),
                _ => arg.strip_prefix("--color=").map(str::to_string),
            };
            if let Some(v) = value.and_then(|v| clap::ValueEnum::from_str(&v, true).ok()) {
                found = v; // the last one wins, as clap takes it
            }
        }
        found
    }

    /// The same choice for clap's help and usage errors.
    pub fn for_clap(self) -> clap::ColorChoice {
        match self {
            Color::Auto => clap::ColorChoice::Auto,
            Color::Always => clap::ColorChoice::Always,
            Color::Never => clap::ColorChoice::Never,
        }
    }

    /// How diagnostics on standard error are rendered: in `auto`, colour only when standard
    /// error is a terminal, `NO_COLOR` is unset or empty (<https://no-color.org>) and `TERM`
    /// is not `dumb`.
    fn style(self) -> Style {
        let wanted = match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
                !no_color && !dumb && std::io::stderr().is_terminal()
            }
        };
        if wanted {
            Style::Ansi
        } else {
            Style::Plain
        }
    }
}

/// The style of standard error, set once from the command line.
static STYLE: OnceLock<Style> = OnceLock::new();

/// Decides, once, how standard error is styled.
pub fn init(color: Color) {
    let _ = STYLE.set(color.style());
}

/// How diagnostics on standard error are rendered (plain until [`init`]).
pub fn style() -> Style {
    STYLE.get().copied().unwrap_or_default()
}

/// A message of the command's own (already escaped) in the shape of a rendered diagnostic,
/// styled as one: a line's leading `error:` or `warning:` label and its message, and a hint's
/// `= hint:` label. Other lines are left as they are.
pub fn message(text: &str) -> String {
    let style = style();
    if style == Style::Plain {
        return text.to_string();
    }
    let labels = [("error", Part::Error), ("warning", Part::Warning)];
    text.split_inclusive('\n')
        .map(|line| {
            let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            for (label, part) in labels {
                if let Some(rest) = body.strip_prefix(label).and_then(|r| r.strip_prefix(": ")) {
                    let (label, rest) =
                        (style.paint(part, label), style.paint(Part::Message, rest));
                    return format!("{label}: {rest}{end}");
                }
            }
            match body.strip_prefix("      = hint: ") {
                Some(hint) => format!("      {} {hint}{end}", style.paint(Part::Hint, "= hint:")),
                None => line.to_string(),
            }
        })
        .collect()
}
