//! Queue-level operations: List Queues, Create / Delete Queue, Get / Set Queue Metadata,
//! Get / Set Queue ACL.

use std::collections::BTreeMap;

use polyq_core::{CreateOutcome, QueueConfig, QueueInfo};
use polyq_http::Request;

use crate::acl;
use crate::error::{AzError, AzResult};
use crate::handler::{Ctx, Reply};
use crate::xml::{elem, DECL};
use crate::AzureDialect;

const MAX_RESULTS: usize = 5000;
/// Azure's limit on the total size of a queue's metadata.
const MAX_METADATA_BYTES: usize = 8 * 1024;
/// Azure's default message time-to-live, used as the queue retention of queues it creates.
pub const SEVEN_DAYS: u64 = 7 * 24 * 3600;

/// `x-ms-meta-*` headers as metadata, each name in the case the client sent it (Azure keeps it,
/// and SDKs hand it back as answered; the server recovers it, see `polyq_http::header_case`).
pub fn metadata_from_headers(req: &Request) -> AzResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut size = 0;
    for name in req.headers.keys() {
        if !name.as_str().starts_with("x-ms-meta-") {
            continue;
        }
        // Same length as `name`, only the letters' case may differ.
        let meta = &req.header_case.original(name.as_str())["x-ms-meta-".len()..];
        let values: Vec<_> = req.headers.get_all(name).iter().collect();
        if meta.is_empty() {
            // `x-ms-meta-` alone: Azure has its own code for it, naming the value (the Java
            // SDK's suite records it).
            let value = values[0].to_str().unwrap_or("").trim();
            return Err(AzError::new(
                400,
                "EmptyMetadataKey",
                "The key for one of the metadata key-value pairs is empty.",
            )
            .detail("MetadataValue", value));
        }
        let valid_name = meta
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && meta.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name || values.len() > 1 {
            return Err(invalid_metadata());
        }
        // A value with bytes outside visible ASCII (Python's http.client sends `München` as
        // Latin-1): Azure's InvalidMetadata, once the signature has matched.
        let value = values[0]
            .to_str()
            .map_err(|_| invalid_metadata())?
            .trim()
            .to_string();
        size += meta.len() + value.len();
        out.insert(meta.to_string(), value);
    }
    if size > MAX_METADATA_BYTES {
        return Err(AzError::new(
            400,
            "MetadataTooLarge",
            "The size of the specified metadata exceeds the maximum size permitted.",
        ));
    }
    Ok(out)
}

fn invalid_metadata() -> AzError {
    AzError::new(
        400,
        "InvalidMetadata",
        "The metadata specified is invalid. It has characters that are not permitted.",
    )
}

/// Whether two metadata sets are equal, names compared without regard to case (as Azure
/// treats them: one name cannot be set twice in two spellings).
fn same_metadata(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> bool {
    a.len() == b.len() && folded(a) == folded(b)
}

/// Metadata in Azure's order: by name without regard to case (`Capital, foo, meta, UPPER`,
/// as the .NET SDK's recording of List Queues shows), compared upper-cased as .NET's
/// `OrdinalIgnoreCase` does, so `_` sorts after the letters.
fn in_name_order(m: &BTreeMap<String, String>) -> Vec<(&String, &String)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by_cached_key(|(k, _)| k.to_ascii_uppercase());
    v
}

fn folded(m: &BTreeMap<String, String>) -> Vec<(String, &String)> {
    let mut v: Vec<_> = m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    v.sort();
    v
}

/// `include` of List Queues: `metadata` is its only value (Azure refuses any other with 400
/// `InvalidQueryParameterValue` instead of ignoring it).
fn include_metadata(include: Option<&str>) -> AzResult<bool> {
    let Some(include) = include else {
        return Ok(false);
    };
    let mut with_meta = false;
    for part in include.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !part.eq_ignore_ascii_case("metadata") {
            return Err(AzError::invalid_query(
                "include",
                include,
                "Only metadata can be included when listing queues",
            ));
        }
        with_meta = true;
    }
    Ok(with_meta)
}

