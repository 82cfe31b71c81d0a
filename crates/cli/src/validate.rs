//! `faultline validate FILE...`: checks every file, prints every error, exits 2 if any.

use std::path::PathBuf;

use crate::Status;
use crate::error::CliError;

pub fn run(files: &[PathBuf], sets: &[String]) -> Result<Status, CliError> {
    let mut errors = Vec::new();
    for file in files {
        match scenario::load(file, sets) {
            Ok(s) => println!("{}: ok ({} scenario `{}`)", file.display(), s.protocol, s.name),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(Status::Pass)
    } else {
        Err(CliError::Invalid { errors, files: files.len() })
    }
}
