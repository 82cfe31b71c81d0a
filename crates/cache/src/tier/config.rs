//! `[cache]`: the eviction policy, the capacity, the tier's shape and the request stream. One
//! struct, parsed with unknown keys rejected and validated once; and one list,
//! [`PARAMETERS`], that `faultline list` prints.

use platform::Parameter;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use sim_core::config::{ConfigError, require_bounded, require_positive};

use crate::{Capacity, PolicyKind};

/// An eviction policy as scenario files name it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyName {
    /// Least recently used.
    #[default]
    Lru,
    /// First in, first out.
    Fifo,
    /// CLOCK (second chance).
    Clock,
    /// Least frequently used, ties by least recently used.
    Lfu,
    /// Window TinyLFU, as Caffeine does it.
    #[serde(rename = "w-tinylfu")]
    WTinyLfu,
    /// Belady's optimum: needs a trace (it reads each request's next use).
    Belady,
}

impl PolicyName {
    /// The policy it names.
    pub fn kind(self) -> PolicyKind {
        match self {
            PolicyName::Lru => PolicyKind::Lru,
            PolicyName::Fifo => PolicyKind::Fifo,
            PolicyName::Clock => PolicyKind::Clock,
            PolicyName::Lfu => PolicyKind::Lfu,
            PolicyName::WTinyLfu => PolicyKind::WTinyLfu,
            PolicyName::Belady => PolicyKind::Belady,
        }
    }
}

/// `capacity`: an integer counts objects; a string with a unit counts bytes (`"128MiB"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CapacitySpec {
    /// Objects, whatever their sizes.
    Entries(u64),
    /// Bytes: a number and a unit, `B`, `KiB`, `MiB`, `GiB` (powers of 1024) or `KB`, `MB`,
    /// `GB` (powers of 1000).
    Bytes(String),
}

impl Default for CapacitySpec {
    fn default() -> Self {
        CapacitySpec::Entries(1000)
    }
}

impl CapacitySpec {
    /// The capacity it describes, or why it describes none.
    pub fn capacity(&self) -> Result<Capacity, ConfigError> {
        const KEY: &str = "cache.capacity";
        match self {
            CapacitySpec::Entries(0) => Err(ConfigError::out_of_range(KEY, 0, "at least 1")),
            CapacitySpec::Entries(n) => Ok(Capacity::Entries(*n)),
            CapacitySpec::Bytes(text) => {
                let bad = || {
                    ConfigError::invalid(
                        KEY,
                        format!(
                            "`{text}` is not a size: write a number and B, KiB, MiB, GiB, KB, MB or GB (\"128MiB\"), or an integer count of objects"
                        ),
                    )
                };
                let t = text.trim();
                let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
                let (number, unit) = t.split_at(split);
                let number: u64 = number.parse().map_err(|_| bad())?;
                let scale: u64 = match unit.trim() {
                    "B" => 1,
                    "KiB" => 1 << 10,
                    "MiB" => 1 << 20,
                    "GiB" => 1 << 30,
                    "KB" => 1_000,
                    "MB" => 1_000_000,
                    "GB" => 1_000_000_000,
                    _ => return Err(bad()),
                };
                match number.checked_mul(scale) {
                    Some(0) => Err(ConfigError::out_of_range(KEY, text, "at least 1 byte")),
                    Some(bytes) => Ok(Capacity::Bytes(bytes)),
                    None => Err(ConfigError::out_of_range(KEY, text, "at most 2^64 - 1 bytes")),
                }
            }
        }
    }
}

fn default_cache_nodes() -> u32 {
    1
}

/// How reads and writes use the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The cache node reads the database on a miss, fills itself and answers; writers write the
    /// database and then invalidate the cache.
    #[default]
    ReadThrough,
    /// The client reads the cache; on a miss it reads the database itself and sets the value
    /// in the cache (with a lease token, under leases); writers write the database and then
    /// invalidate. Without leases it has a known race: a reader's set of an old value can land
    /// after the writer's invalidation, so it promises no staleness bound.
    CacheAside,
    /// Writes go through the cache node, which drops its copy, writes the database and caches
    /// the new version when the database acknowledges it; reads as read-through.
    WriteThrough,
    /// Writes go to the cache node, which acknowledges at once and writes the database later
    /// (`flush_delay`); a node that crashes first loses them (counted, `writes_lost`).
    WriteBehind,
}

