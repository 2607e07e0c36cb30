//! Key schedules: TLS 1.3's HKDF schedule (RFC 8446 §7), QUIC's use of it
//! (RFC 9001 §5, RFC 9369 §3.3), and TLS 1.2's PRF (RFC 5246 §5), master
//! secret (§8.1, RFC 7627), key block (§6.3) and Finished (§7.4.9).

pub mod quic;
pub mod tls12;
pub mod tls13;
