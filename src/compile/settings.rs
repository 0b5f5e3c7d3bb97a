//! The scenario's settings (`[scenario]`: name, steps, dt, seed, caps) and its parameters, with
//! the command line's overrides applied.

use super::{Compiler, Overrides};
use crate::diag::Diagnostic;
use crate::expr::lexicon;

/// Steps one run may have at most.
pub const MAX_STEPS: i64 = 10_000_000;
/// Longest delay or duration of an effect.
pub const MAX_DELAY: i64 = 1_000_000;
/// Most actions a scenario may declare: action ids are 16 bits.
pub const MAX_ACTIONS: usize = u16::MAX as usize;
/// Most distinct actor kinds, and most distinct relation kinds: kind ids are 16 bits.
pub const MAX_KINDS: usize = u16::MAX as usize;

/// `[scenario]`, checked.
pub(super) struct Settings {
    pub name: String,
    pub description: String,
    pub time_unit: String,
    pub steps: u32,
    /// Whether `steps` is known: a missing or bad `steps` is reported once, and nothing is
    /// checked against a stand-in.
    pub steps_known: bool,
    /// The steps the file's events are checked against: the file's `steps`, or `--steps` if
    /// longer (or if the file gives none).
    pub file_steps: u32,
    pub dt: f64,
    pub seed: u64,
    /// Most actions per step of an actor without its own cap, or `u32::MAX`.
    pub default_cap: u32,
}

impl Compiler<'_> {
    pub(super) fn settings(&mut self, overrides: &Overrides) -> Settings {
        let spec = &self.r.spec;
        let meta = &spec.scenario;
        let main_name = self.r.sources.get(self.r.main).name.clone();
        let name = meta
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_else(|| {
                main_name
                    .rsplit('/')
                    .next()
                    .unwrap_or("scenario")
                    .trim_end_matches(".toml")
                    .to_string()
            });
        // The file's own `steps` is read (and checked) even under `--steps`: the events are
        // checked against it, and its expression reads parameters.
        let file_steps = meta
            .steps
            .as_ref()
            .map(|s| self.whole(s, "steps", 1, MAX_STEPS).map(|n| n as u32));
        let (steps, steps_known) = match (file_steps, overrides.steps) {
            (_, Some(s)) if s >= 1 && i64::from(s) <= MAX_STEPS => (s, true),
            (_, Some(s)) => {
                self.error(
                    Diagnostic::bare(format!("--steps {s} is out of range"))
                        .with_hint(format!("1 to {MAX_STEPS}")),
                );
                (1, false)
            }
            (Some(Some(n)), None) => (n, true),
            (Some(None), None) => (1, false),
            // `steps` could not be read, or a misspelt key meant it: that error is reported.
            (None, None) if spec.broken.scenario.contains("steps") => (1, false),
            (None, None) => {
                self.error(
                    Diagnostic::at(self.main_loc(), "missing `steps` in [scenario]").with_hint(
                        "add `steps = 52` (how many steps one run simulates) under [scenario]",
                    ),
                );
                (1, false)
            }
        };
        let file_steps = file_steps.flatten().map_or(steps, |n| n.max(steps));
        let dt = match &meta.dt {
            Some(d) => match self.constant(d, "`dt`") {
                Some(x) if x > 0.0 => x,
                Some(_) => {
                    self.error(Diagnostic::at(
                        d.loc.clone(),
                        "`dt` must be a positive number",
                    ));
                    1.0
                }
                None => 1.0,
            },
            None => 1.0,
        };
        let seed = match &meta.seed {
            Some(s) if s.value >= 0 => s.value as u64,
            Some(s) => {
                self.error(Diagnostic::at(s.loc.clone(), "`seed` must not be negative"));
                0
            }
            None => 0,
        };
        let default_cap = match &meta.max_actions_per_step {
            Some(c) => self
                .whole(c, "max_actions_per_step", 1, i64::from(u32::MAX - 1))
                .map_or(u32::MAX, |n| n as u32),
            None => u32::MAX,
        };

        let description = meta
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_default();
        let time_unit = meta
            .time_unit
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| "step".into());
        Settings {
            name,
            description,
            time_unit,
            steps,
            steps_known,
            file_steps,
            dt,
            seed,
            default_cap,
        }
    }

    /// Parameter values, in name order: numbers as written, derived parameters (`b = "2 * a"`)
    /// evaluated in dependency order, `--set` values replacing them. A parameter whose value
    /// could not be found is reported and kept as 0 (the compile fails anyway), so that the
    /// expressions reading it give no knock-on errors.
    pub(super) fn parameters(&mut self, overrides: &Overrides) -> Vec<(String, f64)> {
        for (name, p) in &self.r.spec.parameters {
            if !super::valid_name(name) {
                self.error(Diagnostic::at(
                    p.loc.clone(),
                    format!("`{name}` is not a valid parameter name"),
                ));
            }
            if lexicon::is_reserved(name) {
                self.error(Diagnostic::at(
                    p.loc.clone(),
                    format!("`{name}` is a reserved word and cannot name a parameter"),
                ));
            }
        }
        let known: Vec<(String, f64)> = overrides
            .parameters
            .iter()
            .filter(|(name, _)| self.r.spec.parameters.contains_key(name))
            .cloned()
            .collect();
        for (name, value) in &overrides.parameters {
            if !self.r.spec.parameters.contains_key(name)
                && !self.r.spec.broken.parameters.contains(name)
            {
                let d = Diagnostic::bare(format!(
                    "--set {name}: the scenario has no parameter `{name}`"
                ));
                let d = d.suggest(name, self.r.spec.parameters.keys().map(String::as_str));
                self.error(d);
            }
            if !value.is_finite() {
                self.error(Diagnostic::bare(format!(
                    "--set {name}: the value must be a finite number"
                )));
            }
        }
        self.evaluate_parameters(&known);
        self.r
            .spec
            .parameters
            .keys()
            .map(|n| (n.clone(), self.consts.get(n).copied().unwrap_or(0.0)))
            .collect()
    }
}
