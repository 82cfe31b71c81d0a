//! Hit and miss semantics on tiny hand-made traces: what every policy shares (libCacheSim's
//! request path), then what each policy evicts.

use cache::{Capacity, Policy, PolicyKind, Request, Trace};

/// Requests `keys` in order, each of `size_bytes`, and returns which hit.
fn hits(policy: &mut dyn Policy, keys: &[u64], size_bytes: u64) -> Vec<bool> {
    keys.iter().map(|&key| policy.request(key, size_bytes, None)).collect()
}

/// The keys among `candidates` that `policy` holds.
fn cached(policy: &dyn Policy, candidates: impl IntoIterator<Item = u64>) -> Vec<u64> {
    candidates.into_iter().filter(|&key| policy.contains(key)).collect()
}

/// Replays `keys` (objects of 1 byte) with their next uses, so Belady sees the future too.
fn replay_with_future(kind: PolicyKind, capacity: Capacity, keys: &[u64]) -> Box<dyn Policy> {
    let trace =
        Trace::new(keys.iter().map(|&key| Request { time: 0, key, size_bytes: 1 }).collect());
    let mut policy = kind.build(capacity);
    trace.replay(policy.as_mut());
    policy
}

#[test]
fn every_policy_misses_then_hits_and_counts_its_bytes() {
    for kind in PolicyKind::ALL {
        let mut policy = kind.build(Capacity::Bytes(1_000));
        assert!(policy.is_empty());
        assert_eq!(
            hits(policy.as_mut(), &[1, 2, 1, 2], 100),
            [false, false, true, true],
            "{kind:?}"
        );
        assert_eq!((policy.len(), policy.used_bytes()), (2, 200), "{kind:?}");
        assert_eq!(policy.capacity(), Capacity::Bytes(1_000));
    }
}

#[test]
fn every_policy_leaves_an_object_larger_than_the_cache_out_and_evicts_nothing() {
    for kind in PolicyKind::ALL {
        let mut policy = kind.build(Capacity::Bytes(100));
        assert!(!policy.request(1, 60, None));
        assert!(!policy.request(2, 101, None), "{kind:?}");
        assert!(!policy.request(2, 101, None), "{kind:?}: not admitted, so a miss again");
        assert_eq!(cached(policy.as_ref(), [1, 2]), [1], "{kind:?}");
        assert_eq!(policy.used_bytes(), 60, "{kind:?}");
        // Exactly the capacity fits: 1 is evicted to make room, except in W-TinyLFU, where 3 (one
        // request) loses its admission contest against 1 (one request: a tie keeps the victim).
        assert!(!policy.request(3, 100, None));
        let kept = if kind == PolicyKind::WTinyLfu { [1] } else { [3] };
        assert_eq!(cached(policy.as_ref(), [1, 2, 3]), kept, "{kind:?}");
    }
}

#[test]
fn every_policy_hits_a_cached_object_requested_with_another_size_and_keeps_its_size() {
    // libCacheSim finds objects by id and never updates a cached object's size.
    for kind in PolicyKind::ALL {
        let mut policy = kind.build(Capacity::Bytes(1_000));
        policy.request(1, 100, None);
        assert!(policy.request(1, 900, None), "{kind:?}");
        assert!(policy.request(1, 5_000, None), "{kind:?}: even larger than the cache");
        assert_eq!(policy.used_bytes(), 100, "{kind:?}");
    }
}

#[test]
fn every_policy_forgets_a_removed_object() {
    for kind in PolicyKind::ALL {
        let mut policy = kind.build(Capacity::Bytes(1_000));
        hits(policy.as_mut(), &[1, 2, 3], 100);
        assert!(policy.remove(2), "{kind:?}");
        assert!(!policy.remove(2), "{kind:?}: already gone");
        assert!(!policy.remove(9), "{kind:?}: never cached");
        assert_eq!((policy.len(), policy.used_bytes()), (2, 200), "{kind:?}");
        assert!(!policy.request(2, 100, None), "{kind:?}: a removed object misses");
        assert_eq!(cached(policy.as_ref(), [1, 2, 3]), [1, 2, 3], "{kind:?}");
    }
}

