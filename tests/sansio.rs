//! The sans-IO contract as a caller meets it: back-pressure in read_tls's
//! type, the fatal alert left for the caller to write, recv telling
//! "nothing yet" from "closed", truncation at the transport's end, bounded
//! send queues, close_notify after queued data, and errors that cross into
//! std::io and back.

mod common;
use cloaktls::conn::{Intake, Received, EARLY_QUEUE_LIMIT, SEND_LIMIT};
use cloaktls::{AlertDescription, Error, Event, ProtocolVersion};
use common::*;
use std::io;

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2];

#[test]
fn after_a_failed_read_the_alert_waits_in_pending_tls_for_the_peer() {
    let pki = Pki::new("CA");
    for v in VERSIONS {
        let (mut c, mut s) = pair(&pki, |b| b.versions(&[v]), |b| b, "localhost");
        // A ClientHello whose body is cut to nothing: the server fails...
        let mut hello = c.pending_tls().to_vec();
        c.consume_tls(hello.len());
        hello[3..5].copy_from_slice(&[0, 4]);
        hello[6..9].fill(0);
        hello.truncate(9);
        let err = s.read_tls(&hello).unwrap_err();
        // ...and the alert for the client is there to be written.
        assert!(s.wants_write(), "{v:?}");
        let alert = s.pending_tls().to_vec();
        s.consume_tls(alert.len());
        let got = c.read_tls(&alert).unwrap_err();
        assert_eq!(got, Error::AlertReceived(err.alert().unwrap()), "{v:?}");
        // Every later call gives the same error.
        assert_eq!(s.read_tls(b"more").unwrap_err(), err);
        assert_eq!(s.send(b"x").unwrap_err(), err);
        assert_eq!(s.send_close_notify().unwrap_err(), err);
    }
}

#[test]
fn recv_tells_nothing_yet_from_closed() {
    let pki = Pki::new("CA");
    for v in VERSIONS {
        let (mut c, mut s) = pair(&pki, |b| b.versions(&[v]), |b| b, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Nothing);
        assert_eq!(send_and_receive(&mut c, &mut s, b"abc"), b"abc");
        c.send_close_notify().unwrap();
        transfer(&mut c, &mut s, &mut Lcg(1), 1 << 20).unwrap();
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Closed);
        assert!(std::iter::from_fn(|| s.next_event()).any(|e| e == Event::PeerClosed));
        // Bytes after close_notify are taken and ignored (RFC 8446 §6.1).
        assert_eq!(s.read_tls(&[23, 3, 3, 0, 1, 0]).unwrap(), Intake::All);
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Closed);
    }
}

#[test]
fn the_transport_ending_without_close_notify_is_truncation() {
    let pki = Pki::new("CA");
    for v in VERSIONS {
        let (mut c, mut s) = pair(&pki, |b| b.versions(&[v]), |b| b, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.send(b"half a messa").unwrap(), 12);
        transfer(&mut c, &mut s, &mut Lcg(1), 1 << 20).unwrap();
        s.transport_eof();
        // The data that came first is still read, then the truncation.
        let mut buf = [0u8; 64];
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Data(12));
        assert_eq!(s.recv(&mut buf).unwrap_err(), Error::Truncated);
        let io: io::Error = Error::Truncated.into();
        assert_eq!(io.kind(), io::ErrorKind::UnexpectedEof);
        // With close_notify first, the end of the transport is clean.
        let (mut c, mut s) = pair(&pki, |b| b.versions(&[v]), |b| b, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        c.send_close_notify().unwrap();
        transfer(&mut c, &mut s, &mut Lcg(1), 1 << 20).unwrap();
        s.transport_eof();
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Closed);
    }
    // During the handshake the end of the transport is a handshake cut
    // short.
    let (_c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    s.transport_eof();
    assert_eq!(
        s.recv(&mut [0u8; 4]).unwrap_err(),
        Error::HandshakeNotComplete
    );
}

