//! `cloak ech-keygen`: a new Encrypted Client Hello key (RFC 9849) for a
//! public name, written as a PEM ECH file (draft-farrell-tls-pemesni) for
//! `cloak server --ech`, its ECHConfigList printed in base64 for the `ech`
//! parameter of a DNS HTTPS record (and `cloak client --ech`).

use crate::Failure;
use cloaktls::config::EchKey;
use cloaktls::crypto::{RandomSource, SystemRandom};
use cloaktls::pem::{base64_encode, ech_key_to_pem};
use std::io::Write;

/// `cloak ech-keygen --public-name NAME --out FILE`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The client-facing server's name: what observers see, and what a
    /// client whose ECH failed authenticates.
    #[arg(long, value_name = "NAME")]
    public_name: String,
    /// Where to write the key and its config (created 0600).
    #[arg(long, value_name = "FILE")]
    out: String,
    /// The config_id (default: random).
    #[arg(long, value_name = "N")]
    config_id: Option<u8>,
}

/// Runs `cloak ech-keygen`.
pub fn run(a: Args) -> Result<(), Failure> {
    let rng = SystemRandom::new();
    let id = match a.config_id {
        Some(id) => id,
        None => {
            let mut b = [0u8; 1];
            rng.fill(&mut b)?;
            b[0]
        }
    };
    let key = EchKey::generate(&a.public_name, id, &rng)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&a.out)
        .and_then(|mut f| f.write_all(ech_key_to_pem(&key).as_bytes()))
        .map_err(|e| Failure::Message(format!("{}: {e}", a.out)))?;
    eprintln!(
        "wrote {} (public name {}, config_id {id}); its ECHConfigList, for a DNS HTTPS record's ech= and cloak client --ech:",
        a.out, a.public_name
    );
    println!("{}", base64_encode(&key.config_list()));
    Ok(())
}
