//! `cloak quic-demo`: a QUIC handshake (RFC 9001) between a cloaktls
//! client and server in memory, drawn as a ladder with the encryption
//! level of every message, each flight sealed in a packet with that
//! level's keys and opened by the other side; `--resume` adds a resumed
//! handshake with 0-RTT.

use crate::demo::demo_pki;
use crate::Failure;
use cloaktls::quic::{
    quic_ladder, ClientConnection, Connection, KeyChange, Keys, Level, Output, QuicClientConfig,
    QuicServerConfig, ServerConnection, Version,
};
use cloaktls::{ClientConfig, Role, ServerConfig};
use std::collections::HashMap;
use std::sync::Arc;

/// `cloak quic-demo` options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The QUIC version: 1 (RFC 9000) or 2 (RFC 9369).
    #[arg(long = "quic-version", default_value = "1", value_parser = ["1", "2"])]
    quic_version: String,
    /// Also run a resumed handshake that sends 0-RTT data.
    #[arg(long)]
    resume: bool,
    /// Show every traffic secret in the ladders (a demo's throwaway keys).
    #[arg(long)]
    secrets: bool,
}

/// The Destination Connection ID of the client's first Initial (the one
/// RFC 9001's Appendix A uses): the Initial keys come from it.
const DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

/// One side: its handshake and the keys it has per level.
struct Side {
    name: &'static str,
    keys: HashMap<Level, Keys>,
}

impl Side {
    fn new(name: &'static str, version: Version, role: Role) -> Side {
        let mut keys = HashMap::new();
        keys.insert(Level::Initial, Keys::initial(version, &DCID, role));
        Side { name, keys }
    }
}

/// A packet one side protected, for the other to open once it has that
/// level's keys.
struct Sealed {
    level: Level,
    from: Role,
    packet: Vec<u8>,
    frame: Vec<u8>,
}

/// Two-byte header of the demo's minimal packets.
const HEADER: [u8; 2] = [0x40, 0x00];

/// A CRYPTO frame (RFC 9000 §19.6) at offset 0 holding `data`, in a
/// minimal packet protected with the sender's keys of `level`.
fn protect(level: Level, data: &[u8], from: &Side, role: Role) -> Result<Sealed, Failure> {
    let tx = from
        .keys
        .get(&level)
        .ok_or_else(|| Failure::Message(format!("the {} has no {level:?} keys", from.name)))?;
    let mut frame = vec![0x06, 0x00];
    // A two-byte variable-length integer (RFC 9000 §16): flights are
    // shorter than 16 KiB.
    frame.extend_from_slice(&((0x4000 | data.len() as u64) as u16).to_be_bytes());
    frame.extend_from_slice(data);
    let mut packet = [&HEADER[..], &frame, &[0u8; 16]].concat();
    tx.local
        .packet
        .encrypt_in_place(0, &mut packet, HEADER.len())?;
    Ok(Sealed {
        level,
        from: role,
        packet,
        frame,
    })
}

/// Opens every packet with the receiver's keys of its level.
fn open_all(sealed: &mut [Sealed], client: &Side, server: &Side) -> Result<(), Failure> {
    for s in sealed {
        let to = if s.from == Role::Client {
            server
        } else {
            client
        };
        let rx = to.keys.get(&s.level).ok_or_else(|| {
            Failure::Message(format!("the {} has no {:?} keys", to.name, s.level))
        })?;
        let n = rx
            .remote
            .packet
            .decrypt_in_place(0, &mut s.packet, HEADER.len())?;
        if s.packet.get(HEADER.len()..HEADER.len() + n) != Some(s.frame.as_slice()) {
            return Err(Failure::Message(format!(
                "the {} could not open a {:?} packet",
                to.name, s.level
            )));
        }
    }
    Ok(())
}

/// Moves what `a` has to send into `b`; false if it had nothing.
fn step(
    a: &mut Connection,
    sa: &mut Side,
    b: &mut Connection,
    sealed: &mut Vec<Sealed>,
) -> Result<bool, Failure> {
    let mut any = false;
    while let Some(out) = a.next_output() {
        any = true;
        match out {
            Output::Handshake { level, data } => {
                let s = protect(level, &data, sa, a.side())?;
                println!(
                    "  {}: {} bytes of CRYPTO data at {level:?}, sealed in a {}-byte packet",
                    sa.name,
                    data.len(),
                    s.packet.len()
                );
                sealed.push(s);
                b.read_handshake(level, &data)
                    .map_err(|e| Failure::Message(e.to_string()))?;
            }
            Output::Keys(k) => match *k {
                KeyChange::Handshake { keys } => {
                    sa.keys.insert(Level::Handshake, keys);
                }
                KeyChange::OneRtt { keys, .. } => {
                    sa.keys.insert(Level::OneRtt, keys);
                }
            },
        }
    }
    Ok(any)
}

