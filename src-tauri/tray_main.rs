//! The `recupero-tray` binary: Recupero resident in the tray, without its window and without
//! WebKit (see `recupero::native::tray_only`).
#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    recupero::native::tray_only::main()
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("recupero-tray runs on Linux; elsewhere closing the window keeps `recupero` in the tray");
    std::process::ExitCode::FAILURE
}
