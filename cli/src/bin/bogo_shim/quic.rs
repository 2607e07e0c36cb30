//! The shim's `-quic` mode: cloaktls's QUIC handshake (`cloaktls::quic`)
//! over the runner's mock QUIC transport (mock_quic_transport.go). Each
//! record there is `type (1) || level (1) || cipher suite (2) || length (4)
//! || secret || data`: the level and the traffic secret of the level stand
//! in for packet protection, so that the runner checks that both sides
//! agree on them; the secrets come from a key log. Handshake data goes to
//! the QUIC handshake at its level, application data is echoed at the
//! application level, a failure writes its alert at the current write
//! level.
//!
//! What the main shim gives it: `Flags` (with `quic`, `quic_params`,
//! `expect_quic_params`), `key_log()` set on both configurations when
//! `-quic` is given, `fail()` and `check`-style expectations.

use super::{fail, keylog, linger, EarlySent, Flags};
use cloaktls::quic::{
    ClientConnection, Connection, Level, Output, QuicClientConfig, QuicError, QuicServerConfig,
    ServerConnection, Version,
};
use cloaktls::{AlertDescription, ClientConfig, Error, ServerConfig};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

/// The secret that protects what `client` (or the server) writes at
/// `level`: none at the Initial level.
fn secret(level: Level, client: bool) -> Vec<u8> {
    let label = match (level, client) {
        (Level::Initial, _) => return Vec::new(),
        (Level::ZeroRtt, _) => "CLIENT_EARLY_TRAFFIC_SECRET",
        (Level::Handshake, true) => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        (Level::Handshake, false) => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        (Level::OneRtt, true) => "CLIENT_TRAFFIC_SECRET_0",
        (Level::OneRtt, false) => "SERVER_TRAFFIC_SECRET_0",
    };
    keylog::logged(label)
}

fn level_byte(level: Level) -> u8 {
    match level {
        Level::Initial => 0,
        Level::ZeroRtt => 1,
        Level::Handshake => 2,
        Level::OneRtt => 3,
    }
}

fn level_of(b: u8) -> Option<Level> {
    Some(match b {
        0 => Level::Initial,
        1 => Level::ZeroRtt,
        2 => Level::Handshake,
        3 => Level::OneRtt,
        _ => return None,
    })
}

const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;
const ALERT: u8 = 21;

/// A mock transport record as it came: its header and body.
type RawRecord = ([u8; 8], Vec<u8>);

/// The runner's end of the mock transport.
struct Mock {
    sock: TcpStream,
    client: bool,
}

impl Mock {
    /// Writes one record at `level`, under our secret of that level.
    fn write(
        &mut self,
        conn: &Connection,
        typ: u8,
        level: Level,
        data: &[u8],
    ) -> Result<(), Error> {
        let secret = secret(level, self.client);
        let suite = match level {
            Level::Initial => None,
            // The ticket's, before the ServerHello confirms it.
            Level::ZeroRtt => conn.zero_rtt_cipher_suite(),
            _ => conn.cipher_suite(),
        };
        let suite = suite.map_or(0, |s| s.0);
        let mut rec = vec![typ, level_byte(level)];
        rec.extend_from_slice(&suite.to_be_bytes());
        rec.extend_from_slice(&((secret.len() + data.len()) as u32).to_be_bytes());
        rec.extend_from_slice(&secret);
        rec.extend_from_slice(data);
        self.sock.write_all(&rec).map_err(Error::from)
    }

