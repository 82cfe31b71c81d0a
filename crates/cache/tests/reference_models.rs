//! The O(1) and O(log n) policies against naive models written straight from their definitions
//! (a `Vec` scanned on every request), on seeded random traces with sizes, invalidations and
//! sizes that change: the same hit or miss on every request and the same objects cached.
//! W-TinyLFU has no model this simple; it is held to the invariants every policy keeps.

use cache::{Capacity, PolicyKind, next_uses};

/// SplitMix64: the traces' only randomness, so a seed fixes a trace.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One step of a trace.
#[derive(Clone, Copy, Debug)]
enum Step {
    Request { key: u64, size_bytes: u64 },
    Remove { key: u64 },
}

const KEYS: u64 = 24;

/// A trace of `len` steps over `KEYS` keys, skewed towards small keys, with one size per key
/// that now and then changes, and invalidations.
fn random_trace(rng: &mut Rng, len: usize) -> Vec<Step> {
    let mut sizes: Vec<u64> = (0..KEYS).map(|_| 1 + rng.below(60)).collect();
    (0..len)
        .map(|_| {
            let bound = 1 + rng.below(KEYS);
            let key = rng.below(bound);
            match rng.below(100) {
                0..5 => Step::Remove { key },
                5..8 => {
                    sizes[key as usize] = 1 + rng.below(60);
                    Step::Request { key, size_bytes: sizes[key as usize] }
                }
                _ => Step::Request { key, size_bytes: sizes[key as usize] },
            }
        })
        .collect()
}

/// A cached object in a naive model, with whatever its policy orders by.
#[derive(Clone, Copy, Debug)]
struct Cached {
    key: u64,
    size_bytes: u64,
    /// LRU: last request; LFU: last request; CLOCK: reference bit (0 or 1); Belady: next use.
    mark: u64,
    /// LFU: requests while cached.
    frequency: u64,
}

/// A policy straight from its definition.
struct Model {
    kind: PolicyKind,
    capacity: Capacity,
    /// In admission order (FIFO, CLOCK's hand at the front), else unordered.
    cached: Vec<Cached>,
}

impl Model {
    fn used(&self) -> u64 {
        self.cached.iter().map(|c| self.capacity.weight(c.size_bytes)).sum()
    }

    fn request(&mut self, key: u64, size_bytes: u64, now: u64, next_use: Option<u64>) -> bool {
        let next_use = next_use.unwrap_or(u64::MAX);
        if let Some(c) = self.cached.iter_mut().find(|c| c.key == key) {
            match self.kind {
                PolicyKind::Lru | PolicyKind::Lfu => c.mark = now,
                PolicyKind::Clock => c.mark = 1,
                PolicyKind::Belady => c.mark = next_use,
                _ => {}
            }
            c.frequency += 1;
            return true;
        }
        if self.capacity.weight(size_bytes) > self.capacity.limit() {
            return false;
        }
        while self.used() + self.capacity.weight(size_bytes) > self.capacity.limit() {
            let victim = match self.kind {
                PolicyKind::Fifo => 0,
                PolicyKind::Lru => self.position_of_min(|c| (c.mark, 0)),
                PolicyKind::Lfu => self.position_of_min(|c| (c.frequency, c.mark)),
                PolicyKind::Belady => {
                    self.position_of_min(|c| (u64::MAX - c.mark, u64::MAX - c.key))
                }
                PolicyKind::Clock => loop {
                    if self.cached[0].mark == 0 {
                        break 0;
                    }
                    self.cached[0].mark = 0;
                    self.cached.rotate_left(1);
                },
                PolicyKind::WTinyLfu => unreachable!("no naive model"),
            };
            self.cached.remove(victim);
        }
        let mark = match self.kind {
            PolicyKind::Lru | PolicyKind::Lfu => now,
            PolicyKind::Belady => next_use,
            _ => 0,
        };
        self.cached.push(Cached { key, size_bytes, mark, frequency: 1 });
        false
    }

    fn position_of_min(&self, order: impl Fn(&Cached) -> (u64, u64)) -> usize {
        (0..self.cached.len()).min_by_key(|&i| order(&self.cached[i])).expect("not empty")
    }

