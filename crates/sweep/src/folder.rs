//! A sweep's folder: `sweep.json` and `scenario.toml` say which sweep it holds; `runs/` holds one
//! JSON file per finished run, written atomically, which is what makes a sweep resumable and a
//! merge exact; `timings/` holds each run's wall time apart, so `runs/` is identical between
//! identical sweeps.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use scenario::Summary;
use serde::{Deserialize, Serialize};

use crate::SweepError;
use crate::plan::RunSpec;

/// One finished run, as `runs/run-NNNNNN.json` holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Position in (point, seed) order.
    pub index: usize,
    /// The point's position.
    pub point: usize,
    /// The seed.
    pub seed: u64,
    /// The run's summary, without its wall time.
    pub summary: Summary,
}

/// What `sweep.json` records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepInfo {
    /// The scenario's name.
    pub scenario: String,
    /// The hash of the scenario as written, `[sweep]` included.
    pub scenario_hash: String,
    /// Runs in the whole sweep (all shards).
    pub runs: usize,
}

/// An open sweep folder.
pub struct SweepDir {
    /// The folder.
    pub path: PathBuf,
}

fn io(path: &Path, e: impl std::fmt::Display) -> SweepError {
    SweepError::Io(format!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| io(path, e))?;
    tmp.persist(path).map_err(|e| io(path, e.error))?;
    Ok(())
}

/// Reads `sweep.json` of a folder, if it has one.
pub fn read_info(dir: &Path) -> Result<Option<SweepInfo>, SweepError> {
    let path = dir.join("sweep.json");
    match fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            SweepError::BadInput(format!("{}: not a sweep's sweep.json: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path, e)),
    }
}

impl SweepDir {
    /// Opens `path` for the sweep `info` whose normalized scenario is `scenario_toml`: creates
    /// it, resumes it (the same scenario hash), or refuses it (another hash without `force`;
    /// files faultline did not write, always). Forced, the other sweep's files are removed.
    pub fn open(
        path: &Path,
        info: &SweepInfo,
        scenario_toml: &str,
        force: bool,
    ) -> Result<SweepDir, SweepError> {
        if path.exists() {
            if !path.is_dir() {
                return Err(SweepError::BadInput(format!(
                    "{}: exists and is not a folder",
                    path.display()
                )));
            }
            let empty = fs::read_dir(path).map_err(|e| io(path, e))?.next().is_none();
            match read_info(path)? {
                Some(found) if found.scenario_hash == info.scenario_hash => {}
                Some(_) if force => {
                    for sub in ["runs", "timings"] {
                        let p = path.join(sub);
                        if p.exists() {
                            fs::remove_dir_all(&p).map_err(|e| io(&p, e))?;
                        }
                    }
                }
                Some(found) => {
                    return Err(SweepError::BadInput(format!(
                        "{}: holds a sweep of another scenario (hash {}, this one is {}); pass \
                         --force to replace it, or choose another folder with --out",
                        path.display(),
                        found.scenario_hash,
                        info.scenario_hash
                    )));
                }
                None if empty => {}
                None => {
                    return Err(SweepError::BadInput(format!(
                        "{}: is not empty and holds no faultline sweep (no sweep.json); choose \
                         another folder with --out",
                        path.display()
                    )));
                }
            }
        }
        for sub in ["runs", "timings"] {
            let p = path.join(sub);
            fs::create_dir_all(&p).map_err(|e| io(&p, format!("cannot create the folder: {e}")))?;
        }
        let dir = SweepDir { path: path.to_path_buf() };
        write_atomic(&path.join("scenario.toml"), scenario_toml.as_bytes())?;
        let json = serde_json::to_string_pretty(info).expect("sweep info serializes") + "\n";
        write_atomic(&path.join("sweep.json"), json.as_bytes())?;
        Ok(dir)
    }

    /// Whether a run has finished (its record is there and reads back).
    pub fn has(&self, run: &RunSpec) -> bool {
        self.read(run).is_some()
    }

    /// A run's record, if it finished.
    pub fn read(&self, run: &RunSpec) -> Option<RunRecord> {
        let text = fs::read_to_string(self.run_path(run)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn run_path(&self, run: &RunSpec) -> PathBuf {
        self.path.join("runs").join(format!("{}.json", run.stem()))
    }

    /// Saves a finished run and its wall time.
    pub fn save(
        &self,
        run: &RunSpec,
        record: &RunRecord,
        wall_seconds: f64,
    ) -> Result<(), SweepError> {
        let json = serde_json::to_string_pretty(record).expect("a record serializes") + "\n";
        let timing = self.path.join("timings").join(format!("{}.txt", run.stem()));
        write_atomic(&timing, format!("{wall_seconds}\n").as_bytes())?;
        write_atomic(&self.run_path(run), json.as_bytes())
    }

    /// A run's wall time, if recorded.
    pub fn wall_seconds(&self, run: &RunSpec) -> Option<f64> {
        let p = self.path.join("timings").join(format!("{}.txt", run.stem()));
        fs::read_to_string(p).ok()?.trim().parse().ok()
    }
}