fn handshake(
    client_config: &Arc<QuicClientConfig>,
    server_config: &Arc<QuicServerConfig>,
    version: Version,
    title: &str,
) -> Result<(), Failure> {
    println!("\n== {title} ==");
    let mut c = ClientConnection::new(
        client_config.clone(),
        version,
        "localhost",
        b"client transport parameters".to_vec(),
    )
    .map_err(|e| Failure::Message(e.to_string()))?;
    let mut s = ServerConnection::new(
        server_config.clone(),
        version,
        b"server transport parameters".to_vec(),
    );
    let mut cs = Side::new("client", version, Role::Client);
    let mut ss = Side::new("server", version, Role::Server);
    let mut sealed = Vec::new();
    if let Some(k) = c.zero_rtt_keys() {
        println!("  client: 0-RTT keys from the ticket, ready with the ClientHello");
        let mut packet = [&[0x40u8, 0][..], b"GET /0rtt", &[0; 16]].concat();
        k.packet.encrypt_in_place(0, &mut packet, 2)?;
        // The server's keys come once it has read the ClientHello.
        step(&mut c, &mut cs, &mut s, &mut sealed)?;
        let sk = s
            .zero_rtt_keys()
            .ok_or_else(|| Failure::Message("the server refused 0-RTT".into()))?;
        let n = sk.packet.decrypt_in_place(0, &mut packet, 2)?;
        println!(
            "  client -> server: 0-RTT packet opened by the server: {:?}",
            String::from_utf8_lossy(&packet[2..2 + n])
        );
    }
    while step(&mut c, &mut cs, &mut s, &mut sealed)? | step(&mut s, &mut ss, &mut c, &mut sealed)?
    {
    }
    if c.is_handshaking() || s.is_handshaking() {
        return Err(Failure::Message("the handshake did not finish".into()));
    }
    open_all(&mut sealed, &cs, &ss)?;
    println!(
        "  each of the {} packets opened with the other side's keys of its level",
        sealed.len()
    );
    println!("\nthe client's ladder:");
    print!("{}", quic_ladder(&c.take_trace(), true));
    println!("\nthe server's ladder:");
    print!("{}", quic_ladder(&s.take_trace(), false));
    println!();
    println!("  QUIC version:  {:#010x}", version.wire());
    println!("  cipher suite:  {:?}", c.cipher_suite());
    println!("  key exchange:  {:?}", c.key_exchange_group());
    println!(
        "  ALPN:          {}",
        c.alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default()
    );
    let tp = |p: Option<&[u8]>| p.map(|p| String::from_utf8_lossy(p).into_owned());
    println!("  client got:    {:?}", tp(c.transport_parameters()));
    println!("  server got:    {:?}", tp(s.transport_parameters()));
    println!("  resumed:       {}", c.is_resumed());
    println!(
        "  0-RTT:         {}",
        match c.early_data_accepted() {
            Some(true) => "accepted",
            Some(false) => "rejected",
            None => "not offered",
        }
    );
    Ok(())
}

/// Runs the demo.
pub fn run(a: Args) -> Result<(), Failure> {
    let version = if a.quic_version == "2" {
        Version::V2
    } else {
        Version::V1
    };
    let (roots, cert) = demo_pki()?;
    let mut client = ClientConfig::builder(roots)
        .alpn_protocols(["cloak-demo"])
        .early_data(true)
        .trace(true);
    let mut server = ServerConfig::builder(cert)
        .alpn_protocols(["cloak-demo"])
        .max_early_data(16384)
        .trace(true);
    if a.secrets {
        client = cloaktls::danger::trace_secrets_client(client);
        server = cloaktls::danger::trace_secrets_server(server);
    }
    let client = QuicClientConfig::new(client.build()?)?;
    let server = QuicServerConfig::new(server.build()?)?;
    println!(
        "cloak quic-demo: a QUIC v{} handshake in memory; CRYPTO data moves level by level,",
        a.quic_version
    );
    println!("each flight protected with its level's keys and opened by the other side");
    handshake(&client, &server, version, "full handshake")?;
    if a.resume {
        handshake(&client, &server, version, "resumed, with 0-RTT")?;
    }
    Ok(())
}
