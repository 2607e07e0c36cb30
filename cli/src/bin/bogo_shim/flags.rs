//! The runner's flags: what each means for one handshake of the run. A
//! flag may be prefixed with `-on-initial`, `-on-resume` or `-on-retry` to
//! apply to that handshake only (the 0-RTT retry is the one after the
//! server rejected early data); `-on-shim` flags apply, `-on-handshaker`
//! flags (for BoringSSL's split handshaker) do not. Credential flags
//! (`-cert-file`, `-key-file`, `-signing-prefs`, `-ocsp-response`,
//! `-signed-cert-timestamps`) fill the last credential that
//! `-new-x509-credential` or `-new-rpk-credential` (a raw public key, RFC
//! 7250: a key file alone) started, or the default one before any.

use super::unimplemented;

/// A certificate chain and its key, with what goes with them; or a raw
/// public key's private key; or (from `-new-psk-credential`) an external
/// PSK that BoringSSL imports (RFC 9258).
#[derive(Default, Debug, Clone)]
pub struct Credential {
    /// -new-rpk-credential: a raw public key (RFC 7250), no certificate.
    pub raw_public_key: bool,
    /// -must-match-issuer: only for a peer that names its issuer.
    pub must_match_issuer: bool,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub signing_prefs: Vec<u16>,
    pub ocsp_response: Option<Vec<u8>>,
    pub sct_list: Option<Vec<u8>>,
    pub psk: Option<PskCredential>,
}

/// `-psk-importer-key`, `-psk-importer-identity`, `-psk-importer-context`
/// and `-psk-importer-sha256`/`-sha384` of a PSK credential.
#[derive(Default, Debug, Clone)]
pub struct PskCredential {
    pub key: Vec<u8>,
    pub identity: Vec<u8>,
    pub context: Vec<u8>,
    pub sha384: bool,
}

