//! `scripts/spec-diff.sh NEW.yml`: the event types and `data` fields a newer Clerk webhook
//! spec adds, changes or removes relative to the copy in this repository
//! (`tests/fixtures/clerk-spec/`). `spec_diff OLD.yml NEW.yml` compares two files.
//!
//! Exit 0 with the differences printed (or "No event type or field differs."); 2 when a
//! file cannot be read or is not a webhook spec.
#![allow(clippy::print_stdout, missing_docs)] // A command-line tool: printing is its job.

use std::path::Path;
use std::process::ExitCode;

// `pub(crate)`: the spec_conformance test includes this file and uses the module through it.
#[path = "../tests/spec/mod.rs"]
pub(crate) mod spec;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("spec-diff: {error}");
            ExitCode::from(2)
        }
    }
}

/// The report for `[OLD] NEW`.
///
/// # Errors
/// A usage message, or why a file could not be read.
pub(crate) fn run(args: &[String]) -> Result<String, String> {
    let (old, new) = match args {
        [new] => (Path::new(spec::SPEC_PATH), Path::new(new)),
        [old, new] => (Path::new(old), Path::new(new)),
        _ => return Err("usage: spec-diff.sh [OLD.yml] NEW.yml".to_owned()),
    };
    let (old, new) = (spec::Spec::read(old)?, spec::Spec::read(new)?);
    Ok(spec::diff::diff(&old, &new))
}
