//! The `recupero` binary: parses the command line and hands over to `recupero::cli`.
fn main() -> std::process::ExitCode {
    recupero::cli::main()
}
