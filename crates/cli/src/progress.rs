//! Progress of sweeps and hunts on stderr: an indicatif bar on a terminal, a plain line every
//! 10 s elsewhere (a pipe, a cluster job's log).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use scenario::run::Stopwatch;

/// Reports `done` of `total` units (runs, seeds) with a short note.
pub struct Reporter {
    unit: &'static str,
    bar: Option<ProgressBar>,
    clock: Stopwatch,
    last_line: Mutex<Option<f64>>,
}

impl Reporter {
    /// A reporter counting `unit`s.
    pub fn new(unit: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            let template =
                format!("{{spinner}} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{msg}}, eta {{eta}}");
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Reporter { unit, bar, clock: Stopwatch::start(), last_line: Mutex::new(None) }
    }

    /// Where things stand.
    pub fn update(&self, done: u64, total: u64, note: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(total);
                bar.set_position(done);
                bar.set_message(note.to_string());
            }
            None => {
                let now = self.clock.seconds();
                let mut last = self.last_line.lock().expect("progress lock");
                if last.is_none_or(|l| now - l >= 10.0) || done == total {
                    *last = Some(now);
                    eprintln!("[{now:.0}s] {done}/{total} {}, {note}", self.unit);
                }
            }
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
