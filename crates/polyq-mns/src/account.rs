//! Account-level operations: Get/SetAccountAttributes (`/?accountmeta=true`) and
//! OpenService (`POST /commonbuy/openservice`), which a local server answers as always open.
//!
//! The account's settings (LoggingBucket, the OSS bucket MNS would write its logs to) are kept
//! in the extras of an internal core queue, so they are as durable and shared as queues;
//! polyq writes no logs to any bucket, as it keeps LoggingEnabled without logging.

use crate::error::{MnsError, MnsResult};
use crate::xml::{self, Writer};
use crate::{Ctx, Reply};

/// The internal queue holding the account's settings.
pub const ACCOUNT_QUEUE: &str = "~mns-account";
const LOGGING_BUCKET_KEY: &str = "mns.LoggingBucket";

/// `GET /?accountmeta=true`.
pub async fn attributes(ctx: &Ctx<'_>) -> MnsResult<Reply> {
    let bucket = ctx
        .service
        .internal()
        .setting(ACCOUNT_QUEUE, LOGGING_BUCKET_KEY)
        .await?
        .unwrap_or_default();
    let mut w = Writer::new("Account", ctx.form.namespace());
    w.field("LoggingBucket", bucket);
    Ok(Reply::xml(200, w.finish("Account")))
}

/// `PUT /?accountmeta=true` with `<Account><LoggingBucket>…</LoggingBucket></Account>`: a
/// given LoggingBucket replaces the stored one (empty clears it); an absent one is kept.
pub async fn set_attributes(ctx: &Ctx<'_>) -> MnsResult<Reply> {
    if ctx.req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Reply::empty(204));
    }
    let root = xml::parse(&ctx.req.body)?;
    if root.name != "Account" {
        return Err(MnsError::schema(&root.name));
    }
    let Some(bucket) = root
        .child_text("LoggingBucket")
        .map(|b| b.trim().to_string())
    else {
        return Ok(Reply::empty(204));
    };
    ctx.service
        .internal()
        .set_setting(ACCOUNT_QUEUE, LOGGING_BUCKET_KEY, bucket)
        .await?;
    Ok(Reply::empty(204))
}

/// `POST /commonbuy/openservice`: a local server is always open. The SDKs read `OrderId`
/// (Python indexes it), so the answer carries one: this request's id, opaque like a real order.
pub fn open_service(ctx: &Ctx<'_>) -> MnsResult<Reply> {
    let mut w = Writer::new("OpenService", ctx.form.namespace());
    w.field("OrderId", ctx.request_id());
    Ok(Reply::xml(200, w.finish("OpenService")))
}