#[test]
fn send_takes_what_fits_and_says_how_much() {
    let pki = Pki::new("CA");
    let big = vec![7u8; 4 * SEND_LIMIT];
    let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    // Before the handshake ends: a bounded queue.
    assert_eq!(c.send(&big).unwrap(), EARLY_QUEUE_LIMIT);
    assert_eq!(c.send(&big).unwrap(), 0);
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    // After it: at most SEND_LIMIT bytes wait to be written.
    let n = c.send(&big).unwrap();
    assert!(n > 0 && n <= SEND_LIMIT, "{n}");
    assert!(
        c.pending_tls().len() <= SEND_LIMIT + 16 * 64,
        "{}",
        c.pending_tls().len()
    );
    assert_eq!(
        c.send(&big[n..]).unwrap(),
        0,
        "nothing more until written out"
    );
    let pending = c.pending_tls().len();
    c.consume_tls(pending);
    assert!(c.send(&big[n..]).unwrap() > 0);
}

#[test]
fn close_notify_goes_after_the_data_queued_before_it() {
    let pki = Pki::new("CA");
    for v in VERSIONS {
        let (mut c, mut s) = pair(&pki, |b| b.versions(&[v]), |b| b, "localhost");
        // Data and close before the handshake ends.
        assert_eq!(c.send(b"queued data").unwrap(), 11);
        c.send_close_notify().unwrap();
        assert!(c.send(b"after close").is_err());
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        transfer(&mut c, &mut s, &mut Lcg(1), 1 << 20).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Data(11), "{v:?}");
        assert_eq!(&buf[..11], b"queued data");
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Closed, "{v:?}");
        // Closing twice is not an error.
        c.send_close_notify().unwrap();
    }
}

#[test]
fn reading_can_leave_bytes_to_write() {
    // A KeyUpdate that asks for one back: the answer is produced while the
    // records are read, and waits in pending_tls.
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    c.key_update(true).unwrap();
    assert!(!s.wants_write());
    transfer(&mut c, &mut s, &mut Lcg(1), 1 << 20).unwrap();
    assert!(s.wants_write(), "the KeyUpdate answer waits to be written");
    assert_eq!(send_and_receive(&mut s, &mut c, b"after"), b"after");
}

#[test]
fn errors_cross_into_io_and_back() {
    let e = Error::AlertReceived(AlertDescription::HANDSHAKE_FAILURE);
    let io: io::Error = e.clone().into();
    assert_eq!(io.kind(), io::ErrorKind::InvalidData);
    assert_eq!(Error::from(io), e);
    // A transport error keeps its kind and its source.
    let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "no one there");
    let ours = Error::from(refused);
    assert!(matches!(&ours, Error::Io(i) if i.kind() == io::ErrorKind::ConnectionRefused));
    let source = std::error::Error::source(&ours).unwrap();
    assert_eq!(source.to_string(), "no one there");
    let back: io::Error = ours.into();
    assert_eq!(back.kind(), io::ErrorKind::ConnectionRefused);
    // `?` works both ways.
    fn tls() -> Result<(), Error> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "gone"))?;
        Ok(())
    }
    fn std_io() -> io::Result<()> {
        tls()?;
        Ok(())
    }
    assert_eq!(std_io().unwrap_err().kind(), io::ErrorKind::BrokenPipe);
}

#[test]
fn a_certificate_required_refusal_says_what_to_configure() {
    let e = Error::AlertReceived(AlertDescription::CERTIFICATE_REQUIRED);
    assert!(e.to_string().contains("client_certificate"), "{e}");
}

/// Opens every record in `wire` in place; returns the plaintext and how
/// many records were not application data.
fn open_all(s: &mut cloaktls::Connection, wire: &mut [u8]) -> (Vec<u8>, usize) {
    use cloaktls::conn::InPlace;
    let (mut got, mut other, mut at) = (Vec::new(), 0, 0);
    while at < wire.len() {
        match s.read_tls_in_place(&mut wire[at..]).unwrap() {
            InPlace::Data { used, plaintext } => {
                got.extend_from_slice(plaintext);
                at += used;
            }
            InPlace::Processed { used } => {
                other += 1;
                at += used;
            }
            InPlace::Incomplete => panic!("a cut record at {at}"),
        }
    }
    (got, other)
}