    /// Reads one record: type, level, and the data after the runner's
    /// secret (whose length is ours for that level). `None` at the end.
    /// 0-RTT records without 0-RTT keys (rejected early data) are
    /// skipped, as a QUIC endpoint drops packets it cannot open.
    fn read(&mut self, conn: &Connection) -> Result<Option<(u8, Level, Vec<u8>)>, Error> {
        let (header, mut body) = loop {
            let Some((header, body)) = self.read_raw()? else {
                return Ok(None);
            };
            if level_of(header[1]) != Some(Level::ZeroRtt) || conn.zero_rtt_keys().is_some() {
                break (header, body);
            }
        };
        let level = level_of(header[1])
            .ok_or_else(|| Error::Config(format!("a record at level {}", header[1])))?;
        // The runner writes under its secret of the level: the one we
        // read with.
        let theirs = secret(level, !self.client);
        if body.len() < theirs.len() || body[..theirs.len()] != theirs[..] {
            return Err(Error::peer(
                AlertDescription::DECRYPT_ERROR,
                format!("a {level:?} record under another secret than ours"),
            ));
        }
        Ok(Some((header[0], level, body.split_off(theirs.len()))))
    }
}

impl Mock {
    /// One record as it came: its header and body. `None` at the end.
    fn read_raw(&mut self) -> Result<Option<RawRecord>, Error> {
        let mut header = [0u8; 8];
        match self.sock.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(Error::from(e)),
        }
        let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let mut body = vec![0u8; len];
        self.sock.read_exact(&mut body).map_err(Error::from)?;
        Ok(Some((header, body)))
    }

    /// An alert at the Initial level, where nothing is protected.
    fn initial_alert(&mut self, alert: AlertDescription) {
        let mut rec = vec![ALERT, level_byte(Level::Initial), 0, 0, 0, 0, 0, 2];
        rec.extend_from_slice(&[2, alert.0]);
        let _ = self.sock.write_all(&rec);
        linger(&mut self.sock);
    }
}

/// Writes out everything the handshake has to send.
fn flush(mock: &mut Mock, conn: &mut Connection) -> Result<(), Error> {
    while let Some(out) = conn.next_output() {
        if let Output::Handshake { level, data } = out {
            mock.write(conn, HANDSHAKE, level, &data)?;
        }
    }
    Ok(())
}

/// The failure as the shim reports it: a TLS error with its code, or the
/// BoringSSL name of a QUIC rule.
fn report(e: &QuicError) -> ! {
    match e {
        QuicError::Tls(e) => fail(e),
        QuicError::ProtocolViolation(what) => {
            eprintln!("cloaktls: {what}");
            let name = if what.contains("level") {
                "WRONG_ENCRYPTION_LEVEL_RECEIVED"
            } else if what.contains("legacy_session_id") {
                "UNEXPECTED_COMPATIBILITY_MODE"
            } else {
                "UNEXPECTED_MESSAGE"
            };
            eprintln!(":{name}:");
            std::process::exit(1)
        }
        QuicError::InvalidState(what) => fail(&Error::InvalidState(what)),
        _ => fail(&Error::Internal("an unknown QUIC error")),
    }
}

/// What the runner expects of the connection, as far as QUIC goes.
fn check(f: &Flags, conn: &Connection, resumption: bool) -> Result<(), String> {
    super::check_early_data(f, conn.early_data_accepted(), resumption)?;
    super::check_early_data_reason(f, conn.early_data_reason())?;
    if f.expect_version.is_some_and(|v| v != 0x0304) {
        return Err("QUIC is TLS 1.3 only".into());
    }
    if let Some(a) = &f.expect_alpn {
        if conn.alpn_protocol() != Some(a.as_slice()) {
            return Err("ALPN mismatch".into());
        }
    }
    if let Some(p) = &f.expect_quic_params {
        if conn.transport_parameters() != Some(p.as_slice()) {
            return Err(format!(
                "transport parameters {:?}, expected {p:?}",
                conn.transport_parameters()
            ));
        }
    }
    if let Some(hrr) = f.expect_hrr {
        if conn.had_hello_retry() != hrr {
            return Err("HelloRetryRequest mismatch".into());
        }
    }
    if let Some(n) = &f.expect_server_name {
        if conn.server_name() != Some(n.as_str()) {
            return Err("server name mismatch".into());
        }
    }
    if let Some(g) = f.expect_curve_id {
        if conn.key_exchange_group().map(|x| x.0) != Some(g) {
            return Err("group mismatch".into());
        }
    }
    if resumption && f.expect_session_miss == conn.is_resumed() {
        return Err(format!("resumed: {}", conn.is_resumed()));
    }
    Ok(())
}

