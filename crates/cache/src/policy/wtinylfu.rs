//! W-TinyLFU: a small LRU window in front of a segmented LRU main space, with TinyLFU deciding
//! which of the window's victim and the main space's victim stays. Einziger, Friedman and Manes,
//! "TinyLFU: A Highly Efficient Cache Admission Policy" (2017), as Caffeine's
//! `BoundedLocalCache` does it (its `evictFromWindow`, `evictFromMain`, `admit`,
//! `reorderProbation`, `demoteFromMainProtected`):
//!
//! - **Sizes.** The window holds 1% of the capacity (`capacity - ⌊0.99 capacity⌋`); the main
//!   space the rest, of which the protected segment may hold 80% and the probation segment the
//!   remainder. Computed in integers; Caffeine computes the same in doubles.
//! - **A miss** appends the object to the window (at the window's LRU end if it alone is heavier
//!   than the window). While the window is over its share, its LRU objects move to the MRU end of
//!   probation: these are the candidates. Then, while the cache is over its capacity, the first
//!   candidate is compared with probation's LRU object, the victim: the one with the lower
//!   frequency estimate leaves, and a tie keeps the victim (Caffeine prefers the main space's
//!   victims). When the candidates run out, the window's LRU object is the next candidate (it
//!   stays in the window if it wins); when probation's victims run out, the victims come from
//!   protected, then from the window. So a missed object may leave at once: it is admitted to the
//!   window, but not necessarily kept.
//! - **A hit** in the window moves the object to the window's MRU end; in probation, promotes it
//!   to protected's MRU end (unless it alone is heavier than protected), after which protected's
//!   LRU objects beyond its share are demoted to probation's MRU end; in protected, moves it to
//!   protected's MRU end.
//! - **Frequencies** come from a [`FrequencySketch`] that counts every request, hit or miss. As
//!   in Caffeine it is sized lazily, when the cache first holds half its capacity: for the
//!   capacity if it counts entries, for the number of cached objects if it counts bytes (then
//!   re-sized on every miss after that, as Caffeine does, to follow the number of objects).
//!   Before that it counts nothing, and every estimate is 0.
//!
//! Left out on purpose: Caffeine's hill climber, which resizes the window as the workload
//! changes (the window here stays at 1%); the random admission of a warm candidate (1 in 128
//! when its estimate is at least 6) that Caffeine uses against hash flooding, since a
//! simulation must not draw unseeded randomness; no doorkeeper (Caffeine has none either).
//! Caffeine also buffers reads and may drop some under contention; here every request is
//! applied, in order, as in Caffeine's own simulator.

use super::{Object, Policy};
use crate::Capacity;
use crate::capacity::Usage;
use crate::index::KeyIndex;
use crate::list::{List, Slot};
use crate::sketch::FrequencySketch;

/// Which of the three LRU lists holds an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    /// The admission window: new objects.
    Window,
    /// Main space, objects not hit since they entered it.
    Probation,
    /// Main space, objects hit in probation.
    Protected,
}

/// Where an object is: its segment and its slot in that segment's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    segment: Segment,
    slot: Slot,
}

/// Window TinyLFU, as Caffeine does it (without its adaptive window).
#[derive(Clone, Debug)]
pub struct WTinyLfu {
    usage: Usage,
    window: List<Object>,
    probation: List<Object>,
    protected: List<Object>,
    /// The weight (objects or bytes, as the capacity counts) in the window and in protected;
    /// probation's is the rest.
    window_weight: u64,
    protected_weight: u64,
    window_max: u64,
    protected_max: u64,
    places: KeyIndex<Place>,
    sketch: FrequencySketch,
}

impl WTinyLfu {
    /// An empty W-TinyLFU cache: window 1%, protected 80% of the rest.
    pub fn new(capacity: Capacity) -> Self {
        let limit = capacity.limit();
        let main = (u128::from(limit) * 99 / 100) as u64;
        let window_max = limit - main;
        let protected_max = main * 4 / 5;
        Self {
            usage: Usage::new(capacity),
            window: List::new(),
            probation: List::new(),
            protected: List::new(),
            window_weight: 0,
            protected_weight: 0,
            window_max,
            protected_max,
            places: KeyIndex::new(),
            sketch: FrequencySketch::new(),
        }
    }

