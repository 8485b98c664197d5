//! What every function shares: the domain (no AWS in it), the adapters behind narrow traits, and
//! the HTTP edge (request parsing, callers and their claims, problem+json responses).
pub mod api;
pub mod ari_push;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod billing;
pub mod channels;
pub mod clock;
pub mod config;
pub mod deposits;
pub mod domain;
pub mod engine;
pub mod events;
pub mod feed;
pub mod http;
pub mod inbox;
pub mod night_audit;
pub mod outbox;
pub mod payments;
pub mod reports;
pub mod routes;
pub mod search;
pub mod store;
pub mod telemetry;
pub mod timer;
pub mod waitlist;
