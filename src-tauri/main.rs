//! The `recupero` binary: parses the command line and hands over to `recupero::cli`.
//!
//! On Windows it is a GUI-subsystem program, so a double-click (or the Start menu, or start at
//! login) opens the window without a console window beside it. Run from a terminal, it attaches
//! to that terminal's console first, so `recupero status` still prints there.
#![cfg_attr(windows, windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    #[cfg(windows)]
    attach_parent_console();
    recupero::cli::main()
}

/// Standard output and error go to the console of the terminal that started this process, if
/// any; started from Explorer there is none and the call fails, changing nothing. (Compiled on
/// Linux for the Windows target; not yet run on Windows — see the README's packaging notes.)
#[cfg(windows)]
fn attach_parent_console() {
    use windows_sys::Win32::System::Console::{AttachConsole, ATTACH_PARENT_PROCESS};
    // SAFETY: no pointers or handles are passed; the call fails harmlessly without a parent
    // console.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}
