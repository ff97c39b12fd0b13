//! Account-level operations a local server only stubs: Get/SetAccountAttributes
//! (`/?accountmeta=true`) and OpenService (`POST /commonbuy/openservice`).

use crate::error::MnsResult;
use crate::xml::Writer;
use crate::{Ctx, Reply};

/// `GET /?accountmeta=true`: polyq keeps no account settings.
pub fn attributes(ctx: &Ctx<'_>) -> MnsResult<Reply> {
    let mut w = Writer::new("Account", ctx.form.namespace());
    w.field("LoggingBucket", "");
    Ok(Reply::xml(200, w.finish("Account")))
}

/// `POST /commonbuy/openservice`: a local server is always open. The SDKs read `OrderId`
/// (Python indexes it), so the answer carries one: this request's id, opaque like a real order.
pub fn open_service(ctx: &Ctx<'_>) -> MnsResult<Reply> {
    let mut w = Writer::new("OpenService", ctx.form.namespace());
    w.field("OrderId", ctx.request_id());
    Ok(Reply::xml(200, w.finish("OpenService")))
}
