//! Shocks (`[shocks.NAME]`): exogenous changes no actor takes, on named places, at scheduled
//! steps or at a rate per step.

use super::names::Names;
use super::settings::Settings;
use super::Compiler;
use crate::diag::Diagnostic;
use crate::expr::{Ctx, Domain, Goldstein};
use crate::model::Shock;
use crate::rng;
use crate::spec::{EventSpec, Located};

impl Compiler<'_> {
    /// Every enabled shock, in name order.
    pub(super) fn shocks(
        &mut self,
        names: &mut Names,
        kin_kinds: &[u16],
        settings: &Settings,
    ) -> Vec<Shock> {
        let steps = settings.steps;
        let file_steps = if settings.steps_known {
            i64::from(settings.file_steps)
        } else {
            i64::MAX
        };
        let mut out = Vec::new();
        for (name, sh) in &self.r.spec.shocks {
            self.check_name(name, &sh.loc, "shock");
            let spec = &sh.value;
            if spec.enabled == Some(false) {
                continue;
            }
            let what = format!("shock `{name}`");
            // When: the same keys, checks and messages as an event's.
            let timing = Located::new(
                EventSpec {
                    at: spec.at.clone(),
                    rate: spec.rate.clone(),
                    from: spec.from.clone(),
                    until: spec.until.clone(),
                    ..EventSpec::default()
                },
                sh.loc.clone(),
            );
            let site = rng::key_of(&format!("shock-rate:{name}"));
            let when = self.event_when(site, &timing, &what, names, (file_steps, steps));
            let Some(list) = spec.effects.as_ref().filter(|l| !l.is_empty()) else {
                self.error(
                    Diagnostic::at(sh.loc.clone(), format!("{what} has no `effects`")).with_hint(
                        "add effects = [{ var = \"VAR\", on = { actor = \"ID\" }, add = 0.1 }]",
                    ),
                );
                continue;
            };
            let site = rng::key_of(&format!("shock:{name}"));
            let mut effects = Vec::new();
            let mut ok = true;
            for (i, eff) in list.iter().enumerate() {
                let ctx = Ctx {
                    domain: Domain::Actor,
                    allow_does: true,
                    goldstein: Goldstein::Absent,
                    site: rng::mix(site ^ i as u64),
                };
                let what = format!("effect {} of {what}", i + 1);
                match self.effect(&eff.value, names, kin_kinds, ctx, &what, true) {
                    Some(e) => effects.push(e),
                    None => ok = false,
                }
            }
            let (Some(when), true) = (when, ok) else {
                continue;
            };
            out.push(Shock {
                name: name.clone(),
                description: spec.description.clone().unwrap_or_default(),
                key: site,
                when,
                effects,
            });
        }
        out
    }
}
