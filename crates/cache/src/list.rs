//! A doubly linked list whose nodes live in one `Vec`, addressed by slot numbers.
//!
//! The recency and insertion orders of LRU, FIFO, CLOCK and W-TinyLFU's three segments are such
//! lists: a policy keeps a key's slot in its [`KeyIndex`](crate::index::KeyIndex) and then moves,
//! removes or reads the key's node in O(1), without a pointer or an allocation per object. Freed
//! slots are reused (a free list), so a replay of millions of requests allocates only while the
//! cache grows.
//!
//! The front is the oldest end (LRU, first in), the back the newest (MRU, last in). A slot is
//! valid from the `push_back` that returned it until the `remove` of it.

/// The number of a node in a [`List`].
pub(crate) type Slot = u32;

/// No node: the end of the list, or an empty list's front and back.
const NIL: Slot = Slot::MAX;

/// One node: a value and its neighbours.
#[derive(Clone, Debug)]
struct Node<T> {
    value: T,
    /// Towards the front (older).
    prev: Slot,
    /// Towards the back (newer).
    next: Slot,
}

/// A doubly linked list of `T` in a `Vec`.
#[derive(Clone, Debug)]
pub(crate) struct List<T> {
    nodes: Vec<Node<T>>,
    /// Slots removed and not yet reused.
    free: Vec<Slot>,
    front: Slot,
    back: Slot,
}

impl<T> List<T> {
    /// An empty list.
    pub(crate) fn new() -> Self {
        Self { nodes: Vec::new(), free: Vec::new(), front: NIL, back: NIL }
    }

    /// The oldest node, if any.
    pub(crate) fn front(&self) -> Option<Slot> {
        (self.front != NIL).then_some(self.front)
    }

    /// The node after `slot` (one step newer), if any.
    pub(crate) fn next(&self, slot: Slot) -> Option<Slot> {
        let next = self.nodes[slot as usize].next;
        (next != NIL).then_some(next)
    }

    /// The value at `slot`.
    pub(crate) fn get(&self, slot: Slot) -> &T {
        &self.nodes[slot as usize].value
    }

    /// The value at `slot`, to change in place.
    pub(crate) fn get_mut(&mut self, slot: Slot) -> &mut T {
        &mut self.nodes[slot as usize].value
    }

    /// Appends `value` as the newest node and returns its slot.
    pub(crate) fn push_back(&mut self, value: T) -> Slot {
        let slot = self.allocate(value);
        self.link_back(slot);
        slot
    }

    /// Prepends `value` as the oldest node and returns its slot.
    pub(crate) fn push_front(&mut self, value: T) -> Slot {
        let slot = self.allocate(value);
        self.link_front(slot);
        slot
    }

    /// Moves the node at `slot` to the back (it becomes the newest).
    pub(crate) fn move_to_back(&mut self, slot: Slot) {
        if self.back == slot {
            return;
        }
        self.unlink(slot);
        self.link_back(slot);
    }

    /// Removes the node at `slot` and returns its value; the slot may be reused.
    pub(crate) fn remove(&mut self, slot: Slot) -> T
    where
        T: Clone,
    {
        self.unlink(slot);
        self.free.push(slot);
        self.nodes[slot as usize].value.clone()
    }

    /// Stores `value` in a free slot (or a new one), not yet linked.
    fn allocate(&mut self, value: T) -> Slot {
        let node = Node { value, prev: NIL, next: NIL };
        match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                let slot = Slot::try_from(self.nodes.len())
                    .ok()
                    .filter(|&slot| slot != NIL)
                    .expect("a list holds fewer than 2^32 - 1 nodes");
                self.nodes.push(node);
                slot
            }
        }
    }

    /// Links the (unlinked) node at `slot` before the current front.
    fn link_front(&mut self, slot: Slot) {
        let old_front = self.front;
        let node = &mut self.nodes[slot as usize];
        node.prev = NIL;
        node.next = old_front;
        if old_front == NIL {
            self.back = slot;
        } else {
            self.nodes[old_front as usize].prev = slot;
        }
        self.front = slot;
    }

    /// Links the (unlinked) node at `slot` after the current back.
    fn link_back(&mut self, slot: Slot) {
        let old_back = self.back;
        let node = &mut self.nodes[slot as usize];
        node.prev = old_back;
        node.next = NIL;
        if old_back == NIL {
            self.front = slot;
        } else {
            self.nodes[old_back as usize].next = slot;
        }
        self.back = slot;
    }

    /// Takes the node at `slot` out of the chain, joining its neighbours.
    fn unlink(&mut self, slot: Slot) {
        let Node { prev, next, .. } = self.nodes[slot as usize];
        if prev == NIL {
            self.front = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.back = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(list: &List<u64>) -> Vec<u64> {
        let mut out = Vec::new();
        let mut at = list.front();
        while let Some(slot) = at {
            out.push(*list.get(slot));
            at = list.next(slot);
        }
        out
    }

    #[test]
    fn push_move_and_remove_keep_the_order() {
        let mut list = List::new();
        let a = list.push_back(1);
        let b = list.push_back(2);
        let c = list.push_back(3);
        assert_eq!(values(&list), [1, 2, 3]);
        list.move_to_back(a);
        assert_eq!(values(&list), [2, 3, 1]);
        list.move_to_back(a);
        assert_eq!(values(&list), [2, 3, 1]);
        let d = list.push_front(0);
        assert_eq!(values(&list), [0, 2, 3, 1]);
        assert_eq!(list.remove(d), 0);
        assert_eq!(list.remove(c), 3);
        assert_eq!(values(&list), [2, 1]);
        assert_eq!(list.remove(b), 2);
        assert_eq!(list.remove(a), 1);
        assert_eq!(list.front(), None);
    }

    #[test]
    fn freed_slots_are_reused() {
        let mut list = List::new();
        let a = list.push_back(1);
        list.push_back(2);
        list.remove(a);
        assert_eq!(list.push_back(3), a);
        assert_eq!(values(&list), [2, 3]);
    }
}
