//! The `pkcs11:` URI (RFC 7512) that names a key on a token: [`TokenUri`],
//! parsed from the text an administrator gives and written back in one
//! canonical form fit for an INI value. Pure text: no file, no token.

use std::fmt;
use std::path::PathBuf;

/// The scheme that starts every URI [`TokenUri`] reads and writes.
pub const SCHEME: &str = "pkcs11:";

const PIN_VALUE: &str = "has the PIN in clear (pin-value), which confpass refuses: keep the PIN \
    in a file only the server can read and give pin-source=file:/path/to/pin";
const MODULE_NAME: &str =
    "uses module-name, which is not supported: give module-path=/path/to/module.so";
const MODULE_RELATIVE: &str =
    "has a module-path that is not absolute: give module-path=/path/to/module.so";
const PIN_RELATIVE: &str =
    "has a pin-source that is not an absolute path: give pin-source=file:/path/to/pin";
const NOT_PRIVATE: &str =
    "names an object other than the private key confpass needs: write type=private";
const PIN_NOT_FILE: &str = "has a pin-source other than a file, but confpass reads the PIN only \
    from a file: give pin-source=file:/path/to/pin";

/// A `pkcs11:` URI naming one private key on a token.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TokenUri {
    /// Path attribute `token`: the token's label.
    pub token: Option<String>,
    /// Path attribute `manufacturer`: the token's manufacturer id.
    pub manufacturer: Option<String>,
    /// Path attribute `model`: the token's model.
    pub model: Option<String>,
    /// Path attribute `serial`: the token's serial number.
    pub serial: Option<String>,
    /// Path attribute `slot-id`: the slot, in decimal.
    pub slot_id: Option<u64>,
    /// Path attribute `object`: the key's label (`CKA_LABEL`).
    pub object: Option<String>,
    /// Path attribute `id`: the key's `CKA_ID`, raw bytes.
    pub id: Option<Vec<u8>>,
    /// Query attribute `module-path`: the PKCS#11 module (an absolute path).
    pub module_path: Option<PathBuf>,
    /// Query attribute `pin-source`: the file that holds the PIN (absolute).
    pub pin_source: Option<PathBuf>,
}