impl Mode {
    /// Whether writers write the database and invalidate the cache themselves.
    pub fn writer_invalidates(self) -> bool {
        matches!(self, Mode::ReadThrough | Mode::CacheAside)
    }
}

/// What a writer sends the cache after writing the database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invalidation {
    /// Delete the cached key.
    #[default]
    Delete,
    /// Replace the cached value with the written version, if the cache holds an older one.
    Update,
    /// Nothing: cached values live until evicted or expired (set a `ttl`).
    None,
}

/// A realistic mistake behind a switch (`bug = "…"`); the check named in the protocol's bug
/// list must catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// With leases, the writer invalidates the cache first and writes the database after: a
    /// reader that misses in between gets a fresh lease, reads the old value and sets it, and
    /// nothing invalidates it again. Implies `mode = "cache-aside"` and `leases = true`.
    DeleteBeforeWrite,
    /// Writers write the database and never invalidate the cache: reads stay stale until the
    /// value is evicted or expires.
    NoInvalidation,
    /// Coalescing is on but every miss goes to the database anyway: a hot key's miss sends
    /// every reader there. Implies `coalesce = true`.
    NoCoalescing,
    /// The cache accepts a set whatever its lease token: a reader's set of a value read before
    /// a write lands after the writer's invalidation. Implies `mode = "cache-aside"` and
    /// `leases = true`.
    LeaseIgnored,
}

impl Bug {
    /// Whether the bug needs leases (and so cache-aside).
    pub fn needs_leases(self) -> bool {
        matches!(self, Bug::DeleteBeforeWrite | Bug::LeaseIgnored)
    }
}

/// A hot-key storm: extra requests for a few of the most popular objects, for a while.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storm {
    /// Requests per second, all clients together (Poisson arrivals), on top of the catalogue's.
    pub rate: f64,
    /// The storm asks for objects `0..keys`, uniformly; default 1.
    #[serde(default = "one")]
    pub keys: u64,
    /// When it starts; default at once.
    #[serde(default)]
    pub at: SimDuration,
    /// How long it lasts; default to the end of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<SimDuration>,
}

fn one() -> u64 {
    1
}