    fn remove(&mut self, key: u64) -> bool {
        let position = self.cached.iter().position(|c| c.key == key);
        position.map(|i| self.cached.remove(i)).is_some()
    }
}

fn random_capacity(rng: &mut Rng) -> Capacity {
    if rng.below(2) == 0 {
        Capacity::Entries(1 + rng.below(12))
    } else {
        Capacity::Bytes(rng.below(400))
    }
}

#[test]
fn policies_agree_with_their_naive_models_on_random_traces() {
    let mut rng = Rng(2026);
    for round in 0..400 {
        let trace = random_trace(&mut rng, 400);
        let capacity = random_capacity(&mut rng);
        // Next uses count requests only (a removal is not a use), so they index the requests.
        let request_keys: Vec<u64> = trace
            .iter()
            .filter_map(|step| match *step {
                Step::Request { key, .. } => Some(key),
                Step::Remove { .. } => None,
            })
            .collect();
        let request_next_uses = next_uses(&request_keys);
        for kind in PolicyKind::ALL.into_iter().filter(|&kind| kind != PolicyKind::WTinyLfu) {
            let mut policy = kind.build(capacity);
            let mut model = Model { kind, capacity, cached: Vec::new() };
            let mut request_index = 0;
            for (step_index, step) in trace.iter().enumerate() {
                let context = format!("round {round}, {kind:?}, {capacity:?}, step {step_index}");
                match *step {
                    Step::Request { key, size_bytes } => {
                        let next_use = request_next_uses[request_index];
                        let now = request_index as u64;
                        request_index += 1;
                        let hit = policy.request(key, size_bytes, next_use);
                        assert_eq!(hit, model.request(key, size_bytes, now, next_use), "{context}");
                    }
                    Step::Remove { key } => {
                        assert_eq!(policy.remove(key), model.remove(key), "{context}");
                    }
                }
                let mut want: Vec<u64> = model.cached.iter().map(|c| c.key).collect();
                want.sort_unstable();
                let got: Vec<u64> = (0..KEYS).filter(|&key| policy.contains(key)).collect();
                assert_eq!(got, want, "{context}");
                let bytes: u64 = model.cached.iter().map(|c| c.size_bytes).sum();
                assert_eq!(policy.used_bytes(), bytes, "{context}");
                assert_eq!(policy.len(), want.len(), "{context}");
            }
        }
    }
}

#[test]
fn w_tinylfu_keeps_every_policy_invariant_on_random_traces() {
    let mut rng = Rng(7);
    for round in 0..400 {
        let trace = random_trace(&mut rng, 400);
        let capacity = random_capacity(&mut rng);
        let mut policy = PolicyKind::WTinyLfu.build(capacity);
        // The size each cached key was admitted with.
        let mut admitted: Vec<Option<u64>> = vec![None; KEYS as usize];
        for (step_index, step) in trace.iter().enumerate() {
            let context = format!("round {round}, {capacity:?}, step {step_index}");
            match *step {
                Step::Request { key, size_bytes } => {
                    let was_cached = policy.contains(key);
                    let hit = policy.request(key, size_bytes, None);
                    assert_eq!(hit, was_cached, "{context}: a hit is a request for a cached key");
                    if !hit && policy.contains(key) {
                        admitted[key as usize] = Some(size_bytes);
                    }
                    if !hit && capacity.weight(size_bytes) > capacity.limit() {
                        assert!(!policy.contains(key), "{context}: too large to admit");
                    }
                }
                Step::Remove { key } => {
                    assert_eq!(policy.remove(key), admitted[key as usize].is_some(), "{context}");
                    assert!(!policy.contains(key));
                }
            }
            for key in 0..KEYS {
                if !policy.contains(key) {
                    admitted[key as usize] = None;
                }
            }
            let sizes: Vec<u64> = admitted.iter().flatten().copied().collect();
            assert_eq!(policy.len(), sizes.len(), "{context}");
            assert_eq!(policy.used_bytes(), sizes.iter().sum::<u64>(), "{context}");
            let weight: u64 = sizes.iter().map(|&size| capacity.weight(size)).sum();
            assert!(weight <= capacity.limit(), "{context}: over capacity");
        }
    }
}
