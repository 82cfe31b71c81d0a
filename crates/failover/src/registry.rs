//! The service registry: where clients look up the primary, as they would in DNS or a
//! service catalogue. It keeps the controller's latest word on its disk.

use std::sync::Arc;

use sim_core::NodeId;

use crate::message::Msg;
use crate::node::{Cluster, Ctx, series};

const KEY: &str = "registry/primary";

/// The registry.
pub struct Registry {
    cluster: Arc<Cluster>,
    primary: NodeId,
    epoch: u64,
}

impl Registry {
    /// The registry of `cluster`: at first, epoch 1's primary.
    pub fn new(cluster: Arc<Cluster>) -> Self {
        let primary = cluster.dbs[0];
        Registry { cluster, primary, epoch: 1 }
    }

    /// Reads its entry from disk, if it has one.
    pub(crate) fn start(&mut self, ctx: Ctx) {
        if let Ok(Some(b)) = ctx.storage().get(KEY) {
            if b.len() == 12 {
                self.primary = NodeId(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")));
                self.epoch = u64::from_le_bytes(b[4..].try_into().expect("8 bytes"));
            }
        }
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Lookup => {
                ctx.metrics().count("registry.lookups", 1);
                series(ctx, "registry_lookups", 1);
                let (primary, epoch) = (self.primary, self.epoch);
                ctx.send(from, Msg::Located { primary, epoch });
            }
            Msg::Register { primary, epoch } => {
                if epoch >= self.epoch {
                    self.primary = primary;
                    self.epoch = epoch;
                    let record =
                        [primary.0.to_le_bytes().as_slice(), &epoch.to_le_bytes()].concat();
                    ctx.storage().put(KEY, record);
                    ctx.storage().sync();
                }
                ctx.send(self.cluster.controller, Msg::Registered { epoch });
            }
            _ => {}
        }
    }
}