#[test]
fn records_sealed_into_and_opened_in_the_callers_buffers() {
    let pki = Pki::new("CA");
    for v in VERSIONS {
        let (mut c, mut s) = pair(&pki, |b| b.versions(&[v]), |b| b, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        // Tickets and the like first, the ordinary way.
        assert_eq!(send_and_receive(&mut s, &mut c, b"hi"), b"hi");
        let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        let mut wire = vec![0u8; 64 * 1024];
        let sealed = c.write_tls_into(&data, &mut wire).unwrap();
        assert_eq!(sealed.taken, data.len(), "{v:?}");
        assert!(!c.wants_write(), "nothing went through pending_tls");
        let (got, other) = open_all(&mut s, &mut wire[..sealed.written]);
        assert_eq!(got, data, "{v:?}");
        assert_eq!(other, 0);
        // The ordinary path goes on after it, both ways.
        assert_eq!(send_and_receive(&mut c, &mut s, b"after"), b"after");
        assert_eq!(send_and_receive(&mut s, &mut c, b"back"), b"back");
        // A buffer too small for everything takes whole records only.
        let mut small = vec![0u8; 20_000];
        let part = c.write_tls_into(&data, &mut small).unwrap();
        assert_eq!(part.taken, 16_384, "{v:?}");
        assert!(part.written < small.len());
        // A record cut short is Incomplete, and nothing is consumed.
        assert_eq!(
            s.read_tls_in_place(&mut small[..part.written - 1]).unwrap(),
            cloaktls::conn::InPlace::Incomplete
        );
        let (got, _) = open_all(&mut s, &mut small[..part.written]);
        assert_eq!(got, &data[..16_384]);
    }
}

#[test]
fn in_place_reading_processes_key_updates_and_close_notify() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(send_and_receive(&mut s, &mut c, b"tickets"), b"tickets");
    // The server updates its keys, asking the client to do the same, then
    // sends data and closes.
    s.key_update(true).unwrap();
    assert_eq!(s.send(b"new keys").unwrap(), 8);
    s.send_close_notify().unwrap();
    let mut wire = s.pending_tls().to_vec();
    s.consume_tls(wire.len());
    let (got, other) = open_all(&mut c, &mut wire);
    assert_eq!(got, b"new keys");
    assert_eq!(other, 2, "the KeyUpdate and close_notify");
    // The client's answering KeyUpdate waits in pending_tls; the end of
    // the stream reads as such.
    assert!(c.wants_write());
    let mut buf = [0u8; 8];
    assert_eq!(c.recv(&mut buf).unwrap(), Received::Closed);
    assert!(std::iter::from_fn(|| c.next_event()).any(|e| e == Event::PeerClosed));
}

#[test]
fn in_place_misuse_and_tampering() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    let mut out = [0u8; 256];
    // Before the handshake: neither.
    assert!(matches!(
        c.write_tls_into(b"x", &mut out),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        s.read_tls_in_place(&mut out),
        Err(Error::InvalidState(_))
    ));
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    // With records waiting in pending_tls, sealing elsewhere would reorder
    // them.
    assert_eq!(c.send(b"queued").unwrap(), 6);
    assert!(matches!(
        c.write_tls_into(b"x", &mut out),
        Err(Error::InvalidState(_))
    ));
    transfer(&mut c, &mut s, &mut Lcg(1), 1 << 20).unwrap();
    // With received data unread, in-place reading would reorder it.
    assert!(matches!(
        s.read_tls_in_place(&mut out),
        Err(Error::InvalidState(_))
    ));
    assert_eq!(read_all(&mut s), b"queued");
    // A tampered record fails, with the alert for the peer.
    let sealed = c.write_tls_into(b"secret", &mut out).unwrap();
    out[sealed.written - 1] ^= 1;
    assert_eq!(
        s.read_tls_in_place(&mut out[..sealed.written]).unwrap_err(),
        Error::BadRecordMac
    );
    assert!(s.wants_write());
    let alert = s.pending_tls().to_vec();
    assert_eq!(
        c.read_tls(&alert).unwrap_err(),
        Error::AlertReceived(AlertDescription::BAD_RECORD_MAC)
    );
    // Not TLS at all, in place.
    let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let mut junk = *b"\x99\x03\x03\x00\x01x";
    assert!(s.read_tls_in_place(&mut junk).is_err());
}

