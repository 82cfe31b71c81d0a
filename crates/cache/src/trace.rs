//! Cache traces and their exact replay.
//!
//! A trace is a sequence of requests (time, key, size), read from a CSV file with the header
//! `time,key,size` (unsigned integers: seconds, object id, bytes), the format of
//! `../shared/oracles/cache/cloudphysics.csv`. Replay serves the requests one at a time, in
//! order, through one policy, and counts what libCacheSim's simulator counts
//! (libCacheSim/profiler/simulator.c, `_simulate`): requests and requested bytes, misses and
//! missed bytes, every request counted (no warm-up). Each request carries its next use (see
//! [`next_uses`]), computed once when the trace is built, for [`Belady`](crate::Belady).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::policy::{Policy, next_uses};

/// One request of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// When it was made, in the trace's unit (seconds for the CloudPhysics trace); replay
    /// ignores it.
    pub time: u64,
    /// The object requested.
    pub key: u64,
    /// The object's size, in bytes.
    pub size_bytes: u64,
}

/// A trace: requests in order, each with the index of its key's next request.
#[derive(Clone, Debug)]
pub struct Trace {
    requests: Vec<Request>,
    next_uses: Vec<Option<u64>>,
}

/// What a replay counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Requests served.
    pub requests: u64,
    /// The sum of the requests' sizes, in bytes.
    pub request_bytes: u64,
    /// Requests that missed.
    pub misses: u64,
    /// The sum of the missed requests' sizes, in bytes.
    pub miss_bytes: u64,
}

impl ReplayStats {
    /// The fraction of requests that missed (0 for no requests); for reports.
    pub fn miss_ratio(&self) -> f64 {
        if self.requests == 0 { 0.0 } else { self.misses as f64 / self.requests as f64 }
    }

    /// The fraction of requests that hit (0 for no requests); for reports.
    pub fn hit_ratio(&self) -> f64 {
        if self.requests == 0 { 0.0 } else { 1.0 - self.miss_ratio() }
    }
}

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be opened.
    #[error("cannot open trace {path}: {source}")]
    Open {
        /// The trace file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The CSV reader failed (I/O error, or a line with the wrong number of fields).
    #[error("trace line {line}: {source}")]
    Csv {
        /// The 1-based line of the file.
        line: u64,
        /// What the CSV reader said.
        source: csv::Error,
    },
    /// The first line is not `time,key,size`.
    #[error("trace header must be `time,key,size`, found `{found}`")]
    Header {
        /// The header found, its fields joined by commas.
        found: String,
    },
    /// A field is not an unsigned 64-bit integer.
    #[error("trace line {line}: {column} must be an unsigned integer, found `{value}`")]
    Field {
        /// The 1-based line of the file.
        line: u64,
        /// The column's name.
        column: &'static str,
        /// The field as found.
        value: String,
    },
}

impl Trace {
    /// A trace of `requests`, in order.
    pub fn new(requests: Vec<Request>) -> Self {
        let keys: Vec<u64> = requests.iter().map(|request| request.key).collect();
        Self { next_uses: next_uses(&keys), requests }
    }

    /// Reads a CSV trace file (header `time,key,size`).
    pub fn read_csv(path: &Path) -> Result<Self, TraceError> {
        let file = std::fs::File::open(path)
            .map_err(|source| TraceError::Open { path: path.to_path_buf(), source })?;
        Self::from_csv(file)
    }

    /// Reads a CSV trace (header `time,key,size`) from `input`.
    pub fn from_csv(input: impl Read) -> Result<Self, TraceError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
        let header = reader.headers().map_err(|source| TraceError::Csv { line: 1, source })?;
        if header != vec!["time", "key", "size"] {
            return Err(TraceError::Header { found: header.iter().collect::<Vec<_>>().join(",") });
        }
        let mut requests = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(source) => return Err(TraceError::Csv { line, source }),
            }
            let field = |index: usize, column: &'static str| {
                let value = &record[index];
                value.parse::<u64>().map_err(|_| TraceError::Field {
                    line,
                    column,
                    value: value.to_string(),
                })
            };
            requests.push(Request {
                time: field(0, "time")?,
                key: field(1, "key")?,
                size_bytes: field(2, "size")?,
            });
        }
        Ok(Self::new(requests))
    }

    /// The requests, in order.
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// For each request, the index of its key's next request (`None`: never again).
    pub fn next_uses(&self) -> &[Option<u64>] {
        &self.next_uses
    }

    /// Serves every request, in order, through `policy` and counts the hits and misses.
    pub fn replay(&self, policy: &mut dyn Policy) -> ReplayStats {
        let mut stats = ReplayStats::default();
        for (request, &next_use) in self.requests.iter().zip(&self.next_uses) {
            stats.requests += 1;
            stats.request_bytes += request.size_bytes;
            if !policy.request(request.key, request.size_bytes, next_use) {
                stats.misses += 1;
                stats.miss_bytes += request.size_bytes;
            }
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Capacity, Queue};

    #[test]
    fn reads_a_csv_trace_and_replays_it() {
        let text = "time,key,size\n1,10,100\n1,11,100\n2,10,100\n";
        let trace = Trace::from_csv(text.as_bytes()).unwrap();
        assert_eq!(trace.requests()[1], Request { time: 1, key: 11, size_bytes: 100 });
        assert_eq!(trace.next_uses(), [Some(2), None, None]);
        let stats = trace.replay(&mut Queue::lru(Capacity::Bytes(200)));
        assert_eq!(
            stats,
            ReplayStats { requests: 3, request_bytes: 300, misses: 2, miss_bytes: 200 }
        );
    }

    #[test]
    fn a_bad_trace_says_where_and_what() {
        let error = Trace::from_csv("time,key\n1,2\n".as_bytes()).unwrap_err();
        assert_eq!(error.to_string(), "trace header must be `time,key,size`, found `time,key`");
        let error = Trace::from_csv("time,key,size\n1,2,3\n1,x,3\n".as_bytes()).unwrap_err();
        assert_eq!(error.to_string(), "trace line 3: key must be an unsigned integer, found `x`");
    }
}
