//! quinn-proto's packet and header keys on cloaktls's (RFC 9001 §5).

use bytes::BytesMut;
use cloaktls::quic;
use quinn_proto::crypto::{self, CryptoError, KeyPair};

/// Packet protection for one direction: [`quic::PacketKey`].
pub(crate) struct PacketKey(pub(crate) quic::PacketKey);

impl crypto::PacketKey for PacketKey {
    fn encrypt(&self, packet: u64, buf: &mut [u8], header_len: usize) {
        if self.0.encrypt_in_place(packet, buf, header_len).is_err() {
            // quinn always leaves room for the header and the tag, so this
            // does not happen; if it did, no plaintext would leave.
            if let Some(payload) = buf.get_mut(header_len..) {
                payload.fill(0);
            }
        }
    }

    fn decrypt(
        &self,
        packet: u64,
        header: &[u8],
        payload: &mut BytesMut,
    ) -> Result<(), CryptoError> {
        let n = self
            .0
            .decrypt(packet, header, payload)
            .map_err(|_| CryptoError)?;
        payload.truncate(n);
        Ok(())
    }

    fn tag_len(&self) -> usize {
        self.0.tag_len()
    }

    fn confidentiality_limit(&self) -> u64 {
        self.0.confidentiality_limit()
    }

    fn integrity_limit(&self) -> u64 {
        self.0.integrity_limit()
    }
}

/// Header protection for one direction: [`quic::HeaderProtectionKey`].
/// quinn hands over the whole packet and the packet number's offset.
pub(crate) struct HeaderKey(pub(crate) quic::HeaderProtectionKey);

impl crypto::HeaderKey for HeaderKey {
    fn decrypt(&self, pn_offset: usize, packet: &mut [u8]) {
        // A packet too short for a sample stays as it is, and then fails
        // to decrypt: quinn drops it (RFC 9001 §5.4.2).
        let _ = self.0.decrypt_in_place(packet, pn_offset);
    }

    fn encrypt(&self, pn_offset: usize, packet: &mut [u8]) {
        // quinn pads every packet to hold a sample (RFC 9001 §5.4.2).
        let _ = self.0.encrypt_in_place(packet, pn_offset);
    }

    fn sample_size(&self) -> usize {
        self.0.sample_len()
    }
}

/// cloaktls's keys of one level, as quinn takes them.
pub(crate) fn keys(k: quic::Keys) -> crypto::Keys {
    crypto::Keys {
        header: KeyPair {
            local: Box::new(HeaderKey(k.local.header)),
            remote: Box::new(HeaderKey(k.remote.header)),
        },
        packet: KeyPair {
            local: Box::new(PacketKey(k.local.packet)),
            remote: Box::new(PacketKey(k.remote.packet)),
        },
    }
}

/// The packet keys of the next key phase, as quinn takes them.
pub(crate) fn packet_keys(k: quic::PacketKeyPair) -> KeyPair<Box<dyn crypto::PacketKey>> {
    KeyPair {
        local: Box::new(PacketKey(k.local)),
        remote: Box::new(PacketKey(k.remote)),
    }
}
