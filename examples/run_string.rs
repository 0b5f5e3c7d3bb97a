//! Runs a scenario given as a string once and prints a series by name.
//!
//! `cargo run --example run_string`

use detente::{MemorySources, Overrides};

const SCENARIO: &str = r#"
[scenario]
name = "two neighbours"
steps = 30
[variables]
tension = { of = "relation", default = 0.6, range = [0, 1] }
[actors.A]
[actors.B]
[[relations]]
from = "A"
to = "B"
[[relations]]
from = "B"
to = "A"
[actions.talk]
effects = [{ var = "tension", on = "both", add = -0.03 }]
[rules.talk]
actor = "*"
target_relation = "*"
action = "talk"
when = "tension(self, target) > 0.4"
probability = 0.3
[dynamics.drift]
var = "tension"
add = "0.01 * (0.7 - tension)"
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sources = MemorySources::new([("neighbours.toml", SCENARIO)]);
    // Bad input comes back as diagnostics with file, line, column and a hint.
    let model = match detente::load_model("neighbours.toml", &sources, &Overrides::default()) {
        Ok(m) => m,
        Err(d) => {
            eprint!("{}", d.render());
            std::process::exit(2);
        }
    };
    let run = detente::run_once(&model, 42)?;
    let tension = run
        .series_values(&model, "tension_A_B")
        .expect("every relation variable is a default series");
    println!("{}: tension(A, B) by step", model.name());
    for (step, value) in tension.iter().enumerate().step_by(5) {
        println!("  {step:3}  {value:.4}");
    }
    println!(
        "A talked {} times",
        run.action_count(&model, "A", "talk").unwrap_or(0)
    );
    Ok(())
}
