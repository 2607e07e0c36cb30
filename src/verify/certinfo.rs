//! A readable summary of an X.509 certificate, like Python's
//! `getpeercert()`: subject, issuer, serial number, validity and
//! subjectAltName. The DER walk is total: a certificate it cannot read
//! gives an error, never a panic.

use crate::codec::Reader;

/// A certificate's fields in readable form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateSummary {
    /// The subject, as `(attribute, value)` pairs: `("commonName", "example.com")`.
    pub subject: Vec<(String, String)>,
    /// The issuer, in the same form.
    pub issuer: Vec<(String, String)>,
    /// The serial number in upper-case hex.
    pub serial_number: String,
    /// notBefore, as `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_before: String,
    /// notAfter, as `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_after: String,
    /// subjectAltName entries: `("DNS", "example.com")`, `("IP Address", "127.0.0.1")`.
    pub subject_alt_names: Vec<(String, String)>,
}

impl CertificateSummary {
    /// The subject's commonName, if it has one.
    pub fn common_name(&self) -> Option<&str> {
        self.subject
            .iter()
            .find(|(k, _)| k == "commonName")
            .map(|(_, v)| v.as_str())
    }

    /// The names the certificate is valid for (subjectAltName DNS names and
    /// IP addresses).
    pub fn names(&self) -> Vec<String> {
        self.subject_alt_names
            .iter()
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn name_text(name: &[(String, String)]) -> String {
    name.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for CertificateSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "subject: {}", name_text(&self.subject))?;
        writeln!(f, "issuer: {}", name_text(&self.issuer))?;
        writeln!(f, "serial: {}", self.serial_number)?;
        writeln!(f, "valid: {} to {}", self.not_before, self.not_after)?;
        let sans: Vec<String> = self
            .subject_alt_names
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        write!(f, "subjectAltName: {}", sans.join(", "))
    }
}

/// One DER element: its tag and contents.
fn tlv<'a>(r: &mut Reader<'a>) -> Option<(u8, &'a [u8])> {
    let tag = r.u8().ok()?;
    let first = r.u8().ok()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for _ in 0..n {
            len = (len << 8) | usize::from(r.u8().ok()?);
        }
        len
    };
    Some((tag, r.bytes(len).ok()?))
}

fn expect<'a>(r: &mut Reader<'a>, tag: u8) -> Option<&'a [u8]> {
    match tlv(r)? {
        (t, c) if t == tag => Some(c),
        _ => None,
    }
}

fn tbs(der: &[u8]) -> Option<Reader<'_>> {
    let mut r = Reader::new(der);
    let cert = expect(&mut r, 0x30)?;
    let mut c = Reader::new(cert);
    Some(Reader::new(expect(&mut c, 0x30)?))
}

/// The DER contents of the TBSCertificate's issuer, subject and
/// subjectPublicKeyInfo (RFC 5280 §4.1).
fn names_and_key(der: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let mut t = tbs(der)?;
    if tlv(&mut t)?.0 == 0xa0 {
        tlv(&mut t)?; // the version came first; this is the serial
    }
    expect(&mut t, 0x30)?; // signature algorithm
    let issuer = expect(&mut t, 0x30)?;
    expect(&mut t, 0x30)?; // validity
    let subject = expect(&mut t, 0x30)?;
    let spki = expect(&mut t, 0x30)?;
    Some((issuer, subject, spki))
}

/// A certificate's subjectPublicKeyInfo, DER (its key as a raw public
/// key, RFC 7250 §3).
pub fn subject_public_key_info(der: &[u8]) -> Option<Vec<u8>> {
    let (_, _, spki) = names_and_key(der)?;
    Some(crate::codec::der_element(0x30, spki))
}

/// The DER contents of the issuer and the subject Names.
pub fn issuer_and_subject(der: &[u8]) -> Option<(&[u8], &[u8])> {
    names_and_key(der).map(|(issuer, subject, _)| (issuer, subject))
}

/// The subjectPublicKey of a certificate's subjectPublicKeyInfo (RFC 5280
/// §4.1.2.7): the BIT STRING's bits, without the unused-bits count. For
/// EC keys the point, for Ed25519 the 32-byte key, for RSA the DER
/// RSAPublicKey.
pub fn public_key_bits(der: &[u8]) -> Option<&[u8]> {
    let (_, _, spki) = names_and_key(der)?;
    key_bits(spki)
}