fn run(
    f: &Flags,
    retry: &Flags,
    mock: &mut Mock,
    conn: &mut Connection,
    resumption: bool,
    early_sent: &EarlySent,
) -> Result<(), QuicError> {
    let mut started = false;
    let mut f = f;
    // A client's 0-RTT: its first words, once its ClientHello is out.
    flush(mock, conn)?;
    let mut said = false;
    if f.enable_early_data && f.shim_writes_first && conn.zero_rtt_keys().is_some() {
        mock.write(conn, APPLICATION_DATA, Level::ZeroRtt, b"hello")?;
        said = true;
        early_sent.store(true, std::sync::atomic::Ordering::SeqCst);
        // As BoringSSL's shim: keying material right after the 0-RTT
        // write, which the handshake has not given yet.
        if f.export_keying_material > 0 {
            let mut out = vec![0u8; f.export_keying_material];
            conn.export_keying_material(&mut out, f.export_label.as_bytes(), &[])?;
        }
    }
    loop {
        flush(mock, conn)?;
        if !started && !conn.is_handshaking() {
            started = true;
            // Rejected 0-RTT: the retry's flags, and the words again.
            if conn.side() == cloaktls::Role::Client && conn.early_data_accepted() == Some(false) {
                f = retry;
                said = false;
            }
            check(f, conn, resumption).map_err(|e| QuicError::Tls(Error::Config(e)))?;
            if f.export_keying_material > 0 {
                let mut out = vec![0u8; f.export_keying_material];
                let context = if f.use_export_context {
                    f.export_context.as_bytes()
                } else {
                    &[]
                };
                conn.export_keying_material(&mut out, f.export_label.as_bytes(), context)?;
                mock.write(conn, APPLICATION_DATA, Level::OneRtt, &out)?;
            }
            if f.send_alert {
                return Err(conn.abort(AlertDescription::DECOMPRESSION_FAILURE));
            }
            if f.shim_writes_first && !said {
                mock.write(conn, APPLICATION_DATA, Level::OneRtt, b"hello")?;
            }
            if f.shim_shuts_down {
                return Ok(());
            }
        }
        let Some((typ, level, data)) = mock.read(conn)? else {
            return if started {
                Ok(())
            } else {
                Err(Error::HandshakeNotComplete.into())
            };
        };
        match typ {
            HANDSHAKE => conn.read_handshake(level, &data)?,
            // Accepted 0-RTT is answered at 0.5-RTT, under the server's
            // application keys (RFC 9001 §4.1.1).
            APPLICATION_DATA if (started && level == Level::OneRtt) || level == Level::ZeroRtt => {
                let echo: Vec<u8> = data.iter().map(|b| b ^ 0xff).collect();
                mock.write(conn, APPLICATION_DATA, Level::OneRtt, &echo)?;
            }
            ALERT => {
                let d = data.get(1).copied().unwrap_or(0);
                return Err(Error::AlertReceived(AlertDescription(d)).into());
            }
            other => {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    format!("a record of type {other} at {level:?}"),
                )
                .into())
            }
        }
    }
}

/// Runs one connection; exits the process on failure, as `fail` does.
fn connection(
    f: &Flags,
    retry: &Flags,
    mut mock: Mock,
    mut conn: Connection,
    resumption: bool,
    early_sent: &EarlySent,
) {
    if let Err(e) = run(f, retry, &mut mock, &mut conn, resumption, early_sent) {
        // QUIC sends no alert record; the mock transport carries it, at
        // the level we write at, as BoringSSL's shim does.
        // What the handshake wrote before it failed goes first (a
        // rejected ECH's Finished, RFC 9849 §6.1.6).
        while let Some(out) = conn.next_output() {
            if let Output::Handshake { level, data } = out {
                let _ = mock.write(&conn, HANDSHAKE, level, &data);
            }
        }
        if let Some(alert) = e.alert() {
            let level = conn.write_level();
            let _ = mock.write(&conn, ALERT, level, &[2, alert.0]);
        }
        linger(&mut mock.sock);
        report(&e)
    }
}

