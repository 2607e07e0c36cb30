//! HPKE (RFC 9180) against the Base-mode test vectors of its Appendix A
//! (vectors/hpke/rfc9180-base.txt, from tools/extract_hpke.py), byte for
//! byte: DeriveKeyPair, Encap (the ephemeral key from ikmE), every
//! ciphertext of the sender and the recipient, every exported value.

use cloaktls::crypto::hpke::{
    setup_base_r, setup_base_s, HpkeAead, HpkeKdf, HpkeKem, HpkePrivateKey, HpkeSuite,
};
use cloaktls::crypto::RandomSource;
use cloaktls::Error;
use std::sync::Mutex;

/// Hands out the bytes it was given, in order.
#[derive(Debug)]
struct Script(Mutex<Vec<u8>>);

impl RandomSource for Script {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        let mut bytes = self.0.lock().unwrap();
        assert!(bytes.len() >= buf.len(), "the script ran out");
        let rest = bytes.split_off(buf.len());
        buf.copy_from_slice(&bytes);
        *bytes = rest;
        Ok(())
    }
}

/// seq, plaintext, aad, ciphertext.
type Encryption = (u64, Vec<u8>, Vec<u8>, Vec<u8>);

struct Vector {
    fields: Vec<(String, String)>,
    encryptions: Vec<Encryption>,
    exports: Vec<(usize, Vec<u8>, Vec<u8>)>,
}

impl Vector {
    fn get(&self, key: &str) -> &str {
        &self
            .fields
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .1
    }
    fn bytes(&self, key: &str) -> Vec<u8> {
        hex_or_empty(self.get(key))
    }
}

fn hex_or_empty(s: &str) -> Vec<u8> {
    if s == "-" {
        Vec::new()
    } else {
        hex::decode(s).unwrap()
    }
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("../vectors/hpke/rfc9180-base.txt");
    let mut out: Vec<Vector> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (key, value) = line.split_once(" = ").unwrap();
        if key == "section" {
            out.push(Vector {
                fields: Vec::new(),
                encryptions: Vec::new(),
                exports: Vec::new(),
            });
        }
        let v = out.last_mut().unwrap();
        let parts: Vec<&str> = value.split(' ').collect();
        match key {
            "encryption" => v.encryptions.push((
                parts[0].parse().unwrap(),
                hex_or_empty(parts[1]),
                hex_or_empty(parts[2]),
                hex_or_empty(parts[4]),
            )),
            "export" => v.exports.push((
                parts[0].parse().unwrap(),
                hex_or_empty(parts[1]),
                hex_or_empty(parts[2]),
            )),
            _ => v.fields.push((key.to_string(), value.to_string())),
        }
    }
    out
}

#[test]
fn rfc9180_appendix_a_base_mode() {
    let mut checked = Vec::new();
    for v in vectors() {
        let id = |k: &str| v.get(k).parse::<u16>().unwrap();
        let Some(kem) = HpkeKem::from_id(id("kem_id")) else {
            // DHKEM(P-256): cloaktls implements the X25519 KEM only.
            assert_eq!(id("kem_id"), 0x0010, "{}", v.get("section"));
            continue;
        };
        let suite = HpkeSuite {
            kem,
            kdf: HpkeKdf::from_id(id("kdf_id")).unwrap(),
            aead: HpkeAead::from_id(id("aead_id")).unwrap(),
        };
        let section = v.get("section").to_string();
        // DeriveKeyPair (RFC 9180 §7.1.3), both sides.
        let sk_e = HpkePrivateKey::derive(kem, &v.bytes("ikmE"));
        assert_eq!(sk_e.to_bytes().as_bytes(), v.bytes("skEm"), "{section}");
        assert_eq!(sk_e.public_key(), v.bytes("pkEm"), "{section}");
        let sk_r = HpkePrivateKey::derive(kem, &v.bytes("ikmR"));
        assert_eq!(sk_r.to_bytes().as_bytes(), v.bytes("skRm"), "{section}");
        assert_eq!(sk_r.public_key(), v.bytes("pkRm"), "{section}");
        // Deserialized private keys give the same public keys.
        let loaded = HpkePrivateKey::from_bytes(kem, &v.bytes("skRm")).unwrap();
        assert_eq!(loaded.public_key(), v.bytes("pkRm"));
        // SetupBaseS with the ephemeral key's ikm as the randomness.
        let rng = Script(Mutex::new(v.bytes("ikmE")));
        let info = v.bytes("info");
        let (enc, mut sender) = setup_base_s(suite, &v.bytes("pkRm"), &info, &rng).unwrap();
        assert_eq!(enc, v.bytes("enc"), "{section}");
        let mut recipient = setup_base_r(suite, &enc, &loaded, &info).unwrap();
        // The vectors list some sequence numbers; the ones between are
        // sealed and opened to move both contexts along.
        let last = v.encryptions.iter().map(|e| e.0).max().unwrap();
        for seq in 0..=last {
            match v.encryptions.iter().find(|e| e.0 == seq) {
                Some((_, pt, aad, ct)) => {
                    assert_eq!(&sender.seal(aad, pt).unwrap(), ct, "{section} seq {seq}");
                    assert_eq!(&recipient.open(aad, ct).unwrap(), pt, "{section} seq {seq}");
                }
                None => {
                    let ct = sender.seal(b"", b"").unwrap();
                    recipient.open(b"", &ct).unwrap();
                }
            }
        }
        for (len, context, value) in &v.exports {
            assert_eq!(
                sender.export(context, *len).unwrap().as_bytes(),
                &value[..],
                "{section}"
            );
            assert_eq!(
                recipient.export(context, *len).unwrap().as_bytes(),
                &value[..]
            );
        }
        checked.push(section);
    }
    assert_eq!(checked, ["A.1.1", "A.2.1"]);
}