    fn list(&self, segment: Segment) -> &List<Object> {
        match segment {
            Segment::Window => &self.window,
            Segment::Probation => &self.probation,
            Segment::Protected => &self.protected,
        }
    }

    fn list_mut(&mut self, segment: Segment) -> &mut List<Object> {
        match segment {
            Segment::Window => &mut self.window,
            Segment::Probation => &mut self.probation,
            Segment::Protected => &mut self.protected,
        }
    }

    fn weight(&self, object: Object) -> u64 {
        self.usage.capacity().weight(object.size_bytes)
    }

    fn object(&self, place: Place) -> Object {
        *self.list(place.segment).get(place.slot)
    }

    /// The first object of `segment` (its LRU end), if any.
    fn front(&self, segment: Segment) -> Option<Place> {
        self.list(segment).front().map(|slot| Place { segment, slot })
    }

    /// The object after `place` in its segment (one step towards MRU), if any.
    fn next(&self, place: Place) -> Option<Place> {
        self.list(place.segment).next(place.slot).map(|slot| Place { segment: place.segment, slot })
    }

    /// Takes the object at `place` out of its segment, keeping the segments' weights.
    fn unlink(&mut self, place: Place) -> Object {
        let object = self.list_mut(place.segment).remove(place.slot);
        let weight = self.weight(object);
        match place.segment {
            Segment::Window => self.window_weight -= weight,
            Segment::Probation => {}
            Segment::Protected => self.protected_weight -= weight,
        }
        object
    }

    /// Appends `object` at the MRU end of `segment` and records its place.
    fn link(&mut self, object: Object, segment: Segment) -> Place {
        let slot = self.list_mut(segment).push_back(object);
        let weight = self.weight(object);
        match segment {
            Segment::Window => self.window_weight += weight,
            Segment::Probation => {}
            Segment::Protected => self.protected_weight += weight,
        }
        let place = Place { segment, slot };
        self.places.replace(object.key, place);
        place
    }

    /// Moves the object at `place` to the MRU end of `to`.
    fn transfer(&mut self, place: Place, to: Segment) -> Place {
        let object = self.unlink(place);
        self.link(object, to)
    }

    /// Evicts the object at `place` and returns the place after it (Caffeine's
    /// `evictAndAdvance`).
    fn evict_and_advance(&mut self, place: Place) -> Option<Place> {
        let next = self.next(place);
        let object = self.unlink(place);
        self.places.remove(object.key);
        self.usage.sub(object.size_bytes);
        next
    }

    /// Moves the window's LRU objects to probation while the window is over its share, and
    /// returns the first one moved: the first candidate for the main space.
    fn evict_from_window(&mut self) -> Option<Place> {
        let mut first = None;
        let mut at = self.front(Segment::Window);
        while self.window_weight > self.window_max {
            let Some(place) = at else { break };
            at = self.next(place);
            // An object that weighs nothing (size 0, in bytes) is never worth moving.
            if self.weight(self.object(place)) != 0 {
                let moved = self.transfer(place, Segment::Probation);
                first.get_or_insert(moved);
            }
        }
        first
    }

