//! How much a cache holds, and what its objects count against that.
//!
//! A capacity is counted either in objects ([`Capacity::Entries`]: every object weighs 1,
//! whatever its size) or in bytes ([`Capacity::Bytes`]: an object weighs its size, as in
//! libCacheSim, whose miss counts the trace tests pin). Every policy keeps one [`Usage`] and asks
//! it the two questions of the request path: may this object be admitted at all (is it no
//! heavier than the whole cache), and does it fit beside what is cached now.

/// A cache's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    /// At most this many objects, whatever their sizes.
    Entries(u64),
    /// At most this many bytes: the sum of the cached objects' sizes.
    Bytes(u64),
}

impl Capacity {
    /// What one object of `size_bytes` counts against this capacity: 1 for
    /// [`Capacity::Entries`], its size for [`Capacity::Bytes`].
    pub fn weight(self, size_bytes: u64) -> u64 {
        match self {
            Capacity::Entries(_) => 1,
            Capacity::Bytes(_) => size_bytes,
        }
    }

    /// The limit, in objects or in bytes.
    pub fn limit(self) -> u64 {
        match self {
            Capacity::Entries(limit) | Capacity::Bytes(limit) => limit,
        }
    }
}

/// What the cached objects use of a [`Capacity`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Usage {
    capacity: Capacity,
    /// The sum of the cached objects' weights (in the capacity's unit).
    weight: u64,
    /// The sum of the cached objects' sizes.
    bytes: u64,
}

impl Usage {
    /// Nothing cached.
    pub(crate) fn new(capacity: Capacity) -> Self {
        Self { capacity, weight: 0, bytes: 0 }
    }

    /// The capacity this usage counts against.
    pub(crate) fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// Whether an object of `size_bytes` may be cached at all: an object heavier than the whole
    /// cache is never admitted (libCacheSim's `cache_can_insert_default`), and nothing is evicted
    /// for it.
    pub(crate) fn admits(&self, size_bytes: u64) -> bool {
        self.capacity.weight(size_bytes) <= self.capacity.limit()
    }

    /// Whether an object of `size_bytes` fits beside what is cached now.
    pub(crate) fn fits(&self, size_bytes: u64) -> bool {
        self.weight + self.capacity.weight(size_bytes) <= self.capacity.limit()
    }

    /// Whether what is cached exceeds the capacity (W-TinyLFU inserts first, then evicts).
    pub(crate) fn over(&self) -> bool {
        self.weight > self.capacity.limit()
    }

    /// The sum of the cached objects' weights, in the capacity's unit.
    pub(crate) fn weight(&self) -> u64 {
        self.weight
    }

    /// The sum of the cached objects' sizes.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Counts a newly cached object of `size_bytes`.
    pub(crate) fn add(&mut self, size_bytes: u64) {
        self.weight += self.capacity.weight(size_bytes);
        self.bytes += size_bytes;
    }

    /// Forgets an evicted or removed object of `size_bytes`.
    pub(crate) fn sub(&mut self, size_bytes: u64) {
        self.weight -= self.capacity.weight(size_bytes);
        self.bytes -= size_bytes;
    }
}
