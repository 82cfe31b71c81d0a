//! Who is in the cluster: servers in node groups, and clients `c1..cK`, and their indices.
//!
//! Node indices are dense: servers first, group after group in the protocol's order, then
//! clients. A group's nodes are named after its prefix (`n1..n5`, `cache1..cache4`), or the
//! prefix alone for a singleton group (`primary`). A cluster built with [`Topology::new`] has
//! one group, `server`, named `n1..nN`. Clients are simulated nodes like any other: their links
//! can be cut, delayed or lost.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

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

/// A group of servers that play one part (`server`, `cache`, `monitor`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeGroup {
    /// The group's name, as selectors write it (`random:cache`).
    pub name: String,
    /// Its nodes' names: the prefix and a number from 1 (`cache3`), or the prefix alone when
    /// the group is a singleton.
    pub prefix: String,
    /// How many nodes it has (1 for a singleton).
    pub count: u32,
    /// A singleton: its one node is named by the prefix alone.
    pub singleton: bool,
}

impl NodeGroup {
    /// A group of `count` nodes named `prefix1..prefixN`.
    pub fn numbered(name: &str, prefix: &str, count: u32) -> Self {
        NodeGroup { name: name.into(), prefix: prefix.into(), count, singleton: false }
    }

    /// A group of one node named `name`.
    pub fn singleton(name: &str) -> Self {
        NodeGroup { name: name.into(), prefix: name.into(), count: 1, singleton: true }
    }
}

/// The cluster's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    /// Number of servers (every group's nodes), `1..=MAX_SERVERS`.
    pub servers: u32,
    /// Number of clients, `0..=MAX_CLIENTS`.
    pub clients: u32,
    /// The server groups, in index order.
    groups: Arc<[NodeGroup]>,
}

impl Topology {
    /// A topology of one group, `server` (`n1..nN`), checked against its limits.
    pub fn new(servers: u32, clients: u32) -> Result<Topology, ConfigError> {
        if !(1..=MAX_SERVERS).contains(&servers) {
            return Err(ConfigError::out_of_range("nodes", servers, "1..=10000 servers"));
        }
        Topology::with_groups(vec![NodeGroup::numbered("server", "n", servers)], clients)
    }

    /// A topology of these groups (servers in this order) and `clients` clients. Group names
    /// and prefixes must be distinct letters, digits or `-`, not ending in a digit, and no
    /// prefix may be `c` (the clients').
    pub fn with_groups(groups: Vec<NodeGroup>, clients: u32) -> Result<Topology, ConfigError> {
        let servers = groups.iter().try_fold(0u32, |n, g| n.checked_add(g.count));
        let servers = servers.filter(|n| (1..=MAX_SERVERS).contains(n)).ok_or_else(|| {
            ConfigError::out_of_range(
                "nodes",
                groups.iter().map(|g| g.count as u64).sum::<u64>(),
                "1..=10000 servers in all",
            )
        })?;
        if clients > MAX_CLIENTS {
            return Err(ConfigError::out_of_range("workload.clients", clients, "0..=100000"));
        }
        for (i, g) in groups.iter().enumerate() {
            let well_formed = |s: &str| {
                !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !s.ends_with(|c: char| c.is_ascii_digit())
            };
            let problem = if !well_formed(&g.name) || !well_formed(&g.prefix) {
                Some("names and prefixes are letters, digits and `-`, not ending in a digit")
            } else if g.prefix == "c" {
                Some("the prefix `c` names the clients")
            } else if g.singleton && g.count != 1 {
                Some("a singleton group has one node")
            } else if g.count == 0 {
                Some("a group has at least one node")
            } else if groups[..i].iter().any(|h| h.name == g.name || h.prefix == g.prefix) {
                Some("two groups share a name or a prefix")
            } else {
                None
            };
            if let Some(p) = problem {
                return Err(ConfigError::invalid(&format!("group `{}`", g.name), p));
            }
        }
        Ok(Topology { servers, clients, groups: groups.into() })
    }

    /// The server groups, in index order.
    pub fn groups(&self) -> &[NodeGroup] {
        &self.groups
    }