    /// Evicts while the cache is over its capacity, each time the less frequent of the
    /// candidate (from the window) and the victim (from the main space's LRU end).
    fn evict_from_main(&mut self, mut candidate: Option<Place>) {
        let mut victim_source = Segment::Probation;
        let mut candidate_source = Segment::Probation;
        let mut victim = self.front(Segment::Probation);
        while self.usage.over() {
            // Out of candidates moved from the window: take the window's LRU object.
            if candidate.is_none() && candidate_source == Segment::Probation {
                candidate = self.front(Segment::Window);
                candidate_source = Segment::Window;
            }
            // Out of both: look for victims in protected, then in the window.
            if candidate.is_none() && victim.is_none() {
                victim_source = match victim_source {
                    Segment::Probation => Segment::Protected,
                    Segment::Protected => Segment::Window,
                    Segment::Window => unreachable!("an over-full cache holds an object"),
                };
                victim = self.front(victim_source);
                continue;
            }
            // Objects that weigh nothing free nothing: pass over them.
            if let Some(place) = victim.filter(|&place| self.weight(self.object(place)) == 0) {
                victim = self.next(place);
                continue;
            }
            if let Some(place) = candidate.filter(|&place| self.weight(self.object(place)) == 0) {
                candidate = self.next(place);
                continue;
            }
            match (candidate, victim) {
                (Some(place), None) => candidate = self.evict_and_advance(place),
                (None, Some(place)) => victim = self.evict_and_advance(place),
                (Some(candidate_place), Some(victim_place)) if candidate_place == victim_place => {
                    victim = self.evict_and_advance(victim_place);
                    candidate = None;
                }
                (Some(candidate_place), Some(victim_place)) => {
                    let candidate_key = self.object(candidate_place).key;
                    let victim_key = self.object(victim_place).key;
                    if self.admit(candidate_key, victim_key) {
                        victim = self.evict_and_advance(victim_place);
                        candidate = self.next(candidate_place);
                    } else {
                        candidate = self.evict_and_advance(candidate_place);
                    }
                }
                (None, None) => unreachable!("handled above"),
            }
        }
    }

    /// TinyLFU's admission: the candidate replaces the victim only if it is estimated more
    /// frequent; a tie keeps the victim.
    fn admit(&self, candidate_key: u64, victim_key: u64) -> bool {
        self.sketch.frequency(candidate_key) > self.sketch.frequency(victim_key)
    }

    /// A hit: reorders the object's segment, promoting from probation to protected.
    fn on_hit(&mut self, place: Place) {
        match place.segment {
            Segment::Window => self.window.move_to_back(place.slot),
            Segment::Protected => self.protected.move_to_back(place.slot),
            Segment::Probation => {
                if self.weight(self.object(place)) > self.protected_max {
                    self.probation.move_to_back(place.slot);
                } else {
                    self.transfer(place, Segment::Protected);
                    self.demote_from_protected();
                }
            }
        }
    }

    /// Moves protected's LRU objects to probation while protected is over its share.
    fn demote_from_protected(&mut self) {
        while self.protected_weight > self.protected_max {
            let place = self.front(Segment::Protected).expect("an over-full segment holds one");
            self.transfer(place, Segment::Probation);
        }
    }

    /// Sizes the sketch once the cache holds half its capacity (Caffeine's lazy sizing).
    fn size_sketch(&mut self) {
        let capacity = self.usage.capacity();
        if self.usage.weight() >= capacity.limit() / 2 {
            let entries = match capacity {
                Capacity::Entries(limit) => limit,
                Capacity::Bytes(_) => self.places.len() as u64,
            };
            self.sketch.ensure_capacity(entries);
        }
    }
}

impl Policy for WTinyLfu {
    fn request(&mut self, key: u64, size_bytes: u64, _next_use: Option<u64>) -> bool {
        if let Some(&place) = self.places.get(key) {
            self.sketch.increment(key);
            self.on_hit(place);
            return true;
        }
        if !self.usage.admits(size_bytes) {
            // Its request still counts towards its popularity, as in Caffeine.
            self.sketch.increment(key);
            return false;
        }
        let object = Object { key, size_bytes };
        let weight = self.weight(object);
        // Heavier than the window: first in line to move on to probation.
        let slot = if weight > self.window_max {
            self.window.push_front(object)
        } else {
            self.window.push_back(object)
        };
        self.window_weight += weight;
        self.places.insert(key, Place { segment: Segment::Window, slot });
        self.usage.add(size_bytes);
        self.size_sketch();
        self.sketch.increment(key);
        let candidate = self.evict_from_window();
        self.evict_from_main(candidate);
        false
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(place) = self.places.remove(key) else { return false };
        let object = self.unlink(place);
        self.usage.sub(object.size_bytes);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.places.contains(key)
    }

    fn len(&self) -> usize {
        self.places.len()
    }

    fn used_bytes(&self) -> u64 {
        self.usage.bytes()
    }

    fn capacity(&self) -> Capacity {
        self.usage.capacity()
    }
}