/// The subjectPublicKey bits of a DER SubjectPublicKeyInfo (a raw public
/// key, RFC 7250 §3), in the form of [`public_key_bits`].
pub fn raw_public_key_bits(spki: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(spki);
    let contents = expect(&mut r, 0x30)?;
    r.finish().ok()?;
    key_bits(contents)
}

/// The BIT STRING's bits of the SubjectPublicKeyInfo whose SEQUENCE
/// contents are `spki`.
fn key_bits(spki: &[u8]) -> Option<&[u8]> {
    let mut spki = Reader::new(spki);
    expect(&mut spki, 0x30)?; // the algorithm
    match expect(&mut spki, 0x03)? {
        [0, bits @ ..] => Some(bits),
        _ => None,
    }
}

/// The named curve of a certificate's EC public key (RFC 5480 §2.1.1);
/// None for other keys or an unknown curve.
pub fn ec_curve(der: &[u8]) -> Option<crate::msgs::enums::NamedGroup> {
    let (_, _, spki) = names_and_key(der)?;
    match algorithm_of(spki)? {
        KeyAlgorithm::Ecdsa(curve) => curve,
        _ => None,
    }
}

/// A public key's algorithm, as its SubjectPublicKeyInfo names it (RFC
/// 5280 §4.1.2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// id-ecPublicKey on a named curve (RFC 5480 §2.1.1): secp256r1,
    /// secp384r1 or secp521r1, or `None` for another curve.
    Ecdsa(Option<crate::msgs::enums::NamedGroup>),
    /// id-Ed25519 (RFC 8410 §3).
    Ed25519,
    /// id-Ed448 (RFC 8410 §3).
    Ed448,
    /// rsaEncryption (RFC 3279 §2.3.1), with the modulus's size in bits.
    Rsa {
        /// The modulus's size in bits.
        bits: usize,
    },
    /// Another algorithm: its OBJECT IDENTIFIER's DER contents.
    Other(Vec<u8>),
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::msgs::enums::NamedGroup;
        match self {
            KeyAlgorithm::Ecdsa(Some(NamedGroup::SECP256R1)) => f.write_str("ECDSA P-256"),
            KeyAlgorithm::Ecdsa(Some(NamedGroup::SECP384R1)) => f.write_str("ECDSA P-384"),
            KeyAlgorithm::Ecdsa(Some(NamedGroup::SECP521R1)) => f.write_str("ECDSA P-521"),
            KeyAlgorithm::Ecdsa(_) => f.write_str("ECDSA on an unknown curve"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Ed448 => f.write_str("Ed448"),
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA {bits}-bit"),
            KeyAlgorithm::Other(oid) => {
                write!(f, "an unknown algorithm (OID {})", hex::encode(oid))
            }
        }
    }
}

/// The algorithm of the SubjectPublicKeyInfo whose SEQUENCE contents are
/// `spki`: the AlgorithmIdentifier, and for RSA the modulus in the key.
fn algorithm_of(spki: &[u8]) -> Option<KeyAlgorithm> {
    use crate::crypto::sign::oid;
    use crate::msgs::enums::NamedGroup;
    let key = key_bits(spki)?;
    let mut spki = Reader::new(spki);
    let mut alg = Reader::new(expect(&mut spki, 0x30)?);
    Some(match expect(&mut alg, 0x06)? {
        o if o == oid::EC_PUBLIC_KEY => KeyAlgorithm::Ecdsa(match expect(&mut alg, 0x06)? {
            c if c == oid::SECP256R1 => Some(NamedGroup::SECP256R1),
            c if c == oid::SECP384R1 => Some(NamedGroup::SECP384R1),
            c if c == oid::SECP521R1 => Some(NamedGroup::SECP521R1),
            _ => None,
        }),
        o if o == oid::ED25519 => KeyAlgorithm::Ed25519,
        o if o == oid::ED448 => KeyAlgorithm::Ed448,
        o if o == oid::RSA_ENCRYPTION => {
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, ... }: its size
            // is that of the INTEGER without leading zeros.
            let mut rsa = Reader::new(key);
            let mut fields = Reader::new(expect(&mut rsa, 0x30)?);
            let modulus = expect(&mut fields, 0x02)?;
            let start = modulus.iter().position(|b| *b != 0)?;
            let top = modulus.get(start)?;
            let bits = (modulus.len() - start) * 8 - top.leading_zeros() as usize;
            KeyAlgorithm::Rsa { bits }
        }
        other => KeyAlgorithm::Other(other.to_vec()),
    })
}

