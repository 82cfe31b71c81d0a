//! The report of a run: the files of its folder, the charts, and `index.html`.
//!
//! A report is written into a staging folder beside its destination ([`Staging`]) and moved
//! into place only when complete, so a run that fails half way (bad input, a full disk, an
//! interrupt) never leaves a half-written folder, and an earlier report is replaced only once
//! the new one is whole. A folder holding another scenario's run is refused unless forced; a
//! folder holding anything faultline did not write is always refused.

#![deny(missing_docs)]

pub mod bands;
pub mod charts;
pub mod compare;
pub mod html;
pub mod sequence;
pub mod timeseries;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use check::spans::spans;
use scenario::{RunResult, Summary};
use sim_core::metrics::Bucket;

/// A report that cannot be written: where, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ReportError {
    /// The folder or file.
    pub path: PathBuf,
    /// What went wrong and what to do.
    pub message: String,
}

impl ReportError {
    fn io(path: &Path, e: impl std::fmt::Display) -> Self {
        ReportError { path: path.to_path_buf(), message: e.to_string() }
    }
}

/// A run folder being written: files go in [`Staging::path`]; [`Staging::commit`] moves the
/// folder to its destination. Dropped without a commit, it is removed.
pub struct Staging {
    dir: tempfile::TempDir,
    target: PathBuf,
}

/// What a non-empty destination folder holds, judged by its `summary.json`.
fn existing_hash(target: &Path) -> Result<Option<String>, ReportError> {
    if !target.is_dir() {
        if target.exists() {
            return Err(ReportError::io(target, "exists and is not a folder"));
        }
        return Ok(None);
    }
    let entries = fs::read_dir(target)
        .map_err(|e| ReportError::io(target, format!("cannot read the folder: {e}")))?;
    if entries.count() == 0 {
        return Ok(None);
    }
    let not_ours = || ReportError {
        path: target.to_path_buf(),
        message: "is not empty and holds no faultline run (no readable summary.json); \
                  choose another folder with --out"
            .into(),
    };
    let text = fs::read_to_string(target.join("summary.json")).map_err(|_| not_ours())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| not_ours())?;
    value["scenario_hash"].as_str().map(|h| Some(h.to_string())).ok_or_else(not_ours)
}

impl Staging {
    /// Checks that `target` may receive a run of the scenario with `scenario_hash` (empty,
    /// missing, or a run of the same scenario; another scenario's run only with `force`), and
    /// opens a staging folder beside it.
    pub fn begin(target: &Path, scenario_hash: &str, force: bool) -> Result<Staging, ReportError> {
        if let Some(found) = existing_hash(target)?
            && found != scenario_hash
            && !force
        {
            return Err(ReportError {
                path: target.to_path_buf(),
                message: format!(
                    "holds a run of another scenario (hash {found}, this one is \
                     {scenario_hash}); pass --force to replace it, or choose another folder \
                     with --out"
                ),
            });
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)
            .map_err(|e| ReportError::io(&parent, format!("cannot create the folder: {e}")))?;
        let dir = tempfile::Builder::new()
            .prefix(".faultline-staging-")
            .tempdir_in(&parent)
            .map_err(|e| ReportError::io(&parent, format!("cannot write here: {e}")))?;
        Ok(Staging { dir, target: target.to_path_buf() })
    }

    /// Where the files go until the commit.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The destination.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the finished folder into place, replacing what was there only now.
    pub fn commit(self) -> Result<(), ReportError> {
        let staged = self.dir.keep();
        let err = |e: std::io::Error| ReportError::io(&self.target, e);
        if self.target.exists() {
            let old = staged.with_extension("old");
            fs::rename(&self.target, &old).map_err(err)?;
            fs::rename(&staged, &self.target).map_err(err)?;
            fs::remove_dir_all(&old).map_err(err)?;
        } else {
            fs::rename(&staged, &self.target).map_err(err)?;
        }
        Ok(())
    }
}

/// What a run folder is written from.
pub struct RunReport<'a> {
    /// The run.
    pub result: &'a RunResult,
    /// Its summary.
    pub summary: &'a Summary,
    /// The scenario's description.
    pub description: Option<&'a str>,
    /// The effective scenario, as TOML (`scenario.toml`).
    pub scenario_toml: &'a str,
    /// The command that reproduces the run.
    pub reproduce: &'a str,
    /// Also write PNG charts.
    pub png: bool,
    /// For a failed run: the space-time diagram around the first violation (SVG).
    pub spacetime: Option<&'a str>,
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> Result<(), ReportError> {
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|e| ReportError::io(&path, e))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("report data serializes");
    s.push('\n');
    s
}

