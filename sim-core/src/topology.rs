//! Who is in the cluster: servers `n1..nN` and clients `c1..cK`, and their indices.
//!
//! Node indices are dense: servers first (`n1` is index 0), then clients (`c1` is index N).
//! Clients are simulated nodes like any other: their links can be cut, delayed or lost.

use std::fmt;

use crate::config::ConfigError;

/// Most servers a cluster may have.
pub const MAX_SERVERS: u32 = 10_000;
/// Most clients a cluster may have.
pub const MAX_CLIENTS: u32 = 100_000;

/// A node's dense index: servers `0..N`, then clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The index as a `usize`, for slices.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Whether a node is a server or a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A member of the replicated service (`n…`); selectors pick among these.
    Server,
    /// A simulated client (`c…`); picked by name only.
    Client,
}

/// The cluster's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Topology {
    /// Number of servers, `1..=MAX_SERVERS`.
    pub servers: u32,
    /// Number of clients, `0..=MAX_CLIENTS`.
    pub clients: u32,
}

impl Topology {
    /// A topology, checked against its limits.
    pub fn new(servers: u32, clients: u32) -> Result<Topology, ConfigError> {
        if !(1..=MAX_SERVERS).contains(&servers) {
            return Err(ConfigError::out_of_range("nodes", servers, "1..=10000 servers"));
        }
        if clients > MAX_CLIENTS {
            return Err(ConfigError::out_of_range("workload.clients", clients, "0..=100000"));
        }
        Ok(Topology { servers, clients })
    }

    /// Total number of nodes.
    pub const fn len(&self) -> u32 {
        self.servers + self.clients
    }

    /// True when there is no node (never, once validated).
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every node, servers first.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.len()).map(NodeId)
    }

    /// Every server.
    pub fn servers(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.servers).map(NodeId)
    }

    /// Every client.
    pub fn clients(&self) -> impl Iterator<Item = NodeId> + use<> {
        (self.servers..self.len()).map(NodeId)
    }

    /// Server or client.
    pub fn kind(&self, id: NodeId) -> NodeKind {
        if id.0 < self.servers { NodeKind::Server } else { NodeKind::Client }
    }

    /// The node's name: `n1`… for servers, `c1`… for clients.
    pub fn name(&self, id: NodeId) -> String {
        match self.kind(id) {
            NodeKind::Server => format!("n{}", id.0 + 1),
            NodeKind::Client => format!("c{}", id.0 - self.servers + 1),
        }
    }

    /// Every node's name, by index.
    pub fn names(&self) -> Vec<String> {
        self.nodes().map(|id| self.name(id)).collect()
    }

    /// The node with this name, if the cluster has it.
    pub fn lookup(&self, name: &str) -> Option<NodeId> {
        let (prefix, number) = name.split_at_checked(1)?;
        if number.starts_with('0') || number.starts_with('+') {
            return None;
        }
        let k: u32 = number.parse().ok()?;
        match prefix {
            "n" if (1..=self.servers).contains(&k) => Some(NodeId(k - 1)),
            "c" if (1..=self.clients).contains(&k) => Some(NodeId(self.servers + k - 1)),
            _ => None,
        }
    }

    /// Resolves a node name for the config key `key`, or says which names exist.
    pub fn resolve(&self, key: &str, name: &str) -> Result<NodeId, ConfigError> {
        self.lookup(name).ok_or_else(|| ConfigError::UnknownNode {
            key: key.to_string(),
            name: name.to_string(),
            allowed: self.to_string(),
        })
    }
}

impl fmt::Display for Topology {
    /// `n1..n5, c1..c4`: the node names that exist.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n1..n{}", self.servers)?;
        if self.clients > 0 {
            write!(f, ", c1..c{}", self.clients)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let t = Topology::new(5, 3).unwrap();
        for id in t.nodes() {
            assert_eq!(t.lookup(&t.name(id)), Some(id));
        }
        assert_eq!(t.lookup("n6"), None);
        assert_eq!(t.lookup("n01"), None);
        assert_eq!(t.lookup("c4"), None);
        assert_eq!(t.lookup("x1"), None);
        assert!(matches!(t.resolve("fault.node", "n9"), Err(ConfigError::UnknownNode { .. })));
        assert!(Topology::new(0, 1).is_err());
        assert!(Topology::new(10_001, 1).is_err());
    }
}
