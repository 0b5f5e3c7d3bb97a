//! `detente completions` and `detente man`: shell completions and man pages, generated from the
//! clap definitions, so they always list the commands and flags the program takes.

use super::output::{self, Output};
use super::CliResult;
use clap::CommandFactory;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write detente.1 and one page per command (detente-run.1, detente-compare.1, …) into DIR
    /// (created if missing) instead of printing detente.1.
    #[arg(long, short, value_name = "DIR")]
    out: Option<String>,
}

/// The command line as clap knows it, named as it is installed.
fn command() -> clap::Command {
    super::Cli::command().bin_name("detente")
}

/// Prints the completion script for a shell.
pub fn completions(args: &CompletionsArgs) -> CliResult {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command(), "detente", &mut script);
    Output::create("-")?.commit(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page, or writes one page per command into a folder.
pub fn man(args: &ManArgs) -> CliResult {
    // As clap_mangen's `generate_to`: no page for `help`, and subcommands named `detente-run`.
    let mut root = command().disable_help_subcommand(true);
    root.build();
    let Some(dir) = &args.out else {
        Output::create("-")?.commit(&page(root)?)?;
        return Ok(ExitCode::SUCCESS);
    };
    let mut pages = vec![root.clone()];
    pages.extend(root.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    let pages: Vec<(String, clap::Command)> = pages
        .into_iter()
        .map(|c| {
            let file = clap_mangen::Man::new(c.clone()).get_filename();
            let path = std::path::Path::new(dir).join(file);
            (path.to_string_lossy().into_owned(), c)
        })
        .collect();
    let outputs: Vec<(&str, &str)> = pages.iter().map(|(p, _)| ("--out", p.as_str())).collect();
    output::check_outputs(&outputs)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("error: cannot create `{dir}`: {e}\n"))?;
    for (path, cmd) in pages {
        let out = Output::create(&path)?;
        out.commit(&page(cmd)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One man page, in roff.
fn page(cmd: clap::Command) -> Result<Vec<u8>, String> {
    let mut roff = Vec::new();
    // Every page's footer names the program and its version (a subcommand has no version).
    clap_mangen::Man::new(cmd)
        .source(concat!("detente ", env!("CARGO_PKG_VERSION")))
        .render(&mut roff)
        .map_err(|e| format!("error: cannot render the man page: {e}\n"))?;
    Ok(roff)
}
