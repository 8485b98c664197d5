//! The audit log's rules over the memory store.
