//! RFC 9001 Appendix A (QUIC version 1) and RFC 9369 Appendix A (QUIC
//! version 2), byte for byte: the Initial secrets and keys, the client's
//! and the server's protected Initial packets (protected by us, and opened
//! by us), the Retry integrity tag, and the ChaCha20-Poly1305 short header
//! packet with its key update secret. The vectors are data under
//! `vectors/quic/`, extracted from the RFCs by `tools/extract_quic.py`.

use cloaktls::crypto::suites::{TLS13_AES_128_GCM_SHA256, TLS13_CHACHA20_POLY1305_SHA256};
use cloaktls::crypto::HashAlgorithm;
use cloaktls::key_schedule::quic::{initial_secret, initial_secrets, next_secret, packet_secrets};
use cloaktls::key_schedule::tls13::hkdf_label;
use cloaktls::quic::{is_valid_retry, retry_integrity_tag, DirectionalKeys, Keys, Version};
use cloaktls::Role;
use std::collections::HashMap;

/// One file's values: (section, label) to value; the file's head is
/// section "".
struct Vectors(HashMap<(String, String), String>);

impl Vectors {
    fn load(name: &str) -> Vectors {
        let path = format!("{}/vectors/quic/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut map = HashMap::new();
        let mut section = String::new();
        for line in text.lines() {
            if let Some(s) = line.strip_prefix("## ") {
                section = s.split_whitespace().next().unwrap().to_string();
            } else if let Some((k, v)) = line.split_once(" = ") {
                map.insert((section.clone(), k.to_string()), v.to_string());
            }
        }
        Vectors(map)
    }

    fn text(&self, section: &str, label: &str) -> &str {
        self.0
            .get(&(section.to_string(), label.to_string()))
            .unwrap_or_else(|| panic!("no {label} in {section}"))
    }

    fn hex(&self, section: &str, label: &str) -> Vec<u8> {
        hex::decode(self.text(section, label)).unwrap()
    }

    fn num(&self, section: &str, label: &str) -> u64 {
        self.text(section, label).parse().unwrap()
    }
}

fn each_version(f: impl Fn(Version, &Vectors)) {
    for (v, file) in [(Version::V1, "rfc9001.txt"), (Version::V2, "rfc9369.txt")] {
        let vectors = Vectors::load(file);
        assert_eq!(
            u32::from_str_radix(vectors.text("", "version"), 16).unwrap(),
            v.wire()
        );
        f(v, &vectors);
    }
}

#[test]
fn initial_secrets_and_keys() {
    each_version(|v, t| {
        let dcid = t.hex("", "client_dcid");
        assert_eq!(
            initial_secret(v, &dcid).as_bytes(),
            t.hex("A.1", "initial_secret")
        );
        let (c, s) = initial_secrets(v, &dcid);
        assert_eq!(c.as_bytes(), t.hex("A.1", "client_initial_secret"));
        assert_eq!(s.as_bytes(), t.hex("A.1", "server_initial_secret"));
        let suite = &TLS13_AES_128_GCM_SHA256;
        for (side, secret) in [("client", &c), ("server", &s)] {
            let p = packet_secrets(v, suite.hash, suite.aead, secret.as_bytes());
            assert_eq!(p.key.as_bytes(), t.hex("A.1", &format!("{side}_key")));
            assert_eq!(p.iv.to_vec(), t.hex("A.1", &format!("{side}_iv")));
            assert_eq!(p.hp.as_bytes(), t.hex("A.1", &format!("{side}_hp")));
        }
        // The HkdfLabel encodings the RFCs print.
        let prefix = if v == Version::V1 { "quic" } else { "quicv2" };
        for (label, len, name) in [
            ("client in".to_string(), 32, "client_in".to_string()),
            ("server in".to_string(), 32, "server_in".to_string()),
            (format!("{prefix} key"), 16, format!("{prefix}_key")),
            (format!("{prefix} iv"), 12, format!("{prefix}_iv")),
            (format!("{prefix} hp"), 16, format!("{prefix}_hp")),
        ] {
            assert_eq!(
                hkdf_label(len, label.as_bytes(), &[]),
                t.hex("A.1", &format!("hkdf_label_{name}")),
                "{label}"
            );
        }
    });
}

/// Protects `header || payload` as `side` at the Initial level and checks
/// the RFC's sample, mask and packet; then opens it as the other side.
fn initial_packet(v: Version, t: &Vectors, section: &str, sender: Role, payload: Vec<u8>) {
    let dcid = t.hex("", "client_dcid");
    let header = t.hex(section, "unprotected_header");
    let pn = t.num(section, "pn");
    let pn_len = usize::from(header[0] & 3) + 1;
    let pn_offset = header.len() - pn_len;
    let keys = Keys::initial(v, &dcid, sender);
    let mut packet = [header.clone(), payload.clone(), vec![0; 16]].concat();
    keys.local
        .packet
        .encrypt_in_place(pn, &mut packet, header.len())
        .unwrap();
    let sample = &packet[pn_offset + 4..pn_offset + 20];
    assert_eq!(sample, t.hex(section, "sample"));
    assert_eq!(
        keys.local.header.mask(sample).unwrap().to_vec(),
        t.hex(section, "mask")
    );
    keys.local
        .header
        .encrypt_in_place(&mut packet, pn_offset)
        .unwrap();
    assert_eq!(&packet[..header.len()], t.hex(section, "header"));
    assert_eq!(packet, t.hex(section, "protected_packet"));

    // The receiver: header protection off, then the payload opened.
    let receiver = match sender {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    let keys = Keys::initial(v, &dcid, receiver);
    let got_pn_len = keys
        .remote
        .header
        .decrypt_in_place(&mut packet, pn_offset)
        .unwrap();
    assert_eq!(got_pn_len, pn_len);
    assert_eq!(&packet[..header.len()], header);
    let n = keys
        .remote
        .packet
        .decrypt_in_place(pn, &mut packet, header.len())
        .unwrap();
    assert_eq!(&packet[header.len()..header.len() + n], payload);
    // A flipped bit fails authentication.
    let mut bad = t.hex(section, "protected_packet");
    let last = bad.len() - 1;
    bad[last] ^= 1;
    keys.remote
        .header
        .decrypt_in_place(&mut bad, pn_offset)
        .unwrap();
    assert!(keys
        .remote
        .packet
        .decrypt_in_place(pn, &mut bad, header.len())
        .is_err());
}

#[test]
fn client_initial() {
    each_version(|v, t| {
        let mut payload = t.hex("A.2", "crypto_frame");
        payload.resize(t.num("A.2", "payload_length") as usize, 0);
        initial_packet(v, t, "A.2", Role::Client, payload);
    });
}

#[test]
fn server_initial() {
    each_version(|v, t| {
        let payload = t.hex("A.3", "payload");
        initial_packet(v, t, "A.3", Role::Server, payload);
    });
}

#[test]
fn retry_integrity() {
    each_version(|v, t| {
        let odcid = t.hex("", "client_dcid");
        let packet = t.hex("A.4", "retry_packet");
        let (retry, tag) = packet.split_at(packet.len() - 16);
        assert_eq!(retry_integrity_tag(v, &odcid, retry).unwrap().to_vec(), tag);
        assert!(is_valid_retry(v, &odcid, &packet));
        // Another original DCID, another version, or a changed byte: no.
        assert!(!is_valid_retry(v, &odcid[1..], &packet));
        let other = if v == Version::V1 {
            Version::V2
        } else {
            Version::V1
        };
        assert!(!is_valid_retry(other, &odcid, &packet));
        let mut bad = packet.clone();
        bad[10] ^= 1;
        assert!(!is_valid_retry(v, &odcid, &bad));
        assert!(!is_valid_retry(v, &odcid, &packet[..15]));
        assert!(retry_integrity_tag(v, &[0; 21], retry).is_err());
        // The key and nonce expand from the secret the RFC names.
        let (key, nonce) = cloaktls::key_schedule::quic::retry_key_nonce(v);
        assert_eq!(key.as_bytes(), t.hex("", "retry_key"));
        assert_eq!(nonce.to_vec(), t.hex("", "retry_nonce"));
    });
}

#[test]
fn chacha20_short_header() {
    each_version(|v, t| {
        let s = "A.5";
        let secret = t.hex(s, "secret");
        let suite = &TLS13_CHACHA20_POLY1305_SHA256;
        let p = packet_secrets(v, suite.hash, suite.aead, &secret);
        assert_eq!(p.key.as_bytes(), t.hex(s, "key"));
        assert_eq!(p.iv.to_vec(), t.hex(s, "iv"));
        assert_eq!(p.hp.as_bytes(), t.hex(s, "hp"));
        assert_eq!(
            next_secret(v, HashAlgorithm::Sha256, &secret).as_bytes(),
            t.hex(s, "ku")
        );
        let pn = t.num(s, "pn");
        let header = t.hex(s, "unprotected_header");
        let keys = DirectionalKeys::new(v, suite, &secret);
        let mut packet = [header.clone(), t.hex(s, "payload_plaintext"), vec![0; 16]].concat();
        keys.packet
            .encrypt_in_place(pn, &mut packet, header.len())
            .unwrap();
        assert_eq!(&packet[header.len()..], t.hex(s, "payload_ciphertext"));
        // A short header with an empty connection ID: the packet number
        // starts at byte 1.
        let pn_offset = 1;
        assert_eq!(
            &packet[pn_offset + 4..pn_offset + 20],
            t.hex(s, "sample").as_slice()
        );
        assert_eq!(
            keys.header
                .mask(&packet[pn_offset + 4..pn_offset + 20])
                .unwrap()
                .to_vec(),
            t.hex(s, "mask")
        );
        keys.header
            .encrypt_in_place(&mut packet, pn_offset)
            .unwrap();
        assert_eq!(&packet[..header.len()], t.hex(s, "header"));
        assert_eq!(packet, t.hex(s, "packet"));
        // And back.
        assert_eq!(
            keys.header
                .decrypt_in_place(&mut packet, pn_offset)
                .unwrap(),
            3
        );
        let n = keys
            .packet
            .decrypt_in_place(pn, &mut packet, header.len())
            .unwrap();
        assert_eq!(&packet[header.len()..header.len() + n], [1]);
        // The AEAD's limits (RFC 9001 §6.6).
        assert_eq!(keys.packet.integrity_limit(), 1 << 36);
        assert_eq!(keys.packet.confidentiality_limit(), 1 << 62);
    });
}

#[test]
fn header_protection_refuses_short_packets() {
    let keys = Keys::initial(Version::V1, &[1, 2, 3, 4], Role::Client);
    let mut short = [0xc3u8; 20];
    assert!(keys.local.header.encrypt_in_place(&mut short, 4).is_err());
    assert!(keys.local.header.decrypt_in_place(&mut short, 4).is_err());
    assert!(keys.local.header.decrypt_in_place(&mut [], 0).is_err());
    assert!(keys
        .local
        .packet
        .encrypt_in_place(0, &mut short, 10)
        .is_err());
    assert!(keys
        .local
        .packet
        .decrypt_in_place(0, &mut short, 30)
        .is_err());
    assert_eq!(keys.local.packet.confidentiality_limit(), 1 << 23);
    assert_eq!(keys.local.packet.integrity_limit(), 1 << 52);
}
