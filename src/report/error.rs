//! Why a saved report could not be read, reports could not be compared, or a `--fail-if`
//! condition could not be checked. The messages are the ones the CLI prints.

/// A report-side failure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The saved report is not JSON (the parser's message).
    #[error("not JSON: {0}")]
    NotJson(String),
    /// The saved report is JSON without a `format` field.
    #[error("not a detente report (no `format` field)")]
    NotDetente,
    /// The saved report is another kind of detente report (its `format`).
    #[error("a `{0}` report, not an ensemble report (run with --runs N)")]
    WrongFormat(String),
    /// The saved report has another format version.
    #[error("format version {found}; this detente reads version {expected}")]
    Version {
        /// The report's version (0 when it has none).
        found: u64,
        /// The version this detente reads.
        expected: u32,
    },
    /// The saved report lacks an ensemble report's fields, or has bad values in them.
    #[error("malformed ensemble report: {0}")]
    Malformed(String),
    /// Two reports do not describe the same things, so they cannot be compared (says what
    /// differs).
    #[error("{0}: not comparable")]
    NotComparable(String),
    /// A `--fail-if` condition that cannot be checked (says why).
    #[error("--fail-if: {0}")]
    Condition(String),
    /// A chart asked for that the report does not have (says which it has).
    #[error("--plot: {0}")]
    Chart(String),
}