impl TokenUri {
    /// Whether `text` is meant as a pkcs11 URI: starts with `pkcs11:` (scheme
    /// case-insensitive).
    pub fn is_uri(text: &str) -> bool {
        text.get(..SCHEME.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
    }

    /// Parses `text`.
    ///
    /// # Errors
    /// A reason that completes the sentence "... the pkcs11: URI `<uri>` ", e.g.
    /// "has the attribute `foo`, which confpass does not know: remove it". It
    /// never holds the value of a `pin-value`.
    pub fn parse(text: &str) -> Result<TokenUri, String> {
        let rest = match text.get(SCHEME.len()..) {
            Some(rest) if Self::is_uri(text) => rest,
            _ => return Err(format!("does not start with `{SCHEME}`")),
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = path.split(';').map(|p| (p, false));
        let mut uri = TokenUri::default();
        let mut seen: Vec<&str> = Vec::new();
        for (part, in_query) in path.chain(query.split('&').map(|p| (p, true))) {
            if part.is_empty() {
                continue;
            }
            let Some((name, raw)) = part.split_once('=') else {
                return Err("has an attribute without `=`: write each as name=value".into());
            };
            if seen.contains(&name) {
                return Err(format!("has the attribute `{name}` twice: keep one"));
            }
            seen.push(name);
            uri.set(name, raw, in_query)?;
        }
        if uri.id.is_none() && uri.object.is_none() {
            return Err("names no key: add id=... or object=...".into());
        }
        Ok(uri)
    }

    /// The same URI naming the key with `CKA_ID` `id` (bytes) and label `label`,
    /// as confpass writes it after generating or finding a key.
    pub fn naming(&self, id: &[u8], label: &str) -> TokenUri {
        TokenUri {
            id: Some(id.to_vec()),
            object: Some(label.to_owned()),
            ..self.clone()
        }
    }

    /// Takes the attribute `name` with the still encoded value `raw`.
    fn set(&mut self, name: &str, raw: &str, in_query: bool) -> Result<(), String> {
        let text = || text(name, raw);
        match (in_query, name) {
            (_, "pin-value") => return Err(PIN_VALUE.into()),
            (_, "module-name") => return Err(MODULE_NAME.into()),
            (false, "token") => self.token = Some(text()?),
            (false, "manufacturer") => self.manufacturer = Some(text()?),
            (false, "model") => self.model = Some(text()?),
            (false, "serial") => self.serial = Some(text()?),
            (false, "object") => self.object = Some(text()?),
            (false, "id") => self.id = Some(decode(name, raw)?),
            (false, "slot-id") => {
                let slot = text()?;
                let bad = |_| format!("has slot-id `{slot}`, which is not a decimal number");
                self.slot_id = Some(slot.parse().map_err(bad)?);
            }
            (false, "type") if text()? != "private" => return Err(NOT_PRIVATE.into()),
            (false, "type") => {}
            // They name the library, not the key.
            (false, "library-manufacturer" | "library-description" | "library-version") => {}
            (true, "module-path") => {
                let path = text()?;
                if !is_absolute(&path) {
                    return Err(MODULE_RELATIVE.into());
                }
                self.module_path = Some(PathBuf::from(path));
            }
            (true, "pin-source") => self.pin_source = Some(pin_source(&text()?)?),
            _ => {
                let kind = if in_query { "query " } else { "" };
                let why = "which confpass does not know: remove it";
                return Err(format!("has the {kind}attribute `{name}`, {why}"));
            }
        }
        Ok(())
    }
}

/// The file a `pin-source` value names: `file:/abs`, `file:///abs` or `/abs`.
fn pin_source(value: &str) -> Result<PathBuf, String> {
    let path = match (value.strip_prefix("file://"), value.strip_prefix("file:")) {
        // `file:///C:/pin`: the drive follows the (empty) authority's slash.
        (Some(rest), _) => rest
            .strip_prefix('/')
            .filter(|r| is_drive(r))
            .unwrap_or(rest),
        (None, Some(rest)) => rest,
        (None, None) if value.starts_with('|') || (value.contains(':') && !is_drive(value)) => {
            return Err(PIN_NOT_FILE.into());
        }
        (None, None) => value,
    };
    if !is_absolute(path) {
        return Err(PIN_RELATIVE.into());
    }
    Ok(PathBuf::from(path))
}

/// Whether `path` is absolute, read as text on any platform: `/…`, `C:\…` or
/// `C:/…`.
fn is_absolute(path: &str) -> bool {
    path.starts_with('/') || is_drive(path)
}

/// Whether `path` starts with a Windows drive and its root: `C:\` or `C:/`.
fn is_drive(path: &str) -> bool {
    matches!(path.as_bytes(), [d, b':', b'\\' | b'/', ..] if d.is_ascii_alphabetic())
}

/// The value `raw` of the text attribute `name`, percent-decoded, as UTF-8.
fn text(name: &str, raw: &str) -> Result<String, String> {
    String::from_utf8(decode(name, raw)?)
        .map_err(|_| format!("has a value of `{name}` that is not UTF-8 once percent-decoded"))
}

/// The bytes `raw` (the value of `name`) percent-decodes to.
fn decode(name: &str, raw: &str) -> Result<Vec<u8>, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b != b'%' {
            out.push(b);
            continue;
        }
        let digit = |at: usize| bytes.get(at).and_then(|&d| char::from(d).to_digit(16));
        let (Some(high), Some(low)) = (digit(i), digit(i + 1)) else {
            let how = "write each byte as % and two hex digits, and % itself as %25";
            return Err(format!("has a bad percent escape in `{name}`: {how}"));
        };
        out.extend(u8::try_from(high * 16 + low).ok());
        i += 2;
    }
    Ok(out)
}

/// Bytes written percent-encoded: all of them (`id`), or all but RFC 3986's
/// unreserved characters, `/` and `:` (text).
struct Encoded<'a>(&'a [u8], bool);

impl fmt::Display for Encoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            if self.1 && (b.is_ascii_alphanumeric() || b"-._~/:".contains(&b)) {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "%{b:02X}")?;
            }
        }
        Ok(())
    }
}

/// The canonical form: no whitespace, `#`, quote or backslash unencoded.
impl fmt::Display for TokenUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn text(value: &Option<String>) -> Option<&[u8]> {
            value.as_deref().map(str::as_bytes)
        }
        let slot = self.slot_id.map(|s| s.to_string());
        f.write_str(SCHEME)?;
        for (name, value, is_text) in [
            ("token", text(&self.token), true),
            ("manufacturer", text(&self.manufacturer), true),
            ("model", text(&self.model), true),
            ("serial", text(&self.serial), true),
            ("slot-id", text(&slot), true),
            ("id", self.id.as_deref(), false),
            ("object", text(&self.object), true),
        ] {
            if let Some(value) = value {
                write!(f, "{name}={};", Encoded(value, is_text))?;
            }
        }
        f.write_str("type=private")?;
        let mut sep = '?';
        if let Some(module) = &self.module_path {
            let module = module.to_string_lossy();
            write!(f, "?module-path={}", Encoded(module.as_bytes(), true))?;
            sep = '&';
        }
        if let Some(pin) = &self.pin_source {
            let pin = pin.to_string_lossy();
            // A path that starts `//` keeps them past the `file://` authority.
            let authority = if pin.starts_with("//") { "//" } else { "" };
            let pin = Encoded(pin.as_bytes(), true);
            write!(f, "{sep}pin-source=file:{authority}{pin}")?;
        }
        Ok(())
    }
}

