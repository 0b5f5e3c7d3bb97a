//! `detente schema`: prints or writes the JSON Schema of the scenario format, for editors. The
//! schema itself is the library's (`detente::spec::json_schema`); this only outputs it.

use super::output::{self, Output};
use super::CliResult;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// Write the schema to FILE (e.g. detente.schema.json beside your scenarios, for a
    /// `#:schema ./detente.schema.json` line) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<String>,
}

/// Prints the schema, or writes it to a file (complete or untouched, as every output).
pub fn schema(args: &SchemaArgs) -> CliResult {
    let outputs = [("--out", args.out.as_deref().unwrap_or("-"))];
    output::check_outputs(&outputs)?;
    let out = Output::create(outputs[0].1)?;
    out.commit(detente::spec::json_schema().as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
