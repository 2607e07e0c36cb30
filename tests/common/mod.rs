//! Shared test helpers: a throwaway PKI made with rcgen, and in-memory
//! transport between two sans-IO connections.
#![allow(dead_code)]

use cloaktls::conn::Received;
use cloaktls::verify::RootStore;
use cloaktls::{CertifiedKey, Connection, Error};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    SignatureAlgorithm,
};

/// The kinds of key a test certificate can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    Rsa2048,
}

pub const ALL_KEY_TYPES: [KeyType; 4] = [
    KeyType::EcdsaP256,
    KeyType::EcdsaP384,
    KeyType::Ed25519,
    KeyType::Rsa2048,
];

pub fn key_pair(kind: KeyType) -> KeyPair {
    let alg: &'static SignatureAlgorithm = match kind {
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyType::Ed25519 => &rcgen::PKCS_ED25519,
        KeyType::Rsa2048 => {
            let pem = include_str!("../../vectors/keys/rsa2048.pem");
            return KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).unwrap();
        }
    };
    KeyPair::generate_for(alg).unwrap()
}

/// A raw public key credential (RFC 7250) of a fresh key of `kind`, and
/// the key's SubjectPublicKeyInfo as rcgen writes it (to check cloaktls's
/// own derivation against).
pub struct Rpk {
    pub key: CertifiedKey,
    pub spki: Vec<u8>,
    pub private_pem: String,
    pub public_pem: String,
}

pub fn rpk(kind: KeyType) -> Rpk {
    let pair = key_pair(kind);
    let signing = cloaktls::crypto::sign::RingSigningKey::from_der(&pair.serialize_der()).unwrap();
    Rpk {
        key: CertifiedKey::raw_public_key(std::sync::Arc::new(signing)).unwrap(),
        spki: pair.public_key_der(),
        private_pem: pair.serialize_pem(),
        public_pem: pair.public_key_pem(),
    }
}

/// A certificate authority that issues test certificates.
pub struct Pki {
    pub ca_der: Vec<u8>,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

/// An issued certificate: chain DER, key DER.
#[derive(Clone)]
pub struct Issued {
    pub chain: Vec<Vec<u8>>,
    pub key_der: Vec<u8>,
}

impl Issued {
    pub fn certified_key(&self) -> CertifiedKey {
        CertifiedKey::from_der(self.chain.clone(), &self.key_der).unwrap()
    }
}

/// How to issue a certificate.
pub struct Spec<'a> {
    pub kind: KeyType,
    pub names: &'a [&'a str],
    pub client: bool,
    /// (year, month, day) of notBefore and notAfter.
    pub validity: ((i32, u8, u8), (i32, u8, u8)),
    /// keyUsage bits, if the certificate should carry the extension.
    pub key_usages: Vec<rcgen::KeyUsagePurpose>,
}

impl<'a> Spec<'a> {
    pub fn server(kind: KeyType, names: &'a [&'a str]) -> Self {
        Spec {
            kind,
            names,
            client: false,
            validity: ((2020, 1, 1), (2090, 1, 1)),
            key_usages: Vec::new(),
        }
    }
}

impl Pki {
    pub fn new(name: &str) -> Self {
        Self::with_key(name, KeyType::EcdsaP256)
    }

    pub fn with_key(name: &str, kind: KeyType) -> Self {
        let ca_key = key_pair(kind);
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2090, 1, 1);
        let ca = params.self_signed(&ca_key).unwrap();
        Pki {
            ca_der: ca.der().to_vec(),
            ca,
            ca_key,
        }
    }

    pub fn roots(&self) -> RootStore {
        let mut r = RootStore::empty();
        r.add(&self.ca_der).unwrap();
        r
    }

    pub fn issue(&self, spec: &Spec<'_>) -> Issued {
        let key = key_pair(spec.kind);
        let names: Vec<String> = spec.names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(
            DnType::CommonName,
            spec.names.first().copied().unwrap_or("client"),
        );
        params.extended_key_usages = vec![if spec.client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let (nb, na) = spec.validity;
        params.not_before = rcgen::date_time_ymd(nb.0, nb.1, nb.2);
        params.not_after = rcgen::date_time_ymd(na.0, na.1, na.2);
        params.key_usages = spec.key_usages.clone();
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        Issued {
            chain: vec![cert.der().to_vec()],
            key_der: key.serialize_der(),
        }
    }

    pub fn server(&self, kind: KeyType) -> Issued {
        self.issue(&Spec::server(kind, &["localhost", "127.0.0.1"]))
    }

    pub fn client(&self, kind: KeyType) -> Issued {
        let mut s = Spec::server(kind, &["client.example"]);
        s.client = true;
        self.issue(&s)
    }
}