/// Everything the flags say about one handshake.
#[derive(Default, Debug, Clone)]
pub struct Flags {
    pub port: u16,
    pub shim_id: u64,
    pub ipv6: bool,
    pub server: bool,
    pub resume_count: u32,
    /// The credential the plain flags fill.
    pub default_credential: Credential,
    /// The credentials `-new-x509-credential` started, in order.
    pub credentials: Vec<Credential>,
    pub expect_selected_credential: Option<i64>,
    pub verify_peer: bool,
    pub require_any_client_cert: bool,
    pub verify_fail: bool,
    pub expect_verify_result: bool,
    pub use_custom_verify_callback: bool,
    pub verify_prefs: Vec<u16>,
    pub expect_peer_signature_algorithm: Option<u16>,
    pub use_ocsp_callback: bool,
    pub fail_ocsp_callback: bool,
    pub advertise_alpn: Vec<Vec<u8>>,
    pub select_alpn: Option<Vec<u8>>,
    pub expect_alpn: Option<Vec<u8>>,
    pub curves: Vec<u16>,
    pub expect_curve_id: Option<u16>,
    pub min_version: Option<u16>,
    pub max_version: Option<u16>,
    pub expect_version: Option<u16>,
    pub host_name: Option<String>,
    pub export_keying_material: usize,
    pub export_label: String,
    pub export_context: String,
    pub use_export_context: bool,
    pub expect_session_miss: bool,
    pub shim_writes_first: bool,
    pub shim_shuts_down: bool,
    pub check_close_notify: bool,
    pub read_size: usize,
    pub max_send_fragment: Option<usize>,
    pub trust_cert: Option<String>,
    pub expect_hrr: Option<bool>,
    pub expect_ems: bool,
    pub expect_server_name: Option<String>,
    pub enable_ocsp_stapling: bool,
    pub expect_ocsp_response: Option<Vec<u8>>,
    pub enable_sct: bool,
    pub expect_sct_list: Option<Vec<u8>>,
    /// -ech-server-config, -ech-server-key, -ech-is-retry-config triples.
    pub ech_server: Vec<(Vec<u8>, Vec<u8>, bool)>,
    pub ech_config_list: Option<Vec<u8>>,
    pub expect_ech_accept: bool,
    pub expect_ech_retry_configs: Option<Vec<u8>>,
    pub expect_no_ech_retry_configs: bool,
    pub expect_ech_name_override: Option<String>,
    pub expect_no_ech_name_override: bool,
    pub enable_ech_grease: bool,
    pub reject_unusable_ech_config: bool,
    /// -async: I/O that never completes at once (one byte at a time).
    pub async_io: bool,
    /// -implicit-handshake: the first read or write drives the handshake.
    pub implicit_handshake: bool,
    pub expect_msg_callback: Option<String>,
    /// -enable-early-data: a client sends 0-RTT when resuming, a server
    /// takes it.
    pub enable_early_data: bool,
    pub expect_accept_early_data: bool,
    pub expect_reject_early_data: bool,
    pub expect_early_data_reason: Option<String>,
    /// -quic: cloaktls's QUIC handshake over the runner's mock transport.
    pub quic: bool,
    pub quic_params: Option<Vec<u8>>,
    pub expect_quic_params: Option<Vec<u8>>,
    /// A compliance policy flag, mapped onto cloaktls's preset.
    pub policy: Option<cloaktls::config::Policy>,
    /// -cnsa-202407: AES-256-GCM, then AES-128-GCM, then ChaCha20, in the
    /// server's order.
    pub prefer_aes256: bool,
    pub expect_no_offer_early_data: bool,
    pub expect_ticket_supports_early_data: bool,
    /// -use-old-client-cert-callback: the client's certificate comes from
    /// a callback when the server asks.
    pub use_old_client_cert_callback: bool,
    /// -reverify-on-resume: a resumed session's chain is verified again.
    pub reverify_on_resume: bool,
    /// -expect-no-session: no ticket arrives on this connection.
    pub expect_no_session: bool,
    /// -accepted-peer-cert-types: the certificate types accepted from the
    /// peer, in preference order (RFC 7250).
    pub accepted_peer_cert_types: Vec<u8>,
    /// -available-client-cert-types: the client certificate types a client
    /// offers, in preference order.
    pub available_client_cert_types: Vec<u8>,
    pub expect_peer_certificate_type: Option<u8>,
    /// -expect-peer-rpk-sha256: the SHA-256 of the peer's raw public key,
    /// which the verifier also requires.
    pub expect_peer_rpk_sha256: Option<Vec<u8>>,
    /// -expect-no-peer-cert: the peer authenticated without a certificate.
    pub expect_no_peer_cert: bool,
    /// -expect-session-id / -expect-no-session-id: whether the server
    /// kept the new session by ID (statefully) rather than only in a
    /// ticket.
    pub expect_session_id: Option<bool>,
    /// -use-early-callback: the server's configuration (its certificate)
    /// is chosen once the ClientHello has been read.
    pub use_early_callback: bool,
    /// -fail-early-callback: that callback turns the client away.
    pub fail_early_callback: bool,
    /// -install-ddos-callback: a look at the ClientHello before the
    /// handshake goes on; -fail-ddos-callback turns the client away.
    pub install_ddos_callback: bool,
    pub fail_ddos_callback: bool,
    /// -expect-advertised-alpn: the ALPN list the client must offer.
    pub expect_advertised_alpn: Option<Vec<Vec<u8>>>,
    /// -reject-alpn: a client offering ALPN is refused with
    /// no_application_protocol.
    pub reject_alpn: bool,
    /// -send-alert: after the handshake, abort with decompression_failure.
    pub send_alert: bool,
    /// -peek-then-read: each read peeks first, twice, then reads.
    pub peek_then_read: bool,
    /// -key-update: a KeyUpdate before each echo.
    pub key_update: bool,
    /// -expect-peer-cert-file: the peer's chain, as in this PEM file.
    pub expect_peer_cert_file: Option<String>,
    /// -no-ticket: a server issues and takes no tickets.
    pub no_ticket: bool,
    /// -false-start: TLS 1.2 False Start (RFC 7918).
    pub false_start: bool,
    /// -decline-ocsp-callback: the server's OCSP callback staples nothing.
    pub decline_ocsp_callback: bool,
    /// -use-client-ca-list: the authorities a server names in its
    /// CertificateRequest (None: those of its roots).
    pub client_ca_list: Option<Vec<Vec<u8>>>,
    /// -expect-client-ca-list: the authorities the server must name.
    pub expect_client_ca_list: Option<Vec<Vec<u8>>>,
    /// -expect-peer-verify-pref: the signature schemes the peer accepts.
    pub expect_peer_verify_prefs: Vec<u16>,
    /// -fail-cert-callback: the server's certificate callback fails.
    pub fail_cert_callback: bool,
    /// -no-op-extra-handshake: driving the handshake again does nothing.
    pub no_op_extra_handshake: bool,
    /// -expect-cipher: the cipher suite negotiated.
    pub expect_cipher: Option<u16>,
    /// -expect-secure-renegotiation (TLS 1.3 has it by construction).
    pub expect_secure_renegotiation: bool,
    /// -expect-ticket-renewal: a TLS 1.2 resumption brings a new ticket.
    pub expect_ticket_renewal: bool,
    /// -skip-ticket: the ticket callback seals no ticket.
    pub skip_ticket: bool,
    /// -tls-unique: the shim writes its tls-unique (RFC 5929) first.
    pub tls_unique: bool,
    /// -key-shares / -no-key-shares: the groups that get a key share.
    pub key_shares: Option<Vec<u16>>,
    /// -resumption-delay: seconds the clock moves on after a connection.
    pub resumption_delay: u64,
    /// -quic-early-data-context: what a QUIC server's 0-RTT depends on.
    pub quic_early_data_context: Option<Vec<u8>>,
    /// -shim-initial-write: what the shim writes first ("hello").
    pub shim_initial_write: Option<Vec<u8>>,
    /// -repeat-shim-initial-write: how many times (1).
    pub repeat_shim_initial_write: Option<usize>,
    /// -read-with-unfinished-write: the first words leave with one byte
    /// through, the rest pending while the shim reads.
    pub read_with_unfinished_write: bool,
    /// -enable-grease: GREASE in the ClientHello (RFC 8701).
    pub enable_grease: bool,
    /// -permute-extensions: the ClientHello's extensions in random order.
    pub permute_extensions: bool,
    /// -expect-ticket-age-skew: a resuming server's ticket age skew.
    pub expect_ticket_age_skew: Option<i64>,
    /// -server-supported-groups-hint: the groups the server is said to
    /// support.
    pub server_groups_hint: Option<Vec<u16>>,
    /// -export-traffic-secrets: the shim writes its traffic secrets.
    pub export_traffic_secrets: bool,
    /// -expect-cipher-aes / -expect-cipher-no-aes: the suite expected with
    /// AES hardware, and without.
    pub expect_cipher_aes: Option<u16>,
    pub expect_cipher_no_aes: Option<u16>,
    /// -expect-certificate-types: a TLS 1.2 CertificateRequest's
    /// certificate_types.
    pub expect_certificate_types: Option<Vec<u8>>,
}

