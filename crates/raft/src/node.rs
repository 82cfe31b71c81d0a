//! The node type a Raft run simulates: servers and clients, one enum.

use sim_core::{Context, Node, NodeId, NodeStatus, TimerId};
use workload::{Client, ClientTimer};

use crate::message::RaftMsg;
use crate::server::RaftServer;

/// A Raft run's timers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftTimer {
    /// A follower's or candidate's election timeout.
    Election,
    /// A leader's heartbeat.
    Heartbeat,
    /// A deferred sync (only with the ack-before-sync bug).
    LazySync,
    /// A candidate resends RequestVote to servers that have not answered in this term.
    VoteRetry {
        /// The election's term.
        term: u64,
    },
    /// A client's timer.
    Client(ClientTimer),
}

impl From<ClientTimer> for RaftTimer {
    fn from(t: ClientTimer) -> Self {
        RaftTimer::Client(t)
    }
}

/// A server or a client.
pub enum RaftNode {
    /// A Raft server.
    Server(Box<RaftServer>),
    /// A simulated client.
    Client(Box<Client>),
}

impl Node for RaftNode {
    type Msg = RaftMsg;
    type Timer = RaftTimer;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            RaftNode::Server(s) => s.on_start(ctx),
            RaftNode::Client(c) => c.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: RaftMsg) {
        match self {
            RaftNode::Server(s) => s.on_message(ctx, from, msg),
            RaftNode::Client(c) => {
                c.on_message(ctx, from, &msg);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, timer: RaftTimer) {
        match (self, timer) {
            (RaftNode::Client(c), RaftTimer::Client(t)) => c.on_timer(ctx, t),
            (RaftNode::Server(s), t) => s.on_timer(ctx, t),
            (RaftNode::Client(_), _) => {}
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            RaftNode::Server(s) => s.status(),
            RaftNode::Client(_) => NodeStatus::default(),
        }
    }
}

impl RaftNode {
    /// The server inside, if this is one.
    pub fn server(&self) -> Option<&RaftServer> {
        match self {
            RaftNode::Server(s) => Some(s),
            RaftNode::Client(_) => None,
        }
    }
}