/// A small deterministic generator for chunk sizes.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Moves everything `from` wants to write into `to`, in chunks of random
/// sizes (1 to `max_chunk`); returns the bytes moved.
pub fn transfer(
    from: &mut Connection,
    to: &mut Connection,
    rng: &mut Lcg,
    max_chunk: usize,
) -> Result<usize, Error> {
    let mut moved = 0;
    while from.wants_write() {
        let pending = from.pending_tls();
        let want = 1 + (rng.next() as usize % max_chunk.max(1));
        let chunk = &pending[..want.min(pending.len())];
        let taken = to.read_tls(chunk)?.taken(chunk.len());
        from.consume_tls(taken);
        moved += taken;
        if taken == 0 {
            break;
        }
    }
    Ok(moved)
}

/// Runs the handshake to its end, or to the first error on either side.
/// Returns (client result, server result).
pub fn handshake(
    client: &mut Connection,
    server: &mut Connection,
) -> (Result<(), Error>, Result<(), Error>) {
    handshake_chunked(client, server, &mut Lcg(1), 1 << 20)
}

pub fn handshake_chunked(
    client: &mut Connection,
    server: &mut Connection,
    rng: &mut Lcg,
    max_chunk: usize,
) -> (Result<(), Error>, Result<(), Error>) {
    for _ in 0..50 {
        let a = transfer(client, server, rng, max_chunk);
        let b = transfer(server, client, rng, max_chunk);
        if let Err(e) = &a {
            // Let the alert reach the client.
            let _ = transfer(server, client, rng, max_chunk);
            return (client_result(client), Err(e.clone()));
        }
        if let Err(e) = b {
            let _ = transfer(client, server, rng, max_chunk);
            return (Err(e), server_result(server));
        }
        if !client.is_handshaking()
            && !server.is_handshaking()
            && !client.wants_write()
            && !server.wants_write()
        {
            return (Ok(()), Ok(()));
        }
        if matches!((a, b), (Ok(0), Ok(0))) {
            break;
        }
    }
    (client_result(client), server_result(server))
}

fn client_result(c: &Connection) -> Result<(), Error> {
    match c.error() {
        Some(e) => Err(e.clone()),
        None if c.is_handshaking() => Err(Error::HandshakeNotComplete),
        None => Ok(()),
    }
}

fn server_result(s: &Connection) -> Result<(), Error> {
    client_result(s)
}

/// Reads everything that `c` has received.
pub fn read_all(c: &mut Connection) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 4096];
    while let Received::Data(n) = c.recv(&mut buf).unwrap() {
        got.extend_from_slice(&buf[..n]);
    }
    got
}

/// Sends `data` from `a` to `b` and reads it back out of `b`.
pub fn send_and_receive(a: &mut Connection, b: &mut Connection, data: &[u8]) -> Vec<u8> {
    let mut rng = Lcg(7);
    let mut got = Vec::new();
    let mut sent = 0;
    for _ in 0..10_000 {
        sent += a.send(&data[sent..]).unwrap();
        transfer(a, b, &mut rng, 1 << 20).unwrap();
        got.extend(read_all(b));
        if got.len() >= data.len() {
            break;
        }
    }
    got
}