#[test]
fn a_record_written_where_it_is_sealed_needs_no_copy() {
    let pki = Pki::new("CA");
    for v in VERSIONS {
        let (mut c, mut s) = pair(&pki, |b| b.versions(&[v]), |b| b, "localhost");
        assert_eq!(c.record_plaintext_offset(), None);
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(send_and_receive(&mut s, &mut c, b"hi"), b"hi");
        let at = c.record_plaintext_offset().unwrap();
        assert_eq!(at, if v == ProtocolVersion::TLSV1_3 { 5 } else { 13 });
        let msg = b"written in place by the application";
        let mut record = vec![0u8; c.record_len_for(msg.len()).unwrap()];
        record[at..at + msg.len()].copy_from_slice(msg);
        let n = c.seal_in_place(&mut record, msg.len()).unwrap();
        assert_eq!(n, record.len());
        let (got, _) = open_all(&mut s, &mut record);
        assert_eq!(got, msg, "{v:?}");
        // More than one record's worth, or too small a buffer: refused,
        // the connection unharmed.
        let max = c.max_record_plaintext();
        let mut big = vec![0u8; c.record_len_for(max).unwrap() + 10];
        assert!(matches!(
            c.seal_in_place(&mut big, max + 1),
            Err(Error::InvalidState(_))
        ));
        assert!(matches!(
            c.seal_in_place(&mut big[..20], 100),
            Err(Error::InvalidState(_))
        ));
        assert_eq!(
            send_and_receive(&mut c, &mut s, b"still fine"),
            b"still fine"
        );
    }
}

#[test]
fn an_acceptor_can_turn_a_client_away_with_the_alert_it_chooses() {
    let pki = Pki::new("CA");
    for alert in [
        AlertDescription::HANDSHAKE_FAILURE,
        AlertDescription::INTERNAL_ERROR,
        AlertDescription::UNRECOGNIZED_NAME,
    ] {
        let (mut c, _) = pair(&pki, |b| b, |b| b, "localhost");
        let hello = c.pending_tls().to_vec();
        c.consume_tls(hello.len());
        let mut acceptor = cloaktls::conn::Acceptor::new();
        acceptor.read_tls(&hello).unwrap();
        let accepted = acceptor.accept().expect("a whole ClientHello");
        assert_eq!(
            accepted.client_hello().server_name.as_deref(),
            Some("localhost")
        );
        let bytes = accepted.refuse(alert);
        // The client reads a fatal alert, and stops there.
        assert_eq!(c.read_tls(&bytes).unwrap_err(), Error::AlertReceived(alert));
        assert!(c.error().is_some());
    }
}

#[test]
fn abort_sends_the_chosen_alert_and_ends_the_connection() {
    let pki = Pki::new("CA");
    for v in VERSIONS {
        let (mut c, mut s) = pair(&pki, |b| b.versions(&[v]), |b| b, "localhost");
        let (rc, rs) = handshake(&mut c, &mut s);
        rc.unwrap();
        rs.unwrap();
        // TLS 1.3 tickets the client has not read yet would come first.
        read_all(&mut c);
        let err = s.abort(AlertDescription::ACCESS_DENIED);
        assert_eq!(err, Error::Aborted(AlertDescription::ACCESS_DENIED));
        assert_eq!(err.alert(), Some(AlertDescription::ACCESS_DENIED));
        // The alert is protected like any record now, and the client reads it.
        let bytes = s.pending_tls().to_vec();
        s.consume_tls(bytes.len());
        assert_eq!(
            c.read_tls(&bytes).unwrap_err(),
            Error::AlertReceived(AlertDescription::ACCESS_DENIED),
            "{v:?}"
        );
        // Nothing more goes out, and aborting again changes nothing.
        assert_eq!(s.send(b"more").unwrap_err(), err);
        assert_eq!(s.abort(AlertDescription::INTERNAL_ERROR), err);
        assert!(s.pending_tls().is_empty(), "{v:?}");
    }
}

#[test]
fn an_acceptor_says_whether_the_client_asks_for_ocsp() {
    let pki = Pki::new("CA");
    for asks in [false, true] {
        let (c, _) = pair(&pki, |b| b, |b| b.request_ocsp(asks), "localhost");
        let hello = c.pending_tls().to_vec();
        let mut acceptor = cloaktls::conn::Acceptor::new();
        acceptor.read_tls(&hello).unwrap();
        let accepted = acceptor.accept().expect("a whole ClientHello");
        assert_eq!(accepted.client_hello().status_request, asks);
    }
}
