//! The node type a sharding run simulates: servers and clients, one enum, and their timers.

use sim_core::{Context, MembershipChange, Node, NodeId, NodeStatus, TimerId};
use workload::{Client, ClientTimer};

use crate::message::Msg;
use crate::probe::Prober;
use crate::server::Server;

/// Every timer of a sharding run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A coordinator's operation ran out of time.
    Operation(u64),
    /// A server's rebalancing gossip is due.
    Rebalance,
    /// A sloppy write's replicas have been silent for a while: fallbacks stand in.
    StandIn(u64),
    /// A fallback tries to hand its hints back.
    Handoff,
    /// A server's next anti-entropy exchange is due.
    AntiEntropy,
    /// A server learns of a membership epoch (`view_lag` after the change).
    Learn(u64),
    /// A prober's read at (trial, grid point) is due.
    Probe(u64, usize),
    /// A client's timer.
    Client(ClientTimer),
}

impl From<ClientTimer> for Timer {
    fn from(t: ClientTimer) -> Self {
        Timer::Client(t)
    }
}

/// A node of a sharding run.
pub enum ShardNode {
    /// A server: replica and coordinator.
    Server(Box<Server>),
    /// A simulated client.
    Client(Box<Client>),
    /// A t-visibility prober, in a client's place (`sharding.probe`).
    Prober(Box<Prober>),
}

impl Node for ShardNode {
    type Msg = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            ShardNode::Server(s) => s.start(ctx),
            ShardNode::Client(c) => c.on_start(ctx),
            ShardNode::Prober(p) => p.start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match self {
            ShardNode::Server(s) => s.on_message(ctx, from, msg),
            ShardNode::Client(c) => crate::client::on_message(c, ctx, from, msg),
            ShardNode::Prober(p) => p.on_message(ctx, &msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, timer: Timer) {
        match (self, timer) {
            (ShardNode::Server(s), Timer::Operation(op)) => s.on_timeout(ctx, op),
            (ShardNode::Server(s), Timer::Rebalance) => s.on_tick(ctx),
            (ShardNode::Server(s), Timer::StandIn(op)) => s.on_stand_in(ctx, op),
            (ShardNode::Server(s), Timer::Handoff) => s.hand_off(ctx),
            (ShardNode::Server(s), Timer::AntiEntropy) => s.exchange(ctx),
            (ShardNode::Server(s), Timer::Learn(epoch)) => s.learn(ctx, epoch),
            (ShardNode::Client(c), Timer::Client(t)) => c.on_timer(ctx, t),
            (ShardNode::Prober(p), Timer::Probe(trial, point)) => p.on_timer(ctx, trial, point),
            _ => {}
        }
    }

    fn on_membership(&mut self, ctx: &mut Context<'_, Self>, _change: MembershipChange) {
        if let ShardNode::Server(s) = self {
            s.membership_changed(ctx);
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            ShardNode::Server(_) => NodeStatus { role: "server", leading: false, term: 0 },
            ShardNode::Client(_) | ShardNode::Prober(_) => NodeStatus::default(),
        }
    }
}
