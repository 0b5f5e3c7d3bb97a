//! The JUnit XML exporter for `detente test`: one `<testsuite>` per scenario file, one
//! `<testcase>` per expectation, in the form CI systems (GitLab, Jenkins, GitHub actions that
//! read JUnit) show. Deterministic: no times, no host names.
//!
//! A failed expectation is a `<failure type="failed">`; an inconclusive one is a `<failure
//! type="inconclusive">`, or `<skipped>` when inconclusive results are allowed; a file that
//! could not be loaded or run is one `<testcase>` with an `<error>` holding its diagnostics.

use super::expect::{evidence, failure, status};
use crate::expect::{Report, Verdict};
use std::fmt::Write;

/// One scenario file's part of a test.
#[derive(Clone, Copy, Debug)]
pub struct FileResult<'a> {
    /// The file as results name it (`lithuania_belarus/baseline.toml`).
    pub name: &'a str,
    /// How to run detente on it, for the replay command of a failure (`detente run PATH`).
    pub command: &'a str,
    /// Its expectations checked, or why they could not be.
    pub outcome: FileOutcome<'a>,
}

/// What came of testing one file.
#[derive(Clone, Copy, Debug)]
pub enum FileOutcome<'a> {
    /// Its expectations, checked.
    Checked(&'a Report),
    /// It could not be loaded or run: the message (diagnostics, rendered without colour).
    Error(&'a str),
}

/// The JUnit XML of a test of `files`.
pub fn junit(files: &[FileResult<'_>], allow_inconclusive: bool) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0usize, 0usize, 0usize, 0usize);
    for file in files {
        let name = xml(file.name);
        match file.outcome {
            FileOutcome::Error(message) => {
                tests += 1;
                errors += 1;
                let first = message.lines().next().unwrap_or("");
                let _ = writeln!(
                    suites,
                    "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    \
                     <testcase classname=\"{name}\" name=\"(load)\">\n      \
                     <error type=\"bad input\" message=\"{}\">{}</error>\n    </testcase>\n  </testsuite>",
                    xml(first),
                    xml(message)
                );
            }
            FileOutcome::Checked(report) => {
                let f = report.count(Verdict::Fail);
                let i = report.count(Verdict::Inconclusive);
                let (suite_failures, suite_skipped) = if allow_inconclusive {
                    (f, i)
                } else {
                    (f + i, 0)
                };
                tests += report.findings.len();
                failures += suite_failures;
                skipped += suite_skipped;
                let _ = writeln!(
                    suites,
                    "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{suite_failures}\" errors=\"0\" skipped=\"{suite_skipped}\">",
                    report.findings.len()
                );
                let _ = writeln!(suites, "    <properties>");
                for (key, value) in [
                    ("scenario", report.scenario.clone()),
                    ("content_hash", format!("{:016x}", report.content_hash)),
                    ("runs", report.runs.to_string()),
                    ("seed", report.seed.to_string()),
                    ("steps", report.steps.to_string()),
                ] {
                    let _ = writeln!(
                        suites,
                        "      <property name=\"{key}\" value=\"{}\"/>",
                        xml(&value)
                    );
                }
                let _ = writeln!(suites, "    </properties>");
                for finding in &report.findings {
                    let said = evidence(report, finding);
                    let _ = write!(
                        suites,
                        "    <testcase classname=\"{name}\" name=\"{}\">",
                        xml(&finding.name)
                    );
                    let detail = failure(file.name, file.command, report, finding);
                    match finding.verdict {
                        Verdict::Pass => {}
                        Verdict::Inconclusive if allow_inconclusive => {
                            let _ = write!(
                                suites,
                                "\n      <skipped message=\"inconclusive: {}\"/>",
                                xml(&said)
                            );
                        }
                        v => {
                            let _ = write!(
                                suites,
                                "\n      <failure type=\"{}\" message=\"{}\">{}</failure>",
                                if v == Verdict::Fail {
                                    "failed"
                                } else {
                                    "inconclusive"
                                },
                                xml(&said),
                                xml(&detail)
                            );
                        }
                    }
                    let _ = writeln!(
                        suites,
                        "\n      <system-out>{}: {}\n{}</system-out>\n    </testcase>",
                        status(finding.verdict),
                        xml(&said),
                        xml(&detail)
                    );
                }
                let _ = writeln!(suites, "  </testsuite>");
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"detente test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}

/// `s` as XML text or attribute value: markup characters as entities, line breaks as character
/// references (kept in attributes, where a plain one would be read as a space), and the control
/// characters XML 1.0 cannot hold at all shown escaped (`\u{1b}`).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{7f}' | '\u{fffe}' | '\u{ffff}') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn markup_and_controls_are_escaped() {
        assert_eq!(
            xml("a<b & \"c\" 'd'>\n\u{1b}[31m"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;&#10;\\u{1b}[31m"
        );
    }
}
