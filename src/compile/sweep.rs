//! The `[sweep]` table: checked against the scenario (each varied name a parameter, one range
//! or list each, a known design and metric ids that parse) and kept in the model for `detente
//! sweep` to run when its command line does not say otherwise.

use super::Compiler;
use crate::diag::Diagnostic;
use crate::report::metric::MetricId;
use crate::sweep::{Config, Design, Factor, FactorRange};

impl Compiler<'_> {
    /// The `[sweep]` table, checked; `None` when there is none or it has errors (reported).
    pub(super) fn sweep(&mut self, parameters: &[(String, f64)]) -> Option<Config> {
        let table = self.r.spec.sweep.as_ref()?;
        let spec = &table.value;
        let before = self.errors.len();
        let number = |v: &Option<crate::spec::Located<u32>>| v.as_ref().map(|l| l.value);
        let design = match spec.design.as_ref().map(|d| (d.value.as_str(), d)) {
            None | Some(("grid", _)) => Design::Grid {
                levels: number(&spec.levels).unwrap_or(5),
            },
            Some(("oat", _)) => Design::Oat,
            Some(("lhs", _)) => Design::Lhs {
                points: number(&spec.points).unwrap_or(20),
            },
            Some(("sobol", _)) => Design::Sobol {
                base: number(&spec.points).unwrap_or(256),
            },
            Some(("morris", _)) => Design::Morris {
                trajectories: number(&spec.trajectories).unwrap_or(10),
                levels: number(&spec.levels).unwrap_or(4),
            },
            Some((other, d)) => {
                let known = ["grid", "oat", "lhs", "sobol", "morris"];
                let e = Diagnostic::at(
                    d.loc.clone(),
                    format!("unknown sweep design `{}`", crate::diag::quoted(other)),
                )
                .suggest(other, known);
                self.error(if e.hint.is_some() {
                    e
                } else {
                    e.with_hint("a design is one of grid, oat, lhs, sobol, morris")
                });
                Design::Oat
            }
        };
        let mut factors = Vec::new();
        for (name, v) in &spec.vary {
            if !parameters.iter().any(|(p, _)| p == name) {
                let d = Diagnostic::at(
                    v.loc.clone(),
                    format!(
                        "[sweep] varies `{}`, which is not a parameter",
                        crate::diag::quoted(name)
                    ),
                );
                let d = d.suggest(name, parameters.iter().map(|(p, _)| p.as_str()));
                self.error(d);
                continue;
            }
            let range = match (&v.value.range, &v.value.values) {
                (Some([lo, hi]), None) if lo < hi && lo.is_finite() && hi.is_finite() => {
                    FactorRange::Interval(*lo, *hi)
                }
                (None, Some(values))
                    if values.len() >= 2 && values.iter().all(|x| x.is_finite()) =>
                {
                    FactorRange::Values(values.clone())
                }
                _ => {
                    self.error(
                        Diagnostic::at(v.loc.clone(), format!("[sweep] `{name}`: give either range = [lo, hi] (lo below hi) or values = [v1, v2, …] (two or more)"))
                    );
                    continue;
                }
            };
            factors.push(Factor {
                name: name.clone(),
                range,
                whole: v.value.whole,
            });
        }
        let mut metrics = Vec::new();
        for m in &spec.metrics {
            match m.value.parse::<MetricId>() {
                Ok(id) => metrics.push(id),
                Err(e) => self.error(Diagnostic::at(
                    m.loc.clone(),
                    format!("[sweep] metric: {e}"),
                )),
            }
        }
        if factors.is_empty() && self.errors.len() == before {
            self.error(
                Diagnostic::at(table.loc.clone(), "[sweep] varies nothing")
                    .with_hint("add vary = { NAME = { range = [lo, hi] } }"),
            );
        }
        (self.errors.len() == before).then(|| Config {
            factors,
            design,
            runs: spec.runs.as_ref().map(|r| r.value),
            seed: spec.seed.as_ref().map(|r| r.value),
            design_seed: spec.design_seed.as_ref().map(|r| r.value),
            metrics,
        })
    }
}
