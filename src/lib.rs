pub mod app;
pub mod cli;
pub mod config;
pub mod fetch;
pub mod ingest;
pub mod model;
pub mod parse;
pub mod store;