/// The algorithm of a DER SubjectPublicKeyInfo (a raw public key, RFC
/// 7250 §3); `None` if it is not one.
pub fn key_algorithm(spki: &[u8]) -> Option<KeyAlgorithm> {
    let mut r = Reader::new(spki);
    let contents = expect(&mut r, 0x30)?;
    r.finish().ok()?;
    algorithm_of(contents)
}

/// A raw public key in readable form (RFC 7250): its algorithm and the
/// SHA-256 of its DER SubjectPublicKeyInfo, the fingerprint that
/// `openssl pkey -pubin -outform DER | sha256sum` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPublicKeySummary {
    /// The key's algorithm.
    pub algorithm: KeyAlgorithm,
    /// SHA-256 over the DER SubjectPublicKeyInfo.
    pub sha256: [u8; 32],
}

impl RawPublicKeySummary {
    /// The SHA-256 fingerprint in lower-case hex.
    pub fn fingerprint(&self) -> String {
        hex::encode(self.sha256)
    }
}

impl std::fmt::Display for RawPublicKeySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "raw public key: {}, SHA-256 {}",
            self.algorithm,
            self.fingerprint()
        )
    }
}

/// Summarises a DER SubjectPublicKeyInfo; `None` if it cannot be read.
pub fn summarize_raw_public_key(spki: &[u8]) -> Option<RawPublicKeySummary> {
    let algorithm = key_algorithm(spki)?;
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(&crate::crypto::HashAlgorithm::Sha256.hash(spki));
    Some(RawPublicKeySummary { algorithm, sha256 })
}

/// Whether the certificate may make handshake signatures: true unless it
/// has a keyUsage extension without digitalSignature (RFC 5280 §4.2.1.3),
/// or cannot be read.
pub fn allows_digital_signature(der: &[u8]) -> bool {
    let Some(mut t) = tbs(der) else {
        return false;
    };
    while let Some((tag, body)) = tlv(&mut t) {
        if tag != 0xa3 {
            continue;
        }
        let mut outer = Reader::new(body);
        let Some(exts) = expect(&mut outer, 0x30) else {
            return false;
        };
        let mut exts = Reader::new(exts);
        while let Some(ext) = expect(&mut exts, 0x30) {
            let mut ext = Reader::new(ext);
            let Some(oid) = expect(&mut ext, 0x06) else {
                return false;
            };
            let Some((mut tag, mut value)) = tlv(&mut ext) else {
                return false;
            };
            if tag == 0x01 {
                match tlv(&mut ext) {
                    Some(v) => (tag, value) = v,
                    None => return false,
                }
            }
            if tag == 0x04 && oid == [0x55, 0x1d, 0x0f] {
                let mut v = Reader::new(value);
                return match expect(&mut v, 0x03) {
                    // unused-bits count, then the bits: digitalSignature is
                    // the first.
                    Some([_, first, ..]) => first & 0x80 != 0,
                    _ => false,
                };
            }
        }
    }
    true
}

