//! Typed wire messages: registries, extensions, handshake messages, alerts.

pub mod alert;
pub mod enums;
pub mod extensions;
pub mod handshake;

#[cfg(test)]
mod tests;
