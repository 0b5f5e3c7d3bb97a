//! The output formats, one per exporter, as the command line names them. Which exporter a format
//! calls for a given report is the caller's choice; this only names and recognises formats.

use std::fmt;
use std::str::FromStr;

/// An output format: the exporter a report goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Versioned JSON, for programs.
    Json,
    /// Tables for people, as Markdown.
    #[cfg_attr(feature = "cli", value(name = "md", alias = "markdown"))]
    Markdown,
    /// Rows for spreadsheets.
    Csv,
    /// The summary printed on the terminal.
    #[cfg_attr(feature = "cli", value(alias = "txt"))]
    Text,
    /// A self-contained page with SVG charts, for browsers and print.
    #[cfg_attr(feature = "cli", value(alias = "htm"))]
    Html,
}

impl Format {
    /// Every format, in the order the command line lists them.
    pub const ALL: [Format; 5] = [
        Format::Json,
        Format::Markdown,
        Format::Csv,
        Format::Text,
        Format::Html,
    ];

    /// The format's name on the command line: `json`, `md`, `csv`, `text` or `html`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Csv => "csv",
            Format::Text => "text",
            Format::Html => "html",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            other => other.name(),
        }
    }

    /// The format a file name asks for by its extension (`.json`, `.md`, `.csv`, `.txt`,
    /// `.html`), or `None` for any other name.
    pub fn from_path(path: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| path.ends_with(&format!(".{}", f.extension())))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    /// Parses a format name as the command line spells it, or its alias (`markdown`, `txt`,
    /// `htm`).
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "json" => Ok(Format::Json),
            "md" | "markdown" => Ok(Format::Markdown),
            "csv" => Ok(Format::Csv),
            "text" | "txt" => Ok(Format::Text),
            "html" | "htm" => Ok(Format::Html),
            other => Err(format!(
                "unknown format `{other}`; expected json, md, csv, text or html"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn formats_from_file_names() {
        for (path, want) in [
            ("out/report.json", Some(Format::Json)),
            ("report.md", Some(Format::Markdown)),
            ("runs.csv", Some(Format::Csv)),
            ("summary.txt", Some(Format::Text)),
            ("-", None),
            ("report", None),
            ("report.html", Some(Format::Html)),
            ("report.htm", None),
        ] {
            assert_eq!(Format::from_path(path), want, "{path}");
        }
    }

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.extension().parse::<Format>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
        assert!("yaml".parse::<Format>().is_err());
    }
}
