//! The replicated state machine: a key-value map and the clients' sessions.
//!
//! Sessions make retries safe (dissertation 6.3): the result of each client request applied is
//! remembered until the client says it no longer needs it (its `acked_below` mark), so a
//! request committed twice — a client retried through a new leader — is applied once and
//! answered with the first result.

use std::collections::BTreeMap;

use sim_core::NodeId;
use workload::{KvOp, KvResult};

use crate::message::Command;

/// A snapshot: everything up to and including `index`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Snapshot {
    /// Last index it covers.
    pub index: u64,
    /// That entry's term.
    pub term: u64,
    /// The key-value map.
    pub kv: BTreeMap<u64, i64>,
    /// Per client: its session.
    pub sessions: BTreeMap<NodeId, Session>,
}

/// What the state machine remembers of one client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Session {
    /// The highest `acked_below` the client has sent: every request below it was answered or
    /// given up on, and is applied at most once more — never, since its result is forgotten.
    pub low_water: u64,
    /// Results of applied requests at or above `low_water`.
    pub results: BTreeMap<u64, KvResult>,
}

/// The state machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateMachine {
    /// The key-value map.
    pub kv: BTreeMap<u64, i64>,
    /// Per client: its session.
    pub sessions: BTreeMap<NodeId, Session>,
}

impl StateMachine {
    /// Applies a command; returns the result for the client, if it is a client command.
    pub fn apply(&mut self, command: &Command) -> Option<KvResult> {
        let Command::Op { client, request_id, acked_below, op } = command else { return None };
        let session = self.sessions.entry(*client).or_default();
        // Forget what the client has acknowledged. The mark only rises: a late copy of an old
        // request carries the old mark it was sent with.
        if *acked_below > session.low_water {
            session.low_water = *acked_below;
            session.results = session.results.split_off(acked_below);
        }
        if let Some(done) = session.results.get(request_id) {
            return Some(done.clone());
        }
        if *request_id < session.low_water {
            // A copy of a request already answered or given up on: never apply it again.
            return None;
        }
        let result = self.execute(op);
        self.sessions.entry(*client).or_default().results.insert(*request_id, result.clone());
        Some(result)
    }

    /// Runs an operation against the map (reads included).
    pub fn execute(&mut self, op: &KvOp) -> KvResult {
        match *op {
            KvOp::Read { key } => KvResult::Ok(self.kv.get(&key).copied()),
            KvOp::Write { key, value } => {
                self.kv.insert(key, value);
                KvResult::Ok(None)
            }
            KvOp::Cas { key, expected, new } => {
                if self.kv.get(&key) == Some(&expected) {
                    self.kv.insert(key, new);
                    KvResult::Ok(None)
                } else {
                    KvResult::CasFailed
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retried_write_is_applied_once() {
        let mut sm = StateMachine::default();
        let cas = |id| Command::Op {
            client: NodeId(9),
            request_id: id,
            acked_below: 0,
            op: KvOp::Cas { key: 1, expected: 0, new: 1 },
        };
        sm.kv.insert(1, 0);
        assert_eq!(sm.apply(&cas(7)), Some(KvResult::Ok(None)));
        // The same request committed again (a retry through a new leader): same answer,
        // not a failed compare-and-set.
        assert_eq!(sm.apply(&cas(7)), Some(KvResult::Ok(None)));
        assert_eq!(sm.kv[&1], 1);
    }

    #[test]
    fn a_late_copy_of_an_answered_request_is_not_applied_again() {
        let mut sm = StateMachine::default();
        let write = |id, acked_below, value| Command::Op {
            client: NodeId(9),
            request_id: id,
            acked_below,
            op: KvOp::Write { key: 1, value },
        };
        sm.apply(&write(3, 3, 1));
        sm.apply(&write(4, 4, 4));
        // Request 3 was committed twice (a retry through a new leader); its second copy
        // comes after request 4, carrying the mark it was first sent with.
        assert_eq!(sm.apply(&write(3, 3, 1)), None);
        assert_eq!(sm.kv[&1], 4, "found by raft-nemesis.toml, seed 1: a stale value came back");
    }
}