/// A name ordered just before `name`, so that listing strictly after it starts at `name`
/// itself: the last character stepped down one, then U+10FFFF, the greatest character (no queue
/// name of any dialect holds it, so nothing lies between the two). `name` itself when it
/// cannot be stepped down (empty, or ending in U+0000 or just after the surrogate gap).
fn just_before(name: &str) -> String {
    let mut chars = name.chars();
    let stepped = chars
        .next_back()
        .and_then(|last| char::from_u32(u32::from(last).checked_sub(1)?));
    match stepped {
        Some(c) => format!("{}{c}\u{10FFFF}", chars.as_str()),
        None => name.to_string(),
    }
}

fn message_count(info: &QueueInfo) -> u64 {
    info.stats.visible + info.stats.in_flight + info.stats.delayed
}

impl AzureDialect {
    pub(crate) async fn list_queues(&self, ctx: &Ctx) -> AzResult<Reply> {
        let prefix = ctx.q("prefix").unwrap_or("");
        let max = match ctx.q("maxresults") {
            None => MAX_RESULTS,
            Some(v) => {
                let n: i64 = v
                    .parse()
                    .map_err(|_| AzError::invalid_query("maxresults", v, "Not a number"))?;
                if n < 1 {
                    return Err(AzError::out_of_range(
                        "maxresults",
                        v,
                        1,
                        MAX_RESULTS as i64,
                    ));
                }
                (n as usize).min(MAX_RESULTS)
            }
        };
        // Azure's marker names the first queue of the page (`NextMarker` is the queue after
        // the last one returned, recorded in the Java SDK's suite), so the listing starts at
        // it, inclusive; the core lists strictly after a name.
        let account_prefix = format!("/{}/", ctx.account);
        // A marker is `/{account}/{queue}` (what `NextMarker` gives); anything else is refused
        // as Azure does (the .NET SDK's recording of a `marker=garbage` listing).
        let start = match ctx.q("marker").filter(|m| !m.is_empty()) {
            None => None,
            Some(m) => Some(m.strip_prefix(&account_prefix).ok_or_else(|| {
                AzError::new(
                    400,
                    "OutOfRangeInput",
                    "One of the request inputs is out of range.",
                )
            })?),
        };
        let start_after = start.map(just_before);
        let mut queues = self
            .service
            .list_queues(prefix, start_after.as_deref(), max + 1)
            .await?;
        let next = if queues.len() > max {
            queues
                .drain(max..)
                .next()
                .map(|q| format!("{account_prefix}{}", q.name))
        } else {
            None
        };
        let with_meta = include_metadata(ctx.q("include"))?;
        let mut out = String::from(DECL);
        out.push_str(&format!(
            "<EnumerationResults ServiceEndpoint=\"{}\">",
            crate::xml::escape(&ctx.endpoint)
        ));
        if let Some(p) = ctx.q("prefix") {
            elem(&mut out, "Prefix", p);
        }
        if let Some(m) = ctx.q("marker") {
            elem(&mut out, "Marker", m);
        }
        if let Some(m) = ctx.q("maxresults") {
            elem(&mut out, "MaxResults", m);
        }
        out.push_str(if queues.is_empty() {
            "<Queues />"
        } else {
            "<Queues>"
        });
        for q in &queues {
            out.push_str("<Queue>");
            elem(&mut out, "Name", &q.name);
            if with_meta && q.config.metadata.is_empty() {
                out.push_str("<Metadata />");
            } else if with_meta {
                out.push_str("<Metadata>");
                for (k, v) in in_name_order(&q.config.metadata) {
                    elem(&mut out, k, v);
                }
                out.push_str("</Metadata>");
            }
            out.push_str("</Queue>");
        }
        if !queues.is_empty() {
            out.push_str("</Queues>");
        }
        match next {
            Some(n) => elem(&mut out, "NextMarker", &n),
            None => out.push_str("<NextMarker />"),
        }
        out.push_str("</EnumerationResults>");
        Ok(Reply::xml(200, out))
    }

