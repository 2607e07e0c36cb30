//! Why 0-RTT data (RFC 9846 §2.3, §4.2.10) was or was not accepted on a
//! connection: the one answer a person debugging 0-RTT needs first.

/// Why 0-RTT was accepted or not, as this side of the connection knows it
/// ([`crate::Connection::early_data_reason`]). A client knows less than a
/// server: it sees [`EarlyDataReason::PeerDeclined`] where the server
/// knows the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EarlyDataReason {
    /// 0-RTT data was accepted.
    Accepted,
    /// This side's configuration has 0-RTT off (a client without
    /// `early_data(true)`, a server whose `max_early_data` is 0).
    Disabled,
    /// TLS 1.3 was not negotiated (or not offered): 0-RTT exists only
    /// there.
    ProtocolVersion,
    /// A client had no session to resume; a server saw no 0-RTT offer
    /// (no `early_data` extension in the ClientHello).
    NotOffered,
    /// The session's ticket does not allow 0-RTT (its max_early_data_size
    /// is 0, RFC 9846 §4.6.1).
    UnsupportedForSession,
    /// The server did not resume the session, or 0-RTT came with a PSK
    /// that was not the first offered (RFC 9846 §4.2.10).
    SessionNotResumed,
    /// The server answered with a HelloRetryRequest, after which 0-RTT is
    /// over (RFC 9846 §4.1.4).
    HelloRetryRequest,
    /// The application protocol (ALPN) differs from the session's: on a
    /// client, the session's protocol is no longer offered; on a server,
    /// another one was chosen (RFC 9846 §4.2.10).
    AlpnMismatch,
    /// The cipher suite chosen differs from the session's (RFC 9846
    /// §4.2.10).
    CipherSuiteMismatch,
    /// The ticket's age, as the client reported it, is too far from what
    /// the server expected (RFC 9846 §8.3).
    TicketAgeSkew,
    /// The server's anti-replay register has seen this ClientHello before,
    /// or cannot vouch that it has not (RFC 9846 §8).
    Replayed,
    /// The QUIC transport parameters that 0-RTT depends on changed since
    /// the session (RFC 9001 §4.6.1).
    QuicParameterMismatch,
    /// The server did not accept 0-RTT, for a reason a client cannot see.
    PeerDeclined,
}

impl EarlyDataReason {
    /// A short phrase for logs and error messages.
    pub fn describe(self) -> &'static str {
        match self {
            EarlyDataReason::Accepted => "0-RTT accepted",
            EarlyDataReason::Disabled => "0-RTT is off in this side's configuration",
            EarlyDataReason::ProtocolVersion => "0-RTT needs TLS 1.3",
            EarlyDataReason::NotOffered => "no 0-RTT was offered",
            EarlyDataReason::UnsupportedForSession => "the session's ticket does not allow 0-RTT",
            EarlyDataReason::SessionNotResumed => "the session was not resumed",
            EarlyDataReason::HelloRetryRequest => "a HelloRetryRequest ended 0-RTT",
            EarlyDataReason::AlpnMismatch => "the application protocol differs from the session's",
            EarlyDataReason::CipherSuiteMismatch => "the cipher suite differs from the session's",
            EarlyDataReason::TicketAgeSkew => "the ticket's age is out of the accepted window",
            EarlyDataReason::Replayed => "the anti-replay register refused the ClientHello",
            EarlyDataReason::QuicParameterMismatch => {
                "the QUIC transport parameters changed since the session"
            }
            EarlyDataReason::PeerDeclined => "the server declined 0-RTT",
        }
    }
}

impl std::fmt::Display for EarlyDataReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}
