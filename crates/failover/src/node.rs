//! The nodes of a failover run, as the kernel sees them: one enum over the database nodes,
//! monitors, the controller, the registry and the clients; the timers they set; and what every
//! node knows of the cluster's shape.

use sim_core::{Context, Node, NodeId, NodeStatus, SimTime, TimerId};

use crate::client::Client;
use crate::config::FailoverConfig;
use crate::controller::Controller;
use crate::db::DbNode;
use crate::message::Msg;
use crate::monitor::Monitor;
use crate::observer::{Observer, SharedObserver};
use crate::registry::Registry;

pub(crate) type Ctx<'a, 'b> = &'a mut Context<'b, FailoverNode>;

/// The cluster's shape and configuration, shared by every node of a run.
#[derive(Debug)]
pub struct Cluster {
    /// The database nodes; the first is the primary of epoch 1.
    pub dbs: Vec<NodeId>,
    /// The monitors.
    pub monitors: Vec<NodeId>,
    /// The failover controller.
    pub controller: NodeId,
    /// The registry.
    pub registry: NodeId,
    /// The clients.
    pub clients: u32,
    /// `[failover]`.
    pub config: FailoverConfig,
    /// `[workload]`.
    pub workload: workload::WorkloadConfig,
    /// The clocks' largest drift, as a fraction (a lease is waited out with this margin).
    pub drift: f64,
    /// The harness's record.
    pub observer: SharedObserver,
}

impl Cluster {
    /// The record, locked.
    pub(crate) fn observe(&self) -> std::sync::MutexGuard<'_, Observer> {
        self.observer.lock().expect("observer")
    }

    /// Whether the kernel knows `node` down or not serving as primary now.
    pub(crate) fn down(&self, ctx: &Context<'_, FailoverNode>, node: NodeId) -> bool {
        !ctx.oracle_is_up(node) || !self.observe().is_serving(node)
    }
}

/// Every timer of a failover run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The primary of this epoch resends what its standbys lack, and checks semi-sync's timeout.
    Replicate(u64),
    /// The primary of this epoch asks for its lease again (and says it is alive).
    Renew(u64),
    /// The lease of this epoch's primary may have run out.
    LeaseEnd(u64),
    /// A monitor pings the primary.
    Ping,
    /// A monitor's detector may start suspecting now.
    Suspect,
    /// The controller's periodic work: resend fences, promotions and registry updates.
    Control,
    /// The controller may promote: the old primary's lease has run out.
    PromoteAt(u64),
    /// A client's next open-loop operation.
    Arrival,
    /// A client's attempt got no answer in time (slot, request).
    Attempt(usize, u64),
    /// A client's backoff ended (slot, request).
    Retry(usize, u64),
    /// A client gives up on an operation (slot, request).
    Deadline(usize, u64),
    /// A client's lookup got no answer in time.
    Lookup,
}

/// A node of a failover run.
pub enum FailoverNode {
    /// A database node: the primary or a standby.
    Db(Box<DbNode>),
    /// A monitor.
    Monitor(Box<Monitor>),
    /// The failover controller.
    Controller(Box<Controller>),
    /// The registry.
    Registry(Registry),
    /// A client.
    Client(Box<Client>),
}

impl Node for FailoverNode {
    type Msg = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            FailoverNode::Db(n) => n.start(ctx, false),
            FailoverNode::Monitor(n) => n.start(ctx, false),
            FailoverNode::Controller(n) => n.start(ctx, false),
            FailoverNode::Registry(n) => n.start(ctx),
            FailoverNode::Client(n) => n.start(ctx),
        }
    }

    fn on_restart(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            FailoverNode::Db(n) => n.start(ctx, true),
            FailoverNode::Monitor(n) => n.start(ctx, true),
            FailoverNode::Controller(n) => n.start(ctx, true),
            FailoverNode::Registry(n) => n.start(ctx),
            FailoverNode::Client(n) => n.start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match self {
            FailoverNode::Db(n) => n.on_message(ctx, from, msg),
            FailoverNode::Monitor(n) => n.on_message(ctx, from, msg),
            FailoverNode::Controller(n) => n.on_message(ctx, from, msg),
            FailoverNode::Registry(n) => n.on_message(ctx, from, msg),
            FailoverNode::Client(n) => n.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, timer: Timer) {
        match self {
            FailoverNode::Db(n) => n.on_timer(ctx, timer),
            FailoverNode::Monitor(n) => n.on_timer(ctx, timer),
            FailoverNode::Controller(n) => n.on_timer(ctx, timer),
            FailoverNode::Registry(_) => {}
            FailoverNode::Client(n) => n.on_timer(ctx, timer),
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            FailoverNode::Db(n) => n.status(),
            FailoverNode::Monitor(_) => NodeStatus { role: "monitor", leading: false, term: 0 },
            FailoverNode::Controller(_) => {
                NodeStatus { role: "controller", leading: false, term: 0 }
            }
            FailoverNode::Registry(_) => NodeStatus { role: "registry", leading: false, term: 0 },
            FailoverNode::Client(_) => NodeStatus::default(),
        }
    }
}

/// Adds `value` to the time series `name` now.
pub(crate) fn series(ctx: Ctx, name: &str, value: u64) {
    let now: SimTime = ctx.sim_time();
    ctx.metrics().add_to_series(name, now, value);
}