/// Standard base64 (RFC 4648 §4), as the runner encodes binary flags.
pub fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The runner's list of distinguished names: DER in hex, comma-separated;
/// `<NULL>` or `<EMPTY>` for none.
fn ca_list(s: &str, name: &str) -> Vec<Vec<u8>> {
    if s == "<NULL>" || s == "<EMPTY>" || s.is_empty() {
        return Vec::new();
    }
    s.split(',')
        .map(|h| hex::decode(h).unwrap_or_else(|_| unimplemented(name)))
        .collect()
}

/// The runner's ALPN list: length-prefixed names, as on the wire.
fn alpn_list(s: &str) -> Vec<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let n = usize::from(b[i]);
        if i + 1 + n > b.len() {
            break;
        }
        out.push(b[i + 1..i + 1 + n].to_vec());
        i += 1 + n;
    }
    out
}

impl Flags {
    fn new() -> Self {
        Flags {
            read_size: 512,
            ..Flags::default()
        }
    }

    /// The same flags with no credential's OCSP response.
    pub fn without_ocsp(&self) -> Flags {
        let mut f = self.clone();
        f.default_credential.ocsp_response = None;
        for c in &mut f.credentials {
            c.ocsp_response = None;
        }
        f
    }

    /// The shim's first words ("hello" unless the flags say otherwise),
    /// and how many times they are written.
    pub fn initial_write(&self) -> (&[u8], usize) {
        let word = self.shim_initial_write.as_deref().unwrap_or(b"hello");
        (word, self.repeat_shim_initial_write.unwrap_or(1))
    }