/// The same as [`Display`](fmt::Display): nothing secret is held.
impl fmt::Debug for TokenUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_a_full_uri_in_canonical_form_gives_back_the_same_text() {
        let text = "pkcs11:token=conf%20pass%23%22%27;manufacturer=Acm%C3%A9;model=m%3D1%26%3F;\
            serial=42%25;slot-id=7;id=%00%AB%61;object=db%20key;type=private\
            ?module-path=/usr/lib/p%2011.so&pin-source=file:////srv/pin";
        let uri = TokenUri::parse(text).unwrap();
        assert_eq!(uri.token.as_deref(), Some("conf pass#\"'"));
        assert_eq!(uri.pin_source, Some(PathBuf::from("//srv/pin")));
        assert_eq!(format!("{uri:?}"), text);
        assert_eq!(TokenUri::parse(&uri.to_string()), Ok(uri));
    }

    #[test]
    fn parse_reads_token_object_module_path_and_pin_source() {
        let module = "/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so";
        let text = format!(
            "pkcs11:token=confpass;object=db%20key?module-path={module}\
             &pin-source=file:/etc/confpass/pin"
        );
        let uri = TokenUri::parse(&text).unwrap();
        assert_eq!(uri.token.as_deref(), Some("confpass"));
        assert_eq!(uri.object.as_deref(), Some("db key"));
        assert_eq!(uri.module_path, Some(PathBuf::from(module)));
        assert_eq!(uri.pin_source, Some(PathBuf::from("/etc/confpass/pin")));
    }

    #[test]
    fn id_escapes_decode_to_raw_bytes_and_the_scheme_is_case_insensitive() {
        let uri = TokenUri::parse("PKCS11:id=%01%02%ab;type=private;").unwrap();
        assert_eq!(uri.id, Some(vec![1, 2, 0xab]));
        assert!(!TokenUri::is_uri("pkcs1é") && !TokenUri::is_uri("/etc/dec.pem"));
    }

    #[test]
    fn pin_source_takes_file_uris_and_bare_absolute_paths() {
        for (source, path) in [("file:///e", "/e"), ("/e", "/e"), ("file:///C:/e", "C:/e")] {
            let uri = TokenUri::parse(&format!("pkcs11:object=k?pin-source={source}")).unwrap();
            assert_eq!(uri.pin_source, Some(PathBuf::from(path)), "{source}");
            assert_eq!(TokenUri::parse(&uri.to_string()), Ok(uri));
        }
    }

    #[test]
    fn windows_module_path_encodes_space_and_backslash_and_round_trips() {
        let mut uri = TokenUri::default().naming(&[9], "k");
        uri.module_path = Some(r"C:\Program Files\HSM\cs_pkcs11.dll".into());
        let text = "pkcs11:id=%09;object=k;type=private\
            ?module-path=C:%5CProgram%20Files%5CHSM%5Ccs_pkcs11.dll";
        assert_eq!(uri.to_string(), text);
        assert_eq!(TokenUri::parse(text), Ok(uri));
    }

    #[test]
    fn fail_pin_value_in_clear_is_refused_without_echoing_it() {
        let reason = TokenUri::parse("pkcs11:object=k?pin-value=1234").unwrap_err();
        assert!(reason.contains("pin-source=file:/path/to/pin") && !reason.contains("1234"));
    }

    #[test]
    fn fail_each_refusal_gives_its_reason_and_odd_text_no_panic() {
        for (text, reason) in [
            (";foo=1", "attribute `foo`, which"),
            ("?bar=1", "query attribute `bar`"),
            (";=", "attribute ``"),
            (";object=l", "`object` twice"),
            ("%G1", "bad percent escape"),
            ("%4", "bad percent escape"),
            ("é%é", "bad percent escape"),
            (";id=%+1", "bad percent escape"),
            (";type=public", "write type=private"),
            ("?pin-source=file:pin", "not an absolute path"),
            ("?pin-source=pin", "not an absolute path"),
            ("?pin-source=%7Cecho", "only from a file"),
            ("?pin-source=env:PIN", "only from a file"),
            ("?module-path=lib.so", "module-path that is not absolute"),
            ("?module-name=tpm2", "give module-path=/path/to/module.so"),
            (";token=%FF", "`token` that is not UTF-8"),
            (";slot-id=x", "not a decimal number"),
            (";serial", "without `=`"),
        ] {
            let got = TokenUri::parse(&format!("pkcs11:object=k{text}")).unwrap_err();
            assert!(got.contains(reason), "{text}: {got}");
        }
        let no_key = TokenUri::parse("pkcs11:token=t;type=private").unwrap_err();
        assert_eq!(no_key, "names no key: add id=... or object=...");
        for odd in ["", "pkcs11", "pkcs11é", "pkcs11:=", "pkcs11:%", "pkcs11:?&"] {
            assert!(TokenUri::parse(odd).is_err(), "{odd}");
        }
    }
}
