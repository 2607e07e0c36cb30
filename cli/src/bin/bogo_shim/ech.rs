//! The shim's ECH flags (`-ech-*`, `-expect-ech-*`): configurations for
//! each side, BoringSSL's names for ECH errors, and the checks of a
//! handshake's ECH outcome.

use super::flags::Flags;
use cloaktls::config::{ClientConfigBuilder, EchStatus, ServerConfigBuilder};
use cloaktls::{Connection, EchProblem, Error, ProtocolVersion};
use std::process::exit;

/// ECH on a client configuration, as the flags ask.
pub fn client(
    f: &Flags,
    versions: &[ProtocolVersion],
    mut b: ClientConfigBuilder,
) -> ClientConfigBuilder {
    let unusable = || -> ! {
        eprintln!("cloaktls: no usable ECH config");
        eprintln!(":UNUSABLE_ECH_CONFIG_LIST:");
        exit(1)
    };
    if f.reject_unusable_ech_config && f.ech_config_list.is_none() {
        unusable();
    }
    if let Some(list) = &f.ech_config_list {
        match cloaktls::config::EchConfigList::from_bytes(list) {
            // ECH needs TLS 1.3: with TLS 1.2 alone the list is unusable.
            Ok(l) if l.is_usable() && versions.contains(&ProtocolVersion::TLSV1_3) => b = b.ech(l),
            // Without a usable config, BoringSSL goes on without ECH
            // (GREASE if asked), unless told to refuse.
            Ok(_) if !f.reject_unusable_ech_config => {}
            Ok(_) => unusable(),
            Err(e) => {
                eprintln!("cloaktls: {e}");
                eprintln!(":INVALID_ECH_CONFIG_LIST:");
                exit(1)
            }
        }
    }
    b.ech_grease(f.enable_ech_grease)
}

/// ECH keys on a server configuration, as the flags give them.
pub fn server(f: &Flags, mut b: ServerConfigBuilder) -> Result<ServerConfigBuilder, Error> {
    for (config, key, retry) in &f.ech_server {
        let k = cloaktls::config::EchKey::new(config, key)?;
        b = b.ech_key(k.retry(*retry));
    }
    Ok(b)
}

/// BoringSSL's names for what is wrong with ECH input.
pub fn code(p: &EchProblem) -> &'static str {
    use EchProblem as P;
    match p {
        // BoringSSL says ERROR_PARSING_EXTENSION; both send decode_error.
        P::ConfigList(_) | P::ClientHelloExtension(_) => "DECODE_ERROR",
        P::InnerFromNetwork => "UNEXPECTED_EXTENSION",
        P::NotClientHello(_) | P::Padding => "DECODE_ERROR",
        P::InnerWithoutExtension | P::InnerOffersTls12 => "INVALID_CLIENT_HELLO_INNER",
        P::OuterExtensionsList | P::OuterExtensionsReferenceEch | P::OuterExtensionMissing(_) => {
            "INVALID_OUTER_EXTENSION"
        }
        P::MissingAfterRetry => "MISSING_EXTENSION",
        P::ChangedAfterRetry => "DECODE_ERROR",
        P::DecryptAfterRetry => "DECRYPTION_FAILED",
        P::ConfirmationLength(_) => "DECODE_ERROR",
        P::NotConfirmedAfterRetry => "INCONSISTENT_ECH_NEGOTIATION",
        P::PskWhileRejected => "UNEXPECTED_EXTENSION",
        P::RetryConfigsWhileAccepted => "UNEXPECTED_EXTENSION",
        _ => "ERROR",
    }
}

/// The ECH outcome of a completed handshake, as the flags expect it.
pub fn check(f: &Flags, conn: &Connection) -> Result<(), String> {
    if f.expect_ech_accept && conn.ech_status() != EchStatus::Accepted {
        return Err(format!("ECH {:?}, expected accepted", conn.ech_status()));
    }
    if !f.expect_ech_accept
        && (f.ech_config_list.is_some() || !f.ech_server.is_empty())
        && conn.ech_status() == EchStatus::Accepted
    {
        return Err("ECH accepted, expected not".into());
    }
    if f.expect_ech_retry_configs.is_some() {
        return Err("expected ECH to be rejected with retry configs".into());
    }
    Ok(())
}

/// The `-expect-ech-*` checks of a failed client handshake: a rejected
/// ECH must carry the retry configs (or none) and the public name
/// expected.
pub fn check_rejection(f: &Flags, e: &Error) -> Result<(), String> {
    let Error::EchRejected {
        public_name,
        retry_configs,
    } = e
    else {
        return Ok(());
    };
    if let Some(want) = &f.expect_ech_retry_configs {
        if retry_configs.as_ref() != Some(want) {
            return Err("retry configs mismatch".into());
        }
    }
    if f.expect_no_ech_retry_configs && retry_configs.is_some() {
        return Err("unexpected retry configs".into());
    }
    if let Some(n) = &f.expect_ech_name_override {
        if n != public_name {
            return Err(format!("name override {public_name}, expected {n}"));
        }
    }
    if f.expect_no_ech_name_override {
        return Err("a name override (ECH was rejected)".into());
    }
    Ok(())
}
