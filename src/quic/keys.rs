//! Packet protection (RFC 9001 §5): the keys of each encryption level,
//! applied in place to a caller's packet buffer; header protection (§5.4);
//! key updates (§6); the AEAD usage limits (§6.6).

use super::Version;
use crate::crypto::aead::{AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::header_protection::{self, MASK_LEN, SAMPLE_LEN};
use crate::crypto::suites::TLS13_AES_128_GCM_SHA256;
use crate::crypto::{AeadAlgorithm, Secret, Tls13Suite};
use crate::error::Error;
use crate::key_schedule::quic::{initial_secrets, next_secret, packet_key_iv, packet_secrets};
use crate::msgs::Role;

/// The AEAD key and IV that protect one direction's packets at one
/// encryption level (RFC 9001 §5.3).
pub struct PacketKey {
    /// The key; an error only if the suite's key length were wrong, which
    /// the derivation rules out (every operation then fails).
    key: Result<AeadKey, Error>,
    iv: [u8; NONCE_LEN],
    aead: AeadAlgorithm,
}

impl std::fmt::Debug for PacketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PacketKey({:?})", self.aead)
    }
}

impl PacketKey {
    fn new(aead: AeadAlgorithm, key: &Secret, iv: [u8; NONCE_LEN]) -> Self {
        PacketKey {
            key: AeadKey::new(aead, key.as_bytes()),
            iv,
            aead,
        }
    }

    /// The nonce: the IV XORed with the packet number, left-padded with
    /// zeros to the IV's size (RFC 9001 §5.3).
    fn nonce(&self, packet_number: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.iv;
        for (n, p) in nonce[NONCE_LEN - 8..]
            .iter_mut()
            .zip(packet_number.to_be_bytes())
        {
            *n ^= p;
        }
        nonce
    }

    fn key(&self) -> Result<&AeadKey, Error> {
        self.key.as_ref().map_err(|e| e.clone())
    }

    /// Protects a packet in place (RFC 9001 §5.3): `packet` holds the
    /// header, its packet number not yet masked, in its first `header_len`
    /// bytes (the associated data), then the payload, then [`TAG_LEN`]
    /// bytes of room that receive the authentication tag. Header
    /// protection comes after ([`HeaderProtectionKey::encrypt_in_place`]).
    pub fn encrypt_in_place(
        &self,
        packet_number: u64,
        packet: &mut [u8],
        header_len: usize,
    ) -> Result<(), Error> {
        let payload_end = packet
            .len()
            .checked_sub(TAG_LEN)
            .filter(|end| *end >= header_len)
            .ok_or(Error::InvalidState(
                "a packet buffer without room for its header and the tag",
            ))?;
        let (header, rest) = packet.split_at_mut(header_len);
        let (payload, tag_room) = rest.split_at_mut(payload_end - header_len);
        let tag = self.encrypt(packet_number, header, payload)?;
        tag_room.copy_from_slice(&tag);
        Ok(())
    }

    /// Encrypts `payload` in place with `header` (unmasked) as the
    /// associated data, and returns the tag.
    pub fn encrypt(
        &self,
        packet_number: u64,
        header: &[u8],
        payload: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        self.key()?.seal(self.nonce(packet_number), header, payload)
    }

    /// Opens a packet in place: `packet` holds the header (header
    /// protection already removed, [`HeaderProtectionKey::decrypt_in_place`])
    /// in its first `header_len` bytes, then the ciphertext and its tag.
    /// Returns the length of the plaintext, which starts at `header_len`.
    /// A packet that fails authentication is
    /// [`Error::BadRecordMac`]: QUIC drops it and goes on (RFC 9001 §5.5),
    /// counting it against [`PacketKey::integrity_limit`].
    pub fn decrypt_in_place(
        &self,
        packet_number: u64,
        packet: &mut [u8],
        header_len: usize,
    ) -> Result<usize, Error> {
        if packet.len() < header_len {
            return Err(Error::InvalidState("a header longer than its packet"));
        }
        let (header, payload) = packet.split_at_mut(header_len);
        self.decrypt(packet_number, header, payload)
    }

    /// Decrypts `payload` (ciphertext, then the tag) in place with
    /// `header` as the associated data; returns the plaintext's length.
    pub fn decrypt(
        &self,
        packet_number: u64,
        header: &[u8],
        payload: &mut [u8],
    ) -> Result<usize, Error> {
        if payload.len() < TAG_LEN {
            return Err(Error::BadRecordMac);
        }
        self.key()?.open(self.nonce(packet_number), header, payload)
    }

    /// The authentication tag's length: 16 for every suite (RFC 9001 §5.3).
    pub fn tag_len(&self) -> usize {
        TAG_LEN
    }

