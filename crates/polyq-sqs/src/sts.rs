//! STS `GetCallerIdentity`, the one call of another AWS service that SQS applications make as a
//! matter of course: they ask who they are to build queue ARNs, `QueueOwnerAWSAccountId` or
//! policy principals, with the same endpoint and credentials as their SQS client (boto3 and
//! the other SDKs send it, query protocol, to whatever `endpoint_url` they were given).
//!
//! polyq has one account per server, so every caller is that account's root.

use polyq_http::xml::escape;

use crate::names::{partition, Account};

/// The action name, as the query protocol sends it.
pub const GET_CALLER_IDENTITY: &str = "GetCallerIdentity";
const XML_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

fn root_arn(account: &Account) -> String {
    let id = &account.account_id;
    format!("arn:{}:iam::{id}:root", partition(&account.region))
}

/// The same document as JSON, for a request with `Accept: application/json` (as the SQS query
/// answers are; see `query::output_to_json`).
pub fn caller_identity_json(account: &Account, request_id: &str) -> String {
    serde_json::json!({"GetCallerIdentityResponse": {
        "GetCallerIdentityResult": {
            "Arn": root_arn(account),
            "UserId": account.account_id,
            "Account": account.account_id,
        },
        "ResponseMetadata": {"RequestId": request_id},
    }})
    .to_string()
}

/// The `GetCallerIdentityResponse` document: the configured account, its root user's ARN in
/// the partition of the region the client signs for, and the account id as the user id (what
/// STS answers for root credentials).
pub fn caller_identity_xml(account: &Account, request_id: &str) -> String {
    let id = &account.account_id;
    let arn = root_arn(account);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <GetCallerIdentityResponse xmlns=\"{XML_NAMESPACE}\">\
         <GetCallerIdentityResult>\
         <Arn>{arn}</Arn><UserId>{id}</UserId><Account>{id}</Account>\
         </GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>",
        arn = escape(&arn),
        id = escape(id),
        rid = escape(request_id),
    )
}
