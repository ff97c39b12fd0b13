//! Authentication settings shared by the dialects: the mode, the configured credentials, and a
//! constant-time comparison for signatures.

use subtle::ConstantTimeEq;

/// `Dev` accepts SQS and MNS requests without checking signatures (Azure still verifies with
/// the well-known development key, as its SDKs expect); `Enforce` requires a valid signature
/// from a configured credential on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    #[default]
    Dev,
    Enforce,
}

impl std::str::FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "dev" => Ok(AuthMode::Dev),
            "enforce" => Ok(AuthMode::Enforce),
            other => Err(format!(
                "unknown auth mode {other:?}: expected \"dev\" or \"enforce\""
            )),
        }
    }
}

/// An access key and its secret (SQS access key id / MNS AccessKeyId).
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub secret: String,
}

impl std::fmt::Debug for Credential {
    // Never print secrets, not even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    pub mode: AuthMode,
    pub credentials: Vec<Credential>,
}

impl AuthConfig {
    pub fn secret_for(&self, access_key_id: &str) -> Option<String> {
        self.credentials
            .iter()
            .find(|c| c.access_key_id == access_key_id)
            .map(|c| c.secret.clone())
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_secrets_stay_hidden() {
        assert_eq!("enforce".parse::<AuthMode>(), Ok(AuthMode::Enforce));
        assert!("strict".parse::<AuthMode>().is_err());
        let c = Credential {
            access_key_id: "AK".into(),
            secret: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