    /// The credential that credential flags fill now.
    fn credential(&mut self) -> &mut Credential {
        match self.credentials.last_mut() {
            Some(c) => c,
            None => &mut self.default_credential,
        }
    }

    /// The PSK credential that PSK flags fill now.
    fn psk(&mut self, name: &str) -> &mut PskCredential {
        match self.credential().psk.as_mut() {
            Some(p) => p,
            None => unimplemented(name),
        }
    }

    /// The credentials to configure, in the order they are tried: those
    /// of `-new-x509-credential`, `-new-rpk-credential` and
    /// `-new-psk-credential` (numbered from
    /// 0), then the default one (number -1), if it has a certificate.
    pub fn all_credentials(&self) -> Vec<(i64, &Credential)> {
        let mut all: Vec<(i64, &Credential)> = self
            .credentials
            .iter()
            .enumerate()
            .map(|(i, c)| (i as i64, c))
            .collect();
        if self.default_credential.cert_file.is_some() {
            all.push((-1, &self.default_credential));
        }
        all
    }

    /// Applies one flag; `value` gives its parameter when it takes one.
    fn apply(&mut self, name: &str, value: &mut dyn FnMut() -> String) {
        let num = |v: String| -> i64 { v.parse().unwrap_or_else(|_| unimplemented(name)) };
        let b64 = |v: String| base64(&v).unwrap_or_else(|| unimplemented(name));
        match name {
            "-port" => self.port = num(value()) as u16,
            "-shim-id" => self.shim_id = num(value()) as u64,
            "-ipv6" => self.ipv6 = true,
            "-server" => self.server = true,
            "-resume-count" => self.resume_count = num(value()) as u32,
            "-new-x509-credential" => self.credentials.push(Credential::default()),
            "-new-rpk-credential" => self.credentials.push(Credential {
                raw_public_key: true,
                ..Credential::default()
            }),
            "-accepted-peer-cert-types" => self.accepted_peer_cert_types.push(num(value()) as u8),
            "-available-client-cert-types" => {
                self.available_client_cert_types.push(num(value()) as u8)
            }
            "-expect-peer-certificate-type" => {
                self.expect_peer_certificate_type = Some(num(value()) as u8)
            }
            "-expect-peer-rpk-sha256" => self.expect_peer_rpk_sha256 = Some(b64(value())),
            "-new-psk-credential" => self.credentials.push(Credential {
                psk: Some(PskCredential::default()),
                ..Credential::default()
            }),
            "-psk-importer-key" => {
                let v = b64(value());
                self.psk(name).key = v
            }
            "-psk-importer-identity" => {
                let v = b64(value());
                self.psk(name).identity = v
            }
            "-psk-importer-context" => {
                let v = b64(value());
                self.psk(name).context = v
            }
            "-psk-importer-sha256" => self.psk(name).sha384 = false,
            "-psk-importer-sha384" => self.psk(name).sha384 = true,
            "-expect-no-peer-cert" => self.expect_no_peer_cert = true,
            "-expect-session-id" => self.expect_session_id = Some(true),
            "-expect-no-session-id" => self.expect_session_id = Some(false),
            "-use-early-callback" => self.use_early_callback = true,
            "-fail-early-callback" => self.fail_early_callback = true,
            "-install-ddos-callback" => self.install_ddos_callback = true,
            "-fail-ddos-callback" => self.fail_ddos_callback = true,
            "-send-alert" => self.send_alert = true,
            "-peek-then-read" => self.peek_then_read = true,
            "-key-update" => self.key_update = true,
            "-expect-peer-cert-file" => self.expect_peer_cert_file = Some(value()),
            "-no-ticket" => self.no_ticket = true,
            "-false-start" => self.false_start = true,
            "-decline-ocsp-callback" => self.decline_ocsp_callback = true,
            "-use-client-ca-list" => self.client_ca_list = Some(ca_list(&value(), name)),
            "-expect-client-ca-list" => self.expect_client_ca_list = Some(ca_list(&value(), name)),
            "-expect-peer-verify-pref" => self.expect_peer_verify_prefs.push(num(value()) as u16),
            "-fail-cert-callback" => self.fail_cert_callback = true,
            "-no-op-extra-handshake" => self.no_op_extra_handshake = true,
            "-expect-cipher" => self.expect_cipher = Some(num(value()) as u16),
            "-expect-secure-renegotiation" => self.expect_secure_renegotiation = true,
            "-expect-ticket-renewal" => self.expect_ticket_renewal = true,
            // BoringSSL's ticket callbacks seal tickets under keys the
            // application holds: cloaktls's TicketKeys, which the shim
            // gives every server configuration of the run.
            "-use-ticket-callback" | "-use-ticket-aead-callback" => {}
            "-skip-ticket" => self.skip_ticket = true,
            "-tls-unique" => self.tls_unique = true,
            "-key-shares" => {
                let g = num(value()) as u16;
                self.key_shares.get_or_insert_with(Vec::new).push(g)
            }
            "-no-key-shares" => self.key_shares = Some(Vec::new()),
            "-quic-early-data-context" => self.quic_early_data_context = Some(value().into_bytes()),
            "-expect-certificate-types" => self.expect_certificate_types = Some(b64(value())),
            "-expect-cipher-aes" => self.expect_cipher_aes = Some(num(value()) as u16),
            "-expect-cipher-no-aes" => self.expect_cipher_no_aes = Some(num(value()) as u16),
            "-export-traffic-secrets" => self.export_traffic_secrets = true,
            "-server-supported-groups-hint" => {
                let g = num(value()) as u16;
                self.server_groups_hint.get_or_insert_with(Vec::new).push(g)
            }
            "-expect-ticket-age-skew" => self.expect_ticket_age_skew = Some(num(value())),
            "-enable-grease" => self.enable_grease = true,
            "-permute-extensions" => self.permute_extensions = true,
            "-read-with-unfinished-write" => self.read_with_unfinished_write = true,
            "-shim-initial-write" => self.shim_initial_write = Some(value().into_bytes()),
            "-repeat-shim-initial-write" => {
                self.repeat_shim_initial_write = Some(num(value()) as usize)
            }
            "-resumption-delay" => self.resumption_delay = num(value()) as u64,
            // cloaktls's server chooses in its own order (with its default
            // order, ChaCha20 for a client that prefers it).
            "-server-preference" => {}
            // A client declines a HelloRequest: cloaktls answers it with a
            // no_renegotiation warning, which RFC 5246 §7.4.1.1 allows in
            // place of ignoring it.
            "-renegotiate-ignore" => {}
            // The response is the credential's, given once the ClientHello
            // has been read: what -use-ocsp-callback does anyway.
            "-set-ocsp-in-callback" => {}
            // A server without protocols of its own ignores the client's
            // offer (RFC 7301 §3.2).
            "-decline-alpn" => self.select_alpn = None,
            "-reject-alpn" => self.reject_alpn = true,
            "-expect-advertised-alpn" => self.expect_advertised_alpn = Some(alpn_list(&value())),
            "-cert-file" => self.credential().cert_file = Some(value()),
            "-must-match-issuer" => self.credential().must_match_issuer = true,
            "-key-file" => self.credential().key_file = Some(value()),
            "-signing-prefs" => {
                let v = num(value()) as u16;
                self.credential().signing_prefs.push(v)
            }
            "-ocsp-response" => {
                let v = b64(value());
                self.credential().ocsp_response = Some(v)
            }
            "-signed-cert-timestamps" => {
                let v = b64(value());
                self.credential().sct_list = Some(v)
            }
            "-expect-selected-credential" => self.expect_selected_credential = Some(num(value())),
            "-verify-peer" => self.verify_peer = true,
            "-require-any-client-certificate" => self.require_any_client_cert = true,
            "-verify-fail" => self.verify_fail = true,
            "-expect-verify-result" => self.expect_verify_result = true,
            "-use-custom-verify-callback" => self.use_custom_verify_callback = true,
            "-verify-prefs" => self.verify_prefs.push(num(value()) as u16),
            "-expect-peer-signature-algorithm" => {
                self.expect_peer_signature_algorithm = Some(num(value()) as u16)
            }
            "-use-ocsp-callback" => self.use_ocsp_callback = true,
            "-fail-ocsp-callback" => self.fail_ocsp_callback = true,
            "-advertise-alpn" => self.advertise_alpn = alpn_list(&value()),
            // An empty protocol selects none.
            "-select-alpn" => {
                self.select_alpn = Some(value().into_bytes()).filter(|p| !p.is_empty())
            }
            "-expect-alpn" => self.expect_alpn = Some(value().into_bytes()),
            "-curves" => self.curves.push(num(value()) as u16),
            "-expect-curve-id" => self.expect_curve_id = Some(num(value()) as u16),
            "-min-version" => self.min_version = Some(num(value()) as u16),
            "-max-version" => self.max_version = Some(num(value()) as u16),
            "-expect-version" => self.expect_version = Some(num(value()) as u16),
            "-no-tls13" => self.max_version = Some(self.max_version.unwrap_or(0x0304).min(0x0303)),
            "-no-tls12" => self.min_version = Some(self.min_version.unwrap_or(0x0303).max(0x0304)),
            "-no-tls11" | "-no-tls1" | "-no-ssl3" => {}
            "-host-name" => self.host_name = Some(value()),
            "-export-keying-material" => self.export_keying_material = num(value()) as usize,
            "-export-label" => self.export_label = value(),
            "-export-context" => self.export_context = value(),
            "-use-export-context" => self.use_export_context = true,
            "-expect-session-miss" => self.expect_session_miss = true,
            "-shim-writes-first" => self.shim_writes_first = true,
            "-shim-shuts-down" => self.shim_shuts_down = true,
            "-check-close-notify" => self.check_close_notify = true,
            "-read-size" => self.read_size = (num(value()) as usize).max(1),
            "-max-send-fragment" => self.max_send_fragment = Some(num(value()) as usize),
            // Empty for a peer whose credential is a raw public key, or
            // when the runner authenticates with a PSK credential.
            "-trust-cert" => self.trust_cert = Some(value()).filter(|v| !v.is_empty()),
            "-expect-hrr" => self.expect_hrr = Some(true),
            "-expect-no-hrr" => self.expect_hrr = Some(false),
            "-expect-extended-master-secret" => self.expect_ems = true,
            "-expect-server-name" => self.expect_server_name = Some(value()),
            "-enable-ocsp-stapling" => self.enable_ocsp_stapling = true,
            "-enable-signed-cert-timestamps" => self.enable_sct = true,
            "-expect-signed-cert-timestamps" => self.expect_sct_list = Some(b64(value())),
            "-expect-ocsp-response" => self.expect_ocsp_response = Some(b64(value())),
            "-async" => self.async_io = true,
            "-implicit-handshake" => self.implicit_handshake = true,
            "-expect-msg-callback" => self.expect_msg_callback = Some(value()),
            "-enable-early-data" => self.enable_early_data = true,
            "-expect-accept-early-data" => self.expect_accept_early_data = true,
            "-expect-reject-early-data" => self.expect_reject_early_data = true,
            "-expect-early-data-reason" => self.expect_early_data_reason = Some(value()),
            "-quic" => self.quic = true,
            "-quic-transport-params" => self.quic_params = Some(b64(value())),
            "-expect-quic-transport-params" => self.expect_quic_params = Some(b64(value())),
            // The draft codepoint (0xffa5) is not implemented.
            "-quic-use-legacy-codepoint" if value() == "0" => {}
            // BoringSSL's compliance policies, where cloaktls's presets
            // allow the same (README, bogo/config.json).
            "-fips-202205" => self.policy = Some(cloaktls::config::Policy::Fips140_3),
            "-wpa-202304" => self.policy = Some(cloaktls::config::Policy::Wpa3Enterprise192),
            "-cnsa1-202603" => self.policy = Some(cloaktls::config::Policy::Cnsa1),
            "-cnsa2-202603" => self.policy = Some(cloaktls::config::Policy::Cnsa2),
            "-cnsa-202407" => self.prefer_aes256 = true,
            "-expect-no-offer-early-data" => self.expect_no_offer_early_data = true,
            "-expect-ticket-supports-early-data" => self.expect_ticket_supports_early_data = true,
            "-expect-no-session" => self.expect_no_session = true,
            "-reverify-on-resume" => self.reverify_on_resume = true,
            "-use-old-client-cert-callback" => self.use_old_client_cert_callback = true,
            "-ech-server-config" => self.ech_server.push((b64(value()), Vec::new(), false)),
            "-ech-server-key" => {
                let key = b64(value());
                match self.ech_server.last_mut() {
                    Some(last) => last.1 = key,
                    None => unimplemented(name),
                }
            }
            "-ech-is-retry-config" => {
                let retry = value() == "1";
                match self.ech_server.last_mut() {
                    Some(last) => last.2 = retry,
                    None => unimplemented(name),
                }
            }
            "-ech-config-list" => self.ech_config_list = Some(b64(value())),
            "-expect-ech-accept" => self.expect_ech_accept = true,
            "-expect-ech-retry-configs" => self.expect_ech_retry_configs = Some(b64(value())),
            "-expect-no-ech-retry-configs" => self.expect_no_ech_retry_configs = true,
            "-expect-ech-name-override" => self.expect_ech_name_override = Some(value()),
            "-expect-no-ech-name-override" => self.expect_no_ech_name_override = true,
            "-enable-ech-grease" => self.enable_ech_grease = true,
            "-reject-unusable-ech-config" => self.reject_unusable_ech_config = true,
            other => unimplemented(other),
        }
    }
}

