//! The client's side of vector clocks: a read that found concurrent versions comes back as
//! siblings; the client resolves them (the highest value wins: any deterministic merge the
//! application chooses would do) and writes the result back with their merged clocks as its
//! context, so the new version descends from every sibling and replaces them all. Everything
//! else goes to the workload's client unchanged.

use sim_core::{Context, NodeId};
use workload::{Client, ClientReply, KvResult};

use crate::message::Msg;
use crate::node::ShardNode;

/// Hands `msg` to the client, resolving siblings first.
pub fn on_message(client: &mut Client, ctx: &mut Context<'_, ShardNode>, from: NodeId, msg: Msg) {
    let Msg::ReplySiblings { request_id, key, values, context } = msg else {
        client.on_message(ctx, from, &msg);
        return;
    };
    let Some(&value) = values.iter().max() else { return };
    let reply = ClientReply { request_id, result: KvResult::Ok(Some(value)) };
    client.on_message(ctx, from, &Msg::Reply(reply));
    ctx.send(from, Msg::Resolve { key, value, context });
}