    /// The AEAD of the key.
    pub fn algorithm(&self) -> AeadAlgorithm {
        self.aead
    }

    /// How many packets one key may encrypt (RFC 9001 §6.6): 2^23 for
    /// AES-GCM; for ChaCha20-Poly1305 the limit exceeds the 2^62 packet
    /// numbers there are, and 2^62 is returned.
    pub fn confidentiality_limit(&self) -> u64 {
        match self.aead {
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => 1 << 23,
            AeadAlgorithm::Chacha20Poly1305 => 1 << 62,
        }
    }

    /// How many received packets may fail authentication in a connection,
    /// across all keys, before it must close with AEAD_LIMIT_REACHED (RFC
    /// 9001 §6.6): 2^52 for AES-GCM, 2^36 for ChaCha20-Poly1305.
    pub fn integrity_limit(&self) -> u64 {
        match self.aead {
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => 1 << 52,
            AeadAlgorithm::Chacha20Poly1305 => 1 << 36,
        }
    }
}

/// Header protection for one direction (RFC 9001 §5.4): the same key for
/// the whole connection, key updates included.
pub struct HeaderProtectionKey {
    key: Result<header_protection::HeaderProtectionKey, Error>,
}

impl std::fmt::Debug for HeaderProtectionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeaderProtectionKey")
    }
}

/// The bits of the first byte that header protection covers: the low four
/// of a long header, the low five of a short one (RFC 9001 §5.4.1).
fn first_byte_bits(first: u8) -> u8 {
    if first & 0x80 == 0x80 {
        0x0f
    } else {
        0x1f
    }
}

impl HeaderProtectionKey {
    fn new(aead: AeadAlgorithm, key: &Secret) -> Self {
        HeaderProtectionKey {
            key: header_protection::HeaderProtectionKey::new(aead, key.as_bytes()),
        }
    }

    /// How many bytes of ciphertext are sampled: 16 (RFC 9001 §5.4.2).
    pub fn sample_len(&self) -> usize {
        SAMPLE_LEN
    }

    /// The 5-byte mask for `sample` (RFC 9001 §5.4.3, §5.4.4).
    pub fn mask(&self, sample: &[u8]) -> Result<[u8; MASK_LEN], Error> {
        self.key.as_ref().map_err(|e| e.clone())?.mask(sample)
    }

    /// The sample of a packet whose packet number starts at `pn_offset`:
    /// the 16 bytes from four past it (RFC 9001 §5.4.2). A packet too
    /// short for a whole sample must be discarded.
    fn mask_for(&self, packet: &[u8], pn_offset: usize) -> Result<[u8; MASK_LEN], Error> {
        let start = pn_offset.saturating_add(4);
        let sample =
            packet
                .get(start..start.saturating_add(SAMPLE_LEN))
                .ok_or(Error::InvalidState(
                    "a packet too short for a header protection sample",
                ))?;
        self.mask(sample)
    }

    /// Applies header protection to a whole packet (from its first byte),
    /// payload already encrypted: masks the first byte's protected bits and
    /// the packet number at `pn_offset`, whose length the unmasked first
    /// byte gives (RFC 9001 §5.4.1).
    pub fn encrypt_in_place(&self, packet: &mut [u8], pn_offset: usize) -> Result<(), Error> {
        let mask = self.mask_for(packet, pn_offset)?;
        let first = packet
            .first_mut()
            .ok_or(Error::InvalidState("an empty packet"))?;
        let pn_len = usize::from(*first & 0x03) + 1;
        *first ^= mask[0] & first_byte_bits(*first);
        xor_packet_number(packet, pn_offset, pn_len, &mask)
    }

    /// Removes header protection from a whole packet; returns the packet
    /// number's length, read from the first byte once unmasked (RFC 9001
    /// §5.4.1). The packet number's bytes are then at `pn_offset`.
    pub fn decrypt_in_place(&self, packet: &mut [u8], pn_offset: usize) -> Result<usize, Error> {
        let mask = self.mask_for(packet, pn_offset)?;
        let first = packet
            .first_mut()
            .ok_or(Error::InvalidState("an empty packet"))?;
        *first ^= mask[0] & first_byte_bits(*first);
        let pn_len = usize::from(*first & 0x03) + 1;
        xor_packet_number(packet, pn_offset, pn_len, &mask)?;
        Ok(pn_len)
    }
}

fn xor_packet_number(
    packet: &mut [u8],
    pn_offset: usize,
    pn_len: usize,
    mask: &[u8; MASK_LEN],
) -> Result<(), Error> {
    let pn = packet
        .get_mut(pn_offset..pn_offset.saturating_add(pn_len))
        .ok_or(Error::InvalidState("a packet number past the packet's end"))?;
    for (b, m) in pn.iter_mut().zip(&mask[1..]) {
        *b ^= m;
    }
    Ok(())
}

