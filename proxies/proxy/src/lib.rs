//! meshlb-proxy: an HTTP/1.1 and HTTP/2 reverse proxy that picks each request's upstream with
//! meshlb — Envoy's priorities, locality failover, overprovisioning, panic and load balancers,
//! over any input meshlb reads — under real sockets and real concurrency.
//!
//! # Concurrency model
//!
//! - **One shared route, published without locks.** The control task (its own thread) is the
//!   one owner of the [`meshlb::Route`]: it applies health check transitions and update
//!   documents to its copy (one re-plan per batch) and publishes each version as an
//!   `Arc<`[`control::Snapshot`]`>` with one atomic pointer swap (`arc-swap`). A request loads
//!   the current snapshot with an atomic load, never a lock.
//! - **A picker set per worker.** Each worker is an OS thread with a single-threaded tokio
//!   runtime, accepting on the shared listening socket; it owns its [`meshlb::Pickers`]
//!   (round-robin positions, schedulers, active request counts) and random generator, and
//!   picks against the snapshot's route; after an update the pickers follow the new route on
//!   the next pick (in place: by plan identity, allocation-free).
//! - **Requests end where they started.** A request's future never leaves its worker, so its
//!   ticket returns to the same pickers when the response body ends (LEAST_REQUEST's active
//!   count), without synchronisation. Each worker counts its own requests in flight, as each
//!   Envoy worker has its own load balancer (Envoy's `rq_active` gauge is shared by workers: a
//!   divergence, stated in [`meshlb::Pickers`]).
//!
//! See the README's "Linked into a proxy" for the command line, the admin API and the numbers.

pub mod control;
pub mod health;
pub mod server;
pub mod upstream;
