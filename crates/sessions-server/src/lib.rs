//! The Device/Session Management service: the generated stubs implemented over a real database,
//! with bearer-token auth. The binary is a thin command line over this library.

pub mod edge;
pub mod issue;
pub mod paging;
pub mod purge;
pub mod rate_limit;
pub mod service;
pub mod startup;
pub mod store;
pub mod token;
