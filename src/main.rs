//! The `detente` command: parses arguments, calls the library, prints, exits.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
