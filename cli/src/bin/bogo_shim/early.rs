//! BoringSSL's callbacks on the ClientHello (the early callback that
//! installs the certificate, the DoS-protection callback, the ALPN
//! callback's view of what was offered) over cloaktls's
//! [`Acceptor`]: the hello is read first, then the configuration chosen,
//! or the client turned away with the alert BoringSSL's would send.

use super::{linger, Flags, Transport};
use cloaktls::conn::{Acceptor, ClientHelloInfo};
use cloaktls::{AlertDescription, Error, ServerConfig, ServerConnection};
use std::io::{Read, Write};
use std::process::exit;
use std::sync::Arc;

/// Whether a flag asks for a look at the ClientHello before the
/// configuration.
pub fn wanted(f: &Flags) -> bool {
    f.use_early_callback
        || f.fail_early_callback
        || f.install_ddos_callback
        || f.expect_advertised_alpn.is_some()
        || f.reject_alpn
        || f.use_ocsp_callback
        || f.fail_cert_callback
        || !f.expect_peer_verify_prefs.is_empty()
}

/// What the callbacks decide about a ClientHello.
pub enum Decision {
    /// Go on, with the credentials' OCSP responses stapled or (the OCSP
    /// callback declining) not.
    Serve { staple: bool },
    /// Turn the client away with this alert, printing this code.
    Refuse(AlertDescription, &'static str),
}

/// The callbacks' verdict on `hello`; an error where a callback's check
/// fails (the shim fails then, as BoringSSL's exits).
pub fn decide(f: &Flags, hello: &ClientHelloInfo) -> Result<Decision, Error> {
    if let Some(want) = &f.expect_advertised_alpn {
        let got = &hello.alpn_protocols;
        if got != want {
            return Err(Error::Config(format!(
                "the client offered ALPN {got:?}, expected {want:?}"
            )));
        }
    }
    if !f.expect_peer_verify_prefs.is_empty() {
        let got: Vec<u16> = hello.signature_schemes.iter().map(|s| s.0).collect();
        if got != f.expect_peer_verify_prefs {
            return Err(Error::Config(format!(
                "the client accepts {got:04x?}, expected {:04x?}",
                f.expect_peer_verify_prefs
            )));
        }
    }
    // The DoS callback refuses with internal_error, the early callback
    // with handshake_failure, the ALPN callback with
    // no_application_protocol (RFC 7301 §3.2), as BoringSSL's.
    let offers_alpn = !hello.alpn_protocols.is_empty();
    // BoringSSL's server calls its OCSP callback for a client that asks
    // for a response (RFC 6066 §8).
    let ocsp_callback = f.use_ocsp_callback && hello.status_request;
    use AlertDescription as A;
    Ok(if f.fail_ddos_callback {
        Decision::Refuse(A::INTERNAL_ERROR, "CONNECTION_REJECTED")
    } else if f.fail_early_callback {
        Decision::Refuse(A::HANDSHAKE_FAILURE, "CONNECTION_REJECTED")
    } else if f.reject_alpn && offers_alpn {
        Decision::Refuse(A::NO_APPLICATION_PROTOCOL, "NO_APPLICATION_PROTOCOL")
    } else if f.fail_cert_callback {
        Decision::Refuse(A::INTERNAL_ERROR, "CERT_CB_ERROR")
    } else if ocsp_callback && f.fail_ocsp_callback {
        Decision::Refuse(A::INTERNAL_ERROR, "OCSP_CB_ERROR")
    } else {
        Decision::Serve {
            staple: !(ocsp_callback && f.decline_ocsp_callback),
        }
    })
}

/// Ends the shim after a refusal whose alert is on its way.
pub fn refused(code: &str) -> ! {
    eprintln!("cloaktls: the ClientHello callback turned the client away");
    eprintln!(":{code}:");
    exit(1)
}

/// The server connection: straight from `config`, or after the
/// ClientHello passed the callbacks the flags install.
/// `config(staple)` builds the configuration, with the credentials'
/// OCSP responses or (the OCSP callback declining) without.
pub fn accept(
    f: &Flags,
    config: impl FnOnce(bool) -> Arc<ServerConfig>,
    transport: &mut Transport,
) -> Result<ServerConnection, Error> {
    if !wanted(f) {
        return ServerConnection::new(config(true));
    }
    let mut acceptor = Acceptor::new();
    let mut buf = [0u8; 4096];
    let accepted = loop {
        if let Some(a) = acceptor.accept() {
            break a;
        }
        let n = transport.read(&mut buf)?;
        if n == 0 {
            return Err(Error::Truncated);
        }
        if let Err(e) = acceptor.read_tls(&buf[..n]) {
            transport.write_all(acceptor.pending_tls())?;
            return Err(e);
        }
    };
    match decide(f, accepted.client_hello())? {
        Decision::Serve { staple } => accepted.into_connection(config(staple)),
        Decision::Refuse(alert, code) => {
            let _ = transport.write_all(&accepted.refuse(alert));
            linger(transport.socket());
            refused(code)
        }
    }
}
