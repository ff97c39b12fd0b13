//! Amazon SQS dialect (placeholder while being built).
pub mod query;
pub mod sigv4;