#[test]
fn every_policy_counts_entries_whatever_their_sizes() {
    for kind in PolicyKind::ALL {
        let mut policy = kind.build(Capacity::Entries(2));
        hits(policy.as_mut(), &[1, 2], 1 << 40);
        assert_eq!((policy.len(), policy.used_bytes()), (2, 2 << 40), "{kind:?}");
        policy.request(3, 1, None);
        assert_eq!(policy.len(), 2, "{kind:?}: one evicted (or, for W-TinyLFU, 3 declined)");
    }
}

#[test]
fn lru_evicts_the_least_recently_requested() {
    let mut lru = PolicyKind::Lru.build(Capacity::Entries(3));
    hits(lru.as_mut(), &[1, 2, 3, 1, 4], 1);
    assert_eq!(cached(lru.as_ref(), 1..=4), [1, 3, 4], "2 was the least recent");
}

#[test]
fn fifo_evicts_the_first_admitted_even_if_hit() {
    let mut fifo = PolicyKind::Fifo.build(Capacity::Entries(3));
    hits(fifo.as_mut(), &[1, 2, 3, 1, 4], 1);
    assert_eq!(cached(fifo.as_ref(), 1..=4), [2, 3, 4], "1 came first; its hit does not count");
}

#[test]
fn clock_gives_a_hit_object_a_second_chance_but_only_one() {
    let mut clock = PolicyKind::Clock.build(Capacity::Entries(3));
    hits(clock.as_mut(), &[1, 2, 3, 1, 4], 1);
    // 1's bit was set: the hand clears it, moves it behind 3, and evicts 2.
    assert_eq!(cached(clock.as_ref(), 1..=4), [1, 3, 4]);
    clock.request(5, 1, None);
    assert_eq!(cached(clock.as_ref(), 1..=5), [1, 4, 5], "3 next: its bit was clear");
    clock.request(6, 1, None);
    assert_eq!(cached(clock.as_ref(), 1..=6), [4, 5, 6], "1's second chance is spent");
}

#[test]
fn lfu_evicts_the_least_frequent_and_breaks_ties_by_least_recent() {
    let mut lfu = PolicyKind::Lfu.build(Capacity::Entries(3));
    hits(lfu.as_mut(), &[1, 2, 3, 2, 1, 4], 1);
    assert_eq!(cached(lfu.as_ref(), 1..=4), [1, 2, 4], "3 had one request, 1 and 2 two");
    hits(lfu.as_mut(), &[4, 5], 1);
    // 1, 2 and 4 have two requests each; 2's last was the oldest.
    assert_eq!(cached(lfu.as_ref(), 1..=5), [1, 4, 5]);
    // 5 has one request: it goes before any older object with two.
    lfu.request(6, 1, None);
    assert_eq!(cached(lfu.as_ref(), 1..=6), [1, 4, 6]);
}

#[test]
fn lfu_counts_requests_only_while_the_object_is_cached() {
    let mut lfu = PolicyKind::Lfu.build(Capacity::Entries(2));
    hits(lfu.as_mut(), &[1, 1, 1], 1);
    lfu.remove(1);
    // 1 comes back with a count of one, not four: of 1 and 2 (one request each), 1 is the less
    // recent, so 3 evicts it.
    hits(lfu.as_mut(), &[1, 2, 3], 1);
    assert_eq!(cached(lfu.as_ref(), 1..=3), [2, 3]);
}