/// Our transport parameters.
fn params(f: &Flags) -> Vec<u8> {
    f.quic_params.clone().unwrap_or_default()
}

/// The `-quic` client.
pub fn client(
    f: &Flags,
    retry: &Flags,
    config: Arc<ClientConfig>,
    name: &str,
    sock: TcpStream,
    resumption: bool,
    early_sent: &EarlySent,
) {
    keylog::forget();
    let config = QuicClientConfig::new(config).unwrap_or_else(|e| fail(&e));
    let conn =
        ClientConnection::new(config, Version::V1, name, params(f)).unwrap_or_else(|e| report(&e));
    let mock = Mock { sock, client: true };
    connection(f, retry, mock, quic_conn(conn), resumption, early_sent)
}

/// The `-quic` server.
/// `config(staple)` builds the configuration, with the credentials' OCSP
/// responses or without; the ClientHello callbacks the flags install run
/// over cloaktls's QuicAcceptor.
pub fn server(
    f: &Flags,
    config: impl FnOnce(bool) -> Arc<ServerConfig>,
    sock: TcpStream,
    resumption: bool,
) {
    keylog::forget();
    let quic_config = |staple| QuicServerConfig::new(config(staple)).unwrap_or_else(|e| fail(&e));
    let setup = |conn: &mut ServerConnection| {
        if let Some(context) = &f.quic_early_data_context {
            conn.set_early_data_context(context)
                .unwrap_or_else(|e| report(&e));
        }
    };
    let mut mock = Mock {
        sock,
        client: false,
    };
    let conn = match super::early::wanted(f) {
        false => {
            let mut conn = ServerConnection::new(quic_config(true), Version::V1, params(f));
            setup(&mut conn);
            conn
        }
        true => {
            let accepted = accept(&mut mock);
            match super::early::decide(f, accepted.client_hello()) {
                Ok(super::early::Decision::Serve { staple }) => accepted
                    .into_connection_with(quic_config(staple), Version::V1, params(f), setup)
                    .unwrap_or_else(|e| {
                        // Failed on the ClientHello: nothing went out yet.
                        if let Some(alert) = e.alert() {
                            mock.initial_alert(alert);
                        }
                        report(&e)
                    }),
                Ok(super::early::Decision::Refuse(alert, code)) => {
                    mock.initial_alert(alert);
                    super::early::refused(code)
                }
                Err(e) => fail(&e),
            }
        }
    };
    connection(
        f,
        f,
        mock,
        quic_conn(conn),
        resumption,
        &EarlySent::default(),
    )
}

/// The client's ClientHello, read by a QuicAcceptor from the Initial
/// CRYPTO data; the shim fails on anything else.
fn accept(mock: &mut Mock) -> cloaktls::quic::QuicAccepted {
    let mut acceptor = cloaktls::quic::QuicAcceptor::new();
    loop {
        if let Some(a) = acceptor.accept() {
            return a;
        }
        let record = mock.read_raw().unwrap_or_else(|e| fail(&e));
        let Some((header, data)) = record else {
            fail(&Error::HandshakeNotComplete)
        };
        if header[0] != HANDSHAKE || level_of(header[1]) != Some(Level::Initial) {
            let e = Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "a record other than the Initial CRYPTO data first",
            );
            mock.initial_alert(AlertDescription::UNEXPECTED_MESSAGE);
            fail(&e)
        }
        if let Err(e) = acceptor.read_handshake(&data) {
            if let Some(alert) = e.alert() {
                mock.initial_alert(alert);
            }
            report(&e)
        }
    }
}

/// The side-independent connection inside a client or server one.
fn quic_conn<C: Into<Connection>>(c: C) -> Connection {
    c.into()
}
