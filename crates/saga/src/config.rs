//! `[saga]`: how sagas are coordinated, the order workload, the retry policy, the idempotency
//! keys' retention, semantic locks and the known bugs. One struct, parsed with unknown keys
//! rejected and validated once; and one list, [`PARAMETERS`], that `faultline list` prints.

use failover::{Backoff, Jitter};
use platform::Parameter;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use sim_core::config::{ConfigError, require_bounded, require_positive};

/// How a saga's steps are driven.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A coordinator with a durable saga log sends each step its command and waits for its
    /// reply; it resumes the sagas in flight after a restart.
    #[default]
    Orchestration,
    /// Each service reacts to the previous one's event and publishes its own.
    Choreography,
}

/// A realistic mistake behind a switch (`bug = "…"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// Services apply every delivery, duplicates included.
    NoIdempotency,
    /// A service commits its state change, then publishes the event in a second step, once,
    /// outside the outbox: a crash or a lost message between them loses the event.
    DualWrite,
    /// The coordinator does not read its saga log back after a restart.
    ForgetOnRestart,
    /// The coordinator compensates the completed steps in forward order.
    CompensateForward,
    /// Idempotency keys are kept in memory only: a restart forgets them.
    VolatileDedup,
    /// The payments service ignores the orders service's unlock: a completed order's charge
    /// stays locked, and its customer's balance can never be read again.
    LeakyLocks,
    /// The orders service answers a placement at once and writes the new orders in a batch at
    /// its next tick: a crash in between loses orders their clients were told were placed.
    AckBeforeCommit,
    /// Nodes sync their disk at every tick rather than at each commit, and relay and
    /// acknowledge before it: a crash loses changes the other services already acted on.
    LazyFsync,
}

impl Bug {
    /// Its name as scenario files spell it.
    pub fn name(self) -> &'static str {
        match self {
            Bug::NoIdempotency => "no-idempotency",
            Bug::DualWrite => "dual-write",
            Bug::ForgetOnRestart => "forget-on-restart",
            Bug::CompensateForward => "compensate-forward",
            Bug::VolatileDedup => "volatile-dedup",
            Bug::LeakyLocks => "leaky-locks",
            Bug::AckBeforeCommit => "ack-before-commit",
            Bug::LazyFsync => "lazy-fsync",
        }
    }
}

fn d(ms: u64) -> SimDuration {
    SimDuration::from_millis(ms)
}
fn yes() -> bool {
    true
}

/// `[saga]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaConfig {
    /// `"orchestration"` (default) or `"choreography"`.
    #[serde(default)]
    pub mode: Mode,
    /// Clients placing orders `c1..cK`; default 2.
    #[serde(default = "default_clients")]
    pub clients: u32,
    /// Orders per simulated second, all clients together (Poisson); default 50.
    #[serde(default = "default_rate")]
    pub rate: f64,
    /// Customers, each with an account at the payments service; default 20.
    #[serde(default = "default_customers")]
    pub customers: u32,
    /// Each customer's opening balance; default 100000.
    #[serde(default = "default_balance")]
    pub balance: u64,
    /// Items the inventory stocks; default 10.
    #[serde(default = "default_items")]
    pub items: u32,
    /// Each item's opening stock; default 1000.
    #[serde(default = "default_stock")]
    pub stock: u64,
    /// The share of charges the card issuer declines; default 0.1.
    #[serde(default = "default_decline")]
    pub decline_rate: f64,
    /// The share of orders for an item the warehouse cannot find (out of stock whatever the
    /// count); default 0.05.
    #[serde(default = "default_out_of_stock")]
    pub out_of_stock_rate: f64,
    /// The share of shipments no courier will take; default 0.02.
    #[serde(default = "default_no_courier")]
    pub no_courier_rate: f64,
    /// Orchestration: a compensable step (reserve, charge, schedule) unanswered this long
    /// fails the saga, which compensates it too; default `"2s"`.
    #[serde(default = "default_step_timeout")]
    pub step_timeout: SimDuration,
    /// An outbox entry is sent again this long after a send, plus the backoff's sleep (which
    /// grows from this base with each unacknowledged send); default `"50ms"`.
    #[serde(default = "default_retry_base")]
    pub retry_base: SimDuration,
    /// The longest backoff sleep (a resend comes at most `retry_base` + this after a send);
    /// default `"1s"`.
    #[serde(default = "default_retry_cap")]
    pub retry_cap: SimDuration,
    /// `"full"` (default), `"none"`, `"equal"` or `"decorrelated"`.
    #[serde(default = "default_jitter")]
    pub jitter: Jitter,
    /// How long a service keeps an idempotency key, by its own clock; default `"1h"`.
    #[serde(default = "default_retention")]
    pub dedup_retention: SimDuration,
    /// An order (and the balance it charges) stays locked, PENDING, until its saga ends:
    /// readers are told so instead of reading the saga's tentative effects; default true.
    #[serde(default = "yes")]
    pub semantic_locks: bool,
    /// Balance reads per second, all clients together; default 20.
    #[serde(default = "default_read_rate")]
    pub read_rate: f64,
    /// A known-bug switch; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<Bug>,
}