/// `[cache]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// The eviction policy of every cache node; default `"lru"`.
    #[serde(default)]
    pub policy: PolicyName,
    /// Each cache node's capacity; default 1000 objects.
    #[serde(default)]
    pub capacity: CapacitySpec,
    /// Cache nodes `cache1..cacheK`, keys spread over them by a consistent-hash ring; default 1.
    #[serde(default = "default_cache_nodes")]
    pub cache_nodes: u32,
    /// A trace to replay (CSV `time,key,size`), relative to the scenario file's folder: one
    /// client sends its requests one at a time, in file order. Without one, clients draw
    /// independent requests from a Zipf catalogue (the keys below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Replay the trace at its timestamps instead, this many times faster than real time (the
    /// trace's seconds divided by it; 1 is real time): requests go out when their time comes,
    /// whether or not earlier ones were answered. Default: one at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_speed: Option<f64>,
    /// The catalogue: objects `0..objects`, ranked by popularity; default 10,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<u64>,
    /// The Zipf exponent `s` of the catalogue's popularity (object `i` is requested with
    /// probability proportional to `(i + 1)^-s`; 0 is uniform); default 0.8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zipf: Option<f64>,
    /// Every object's size in bytes; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size: Option<u64>,
    /// Requests per simulated second, all clients together (Poisson arrivals); default 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Clients `c1..cK`; default 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<u32>,
    /// Requests sent before this are not counted in the hit and miss figures (the cache fills
    /// up meanwhile); default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<SimDuration>,
    /// The share of the clients' requests that write (a new version of the object); default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_ratio: Option<f64>,
    /// A hot-key storm; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm: Option<Storm>,
    /// How reads and writes use the cache; default read-through, or cache-aside where the bug
    /// needs leases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// What writers send the cache after writing the database; default delete.
    #[serde(default)]
    pub invalidation: Invalidation,
    /// How long a cached value may be served, counted from the moment the database read it;
    /// default forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<SimDuration>,
    /// Each value's TTL is shortened by up to this share of it, at random, so that values
    /// cached together do not expire together; default 0.
    #[serde(default)]
    pub ttl_jitter: f64,
    /// Leases (cache-aside only): a miss hands the client a token, a set without a valid
    /// token is refused, an invalidation voids the key's token, and other readers of the key
    /// are told to retry while it is out; default off, or on where the bug needs them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leases: Option<bool>,
    /// After an invalidation, the key hands out no lease for this long (the memcache paper's
    /// hold-off); default 0.
    #[serde(default)]
    pub hold_off: SimDuration,
    /// Request coalescing: a cache node sends one database read per missed key and answers
    /// every reader that missed meanwhile from it (under cache-aside, leases do this, and
    /// `coalesce = true` brings them); default off, or on with leases or where the bug needs
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesce: Option<bool>,
    /// How long a client waits for an answer, a cache node for the database, and a lease
    /// token stays valid; default 1s.
    #[serde(default = "default_timeout")]
    pub timeout: SimDuration,
    /// How long a client told to retry (a lease is out) waits, and how often a writer resends
    /// an unacknowledged invalidation; default 10ms.
    #[serde(default = "default_retry")]
    pub retry: SimDuration,
    /// Write-behind: how long a cache node holds a write before sending it to the database;
    /// default 100ms.
    #[serde(default = "default_flush_delay")]
    pub flush_delay: SimDuration,
    /// A near cache (L1) in each client, this many objects (LRU); default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near_capacity: Option<u64>,
    /// The near cache's TTL, counted from the request that filled it: nothing invalidates a
    /// near cache; required with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near_ttl: Option<SimDuration>,
    /// The database's service time per query (its CPU is busy meanwhile, queries queue);
    /// default 0.
    #[serde(default)]
    pub db_service: SimDuration,
    /// A known-bug switch; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<Bug>,
}

fn default_timeout() -> SimDuration {
    SimDuration::from_secs(1)
}

fn default_retry() -> SimDuration {
    SimDuration::from_millis(10)
}

fn default_flush_delay() -> SimDuration {
    SimDuration::from_millis(100)
}

/// The Zipf workload's settings, defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZipfWorkload {
    /// Objects in the catalogue.
    pub objects: u64,
    /// The exponent.
    pub zipf: f64,
    /// Every object's size in bytes.
    pub object_size: u64,
    /// Requests per second, all clients together.
    pub rate: f64,
    /// Clients.
    pub clients: u32,
    /// Requests sent before this are not counted.
    pub warmup: SimDuration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            policy: PolicyName::default(),
            capacity: CapacitySpec::default(),
            cache_nodes: default_cache_nodes(),
            trace: None,
            trace_speed: None,
            objects: None,
            zipf: None,
            object_size: None,
            rate: None,
            clients: None,
            warmup: None,
            write_ratio: None,
            storm: None,
            mode: None,
            invalidation: Invalidation::default(),
            ttl: None,
            ttl_jitter: 0.0,
            leases: None,
            hold_off: SimDuration::ZERO,
            coalesce: None,
            timeout: default_timeout(),
            retry: default_retry(),
            flush_delay: default_flush_delay(),
            near_capacity: None,
            near_ttl: None,
            db_service: SimDuration::ZERO,
            bug: None,
        }
    }
}

impl CacheConfig {
    /// The Zipf workload's settings, with their defaults.
    pub fn zipf_workload(&self) -> ZipfWorkload {
        ZipfWorkload {
            objects: self.objects.unwrap_or(10_000),
            zipf: self.zipf.unwrap_or(0.8),
            object_size: self.object_size.unwrap_or(1),
            rate: self.rate.unwrap_or(1000.0),
            clients: self.clients.unwrap_or(4),
            warmup: self.warmup.unwrap_or(SimDuration::ZERO),
        }
    }

