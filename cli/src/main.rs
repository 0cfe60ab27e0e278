//! The `meshlb` binary: see the `meshlb_cli` library for the program.

use std::process::ExitCode;

fn main() -> ExitCode {
    let status = meshlb_cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(status)
}