/// The TLS signature scheme that matches the algorithm a certificate is
/// signed with, for signature_algorithms_cert (RFC 8446 §4.2.3). ECDSA's
/// curve is that of the issuer's key, which the certificate does not say:
/// the hash decides.
pub fn signature_scheme(der: &[u8]) -> Option<crate::msgs::enums::SignatureScheme> {
    use crate::msgs::enums::SignatureScheme as S;
    let mut r = Reader::new(der);
    let mut cert = Reader::new(expect(&mut r, 0x30)?);
    expect(&mut cert, 0x30)?; // tbsCertificate
    let mut alg = Reader::new(expect(&mut cert, 0x30)?);
    let oid = expect(&mut alg, 0x06)?;
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
    const PKCS1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    Some(match oid {
        [0x2b, 0x65, 0x70] => S::ED25519,
        o if o.len() == ECDSA.len() + 1 && o.starts_with(ECDSA) => match o[ECDSA.len()] {
            2 => S::ECDSA_NISTP256_SHA256,
            3 => S::ECDSA_NISTP384_SHA384,
            4 => S::ECDSA_NISTP521_SHA512,
            _ => return None,
        },
        o if o.len() == PKCS1.len() + 1 && o.starts_with(PKCS1) => match o[PKCS1.len()] {
            5 => S::RSA_PKCS1_SHA1,
            11 => S::RSA_PKCS1_SHA256,
            12 => S::RSA_PKCS1_SHA384,
            13 => S::RSA_PKCS1_SHA512,
            10 => S::RSA_PSS_RSAE_SHA256,
            _ => return None,
        },
        _ => return None,
    })
}

fn oid_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "commonName".into(),
        [0x55, 0x04, 0x06] => "countryName".into(),
        [0x55, 0x04, 0x07] => "localityName".into(),
        [0x55, 0x04, 0x08] => "stateOrProvinceName".into(),
        [0x55, 0x04, 0x0a] => "organizationName".into(),
        [0x55, 0x04, 0x0b] => "organizationalUnitName".into(),
        [0x55, 0x04, 0x05] => "serialNumber".into(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress".into(),
        _ => format!("OID {}", hex::encode(oid)),
    }
}

fn parse_name(contents: &[u8]) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut r = Reader::new(contents);
    while !r.at_end() {
        let mut set = Reader::new(expect(&mut r, 0x31)?);
        while !set.at_end() {
            let mut atv = Reader::new(expect(&mut set, 0x30)?);
            let oid = expect(&mut atv, 0x06)?;
            let (_, value) = tlv(&mut atv)?;
            out.push((oid_name(oid), String::from_utf8_lossy(value).into_owned()));
        }
    }
    Some(out)
}

