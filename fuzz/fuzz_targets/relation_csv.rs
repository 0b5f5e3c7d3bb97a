//! Fuzzes the relation-file reader: the input is a relation CSV that creates its actors, read by
//! a small scenario, compiled, run for a few steps and exported as a trajectory.
#![no_main]

use detente::{MemorySources, Overrides};
use libfuzzer_sys::fuzz_target;

const SCENARIO: &str = r#"
[scenario]
steps = 3
[[relation_files]]
path = "r.csv"
create_actors = true
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1] }
trust = { of = "relation", default = 0.2 }
[actions.talk]
effects = [{ var = "tension", on = "relation", add = -0.1 }]
[rules.talk]
actor = "*"
action = "talk"
target_relation = "related"
when = "tension(self, target) > 0.3"
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(csv) = std::str::from_utf8(data) else { return };
    let sources = MemorySources::new([("s.toml", SCENARIO), ("r.csv", csv)]);
    match detente::load_model("s.toml", &sources, &Overrides::default()) {
        Ok(model) => {
            if let Ok(record) = detente::run_once(&model, 1) {
                let t = detente::report::run::trajectory(&model, &record);
                let _ = detente::report::csv::trajectory(&t);
            }
        }
        Err(d) => {
            let _ = d.render();
        }
    }
});
