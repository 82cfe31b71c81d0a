//! What the services, the coordinator and the clients say to each other: orders, the saga's
//! steps and their commands and events, and the envelope that carries them at least once.

use serde::{Deserialize, Serialize};
use sim_core::Message;

/// An order: what its saga reserves, charges and ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Order {
    /// The order's id, which is its saga's.
    pub id: u64,
    /// The customer charged.
    pub customer: u32,
    /// The item reserved.
    pub item: u32,
    /// How many.
    pub qty: u64,
    /// The price charged.
    pub amount: u64,
}

/// A step of the order saga, in order: three compensable steps, the pivot, a retriable step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    /// Inventory reserves the items (undone: released). Fails when out of stock.
    Reserve,
    /// Payments charges the customer (undone: refunded). Fails when declined.
    Charge,
    /// Shipping books a courier (undone: cancelled). Fails when no courier will take it.
    Schedule,
    /// The pivot: orders approves the order; after it the saga only goes forward.
    Approve,
    /// Retriable: shipping dispatches the parcel; retried until done.
    Dispatch,
}

impl Step {
    /// The steps in order.
    pub const ALL: [Step; 5] =
        [Step::Reserve, Step::Charge, Step::Schedule, Step::Approve, Step::Dispatch];

    /// Whether a failure before the pivot undoes it.
    pub fn compensable(self) -> bool {
        self < Step::Approve
    }

    /// The step after it.
    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self as usize + 1).copied()
    }

    /// The step before it.
    pub fn previous(self) -> Option<Step> {
        (self as usize).checked_sub(1).map(|i| Step::ALL[i])
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Step::Reserve => "reserve",
            Step::Charge => "charge",
            Step::Schedule => "schedule",
            Step::Approve => "approve",
            Step::Dispatch => "dispatch",
        }
    }
}

/// What travels between services and the coordinator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Payload {
    /// Choreography: the order is created; orchestration: start its saga (to the coordinator).
    Start(Order),
    /// Do a step.
    Do(Order, Step),
    /// Undo (compensate) a step.
    Undo(Order, Step),
    /// Orchestration: a service's reply: the step done (or undone), or refused.
    Done {
        /// The order.
        order: Order,
        /// The step.
        step: Step,
        /// It was an undo.
        undo: bool,
        /// It took effect (a refusal is a business failure, or a do after its undo).
        ok: bool,
    },
    /// The saga ended: completed or compensated (to the orders service).
    Finish(Order, bool),
    /// The order's effects may be read now (to payments, under semantic locks).
    Unlock(Order),
}

/// Every message of a saga run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// A client places an order (resent until acknowledged).
    Place(Order),
    /// The orders service has it.
    Placed(u64),
    /// A delivery from a sender's outbox, resent until acknowledged.
    Deliver {
        /// The sender's message id.
        id: u64,
        /// What it carries.
        payload: Payload,
    },
    /// The receiver has it (durably).
    Ack {
        /// The message id.
        id: u64,
    },
    /// A client reads a customer's balance.
    Read {
        /// The read's id.
        id: u64,
        /// The customer.
        customer: u32,
    },
    /// The balance (`None`: locked by a saga in flight).
    Balance {
        /// The read's id.
        id: u64,
        /// The value, if not locked.
        value: Option<u64>,
    },
}

platform::message_classes! {
    PLACE "place" "a client's order, and the orders service's acknowledgement",
    DELIVER "deliver" "a command or event from an outbox (service or coordinator → service or coordinator)",
    ACK "ack" "a receiver's acknowledgement of a delivery",
    READ "read" "a client's balance read, and its answer",
}

impl Message for Msg {
    fn class(&self) -> &'static str {
        match self {
            Msg::Place(_) | Msg::Placed(_) => PLACE.name,
            Msg::Deliver { .. } => DELIVER.name,
            Msg::Ack { .. } => ACK.name,
            Msg::Read { .. } | Msg::Balance { .. } => READ.name,
        }
    }
}