#[test]
fn belady_evicts_the_object_requested_furthest_in_the_future() {
    // The trace 1, 2, 3, 1, 3, 2: at the request for 3, 1 is next requested at index 3 and 2
    // at index 5, so 2 goes.
    let mut belady = PolicyKind::Belady.build(Capacity::Entries(2));
    belady.request(1, 1, Some(3));
    belady.request(2, 1, Some(5));
    belady.request(3, 1, Some(4));
    assert_eq!(cached(belady.as_ref(), 1..=3), [1, 3]);
    // Over the whole trace: 4 misses (1, 2, 3, then 2 again); LRU misses 5 times.
    let keys = [1, 2, 3, 1, 3, 2];
    let trace =
        Trace::new(keys.iter().map(|&key| Request { time: 0, key, size_bytes: 1 }).collect());
    let misses = |kind: PolicyKind| trace.replay(kind.build(Capacity::Entries(2)).as_mut()).misses;
    assert_eq!(misses(PolicyKind::Belady), 4);
    assert_eq!(misses(PolicyKind::Lru), 5);
}

#[test]
fn belady_evicts_an_object_never_requested_again_first() {
    // At the request for 4: 1 is requested again, 2 and 3 never; one of them goes, not 1.
    let belady = replay_with_future(PolicyKind::Belady, Capacity::Entries(3), &[1, 2, 3, 4, 1]);
    let kept = cached(belady.as_ref(), 1..=4);
    assert!(kept.contains(&1) && kept.contains(&4) && kept.len() == 3, "{kept:?}");
}

#[test]
fn w_tinylfu_admits_a_frequent_key_over_one_hit_wonders_and_keeps_it_through_a_scan() {
    let frequent = 1;
    let wonders: Vec<u64> = (100..200).collect();
    let mut w_tinylfu = PolicyKind::WTinyLfu.build(Capacity::Entries(10));
    let mut lru = PolicyKind::Lru.build(Capacity::Entries(10));
    for policy in [&mut w_tinylfu, &mut lru] {
        // Fill the cache with one-hit wonders, then request the frequent key three times.
        hits(policy.as_mut(), &wonders[..40], 1);
        hits(policy.as_mut(), &[frequent; 3], 1);
    }
    // The next wonder pushes the frequent key out of W-TinyLFU's one-entry window; with three
    // requests against a wonder's one, it is admitted to the main space and a wonder leaves.
    w_tinylfu.request(wonders[40], 1, None);
    assert!(w_tinylfu.contains(frequent));
    assert_eq!(w_tinylfu.len(), 10);
    // A scan of sixty more wonders: each loses its admission contest and leaves at once (a tie
    // keeps the main space's victim), so the frequent key is still cached. LRU drops it.
    hits(w_tinylfu.as_mut(), &wonders[41..], 1);
    hits(lru.as_mut(), &wonders[40..], 1);
    assert!(w_tinylfu.contains(frequent), "W-TinyLFU keeps the frequent key");
    assert!(!lru.contains(frequent), "LRU does not");
    // The last wonder sits in the window; the one before it was declined.
    assert!(w_tinylfu.contains(wonders[99]));
    assert!(!w_tinylfu.contains(wonders[98]));
    assert!(w_tinylfu.request(frequent, 1, None));
}

#[test]
fn w_tinylfu_protects_an_object_hit_in_the_main_space() {
    // Capacity 100: a window of 1, protected up to 79, probation the rest.
    let (promoted, passed_over) = (1_098, 1_097);
    let mut w_tinylfu = PolicyKind::WTinyLfu.build(Capacity::Entries(100));
    let mut lru = PolicyKind::Lru.build(Capacity::Entries(100));
    for policy in [&mut w_tinylfu, &mut lru] {
        hits(policy.as_mut(), &(1_000..1_100).collect::<Vec<_>>(), 1);
        // A hit in probation: `promoted` moves to protected.
        assert!(policy.request(promoted, 1, None));
        // A flood of keys requested three times each: each wins its admission contest against
        // probation's least recent object (one request or none) and evicts it.
        for key in 2_000..2_120 {
            hits(policy.as_mut(), &[key; 3], 1);
        }
    }
    assert!(!w_tinylfu.contains(passed_over), "probation's objects were evicted");
    assert!(w_tinylfu.contains(promoted), "the protected object was never a victim");
    assert!(!lru.contains(promoted), "LRU keeps only the flood");
}
