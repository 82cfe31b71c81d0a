//! Sagas on faultline (issue 16): an order-processing system of services (orders, inventory,
//! payments, shipping), each with its own durable store, running each order as a saga of
//! steps with compensations, as Garcia-Molina and Salem's "Sagas" (1987) and microservices.io
//! describe them: reserve the stock, charge the customer, book a courier (each undone in
//! reverse order if a later one fails or times out), approve the order (the pivot), dispatch
//! (retried until done).
//!
//! Where to read, in order: [`config`] (`[saga]`), [`message`] (orders, steps, payloads),
//! [`mailroom`] (the transactional outbox and the idempotency keys), [`service`] (the four
//! services), [`coordinator`] (orchestration's durable saga log), [`client`], [`node`],
//! [`observer`] (the harness's record), [`checks`] and [`protocol`] (what faultline sees: the
//! declarations, the run and its figures).

#![deny(missing_docs)]

pub mod checks;
pub mod client;
pub mod config;
pub mod coordinator;
pub mod mailroom;
pub mod message;
pub mod node;
pub mod observer;
pub mod protocol;
pub mod service;

pub use config::{Bug, Mode, SagaConfig};
pub use protocol::{Saga, SagaRun};