    /// How reads and writes use the cache: as set, else what the bug needs, else read-through.
    pub fn mode(&self) -> Mode {
        let needs = self.bug.is_some_and(Bug::needs_leases);
        self.mode.unwrap_or(if needs { Mode::CacheAside } else { Mode::ReadThrough })
    }

    /// Whether leases are on: as set, else whether the bug needs them or, under cache-aside,
    /// coalescing does (leases are how cache-aside coalesces).
    pub fn leases(&self) -> bool {
        let coalescing = self.mode == Some(Mode::CacheAside) && self.coalesce == Some(true);
        self.leases.unwrap_or(self.bug.is_some_and(Bug::needs_leases) || coalescing)
    }

    /// Whether misses are coalesced: as set, else whether the bug needs it or leases do it
    /// (a lease is one reader's right to read the database).
    pub fn coalesce(&self) -> bool {
        self.coalesce.unwrap_or(self.bug == Some(Bug::NoCoalescing) || self.leases())
    }

    /// The share of requests that write.
    pub fn write_ratio(&self) -> f64 {
        self.write_ratio.unwrap_or(0.0)
    }

    /// Checks every value; errors name the dotted key, as a scenario file spells it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_consistency()?;
        self.capacity.capacity()?;
        if !(1..=1000).contains(&self.cache_nodes) {
            return Err(ConfigError::out_of_range(
                "cache.cache_nodes",
                self.cache_nodes,
                "1..=1000",
            ));
        }
        if let Some(speed) = self.trace_speed {
            if self.trace.is_none() {
                return Err(ConfigError::invalid(
                    "cache.trace_speed",
                    "replays `cache.trace`: set one",
                ));
            }
            if !(speed.is_finite() && speed > 0.0 && speed <= 1e9) {
                return Err(ConfigError::out_of_range(
                    "cache.trace_speed",
                    speed,
                    "0 < speed ≤ 10^9",
                ));
            }
        }
        if self.trace.is_some() {
            let set = [
                ("objects", self.objects.is_some()),
                ("zipf", self.zipf.is_some()),
                ("object_size", self.object_size.is_some()),
                ("rate", self.rate.is_some()),
                ("clients", self.clients.is_some()),
            ];
            if let Some((key, _)) = set.iter().find(|(_, set)| *set) {
                return Err(ConfigError::invalid(
                    &format!("cache.{key}"),
                    "describes the Zipf workload, but the run replays `cache.trace`: remove one",
                ));
            }
        } else {
            let w = self.zipf_workload();
            if !(1..=100_000_000).contains(&w.objects) {
                return Err(ConfigError::out_of_range("cache.objects", w.objects, "1..=10^8"));
            }
            if !(w.zipf.is_finite() && (0.0..=10.0).contains(&w.zipf)) {
                return Err(ConfigError::out_of_range("cache.zipf", w.zipf, "0..=10"));
            }
            if w.object_size == 0 {
                return Err(ConfigError::out_of_range("cache.object_size", 0, "at least 1 byte"));
            }
            if !(w.rate.is_finite() && w.rate > 0.0 && w.rate <= 1e7) {
                return Err(ConfigError::out_of_range("cache.rate", w.rate, "0 < rate ≤ 10^7"));
            }
            if !(1..=10_000).contains(&w.clients) {
                return Err(ConfigError::out_of_range("cache.clients", w.clients, "1..=10000"));
            }
            require_bounded("cache.warmup", w.warmup)?;
        }
        if self.policy == PolicyName::Belady && self.trace.is_none() {
            return Err(ConfigError::invalid(
                "cache.policy",
                "\"belady\" reads each request's next use, which only a trace knows: set cache.trace",
            ));
        }
        Ok(())
    }
}

