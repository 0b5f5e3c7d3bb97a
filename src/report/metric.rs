//! Metric ids: which number a report row is about, as a kind and the series, action or outcome
//! it belongs to. Their text (`final.tension_ltu_blr`, `outcome.normalization`) is what reports,
//! CSV headers and `--fail-if` conditions spell; code matches on the kind, never on the text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// What a metric measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MetricKind {
    /// Whether an outcome was reached (1 or 0 per run; across runs, a probability).
    Outcome,
    /// The first step an outcome was reached, per run.
    FirstStep,
    /// A series' value at the last step.
    Final,
    /// A series' maximum over the run.
    Peak,
    /// A series' mean over steps 0..=steps.
    Mean,
    /// How often an action was taken, by all actors together.
    Actions,
    /// A kind this version does not know, read from a saved report (of a later version, or
    /// edited): its [`MetricId::name`] holds the whole text, and it is only ever compared with
    /// the same text.
    Unknown,
}

impl MetricKind {
    /// Every kind, for parsing.
    const ALL: [MetricKind; 6] = [
        MetricKind::Outcome,
        MetricKind::FirstStep,
        MetricKind::Final,
        MetricKind::Peak,
        MetricKind::Mean,
        MetricKind::Actions,
    ];

    /// The kind's prefix in a metric id: `outcome`, `first_step`, `final`, `peak`, `mean` or
    /// `actions`.
    pub fn prefix(self) -> &'static str {
        match self {
            MetricKind::Outcome => "outcome",
            MetricKind::FirstStep => "first_step",
            MetricKind::Final => "final",
            MetricKind::Peak => "peak",
            MetricKind::Mean => "mean",
            MetricKind::Actions => "actions",
            MetricKind::Unknown => "",
        }
    }

    /// The label for people of this kind of metric of `subject`: a series' expression
    /// (`final tension(LTU, BLR)`), an action's name (``times `talk` taken``) or an outcome's
    /// (`P(normalization)`).
    pub fn label(self, subject: &str) -> String {
        match self {
            MetricKind::Final | MetricKind::Peak | MetricKind::Mean => {
                format!("{} {subject}", self.prefix())
            }
            MetricKind::Actions => format!("times `{subject}` taken"),
            MetricKind::Outcome => format!("P({subject})"),
            MetricKind::FirstStep => format!("first step of {subject}"),
            MetricKind::Unknown => subject.to_string(),
        }
    }
}

/// A metric: its kind and the name of the series, action or outcome it is of. Written
/// `<prefix>.<name>`, e.g. `final.tension_ltu_blr`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricId {
    /// What is measured.
    pub kind: MetricKind,
    /// Of which series, action or outcome.
    pub name: String,
}

impl MetricId {
    /// The metric of `kind` of the series, action or outcome `name`.
    pub fn new(kind: MetricKind, name: impl Into<String>) -> MetricId {
        MetricId {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for MetricId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            MetricKind::Unknown => f.write_str(&self.name),
            kind => write!(f, "{}.{}", kind.prefix(), self.name),
        }
    }
}

impl FromStr for MetricId {
    type Err = String;

    /// Parses `<prefix>.<name>`; fails on an unknown prefix or an empty name.
    fn from_str(s: &str) -> Result<MetricId, String> {
        let kind = s.split_once('.').and_then(|(prefix, name)| {
            let kind = MetricKind::ALL.into_iter().find(|k| k.prefix() == prefix)?;
            (!name.is_empty()).then(|| MetricId::new(kind, name))
        });
        kind.ok_or_else(|| {
            format!(
                "`{s}` is not a metric: expected final.<series>, peak.<series>, mean.<series>, \
                 actions.<action>, outcome.<outcome> or first_step.<outcome>"
            )
        })
    }
}

impl Serialize for MetricId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MetricId {
    /// Reads any text: a name of an unknown kind becomes [`MetricKind::Unknown`], so a saved
    /// report with metrics this version does not know still loads (they are not compared).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MetricId, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(text
            .parse()
            .unwrap_or_else(|_| MetricId::new(MetricKind::Unknown, text)))
    }
}

#[cfg(test)]
mod tests {
    use super::{MetricId, MetricKind};

    #[test]
    fn ids_read_back_as_they_are_written() {
        for text in [
            "final.tension_ltu_blr",
            "peak.x",
            "mean.a.b",
            "actions.talk",
            "outcome.normalization",
            "first_step.normalization",
        ] {
            let id: MetricId = text.parse().unwrap();
            assert_eq!(id.to_string(), text);
        }
        let id: MetricId = "mean.a.b".parse().unwrap();
        assert_eq!(id, MetricId::new(MetricKind::Mean, "a.b"));
    }

    #[test]
    fn unknown_kinds_and_empty_names_are_refused() {
        for text in ["finl.x", "final.", "final", "", ".x"] {
            assert!(text.parse::<MetricId>().is_err(), "{text}");
        }
    }

    #[test]
    fn labels() {
        assert_eq!(
            MetricKind::Final.label("tension(A, B)"),
            "final tension(A, B)"
        );
        assert_eq!(MetricKind::Actions.label("talk"), "times `talk` taken");
        assert_eq!(MetricKind::Outcome.label("calm"), "P(calm)");
    }
}