fn default_clients() -> u32 {
    2
}
fn default_rate() -> f64 {
    50.0
}
fn default_customers() -> u32 {
    20
}
fn default_balance() -> u64 {
    100_000
}
fn default_items() -> u32 {
    10
}
fn default_stock() -> u64 {
    1000
}
fn default_decline() -> f64 {
    0.1
}
fn default_out_of_stock() -> f64 {
    0.05
}
fn default_no_courier() -> f64 {
    0.02
}
fn default_step_timeout() -> SimDuration {
    SimDuration::from_secs(2)
}
fn default_retry_base() -> SimDuration {
    d(50)
}
fn default_retry_cap() -> SimDuration {
    SimDuration::from_secs(1)
}
fn default_jitter() -> Jitter {
    Jitter::Full
}
fn default_retention() -> SimDuration {
    SimDuration::from_secs(3600)
}
fn default_read_rate() -> f64 {
    20.0
}

impl Default for SagaConfig {
    fn default() -> Self {
        toml::from_str("").expect("every key has a default")
    }
}

impl SagaConfig {
    /// Checks every value; errors name the dotted key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let range = |key: &str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(ConfigError::out_of_range(key, v, &format!("{lo}..={hi}")))
            }
        };
        range("saga.clients", self.clients as u64, 1, 1000)?;
        range("saga.customers", self.customers as u64, 1, 1_000_000)?;
        range("saga.items", self.items as u64, 1, 1_000_000)?;
        range("saga.balance", self.balance, 0, 1 << 40)?;
        range("saga.stock", self.stock, 0, 1 << 40)?;
        for (key, rate) in [("saga.rate", self.rate), ("saga.read_rate", self.read_rate)] {
            if !(0.0..=1e6).contains(&rate) {
                return Err(ConfigError::invalid(key, format!("{rate} is out of range: [0, 1e6]")));
            }
        }
        for (key, p) in [
            ("saga.decline_rate", self.decline_rate),
            ("saga.out_of_stock_rate", self.out_of_stock_rate),
            ("saga.no_courier_rate", self.no_courier_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(ConfigError::invalid(key, format!("{p} is out of range: [0, 1]")));
            }
        }
        for (key, dur) in [
            ("saga.step_timeout", self.step_timeout),
            ("saga.retry_base", self.retry_base),
            ("saga.retry_cap", self.retry_cap),
            ("saga.dedup_retention", self.dedup_retention),
        ] {
            require_positive(key, dur)?;
            require_bounded(key, dur)?;
        }
        Backoff::new(self.retry_base, self.retry_cap, self.jitter)
            .map_err(|e| ConfigError::invalid("saga.retry_cap", e.to_string()))?;
        match self.bug {
            Some(bug @ (Bug::ForgetOnRestart | Bug::CompensateForward))
                if self.mode != Mode::Orchestration =>
            {
                Err(ConfigError::invalid(
                    "saga.mode",
                    format!(
                        "bug {:?} is the coordinator's: it needs mode = \"orchestration\"",
                        bug.name()
                    ),
                ))
            }
            Some(Bug::LeakyLocks) if !self.semantic_locks => Err(ConfigError::invalid(
                "saga.semantic_locks",
                "bug \"leaky-locks\" needs semantic_locks = true",
            )),
            _ => Ok(()),
        }
    }

    /// A fresh redelivery schedule.
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.retry_base, self.retry_cap, self.jitter).expect("validated")
    }

    /// Whether `bug` is switched on.
    pub fn has(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }
}

/// The `[saga]` keys with their defaults and allowed values, as `faultline list` prints them.
pub const PARAMETERS: &[Parameter] = &[
    Parameter {
        key: "mode",
        about: "\"orchestration\" (a coordinator with a durable saga log) | \"choreography\" (services react to events)",
    },
    Parameter { key: "clients", about: "2 clients placing orders, c1..cK (1..=1000)" },
    Parameter { key: "rate", about: "50.0 orders per second, all clients together (Poisson)" },
    Parameter { key: "customers", about: "20 customers with accounts" },
    Parameter { key: "balance", about: "100000: each customer's opening balance" },
    Parameter { key: "items", about: "10 items in stock" },
    Parameter { key: "stock", about: "1000: each item's opening stock" },
    Parameter {
        key: "decline_rate",
        about: "0.1: the share of charges declined (a business failure)",
    },
    Parameter {
        key: "out_of_stock_rate",
        about: "0.05: the share of reservations refused out of stock (besides a real shortage)",
    },
    Parameter { key: "no_courier_rate", about: "0.02: the share of shipments no courier takes" },
    Parameter {
        key: "step_timeout",
        about: "\"2s\": orchestration fails a saga whose compensable step is unanswered this long, and compensates that step too",
    },
    Parameter {
        key: "retry_base",
        about: "\"50ms\": an unacknowledged send is repeated this long after it, plus the backoff (from this base)",
    },
    Parameter {
        key: "retry_cap",
        about: "\"1s\": the longest backoff sleep (a resend comes at most retry_base + retry_cap after a send)",
    },
    Parameter { key: "jitter", about: "\"full\" | \"none\" | \"equal\" | \"decorrelated\"" },
    Parameter {
        key: "dedup_retention",
        about: "\"1h\": how long a service keeps an idempotency key, by its clock (expired within the run: late duplicates applied, counted, and once not promised)",
    },
    Parameter {
        key: "semantic_locks",
        about: "true: an order's effects stay locked (PENDING) until its saga ends; false: readers see them (dirty reads counted)",
    },
    Parameter { key: "read_rate", about: "20.0 balance reads per second, all clients together" },
    Parameter {
        key: "bug",
        about: "none | \"no-idempotency\" | \"dual-write\" | \"forget-on-restart\" | \"compensate-forward\" | \"volatile-dedup\" | \"leaky-locks\" | \"ack-before-commit\" | \"lazy-fsync\"",
    },
];
