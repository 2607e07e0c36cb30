//! `cloak`: the cloaktls command line. `cloak demo` runs a local server and
//! client on loopback; `cloak client` and `cloak server` are small
//! counterparts of `openssl s_client` and `openssl s_server`; `cloak
//! quic-demo` draws a QUIC handshake's ladder; `cloak vectors` replays the
//! test vectors.

mod client;
mod demo;
mod ech_keygen;
mod options;
mod quic_demo;
mod server;
mod summary;
mod ticket_keys;
mod vectors;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// cloak: TLS 1.3 and 1.2 from the cloaktls library.
#[derive(Parser, Debug)]
#[command(name = "cloak", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make a throwaway CA and server certificate, serve on 127.0.0.1,
    /// connect with TLS 1.3 and then TLS 1.2, and print what was negotiated.
    Demo,
    /// Connect, print the handshake and the server's certificates to
    /// stderr, then copy stdin to the server and the server to stdout.
    Client(client::Args),
    /// Serve TLS clients until stopped: echo what they send, or answer
    /// HTTP with a page describing the connection.
    Server(server::Args),
    /// Run a QUIC handshake (RFC 9001) in memory and draw its ladder, every
    /// message with its encryption level; --resume adds 0-RTT.
    QuicDemo(quic_demo::Args),
    /// Replay the test vectors (RFC 8448) under a directory.
    Vectors(vectors::Args),
    /// Make an Encrypted Client Hello key for a public name: a PEM ECH
    /// file for `cloak server --ech`, and its ECHConfigList in base64.
    EchKeygen(ech_keygen::Args),
    /// Make or rotate a session-ticket key file for servers that share
    /// their sessions (`cloak server --ticket-keys FILE`).
    TicketKeys(ticket_keys::Args),
}

/// A failure the subcommand has already explained on stderr, or one to
/// print.
pub enum Failure {
    /// Already reported (with its hint).
    Reported,
    /// To print as `error: ...`.
    Message(String),
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Message(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo::run(),
        Command::Client(a) => client::run(a),
        Command::Server(a) => server::run(a),
        Command::QuicDemo(a) => quic_demo::run(a),
        Command::Vectors(a) => vectors::run(a),
        Command::TicketKeys(a) => ticket_keys::run(a),
        Command::EchKeygen(a) => ech_keygen::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Reported) => ExitCode::FAILURE,
        Err(Failure::Message(m)) => {
            eprintln!("error: {m}");
            ExitCode::FAILURE
        }
    }
}