    pub(crate) async fn create_queue(&self, ctx: &Ctx, req: &Request) -> AzResult<Reply> {
        let metadata = metadata_from_headers(req)?;
        let config = QueueConfig {
            visibility_timeout: 30,
            max_message_size: 65_536,
            retention_seconds: SEVEN_DAYS,
            metadata: metadata.clone(),
            ..QueueConfig::default()
        };
        match self.service.create_queue(&ctx.queue, config).await? {
            CreateOutcome::Created(_) => Ok(Reply::empty(201)),
            CreateOutcome::Exists(info) if same_metadata(&info.config.metadata, &metadata) => {
                Ok(Reply::empty(204))
            }
            CreateOutcome::Exists(_) => Err(AzError::new(
                409,
                "QueueAlreadyExists",
                "The specified queue already exists.",
            )),
        }
    }

    pub(crate) async fn delete_queue(&self, ctx: &Ctx) -> AzResult<Reply> {
        self.service.delete_queue(&ctx.queue).await?;
        Ok(Reply::empty(204))
    }

    pub(crate) async fn get_metadata(&self, ctx: &Ctx) -> AzResult<Reply> {
        let info = self.service.get_queue(&ctx.queue).await?;
        let mut reply = Reply::empty(200).header(
            "x-ms-approximate-messages-count",
            message_count(&info).to_string(),
        );
        for (k, v) in in_name_order(&info.config.metadata) {
            reply = reply.header(format!("x-ms-meta-{k}"), v.clone());
        }
        Ok(reply.header("Cache-Control", "no-cache"))
    }

    pub(crate) async fn set_metadata(&self, ctx: &Ctx, req: &Request) -> AzResult<Reply> {
        let metadata = metadata_from_headers(req)?;
        self.service
            .update_queue(
                &ctx.queue,
                Box::new(move |c| {
                    c.metadata = metadata;
                    Ok(())
                }),
            )
            .await?;
        Ok(Reply::empty(204))
    }

    pub(crate) async fn get_acl(&self, ctx: &Ctx) -> AzResult<Reply> {
        let info = self.service.get_queue(&ctx.queue).await?;
        let ids = acl::from_extra(info.config.extras.get(acl::EXTRAS_KEY));
        Ok(Reply::xml(200, acl::render(&ids)))
    }

    pub(crate) async fn set_acl(&self, ctx: &Ctx, req: &Request) -> AzResult<Reply> {
        let ids = acl::parse(&req.body)?;
        let text = acl::to_extra(&ids);
        self.service
            .update_queue(
                &ctx.queue,
                Box::new(move |c| {
                    if ids.is_empty() {
                        c.extras.remove(acl::EXTRAS_KEY);
                    } else {
                        c.extras.insert(acl::EXTRAS_KEY.into(), text);
                    }
                    Ok(())
                }),
            )
            .await?;
        Ok(Reply::empty(204))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_listed_by_name_without_regard_to_case() {
        let m: BTreeMap<String, String> = ["meta", "UPPER", "_x", "Capital", "foo"]
            .iter()
            .map(|k| (k.to_string(), String::new()))
            .collect();
        let order: Vec<&str> = in_name_order(&m).iter().map(|(k, _)| k.as_str()).collect();
        // As .NET's OrdinalIgnoreCase orders them: upper-cased, so `_` after the letters.
        assert_eq!(order, ["Capital", "foo", "meta", "UPPER", "_x"]);
    }

    #[test]
    fn just_before_orders_between_the_name_and_its_predecessors() {
        let b = just_before("queue2");
        assert!(b.as_str() < "queue2" && b.as_str() > "queue1");
        assert!(b.as_str() > "queue1-with-a-long-tail");
        assert_eq!(just_before(""), "");
        assert!(just_before("a").as_str() < "a" && just_before("a").as_str() > "`zzz");
    }
}