/// The flags of the initial handshake, the resumptions, and the 0-RTT
/// retry, in that order.
pub fn parse(args: &[String]) -> [Flags; 3] {
    let mut out = [Flags::new(), Flags::new(), Flags::new()];
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let mut name = arg.as_str();
        let mut skip = false;
        if let Some(rest) = name.strip_prefix("-on-shim") {
            name = rest;
        } else if let Some(rest) = name.strip_prefix("-on-handshaker") {
            name = rest;
            skip = true;
        }
        let mut only = None;
        for (phase, prefix) in ["-on-initial", "-on-resume", "-on-retry"]
            .iter()
            .enumerate()
        {
            if let Some(rest) = name.strip_prefix(prefix) {
                name = rest;
                only = Some(phase);
            }
        }
        let param = args.get(i).cloned();
        let mut used = false;
        let mut value = || {
            used = true;
            param.clone().unwrap_or_else(|| unimplemented(arg))
        };
        for (phase, flags) in out.iter_mut().enumerate() {
            if skip || only.is_some_and(|p| p != phase) {
                // Still parsed, to learn whether it takes a parameter.
                Flags::new().apply(name, &mut value);
            } else {
                flags.apply(name, &mut value);
            }
        }
        if used {
            i += 1;
        }
    }
    out
}
