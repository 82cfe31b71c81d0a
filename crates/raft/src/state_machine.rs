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
    /// Per client: results of requests not yet acknowledged.
    pub sessions: BTreeMap<NodeId, BTreeMap<u64, KvResult>>,
}

/// The state machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateMachine {
    /// The key-value map.
    pub kv: BTreeMap<u64, i64>,
    /// Per client: results of requests not yet acknowledged.
    pub sessions: BTreeMap<NodeId, BTreeMap<u64, KvResult>>,
}

impl StateMachine {
    /// Applies a command; returns the result for the client, if it is a client command.
    pub fn apply(&mut self, command: &Command) -> Option<KvResult> {
        let Command::Op { client, request_id, acked_below, op } = command else { return None };
        let session = self.sessions.entry(*client).or_default();
        // Forget what the client has acknowledged.
        if session.first_key_value().is_some_and(|(k, _)| k < acked_below) {
            *session = session.split_off(acked_below);
        }
        if let Some(done) = session.get(request_id) {
            return Some(done.clone());
        }
        if *request_id < *acked_below {
            // A retry of a request the client already gave up on: do not apply it again.
            return None;
        }
        let result = self.execute(op);
        self.sessions.entry(*client).or_default().insert(*request_id, result.clone());
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
}