/// A client and a server connection from one PKI, each configuration
/// adjusted by its closure.
pub fn pair(
    pki: &Pki,
    server: impl FnOnce(cloaktls::config::ServerConfigBuilder) -> cloaktls::config::ServerConfigBuilder,
    client: impl FnOnce(cloaktls::config::ClientConfigBuilder) -> cloaktls::config::ClientConfigBuilder,
    name: &str,
) -> (cloaktls::ClientConnection, cloaktls::ServerConnection) {
    let s = server(cloaktls::ServerConfig::builder(
        pki.server(KeyType::EcdsaP256).certified_key(),
    ))
    .build()
    .unwrap();
    let c = client(cloaktls::ClientConfig::builder(pki.roots()))
        .build()
        .unwrap();
    (
        cloaktls::ClientConnection::new(c, name).unwrap(),
        cloaktls::ServerConnection::new(s).unwrap(),
    )
}

/// Records the traffic secrets, as SSLKEYLOGFILE would.
#[derive(Debug, Default)]
pub struct Secrets(std::sync::Mutex<Vec<(String, Vec<u8>)>>);

impl cloaktls::config::KeyLog for Secrets {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

impl Secrets {
    /// The last secret logged under `label`.
    pub fn get_last(&self, label: &str) -> Vec<u8> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(l, _)| l == label)
            .unwrap()
            .1
            .clone()
    }

    pub fn get(&self, label: &str) -> Vec<u8> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|(l, _)| l == label)
            .unwrap()
            .1
            .clone()
    }
}

/// One TLS 1.3 record of `typ` holding `data`, protected under the traffic
/// `secret` (TLS_AES_128_GCM_SHA256) at sequence number `seq`: what a peer
/// that knows the keys could send.
pub fn seal_tls13(secret: &[u8], seq: u64, typ: cloaktls::ContentType, data: &[u8]) -> Vec<u8> {
    use cloaktls::crypto::{AeadAlgorithm, HashAlgorithm};
    use cloaktls::record::RecordSealer;
    let (key, iv) = cloaktls::key_schedule::tls13::traffic_key_iv(
        HashAlgorithm::Sha256,
        AeadAlgorithm::Aes128Gcm,
        secret,
    );
    let mut sealer = RecordSealer::tls13(AeadAlgorithm::Aes128Gcm, key.as_bytes(), iv).unwrap();
    sealer.set_sequence(seq);
    let mut out = Vec::new();
    sealer.seal(typ, data, 0, &mut out).unwrap();
    out
}

/// `flight`, a TLS 1.3 server flight under TLS_AES_128_GCM_SHA256, with
/// the plaintext of each protected record passed through `mutate` and
/// sealed again under `secret` (the server's handshake traffic secret, from
/// a key log): a man in the middle who knows the keys.
pub fn reseal_tls13_flight(
    flight: &[u8],
    secret: &[u8],
    mut mutate: impl FnMut(&mut Vec<u8>),
) -> Vec<u8> {
    use cloaktls::crypto::{AeadAlgorithm, HashAlgorithm};
    use cloaktls::msgs::enums::ContentType;
    use cloaktls::record::{write_plaintext_record, Deframer, RecordOpener, RecordSealer};
    let (key, iv) = cloaktls::key_schedule::tls13::traffic_key_iv(
        HashAlgorithm::Sha256,
        AeadAlgorithm::Aes128Gcm,
        secret,
    );
    let mut opener = RecordOpener::tls13(AeadAlgorithm::Aes128Gcm, key.as_bytes(), iv).unwrap();
    let mut sealer = RecordSealer::tls13(AeadAlgorithm::Aes128Gcm, key.as_bytes(), iv).unwrap();
    let mut d = Deframer::new();
    d.read(flight);
    let mut out = Vec::new();
    while let Some(r) = d.next_record().unwrap() {
        if r.typ != ContentType::APPLICATION_DATA {
            write_plaintext_record(r.typ, r.version, r.payload, &mut out);
            continue;
        }
        let o = opener.open(r.typ, r.version, r.payload).unwrap();
        let mut plain = r.payload[o.range].to_vec();
        mutate(&mut plain);
        sealer.seal(o.typ, &plain, 0, &mut out).unwrap();
    }
    out
}
