//! The two wire forms this crate serves: MNS 2015-06-06 and its predecessor MQS 2014-07-08.
//! They share every operation and differ only in path prefix, header prefix, namespace,
//! Authorization scheme and one response root (ChangeMessageVisibility).

use polyq_http::Request;

/// Which vendor generation a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `x-mns-version: 2015-06-06`, paths under `/queues`, `Authorization: MNS …`.
    Mns2015,
    /// `x-mqs-version: 2014-07-08`, paths without a prefix, `Authorization: MQS …`.
    Mqs2014,
}

/// Namespace of MNS response documents. The docs print it with a trailing slash, but the Java
/// SDK parses `<Error>` with JAXB against exactly this URI and real responses carry no slash;
/// the Python, Go and PHP SDKs ignore namespaces on input.
pub const MNS_NAMESPACE: &str = "http://mns.aliyuncs.com/doc/v1";
/// Namespace of MQS responses as documented (no maintained client checks it).
pub const MQS_NAMESPACE: &str = "http://mqs.aliyuncs.com/doc/v1/";

impl Form {
    /// The form a request speaks: MQS when it says so by version header or Authorization
    /// scheme (and does not also carry the MNS version header), otherwise MNS.
    pub fn of(req: &Request) -> Form {
        if req.headers.contains_key("x-mns-version") {
            return Form::Mns2015;
        }
        let mqs_auth = req
            .header("authorization")
            .is_some_and(|a| a.starts_with("MQS "));
        if req.headers.contains_key("x-mqs-version") || mqs_auth {
            Form::Mqs2014
        } else {
            Form::Mns2015
        }
    }

    /// Prefix of the vendor headers (`x-mns-prefix`, `x-mns-request-id`, …).
    pub fn header_prefix(self) -> &'static str {
        match self {
            Form::Mns2015 => "x-mns-",
            Form::Mqs2014 => "x-mqs-",
        }
    }

    pub fn header(self, suffix: &str) -> String {
        format!("{}{suffix}", self.header_prefix())
    }

    pub fn namespace(self) -> &'static str {
        match self {
            Form::Mns2015 => MNS_NAMESPACE,
            Form::Mqs2014 => MQS_NAMESPACE,
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Form::Mns2015 => "2015-06-06",
            Form::Mqs2014 => "2014-07-08",
        }
    }

    pub fn server(self) -> &'static str {
        match self {
            Form::Mns2015 => "AliyunMNS",
            Form::Mqs2014 => "AliyunMQS",
        }
    }

    /// Path of the queue collection: `/queues` for MNS, the root for MQS.
    pub fn queues_path(self) -> &'static str {
        match self {
            Form::Mns2015 => "/queues",
            Form::Mqs2014 => "",
        }
    }

    /// Root element of the ChangeMessageVisibility answer (the MQS doc example uses `Message`).
    pub fn change_visibility_root(self) -> &'static str {
        match self {
            Form::Mns2015 => "ChangeVisibility",
            Form::Mqs2014 => "Message",
        }
    }
}