/// Writes every file of a run folder into `dir`: scenario.toml, summary.json, history.jsonl,
/// faults.json, timeseries.csv, the charts and index.html.
pub fn write_run(dir: &Path, r: &RunReport) -> Result<(), ReportError> {
    write(dir, "scenario.toml", r.scenario_toml)?;
    write(dir, "summary.json", json(r.summary))?;
    let mut history = String::with_capacity(r.result.history.len() * 96);
    for e in &r.result.history {
        history.push_str(&serde_json::to_string(e).expect("history serializes"));
        history.push('\n');
    }
    write(dir, "history.jsonl", history)?;
    write(dir, "faults.json", json(&r.result.faults))?;

    let end_ns = r.result.end.0;
    let end_s = end_ns as f64 / 1e9;
    let spans = spans(&r.result.history).unwrap_or_default();
    let width_ns = timeseries::window_width_ns(end_ns);
    let windows = timeseries::windows(&spans, end_ns, width_ns);
    let csv = timeseries::to_csv(&windows, width_ns, &r.result.series)
        .map_err(|e| ReportError::io(&dir.join("timeseries.csv"), e))?;
    write(dir, "timeseries.csv", csv)?;

    let series: BTreeMap<String, Vec<Bucket>> = (r.result.series.iter())
        .map(|(name, s)| (name.clone(), timeseries::rebucket(s, windows.len(), width_ns)))
        .collect();
    let bands = bands::bands(&r.result.faults, end_s);
    let data = charts::ChartData {
        spans: &spans,
        windows: &windows,
        window_s: width_ns as f64 / 1e9,
        bands: &bands,
        end_s,
        quiet_s: r.result.quiet_start.map(|t| t.0 as f64 / 1e9),
        series: &series,
    };
    let charts = charts::charts();
    let mut svgs = Vec::with_capacity(charts.len());
    let mut files: Vec<String> =
        ["summary.json", "scenario.toml", "history.jsonl", "faults.json", "timeseries.csv"]
            .map(String::from)
            .to_vec();
    for c in &charts {
        let file = format!("{}.svg", c.name);
        let svg = c.svg(&data).map_err(|e| ReportError::io(&dir.join(&file), e))?;
        write(dir, &file, &svg)?;
        files.push(file);
        if r.png {
            let file = format!("{}.png", c.name);
            let path = dir.join(&file);
            c.png(&data, &path).map_err(|e| ReportError::io(&path, e))?;
            files.push(file);
        }
        svgs.push(svg);
    }
    // The protocol's own charts, after the client operations'.
    let protocol_charts =
        scenario::registry::protocol(&r.summary.protocol).map_or(&[][..], |p| p.charts());
    for c in protocol_charts {
        let file = format!("{}.svg", c.name);
        let svg = charts::series_svg(c, &data).map_err(|e| ReportError::io(&dir.join(&file), e))?;
        write(dir, &file, &svg)?;
        files.push(file);
        if r.png {
            let file = format!("{}.png", c.name);
            let path = dir.join(&file);
            charts::series_png(c, &data, &path).map_err(|e| ReportError::io(&path, e))?;
            files.push(file);
        }
        svgs.push(svg);
    }
    if let Some(svg) = r.spacetime {
        write(dir, "spacetime.svg", svg)?;
        files.push("spacetime.svg".into());
    }
    if dir.join("trace.jsonl").exists() {
        files.push("trace.jsonl".into());
    }
    let titles = charts.iter().map(|c| (c.name, c.title, c.caption));
    let titles = titles.chain(protocol_charts.iter().map(|c| (c.name, c.title, c.caption)));
    // Without client operations their four charts are empty: the files stay (scripts rely on
    // them), the page leaves them out.
    let shown = if r.summary.ops.invoked == 0 { charts.len() } else { 0 };
    let page_charts: Vec<html::PageChart> = titles
        .zip(&svgs)
        .skip(shown)
        .map(|((name, title, caption), svg)| html::PageChart { name, title, caption, svg })
        .collect();
    let page = html::page(&html::Page {
        summary: r.summary,
        description: r.description,
        scenario_toml: r.scenario_toml,
        reproduce: r.reproduce,
        faults: &r.result.faults,
        bands: &bands,
        end_s,
        charts: &page_charts,
        files: &files,
        spacetime: r.spacetime,
    });
    write(dir, "index.html", page)
}