    /// The node indices of the group named `name`.
    pub fn group_range(&self, name: &str) -> Option<Range<u32>> {
        let mut start = 0;
        for g in self.groups.iter() {
            if g.name == name {
                return Some(start..start + g.count);
            }
            start += g.count;
        }
        None
    }

    /// The group a server belongs to, with the node's place in it (from 0); `None` for a client.
    pub fn group_of(&self, id: NodeId) -> Option<(&NodeGroup, u32)> {
        let mut start = 0;
        for g in self.groups.iter() {
            if id.0 < start + g.count {
                return Some((g, id.0 - start));
            }
            start += g.count;
        }
        None
    }

    /// The other servers of `id`'s group (what `isolate` cuts it off from).
    pub fn group_peers(&self, id: NodeId) -> impl Iterator<Item = NodeId> + use<> {
        let range = self.group_of(id).and_then(|(g, _)| self.group_range(&g.name)).unwrap_or(0..0);
        range.filter(move |&i| i != id.0).map(NodeId)
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

    /// The node's name: its group's prefix and number (`n1`, `cache3`), the prefix alone for a
    /// singleton (`primary`), `c1`… for clients.
    pub fn name(&self, id: NodeId) -> String {
        match self.group_of(id) {
            Some((g, _)) if g.singleton => g.prefix.clone(),
            Some((g, k)) => format!("{}{}", g.prefix, k + 1),
            None => format!("c{}", id.0 - self.servers + 1),
        }
    }

    /// Every node's name, by index.
    pub fn names(&self) -> Vec<String> {
        self.nodes().map(|id| self.name(id)).collect()
    }

    /// The node with this name, if the cluster has it.
    pub fn lookup(&self, name: &str) -> Option<NodeId> {
        // The number after a prefix: no sign, no leading zero.
        let number = |s: &str| -> Option<u32> {
            if s.starts_with('0') || s.starts_with('+') {
                return None;
            }
            s.parse().ok()
        };
        let mut start = 0;
        for g in self.groups.iter() {
            if g.singleton && name == g.prefix {
                return Some(NodeId(start));
            }
            if !g.singleton
                && let Some(k) = name.strip_prefix(g.prefix.as_str()).and_then(number)
                && (1..=g.count).contains(&k)
            {
                return Some(NodeId(start + k - 1));
            }
            start += g.count;
        }
        let k = name.strip_prefix('c').and_then(number)?;
        (1..=self.clients).contains(&k).then(|| NodeId(self.servers + k - 1))
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
    /// `n1..n5, c1..c4` (or `primary, backup1..backup2, c1..c4`): the node names that exist.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, g) in self.groups.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            if g.singleton {
                write!(f, "{sep}{}", g.prefix)?;
            } else {
                write!(f, "{sep}{0}1..{0}{1}", g.prefix, g.count)?;
            }
        }
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
        assert_eq!(t.to_string(), "n1..n5, c1..c3");
        assert!(Topology::new(10_001, 1).is_err());
    }

    #[test]
    fn groups_name_their_nodes() {
        let t = Topology::with_groups(
            vec![NodeGroup::singleton("primary"), NodeGroup::numbered("backup", "backup", 2)],
            2,
        )
        .unwrap();
        let names = t.names();
        assert_eq!(names, ["primary", "backup1", "backup2", "c1", "c2"]);
        for id in t.nodes() {
            assert_eq!(t.lookup(&t.name(id)), Some(id));
        }
        assert_eq!(t.lookup("backup3"), None);
        assert_eq!(t.lookup("primary1"), None);
        assert_eq!(t.group_range("backup"), Some(1..3));
        assert_eq!(t.group_peers(NodeId(1)).collect::<Vec<_>>(), [NodeId(2)]);
        assert_eq!(t.group_peers(NodeId(0)).count(), 0);
        assert_eq!(t.to_string(), "primary, backup1..backup2, c1..c2");
        let clash = vec![NodeGroup::numbered("a", "x", 1), NodeGroup::numbered("b", "x", 1)];
        assert!(Topology::with_groups(clash, 0).is_err());
        assert!(Topology::with_groups(vec![NodeGroup::numbered("a", "c", 1)], 0).is_err());
    }
}