impl CacheConfig {
    /// The keys of writes, invalidation, leases, coalescing, TTLs and the near cache.
    fn validate_consistency(&self) -> Result<(), ConfigError> {
        let mode = self.mode();
        let needs = match self.bug {
            Some(b) if b.needs_leases() && !(self.leases() && mode == Mode::CacheAside) => Some(
                "this bug is in how leases are used: it needs mode = \"cache-aside\" and leases = true",
            ),
            Some(Bug::NoInvalidation)
                if !mode.writer_invalidates() || self.invalidation == Invalidation::None =>
            {
                Some(
                    "\"no-invalidation\" skips the invalidation writers send: it needs read-through or cache-aside with invalidation = \"delete\" or \"update\"",
                )
            }
            Some(Bug::NoCoalescing) if !self.coalesce() => {
                Some("\"no-coalescing\" breaks coalescing: it needs coalesce = true")
            }
            _ => None,
        };
        if let Some(why) = needs {
            return Err(ConfigError::invalid("cache.bug", why));
        }
        if let Some(r) = self.write_ratio {
            if !(0.0..=1.0).contains(&r) {
                return Err(ConfigError::out_of_range("cache.write_ratio", r, "0..=1"));
            }
            if self.trace.is_some() {
                return Err(ConfigError::invalid(
                    "cache.write_ratio",
                    "a trace is replayed as reads: remove one",
                ));
            }
        }
        if let Some(storm) = &self.storm {
            if self.trace.is_some() {
                return Err(ConfigError::invalid(
                    "cache.storm",
                    "a trace is replayed as it is: remove one",
                ));
            }
            if !(storm.rate.is_finite() && storm.rate > 0.0 && storm.rate <= 1e7) {
                return Err(ConfigError::out_of_range(
                    "cache.storm.rate",
                    storm.rate,
                    "0 < rate ≤ 10^7",
                ));
            }
            if storm.keys == 0 || storm.keys > self.zipf_workload().objects {
                return Err(ConfigError::out_of_range(
                    "cache.storm.keys",
                    storm.keys,
                    "1..=cache.objects",
                ));
            }
            require_bounded("cache.storm.at", storm.at)?;
            if let Some(d) = storm.duration {
                require_bounded("cache.storm.duration", d)?;
            }
        }
        for (key, d) in [
            ("cache.timeout", self.timeout),
            ("cache.retry", self.retry),
            ("cache.flush_delay", self.flush_delay),
        ] {
            require_positive(key, d)?;
            require_bounded(key, d)?;
        }
        require_bounded("cache.hold_off", self.hold_off)?;
        require_bounded("cache.db_service", self.db_service)?;
        if let Some(ttl) = self.ttl {
            require_positive("cache.ttl", ttl)?;
            require_bounded("cache.ttl", ttl)?;
        }
        if !(0.0..1.0).contains(&self.ttl_jitter) {
            return Err(ConfigError::out_of_range(
                "cache.ttl_jitter",
                self.ttl_jitter,
                "0 ≤ jitter < 1",
            ));
        }
        if self.ttl_jitter > 0.0 && self.ttl.is_none() {
            return Err(ConfigError::invalid("cache.ttl_jitter", "jitters `cache.ttl`: set one"));
        }
        match (self.near_capacity, self.near_ttl) {
            (Some(0), _) => {
                return Err(ConfigError::out_of_range("cache.near_capacity", 0, "at least 1"));
            }
            (Some(_), None) => {
                return Err(ConfigError::invalid(
                    "cache.near_ttl",
                    "nothing invalidates a near cache, so its values must expire: set near_ttl",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::invalid(
                    "cache.near_ttl",
                    "expires the near cache's values: set near_capacity",
                ));
            }
            (Some(_), Some(ttl)) => {
                require_positive("cache.near_ttl", ttl)?;
                require_bounded("cache.near_ttl", ttl)?;
            }
            (None, None) => {}
        }
        if self.near_capacity.is_some() && self.trace.is_some() {
            return Err(ConfigError::invalid(
                "cache.near_capacity",
                "a trace is replayed through the shared tier alone: remove one",
            ));
        }
        if self.trace.is_some() && mode != Mode::ReadThrough {
            return Err(ConfigError::invalid(
                "cache.mode",
                "a trace is replayed as reads through the cache node: only read-through replays one",
            ));
        }
        if self.leases() && mode != Mode::CacheAside {
            return Err(ConfigError::invalid(
                "cache.leases",
                "leases arbitrate the sets clients make, which only cache-aside has: set mode = \"cache-aside\"",
            ));
        }
        if self.hold_off > SimDuration::ZERO && !self.leases() {
            return Err(ConfigError::invalid(
                "cache.hold_off",
                "holds off leases: set leases = true",
            ));
        }
        if self.leases() && self.coalesce == Some(false) {
            return Err(ConfigError::invalid(
                "cache.coalesce",
                "leases coalesce misses (one token out per key): remove coalesce = false",
            ));
        }
        if self.coalesce() && mode == Mode::CacheAside && !self.leases() {
            return Err(ConfigError::invalid(
                "cache.coalesce",
                "under cache-aside each client reads the database itself: only leases coalesce its misses (remove leases = false)",
            ));
        }
        if self.invalidation != Invalidation::default() && !mode.writer_invalidates() {
            return Err(ConfigError::invalid(
                "cache.invalidation",
                "writes go through the cache node under write-through and write-behind: only read-through and cache-aside writers invalidate",
            ));
        }
        Ok(())
    }
}

/// The `[cache]` keys with their defaults and allowed values, as `faultline list` prints them.
pub const PARAMETERS: &[Parameter] = &[
    Parameter {
        key: "policy",
        about: "\"lru\" | \"fifo\" | \"clock\" | \"lfu\" | \"w-tinylfu\" | \"belady\" (trace only): eviction",
    },
    Parameter {
        key: "capacity",
        about: "1000: per cache node, objects (an integer) or bytes (\"128MiB\", \"1GB\")",
    },
    Parameter {
        key: "cache_nodes",
        about: "1: cache nodes cache1..cacheK on a hash ring (1..=1000)",
    },
    Parameter {
        key: "trace",
        about: "none: a CSV trace (time,key,size) to replay one request at a time, relative to the scenario file",
    },
    Parameter {
        key: "trace_speed",
        about: "none (one request at a time) | a factor: replay at the trace's timestamps, this many times faster",
    },
    Parameter { key: "objects", about: "10000: the Zipf catalogue's objects (without a trace)" },
    Parameter { key: "zipf", about: "0.8: the catalogue's Zipf exponent (0 = uniform)" },
    Parameter { key: "object_size", about: "1: every object's size in bytes" },
    Parameter { key: "rate", about: "1000: requests per second, all clients (Poisson arrivals)" },
    Parameter { key: "clients", about: "4: clients c1..cK drawing independent requests" },
    Parameter {
        key: "warmup",
        about: "\"0s\": requests sent before it are not counted in hits and misses",
    },
    Parameter { key: "write_ratio", about: "0: the share of requests that write a new version" },
    Parameter {
        key: "storm",
        about: "none | { rate, keys = 1, at = \"0s\", duration }: a hot-key storm on objects 0..keys",
    },
    Parameter {
        key: "mode",
        about: "\"read-through\" | \"cache-aside\" | \"write-through\" | \"write-behind\"",
    },
    Parameter {
        key: "invalidation",
        about: "\"delete\" | \"update\" | \"none\": what writers send the cache after writing the database",
    },
    Parameter { key: "ttl", about: "none: values expire this long after the database read them" },
    Parameter { key: "ttl_jitter", about: "0: each TTL shortened by up to this share, at random" },
    Parameter {
        key: "leases",
        about: "false: memcache's leases (cache-aside): sets need the miss's token; one token out per key",
    },
    Parameter {
        key: "hold_off",
        about: "\"0s\": no lease for a key this long after it is invalidated",
    },
    Parameter {
        key: "coalesce",
        about: "false: one database read per missed key in flight (cache-aside: by leases)",
    },
    Parameter {
        key: "timeout",
        about: "\"1s\": a client's wait for an answer, a node's for the database, a lease's life",
    },
    Parameter {
        key: "retry",
        about: "\"10ms\": a client told to wait retries, a writer resends an invalidation",
    },
    Parameter { key: "flush_delay", about: "\"100ms\": write-behind holds a write this long" },
    Parameter {
        key: "near_capacity",
        about: "none: a near cache (L1, LRU) of this many objects per client",
    },
    Parameter { key: "near_ttl", about: "none: the near cache's TTL (required with one)" },
    Parameter { key: "db_service", about: "\"0s\": the database's busy time per query" },
    Parameter {
        key: "bug",
        about: "none | \"delete-before-write\" | \"no-invalidation\" | \"no-coalescing\" | \"lease-ignored\"",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capacity_is_objects_or_bytes_with_a_unit() {
        let bytes = |s: &str| CapacitySpec::Bytes(s.into()).capacity();
        assert_eq!(bytes("128MiB").unwrap(), Capacity::Bytes(128 << 20));
        assert_eq!(bytes("1GB").unwrap(), Capacity::Bytes(1_000_000_000));
        assert_eq!(CapacitySpec::Entries(5).capacity().unwrap(), Capacity::Entries(5));
        for bad in ["", "MiB", "12 parsecs", "0B", "99999999999GiB"] {
            let e = bytes(bad).unwrap_err();
            assert_eq!(e.key(), "cache.capacity", "{bad}: {e}");
        }
        assert!(CapacitySpec::Entries(0).capacity().is_err());
    }

    fn config(text: &str) -> Result<CacheConfig, ConfigError> {
        let c: CacheConfig = toml::from_str(text).expect("parses");
        c.validate().map(|()| c)
    }

    #[test]
    fn a_bug_brings_what_it_needs_unless_the_file_sets_otherwise() {
        let c = config("bug = \"lease-ignored\"").unwrap();
        assert_eq!((c.mode(), c.leases(), c.coalesce()), (Mode::CacheAside, true, true));
        let c = config("bug = \"no-coalescing\"").unwrap();
        assert_eq!((c.mode(), c.coalesce()), (Mode::ReadThrough, true));
        for bad in [
            "bug = \"delete-before-write\"\nmode = \"read-through\"",
            "bug = \"lease-ignored\"\nleases = false",
            "bug = \"no-coalescing\"\ncoalesce = false",
            "bug = \"no-invalidation\"\ninvalidation = \"none\"",
            "bug = \"no-invalidation\"\nmode = \"write-through\"",
        ] {
            assert_eq!(config(bad).unwrap_err().key(), "cache.bug", "{bad}");
        }
    }

    #[test]
    fn under_cache_aside_coalescing_is_leases() {
        let c = config("mode = \"cache-aside\"\ncoalesce = true").unwrap();
        assert!(c.leases());
        let e = config("mode = \"cache-aside\"\ncoalesce = true\nleases = false").unwrap_err();
        assert_eq!(e.key(), "cache.coalesce");
        let e = config("leases = true\ncoalesce = false\nmode = \"cache-aside\"").unwrap_err();
        assert_eq!(e.key(), "cache.coalesce");
    }

    #[test]
    fn settings_that_cannot_work_together_are_refused_by_key() {
        for (text, key) in [
            ("leases = true", "cache.leases"),
            ("hold_off = \"1s\"", "cache.hold_off"),
            ("near_capacity = 10", "cache.near_ttl"),
            ("near_ttl = \"1s\"", "cache.near_ttl"),
            ("ttl_jitter = 0.5", "cache.ttl_jitter"),
            ("ttl = \"1s\"\nttl_jitter = 1.0", "cache.ttl_jitter"),
            ("write_ratio = 1.5", "cache.write_ratio"),
            ("mode = \"write-through\"\ninvalidation = \"update\"", "cache.invalidation"),
            ("storm = { rate = 10.0, keys = 0 }", "cache.storm.keys"),
            ("timeout = \"0s\"", "cache.timeout"),
        ] {
            assert_eq!(config(text).unwrap_err().key(), key, "{text}");
        }
    }
}
