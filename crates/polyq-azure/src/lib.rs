//! polyq-azure: the Azure Queue Storage dialect.
//!
//! It serves Azure's REST API for queues (all 17 operations, path-style
//! `/{account}/{queue}/messages/{id}` as the emulator convention has it, or host-style
//! `{account}.queue.…`), verifies SharedKey, SharedKeyLite, account SAS and service SAS
//! signatures, and answers with Azure's XML documents, headers and error codes, over
//! [`polyq_core::QueueService`]. The official Azure SDKs work against it unchanged
//! (`UseDevelopmentStorage=true` with the listener on 127.0.0.1:10001).
//!
//! Must not depend on any store crate or on another dialect: only polyq-core and polyq-http.

mod acl;
mod auth;
mod error;
mod handler;
mod messages;
mod props;
mod props_store;
mod queues;
mod retention;
mod route;
pub mod sign;
mod time;
mod xml;

use std::sync::Arc;

use async_trait::async_trait;
use polyq_core::QueueService;
use polyq_http::{Dialect, Request, Response};

pub use error::AzError;

/// The well-known development account every Azure SDK and tool knows.
pub const DEV_ACCOUNT: &str = "devstoreaccount1";
/// Its key (public: printed in Microsoft's documentation).
pub const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A storage account: its name and base64 key.
#[derive(Clone, PartialEq, Eq)]
pub struct AzureAccount {
    pub name: String,
    pub key: String,
}

impl std::fmt::Debug for AzureAccount {
    // Never print keys, not even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureAccount")
            .field("name", &self.name)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Accounts served, and whether skewed clocks are refused (anonymous requests always are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureConfig {
    pub accounts: Vec<AzureAccount>,
    /// `enforce` mode: refuse requests whose `x-ms-date` is more than 15 minutes off.
    /// Signatures are verified, and requests without credentials refused (401
    /// `NoAuthenticationInformation`), in every mode.
    pub enforce: bool,
}

impl Default for AzureConfig {
    fn default() -> Self {
        AzureConfig {
            accounts: vec![AzureAccount {
                name: DEV_ACCOUNT.into(),
                key: DEV_KEY.into(),
            }],
            enforce: false,
        }
    }
}

/// The Azure dialect over `service`. Accounts whose key is not base64 are skipped with a
/// warning.
pub fn dialect(service: Arc<QueueService>, config: AzureConfig) -> Arc<dyn Dialect> {
    let accounts = config
        .accounts
        .iter()
        .filter_map(|a| match sign::decode_key(&a.key) {
            Some(key) => Some(auth::Account {
                name: a.name.clone(),
                mac: sign::KeyedMac::new(&key),
            }),
            None => {
                tracing::warn!(account = %a.name, "Azure account key is not base64; account skipped");
                None
            }
        })
        .collect();
    let public_dev_key = config
        .accounts
        .iter()
        .any(|a| a.name == DEV_ACCOUNT && a.key == DEV_KEY);
    Arc::new(AzureDialect {
        service,
        accounts,
        public_dev_key,
        enforce: config.enforce,
        props: props_store::PropsStore::default(),
    })
}

pub(crate) struct AzureDialect {
    pub(crate) service: Arc<QueueService>,
    pub(crate) accounts: Vec<auth::Account>,
    /// The development account is served with its public key: the banner may print it.
    public_dev_key: bool,
    pub(crate) enforce: bool,
    /// Service properties per account, kept in the store.
    pub(crate) props: props_store::PropsStore,
}

impl AzureDialect {
    pub(crate) fn account(&self, name: &str) -> Option<&auth::Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    fn first_segment_is_account(&self, path: &str) -> bool {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let first = first.strip_suffix("-secondary").unwrap_or(first);
        self.account(first).is_some()
    }
}

#[async_trait]
impl Dialect for AzureDialect {
    fn name(&self) -> &'static str {
        "Azure"
    }

    fn detect(&self, req: &Request) -> bool {
        // A constant name: a `&str` key would be parsed on every request.
        const X_MS_VERSION: http::HeaderName = http::HeaderName::from_static("x-ms-version");
        if req.headers.contains_key(X_MS_VERSION) {
            return true;
        }
        let auth = req.header("authorization").unwrap_or("");
        if auth.starts_with("SharedKey ") || auth.starts_with("SharedKeyLite ") {
            return true;
        }
        let q = req.query();
        let has = |name: &str| q.split('&').any(|p| p.starts_with(name));
        if has("sv=") && has("sig=") {
            return true;
        }
        // A preflight (browsers send no x-ms-version with it). One CORS header is enough, so
        // that a preflight missing the other gets Azure's 400 rather than "unknown API".
        req.method == http::Method::OPTIONS
            && (req.headers.contains_key("origin")
                || req.headers.contains_key("access-control-request-method"))
            && self.first_segment_is_account(req.uri.path())
    }

    async fn handle(&self, req: Request) -> Response {
        self.serve(req).await
    }

    fn too_large(&self, req: &Request) -> Option<Response> {
        Some(self.refuse_too_large(req))
    }

    fn describe(&self, base: &str) -> Vec<String> {
        if self.accounts.is_empty() {
            return vec![format!(
                "Azure   {base}   not served: no [[azure_accounts]] in the config (under --auth enforce the development account, whose key is public, is not served)"
            )];
        }
        self.accounts
            .iter()
            .map(|a| {
                let name = &a.name;
                let scheme = if base.starts_with("https://") { "https" } else { "http" };
                // `UseDevelopmentStorage=true` means the development account on plain
                // http://127.0.0.1:10001: only a plain listener on port 10001 gets it.
                if name == DEV_ACCOUNT && scheme == "http" && base.ends_with(":10001") {
                    format!(
                        "Azure   {base}/{name}   (UseDevelopmentStorage=true, or QueueEndpoint={base}/{name})"
                    )
                } else {
                    // The development account's key is public (it is every emulator's): show
                    // it, so the connection string can be pasted as it is; others stay hidden.
                    let key = if name == DEV_ACCOUNT && self.public_dev_key {
                        DEV_KEY
                    } else {
                        "…"
                    };
                    format!(
                        "Azure   {base}/{name}   (DefaultEndpointsProtocol={scheme};AccountName={name};AccountKey={key};QueueEndpoint={base}/{name})"
                    )
                }
            })
            .collect()
    }
}
