//! Test nodes shared by the kernel's integration tests.
#![allow(dead_code)]

use sim_core::{
    Context, MembershipChange, Message, Node, NodeId, NodeStatus, SimDuration, TimerId,
};

/// A numbered message that remembers when it was sent.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Note {
    /// Per-sender sequence number.
    pub seq: u64,
    /// Simulated send time.
    pub sent_at_ns: u64,
}

/// Even-numbered notes are of class `even` (for per-class latency); odd ones have no class.
impl Message for Note {
    fn class(&self) -> &'static str {
        if self.seq % 2 == 0 { "even" } else { "" }
    }
}

/// One delivery as the receiver saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub from: NodeId,
    pub seq: u64,
    pub sent_at_ns: u64,
    pub received_at_ns: u64,
}

/// Every node sends a numbered note to a target every `interval` (jittered from its own
/// stream), writes a little to storage, and records every note it receives. `n1` claims to
/// lead, so the `leader` selector finds a node.
pub struct Chatter {
    pub interval: SimDuration,
    /// Fixed target (`None`: a random other node each time).
    pub target: Option<NodeId>,
    pub sent: u64,
    /// Simulated send time of every note sent.
    pub sent_at_ns: Vec<u64>,
    pub received: Vec<Delivery>,
    /// The members when it started, and each membership change it heard (with the time and
    /// the members after it).
    pub members_at_start: Vec<NodeId>,
    pub changes: Vec<(u64, MembershipChange, Vec<NodeId>)>,
}

impl Chatter {
    pub fn new(interval: SimDuration, target: Option<NodeId>) -> Self {
        Chatter {
            interval,
            target,
            sent: 0,
            sent_at_ns: Vec::new(),
            received: Vec::new(),
            members_at_start: Vec::new(),
            changes: Vec::new(),
        }
    }

    fn arm(&mut self, ctx: &mut Context<'_, Self>) {
        let jitter = ctx.rng().below(self.interval.as_nanos() / 2 + 1);
        ctx.set_timer(SimDuration(self.interval.as_nanos() + jitter), ());
    }
}

impl Node for Chatter {
    type Msg = Note;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.members_at_start = ctx.members();
        self.arm(ctx);
    }

    fn on_membership(&mut self, ctx: &mut Context<'_, Self>, change: MembershipChange) {
        self.changes.push((ctx.sim_time().as_nanos(), change, ctx.members()));
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Note) {
        self.received.push(Delivery {
            from,
            seq: msg.seq,
            sent_at_ns: msg.sent_at_ns,
            received_at_ns: ctx.sim_time().as_nanos(),
        });
        ctx.metrics().count("received", 1);
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, _t: ()) {
        let n = ctx.topology().len() as u64;
        let me = ctx.id();
        let to = self.target.unwrap_or_else(|| {
            let k = ctx.rng().below(n - 1) as u32;
            NodeId(if k >= me.0 { k + 1 } else { k })
        });
        self.sent += 1;
        let note = Note { seq: self.sent, sent_at_ns: ctx.sim_time().as_nanos() };
        self.sent_at_ns.push(note.sent_at_ns);
        ctx.send(to, note);
        ctx.metrics().count("sent", 1);
        ctx.storage().put("sent", self.sent.to_le_bytes().to_vec());
        if self.sent % 3 == 0 {
            ctx.storage().sync();
        }
        self.arm(ctx);
    }

    fn status(&self) -> NodeStatus {
        NodeStatus { role: "", leading: self.interval.as_nanos() % 2 == 0, term: 1 }
    }
}