/// The keys of one direction at one encryption level.
#[derive(Debug)]
pub struct DirectionalKeys {
    /// Header protection.
    pub header: HeaderProtectionKey,
    /// Packet protection.
    pub packet: PacketKey,
}

impl DirectionalKeys {
    /// The keys that `secret` gives under `suite` in `version` (RFC 9001
    /// §5.1).
    pub fn new(version: Version, suite: &Tls13Suite, secret: &[u8]) -> Self {
        let s = packet_secrets(version, suite.hash, suite.aead, secret);
        DirectionalKeys {
            header: HeaderProtectionKey::new(suite.aead, &s.hp),
            packet: PacketKey::new(suite.aead, &s.key, s.iv),
        }
    }
}

/// The keys of both directions at one encryption level.
#[derive(Debug)]
pub struct Keys {
    /// What protects the packets we send.
    pub local: DirectionalKeys,
    /// What opens the packets the peer sends.
    pub remote: DirectionalKeys,
}

impl Keys {
    /// The Initial keys (RFC 9001 §5.2): from the Destination Connection
    /// ID of the client's first Initial packet (or the Source Connection ID
    /// of a Retry), with AEAD_AES_128_GCM and SHA-256, for `side`.
    pub fn initial(version: Version, client_dcid: &[u8], side: Role) -> Keys {
        let (client, server) = initial_secrets(version, client_dcid);
        let suite = &TLS13_AES_128_GCM_SHA256;
        let client = DirectionalKeys::new(version, suite, client.as_bytes());
        let server = DirectionalKeys::new(version, suite, server.as_bytes());
        match side {
            Role::Client => Keys {
                local: client,
                remote: server,
            },
            Role::Server => Keys {
                local: server,
                remote: client,
            },
        }
    }

    fn from_secrets(version: Version, suite: &Tls13Suite, side: Role, c: &[u8], s: &[u8]) -> Keys {
        let client = DirectionalKeys::new(version, suite, c);
        let server = DirectionalKeys::new(version, suite, s);
        match side {
            Role::Client => Keys {
                local: client,
                remote: server,
            },
            Role::Server => Keys {
                local: server,
                remote: client,
            },
        }
    }
}

/// The packet keys of both directions for one key phase.
#[derive(Debug)]
pub struct PacketKeyPair {
    /// What protects the packets we send.
    pub local: PacketKey,
    /// What opens the packets the peer sends.
    pub remote: PacketKey,
}

/// The 1-RTT traffic secrets of both directions, which key updates move
/// on (RFC 9001 §6).
pub struct Secrets {
    version: Version,
    suite: &'static Tls13Suite,
    side: Role,
    client: Secret,
    server: Secret,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("version", &self.version)
            .field("suite", &self.suite.suite)
            .field("side", &self.side)
            .finish_non_exhaustive()
    }
}

impl Secrets {
    pub(crate) fn new(
        version: Version,
        suite: &'static Tls13Suite,
        side: Role,
        client: Secret,
        server: Secret,
    ) -> Self {
        Secrets {
            version,
            suite,
            side,
            client,
            server,
        }
    }

    /// The keys of these secrets: packet and header protection, both
    /// directions.
    pub fn keys(&self) -> Keys {
        Keys::from_secrets(
            self.version,
            self.suite,
            self.side,
            self.client.as_bytes(),
            self.server.as_bytes(),
        )
    }

    /// Moves both secrets to the next generation ("quic ku", RFC 9001
    /// §6.1) and returns the packet keys of the new key phase; header
    /// protection keys do not change. The first call after the handshake
    /// gives the keys of key phase 1.
    pub fn next_packet_keys(&mut self) -> PacketKeyPair {
        let hash = self.suite.hash;
        self.client = next_secret(self.version, hash, self.client.as_bytes());
        self.server = next_secret(self.version, hash, self.server.as_bytes());
        let key = |secret: &Secret| {
            let (key, iv) = packet_key_iv(self.version, hash, self.suite.aead, secret.as_bytes());
            PacketKey::new(self.suite.aead, &key, iv)
        };
        let (client, server) = (key(&self.client), key(&self.server));
        match self.side {
            Role::Client => PacketKeyPair {
                local: client,
                remote: server,
            },
            Role::Server => PacketKeyPair {
                local: server,
                remote: client,
            },
        }
    }

    /// The suite the secrets belong to.
    pub fn suite(&self) -> &'static Tls13Suite {
        self.suite
    }
}
