//! `faultline validate FILE...`: checks every file, prints every error, exits 2 if any.

use std::path::PathBuf;

use crate::Status;

pub fn run(files: &[PathBuf], sets: &[String]) -> Status {
    let mut bad = 0;
    for file in files {
        match scenario::load(file, sets) {
            Ok(s) => println!("{}: ok ({} scenario `{}`)", file.display(), s.protocol, s.name),
            Err(e) => {
                eprintln!("error: {e}");
                bad += 1;
            }
        }
    }
    if bad == 0 {
        Status::Pass
    } else {
        eprintln!("{bad} of {} files have errors", files.len());
        Status::BadInput
    }
}