/// A UTCTime (tag 0x17, `YYMMDDHHMMSSZ`) or GeneralizedTime (0x18,
/// `YYYYMMDDHHMMSSZ`) as year, month, day, hour, minute, second; the strict
/// forms of RFC 5280 §4.1.2.5 only.
fn time_fields(tag: u8, body: &[u8]) -> Option<[u32; 6]> {
    let digits = match (tag, body.len()) {
        (0x17, 13) | (0x18, 15) => body.split_last().filter(|(z, _)| **z == b'Z')?.1,
        _ => return None,
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        digits
            .get(r)?
            .iter()
            .try_fold(0u32, |n, d| Some(n * 10 + u32::from(d - b'0')))
    };
    let (year, rest) = if tag == 0x17 {
        let yy = num(0..2)?;
        // RFC 5280 §4.1.2.5.1: 50..99 are 19YY, 00..49 are 20YY.
        (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
    } else {
        (num(0..4)?, 4)
    };
    let f = |i: usize| num(rest + 2 * i..rest + 2 * i + 2);
    let fields = [year, f(0)?, f(1)?, f(2)?, f(3)?, f(4)?];
    let [_, month, day, hour, minute, second] = fields;
    ((1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60)
        .then_some(fields)
}

/// The days of `month` (1 to 12) in `year` of the Gregorian calendar: a
/// leap year is divisible by 4, except centuries not divisible by 400.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

fn parse_time(tag: u8, body: &[u8]) -> Option<String> {
    let [y, mo, d, h, mi, s] = time_fields(tag, body)?;
    Some(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC"))
}

/// Seconds since 1970 of a civil date and time (Howard Hinnant's
/// days-from-civil); `None` before 1970.
fn unix_seconds([y, mo, d, h, mi, s]: [u32; 6]) -> Option<u64> {
    let y = i64::from(y) - i64::from(mo <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(mo) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + s);
    u64::try_from(secs).ok()
}

/// A certificate's notBefore and notAfter in seconds since 1970, if it
/// can be read.
pub fn validity(der: &[u8]) -> Option<(u64, u64)> {
    let mut t = tbs(der)?;
    if tlv(&mut t)?.0 == 0xa0 {
        tlv(&mut t)?; // the version came first; this is the serial
    }
    expect(&mut t, 0x30)?; // signature algorithm
    expect(&mut t, 0x30)?; // issuer
    let mut validity = Reader::new(expect(&mut t, 0x30)?);
    let (nb_tag, nb) = tlv(&mut validity)?;
    let (na_tag, na) = tlv(&mut validity)?;
    Some((
        unix_seconds(time_fields(nb_tag, nb)?)?,
        unix_seconds(time_fields(na_tag, na)?)?,
    ))
}

fn parse_san(value: &[u8], out: &mut Vec<(String, String)>) -> Option<()> {
    let mut r = Reader::new(value);
    let mut names = Reader::new(expect(&mut r, 0x30)?);
    while !names.at_end() {
        let (tag, body) = tlv(&mut names)?;
        let text = String::from_utf8_lossy(body).into_owned();
        match tag {
            0x82 => out.push(("DNS".into(), text)),
            0x81 => out.push(("email".into(), text)),
            0x86 => out.push(("URI".into(), text)),
            0x87 => {
                let ip = match body.len() {
                    4 => {
                        let a: [u8; 4] = body.try_into().ok()?;
                        std::net::IpAddr::from(a).to_string()
                    }
                    16 => {
                        let a: [u8; 16] = body.try_into().ok()?;
                        std::net::IpAddr::from(a).to_string()
                    }
                    _ => hex::encode(body),
                };
                out.push(("IP Address".into(), ip));
            }
            _ => {}
        }
    }
    Some(())
}

/// Summarises a DER certificate; `None` if it cannot be read.
pub fn summarize(der: &[u8]) -> Option<CertificateSummary> {
    let mut t = tbs(der)?;
    let mut first = tlv(&mut t)?;
    if first.0 == 0xa0 {
        first = tlv(&mut t)?;
    }
    let (tag, serial) = first;
    if tag != 0x02 {
        return None;
    }
    expect(&mut t, 0x30)?;
    let issuer = parse_name(expect(&mut t, 0x30)?)?;
    let mut validity = Reader::new(expect(&mut t, 0x30)?);
    let (nb_tag, nb) = tlv(&mut validity)?;
    let (na_tag, na) = tlv(&mut validity)?;
    let subject = parse_name(expect(&mut t, 0x30)?)?;
    expect(&mut t, 0x30)?; // subjectPublicKeyInfo
    let mut subject_alt_names = Vec::new();
    while !t.at_end() {
        let (tag, body) = tlv(&mut t)?;
        if tag != 0xa3 {
            continue;
        }
        let mut exts_outer = Reader::new(body);
        let mut exts = Reader::new(expect(&mut exts_outer, 0x30)?);
        while !exts.at_end() {
            let mut ext = Reader::new(expect(&mut exts, 0x30)?);
            let oid = expect(&mut ext, 0x06)?;
            let (mut tag, mut value) = tlv(&mut ext)?;
            if tag == 0x01 {
                (tag, value) = tlv(&mut ext)?;
            }
            if tag == 0x04 && oid == [0x55, 0x1d, 0x11] {
                parse_san(value, &mut subject_alt_names)?;
            }
        }
    }
    Some(CertificateSummary {
        subject,
        issuer,
        serial_number: hex::encode_upper(serial.strip_prefix(&[0]).unwrap_or(serial)),
        not_before: parse_time(nb_tag, nb)?,
        not_after: parse_time(na_tag, na)?,
        subject_alt_names,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_scheme_of_a_capture() {
        // The server certificate of vectors/captures/tls12-openssl.txt.
        let cert = include_bytes!("../../vectors/certs/openssl-ecdsa-p256.der");
        assert_eq!(
            super::signature_scheme(cert),
            Some(crate::msgs::enums::SignatureScheme::ECDSA_NISTP256_SHA256)
        );
        // RFC 8448's server certificate has an RSA key.
        let rsa = include_bytes!("../../vectors/certs/rfc8448-rsa.der");
        assert_eq!(super::ec_curve(rsa), None);
        assert_eq!(
            super::ec_curve(cert),
            Some(crate::msgs::enums::NamedGroup::SECP256R1)
        );
        let s = super::summarize(cert).unwrap();
        assert_eq!(s.common_name(), Some("localhost"));
        assert!(s.to_string().contains("issuer: commonName=localhost"));
        // validity() agrees with the summary's text.
        let (nb, na) = super::validity(cert).unwrap();
        assert_eq!(crate::verify::format_unix_time(nb), s.not_before);
        assert_eq!(crate::verify::format_unix_time(na), s.not_after);
    }

    #[test]
    fn raw_public_keys_name_their_algorithm() {
        use super::{key_algorithm, summarize_raw_public_key, KeyAlgorithm};
        use crate::msgs::enums::NamedGroup;
        let cert = include_bytes!("../../vectors/certs/openssl-ecdsa-p256.der");
        let spki = super::subject_public_key_info(cert).unwrap();
        assert_eq!(
            key_algorithm(&spki),
            Some(KeyAlgorithm::Ecdsa(Some(NamedGroup::SECP256R1)))
        );
        assert_eq!(
            super::raw_public_key_bits(&spki),
            super::public_key_bits(cert)
        );
        let rsa = include_bytes!("../../vectors/certs/rfc8448-rsa.der");
        let spki = super::subject_public_key_info(rsa).unwrap();
        assert_eq!(key_algorithm(&spki), Some(KeyAlgorithm::Rsa { bits: 1024 }));
        let s = summarize_raw_public_key(&spki).unwrap();
        assert!(s
            .to_string()
            .starts_with("raw public key: RSA 1024-bit, SHA-256 "));
        assert_eq!(s.fingerprint().len(), 64);
        // An algorithm we do not know still summarises.
        let dsa = hex::decode("300f300906072a8648ce38040103020000").unwrap();
        let alg = key_algorithm(&dsa).unwrap();
        assert_eq!(
            alg,
            KeyAlgorithm::Other(hex::decode("2a8648ce380401").unwrap())
        );
        assert!(alg.to_string().contains("unknown algorithm"));
        // Not a SubjectPublicKeyInfo: trailing bytes, unused bits, nothing.
        for bad in [
            &[0x30, 0x00][..],
            &[][..],
            &[0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0x01][..],
            &[0x30, 0x04, 0x30, 0x00, 0x03, 0x00, 0x00][..],
        ] {
            assert_eq!(key_algorithm(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times_strict_forms_only() {
        use super::{time_fields, unix_seconds};
        let secs = |tag, t: &str| time_fields(tag, t.as_bytes()).and_then(unix_seconds);
        assert_eq!(secs(0x17, "700101000000Z"), Some(0));
        assert_eq!(secs(0x17, "000229000000Z"), Some(951_782_400));
        assert_eq!(secs(0x18, "20261122153132Z"), Some(1_795_361_492));
        assert_eq!(secs(0x17, "491231235959Z"), secs(0x18, "20491231235959Z"));
        assert_eq!(secs(0x18, "99991231235959Z"), Some(253_402_300_799));
        for bad in [
            "7001010000Z",     // no seconds
            "700101000000",    // no Z
            "700101000000+01", // offset
            "701301000000Z",   // month 13
            "70010100000aZ",   // not a digit
            "700100000000Z",   // day 0
            "000230024756Z",   // 30 February (a fuzzer's find)
            "010229000000Z",   // 29 February in a common year
            "700431000000Z",   // 31 April
            "700632000000Z",   // 32 June
            "700101240000Z",   // hour 24
            "700101006000Z",   // minute 60
            "700101000060Z",   // second 60
        ] {
            assert_eq!(secs(0x17, bad), None, "{bad}");
        }
        // Leap years: every fourth, not a century, but every fourth century.
        assert!(secs(0x18, "20000229000000Z").is_some());
        assert!(secs(0x18, "20240229000000Z").is_some());
        assert_eq!(secs(0x18, "21000229000000Z"), None);
        assert_eq!(secs(0x18, "20230229000000Z"), None);
        assert!(secs(0x17, "700131235959Z").is_some());
        assert_eq!(secs(0x18, "19600101000000Z"), None); // before 1970
        assert_eq!(secs(0x04, "700101000000Z"), None);
    }
}
