//! The summary of a connection that `cloak` prints: what was negotiated,
//! and the peer's certificates (or raw public key) in plain words.

use crate::options::version_name;
use cloaktls::config::EchStatus;
use cloaktls::{Connection, ProtocolVersion};

/// What was negotiated, one item per line, and the peer's certificates.
pub fn summary(conn: &Connection) -> String {
    let mut s = format!(
        "protocol: {}\ncipher suite: {}\nkey exchange: {}\n",
        version_name(conn.protocol_version()),
        conn.cipher_suite()
            .map(|c| format!("{c:?}"))
            .unwrap_or_default(),
        conn.key_exchange_group()
            .map(|g| format!("{g:?}"))
            .unwrap_or_else(|| "none".into()),
    );
    s += &format!(
        "ALPN: {}\n",
        conn.alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_else(|| "none".into())
    );
    s += &format!("SNI: {}\n", conn.server_name().unwrap_or("none"));
    let public = conn.ech_public_name().unwrap_or("?");
    match conn.ech_status() {
        EchStatus::Accepted => s += &format!("ECH: accepted (public name {public})\n"),
        EchStatus::Rejected => s += &format!("ECH: rejected (public name {public})\n"),
        EchStatus::Grease => s += "ECH: GREASE (no config)\n",
        _ => {}
    }
    s += &format!(
        "hello retry: {}\n",
        if conn.had_hello_retry() { "yes" } else { "no" }
    );
    s += &format!(
        "resumed: {}\n",
        if conn.is_resumed() { "yes" } else { "no" }
    );
    if let Some(id) = conn.external_psk_identity() {
        s += &format!(
            "external PSK: {} ({})\n",
            String::from_utf8_lossy(id),
            match conn.key_exchange_group() {
                Some(_) => "psk_dhe_ke",
                None => "psk_ke, no forward secrecy",
            }
        );
    }
    if let Some(accepted) = conn.early_data_accepted() {
        s += &format!(
            "0-RTT: {}\n",
            if accepted { "accepted" } else { "rejected" }
        );
    }
    if conn.protocol_version() == Some(ProtocolVersion::TLSV1_2) {
        s += &format!(
            "extended master secret: {}\n",
            if conn.extended_master_secret() {
                "yes"
            } else {
                "no"
            }
        );
    }
    if let Some(r) = conn.peer_ocsp_response() {
        s += &format!("stapled OCSP response: {} bytes (not checked)\n", r.len());
    }
    if let Some(l) = conn.peer_sct_list() {
        s += &format!("certificate timestamps: {} bytes (not checked)\n", l.len());
    }
    // RFC 7250: a raw public key in place of a chain.
    if let Some(key) = conn.peer_raw_public_key() {
        match conn.peer_raw_public_key_summary() {
            Some(sum) => s += &format!("{sum}\n"),
            None => s += &format!("raw public key: {} bytes (unreadable)\n", key.len()),
        }
    }
    for (i, cert) in conn.peer_certificates().iter().enumerate() {
        match cloaktls::verify::certinfo::summarize(cert.as_ref()) {
            Some(sum) => {
                s += &format!("certificate {i}:\n");
                for line in sum.to_string().lines() {
                    s += &format!("  {line}\n");
                }
            }
            None => {
                s += &format!(
                    "certificate {i}: {} bytes (unreadable)\n",
                    cert.as_ref().len()
                )
            }
        }
    }
    s
}
