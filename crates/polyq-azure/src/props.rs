//! Queue service properties (logging, hour/minute metrics, CORS) per account, kept in the
//! dialect's memory, and the CORS rules applied to responses and preflight requests.

use crate::error::{AzError, AzResult};
use crate::retention;
use crate::xml::{self, elem, Node, DECL};

const DEFAULT_LOGGING: &str = "<Logging><Version>1.0</Version><Read>false</Read><Write>false</Write><Delete>false</Delete><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></Logging>";
const DEFAULT_HOUR: &str = "<HourMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics>";
const DEFAULT_MINUTE: &str = "<MinuteMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></MinuteMetrics>";
const MAX_CORS_RULES: usize = 5;
/// Methods a CORS rule may allow; PATCH too (the JS SDK's 2026 recording of the live service
/// stores a rule with it).
const CORS_METHODS: [&str; 8] = [
    "DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRule {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub max_age: u64,
}

/// One account's settings. Logging and metrics are kept verbatim (polyq does not log or meter
/// per Azure's schema, but clients read back what they set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProps {
    logging: Node,
    hour_metrics: Node,
    minute_metrics: Node,
    pub cors: Vec<CorsRule>,
}

impl Default for ServiceProps {
    fn default() -> Self {
        let node = |s: &str| xml::parse(s.as_bytes()).expect("default XML is well-formed");
        ServiceProps {
            logging: node(DEFAULT_LOGGING),
            hour_metrics: node(DEFAULT_HOUR),
            minute_metrics: node(DEFAULT_MINUTE),
            cors: Vec::new(),
        }
    }
}

/// Child order of the sections as Azure answers them, whatever order they were set in
/// (recorded in the SDKs' suites: `Version, Read, Write, Delete` although the docs' example
/// lists Delete first).
const LOGGING_ORDER: &[&str] = &["Version", "Read", "Write", "Delete", "RetentionPolicy"];
const METRICS_ORDER: &[&str] = &["Version", "Enabled", "IncludeAPIs", "RetentionPolicy"];
const RETENTION_ORDER: &[&str] = &["Enabled", "Days"];

/// `section` with its children (and its `RetentionPolicy`'s) in `order`; unknown ones after,
/// as they came.
fn in_azure_order(section: &Node, order: &[&str]) -> Node {
    let rank = |n: &Node, order: &[&str]| {
        order
            .iter()
            .position(|o| *o == n.name)
            .unwrap_or(order.len())
    };
    let mut out = section.clone();
    out.children.sort_by_key(|c| rank(c, order));
    for c in &mut out.children {
        if c.name == "RetentionPolicy" {
            c.children.sort_by_key(|g| rank(g, RETENTION_ORDER));
        }
    }
    out
}

fn list(text: Option<&str>) -> Vec<String> {
    text.unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Header names before prefixes (`x-ms-meta-data*`), each kept in the order given: how Azure
/// stores and answers them (the Go SDK's recording of `x-ms-meta-data*,x-ms-meta-target*,
/// x-ms-meta-xyz,x-ms-meta-foo` comes back as `x-ms-meta-xyz,x-ms-meta-foo,x-ms-meta-data*,
/// x-ms-meta-target*`).
fn literals_first(headers: Vec<String>) -> Vec<String> {
    let (literals, prefixes): (Vec<String>, Vec<String>) =
        headers.into_iter().partition(|h| !h.ends_with('*'));
    literals.into_iter().chain(prefixes).collect()
}

fn parse_rule(node: &Node) -> AzResult<CorsRule> {
    let rule = CorsRule {
        origins: list(node.child_text("AllowedOrigins")),
        methods: list(node.child_text("AllowedMethods")),
        allowed_headers: literals_first(list(node.child_text("AllowedHeaders"))),
        exposed_headers: literals_first(list(node.child_text("ExposedHeaders"))),
        max_age: node
            .child_text("MaxAgeInSeconds")
            .unwrap_or("0")
            .trim()
            .parse()
            .map_err(|_| AzError::invalid_xml())?,
    };
    let bad_method = rule
        .methods
        .iter()
        .any(|m| !CORS_METHODS.contains(&m.as_str()));
    if rule.origins.is_empty() || rule.methods.is_empty() || bad_method {
        return Err(AzError::invalid_xml());
    }
    Ok(rule)
}

impl ServiceProps {
    /// Applies a Set Queue Service Properties body: elements left out keep their values.
    pub fn apply(&mut self, body: &[u8]) -> AzResult<()> {
        self.apply_with(body, true)
    }

    /// Reads back a document this module stored: as `apply`, but flags an older polyq kept as
    /// sent (`1`, `yes`) stay as they are rather than losing the whole document.
    pub fn restore(&mut self, document: &[u8]) -> AzResult<()> {
        self.apply_with(document, false)
    }

    fn apply_with(&mut self, body: &[u8], strict_flags: bool) -> AzResult<()> {
        let root = xml::parse(body).ok_or_else(AzError::invalid_xml)?;
        if root.name != "StorageServiceProperties" {
            return Err(AzError::invalid_xml());
        }
        let mut next = self.clone();
        let text = String::from_utf8_lossy(body);
        for name in ["Logging", "HourMetrics", "MinuteMetrics"] {
            if let Some(n) = root.child(name) {
                // Within this section only: another section's `Days` is not this one's.
                let start = text.find(&format!("<{name}>")).unwrap_or(0);
                let end = text[start..]
                    .find(&format!("</{name}>"))
                    .map_or(text.len(), |e| start + e);
                let at = xml::position_after_end_tag(&text[..end], start, "Days", 0);
                retention::check_section(n, at)?;
            }
        }
        let section = |n: &Node, order: &[&str]| -> AzResult<Node> {
            Ok(in_azure_order(
                &retention::with_plain_flags(n, strict_flags)?,
                order,
            ))
        };
        if let Some(n) = root.child("Logging") {
            next.logging = section(n, LOGGING_ORDER)?;
        }
        if let Some(n) = root.child("HourMetrics") {
            next.hour_metrics = section(n, METRICS_ORDER)?;
        }
        if let Some(n) = root.child("MinuteMetrics") {
            next.minute_metrics = section(n, METRICS_ORDER)?;
        }
        if let Some(n) = root.child("Cors") {
            let rules = n
                .children_named("CorsRule")
                .map(parse_rule)
                .collect::<AzResult<Vec<_>>>()?;
            if rules.len() > MAX_CORS_RULES {
                return Err(AzError::invalid_xml_unplaced());
            }
            next.cors = rules;
        }
        *self = next;
        Ok(())
    }

    pub fn render(&self) -> String {
        let mut out = String::from(DECL);
        out.push_str("<StorageServiceProperties>");
        self.logging.render(&mut out);
        self.hour_metrics.render(&mut out);
        self.minute_metrics.render(&mut out);
        // No rules: `<Cors />`, as Azure answers (recorded in the Go and Java SDK suites).
        out.push_str(if self.cors.is_empty() {
            "<Cors />"
        } else {
            "<Cors>"
        });
        for r in &self.cors {
            out.push_str("<CorsRule>");
            // Azure's order when it answers (not the schema's, nor the client's).
            elem(&mut out, "AllowedMethods", &r.methods.join(","));
            elem(&mut out, "AllowedOrigins", &r.origins.join(","));
            elem(&mut out, "AllowedHeaders", &r.allowed_headers.join(","));
            elem(&mut out, "ExposedHeaders", &r.exposed_headers.join(","));
            elem(&mut out, "MaxAgeInSeconds", &r.max_age.to_string());
            out.push_str("</CorsRule>");
        }
        if !self.cors.is_empty() {
            out.push_str("</Cors>");
        }
        out.push_str("</StorageServiceProperties>");
        out
    }

    /// The CORS headers of an actual (non-preflight) response, after Azure's table in "CORS
    /// support for Azure Storage": no rules → none; the first rule allowing the origin and
    /// method is `*` → `Access-Control-Allow-Origin: *` and the exposed headers, no `Vary`
    /// (also when the request has no `Origin`); an exact origin → that origin, credentials,
    /// the exposed headers and `Vary: Origin`; rules but no match → only `Vary: Origin`, so
    /// caches keep per-origin answers apart. `Vary` goes on GET and HEAD answers only: Azure
    /// leaves it off other methods, whose answers user agents do not cache (its CORS page says
    /// so, and the Python SDK's recordings show it on a Get Messages but not on the Create Queue
    /// and Put Message beside it).
    pub fn actual_response_headers(
        &self,
        origin: Option<&str>,
        method: &str,
    ) -> Vec<(String, String)> {
        let mut out = self.cors_headers(origin, method);
        if !(method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")) {
            out.retain(|(name, _)| name != "Vary");
        }
        out
    }

    /// The CORS headers of the first rule matching `origin` and `method`, `Vary` included.
    fn cors_headers(&self, origin: Option<&str>, method: &str) -> Vec<(String, String)> {
        if self.cors.is_empty() {
            return Vec::new();
        }
        let rule = self.cors.iter().find(|r| {
            r.origins
                .iter()
                .any(|o| o == "*" || origin.is_some_and(|origin| o.eq_ignore_ascii_case(origin)))
                && r.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
        });
        let Some(rule) = rule else {
            return vec![("Vary".into(), "Origin".into())];
        };
        let any_origin = rule.origins.iter().any(|o| o == "*");
        let mut out = allow_origin(rule, origin.unwrap_or("*"));
        if !rule.exposed_headers.is_empty() {
            out.push((
                "Access-Control-Expose-Headers".into(),
                rule.exposed_headers.join(","),
            ));
        }
        if !any_origin {
            out.push(("Vary".into(), "Origin".into()));
        }
        out
    }

    /// Answers a preflight: the headers to send, or 403 `CorsPreflightFailure`.
    pub fn preflight(
        &self,
        origin: &str,
        method: &str,
        request_headers: &str,
    ) -> AzResult<Vec<(String, String)>> {
        let wanted = list(Some(request_headers));
        let rule = self
            .cors
            .iter()
            .filter(|r| {
                r.origins
                    .iter()
                    .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
            })
            .filter(|r| r.methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
            .find(|r| wanted.iter().all(|h| header_allowed(&r.allowed_headers, h)));
        let Some(rule) = rule else {
            return Err(AzError::new(
                403,
                "CorsPreflightFailure",
                "CORS not enabled or no matching rule found for this request.",
            ));
        };
        // Preflight Queue Request: Allow-Origin "matches the Origin header of the request",
        // also under a `*` rule (unlike actual responses, which answer `*` there).
        let mut out = vec![("Access-Control-Allow-Origin".into(), origin.to_string())];
        if !rule.origins.iter().any(|o| o == "*") {
            out.push(("Access-Control-Allow-Credentials".into(), "true".into()));
        }
        out.push(("Access-Control-Allow-Methods".into(), method.to_string()));
        if !wanted.is_empty() {
            out.push((
                "Access-Control-Allow-Headers".into(),
                request_headers.to_string(),
            ));
        }
        out.push(("Access-Control-Max-Age".into(), rule.max_age.to_string()));
        Ok(out)
    }
}

fn allow_origin(rule: &CorsRule, origin: &str) -> Vec<(String, String)> {
    if rule.origins.iter().any(|o| o == "*") {
        vec![("Access-Control-Allow-Origin".into(), "*".into())]
    } else {
        vec![
            ("Access-Control-Allow-Origin".into(), origin.to_string()),
            ("Access-Control-Allow-Credentials".into(), "true".into()),
        ]
    }
}

/// An `Access-Control-Expose-Headers` value with `*` spelled out as the names of the answer
/// it goes on (`names`, in order). Azure answers so (the JS SDK's recordings list
/// `x-ms-request-id,x-ms-client-request-id,Server,…` for a rule exposing `*`), and browsers
/// need it: for a request with credentials (an exact-origin rule) a literal `*` exposes
/// nothing. Prefixes (`x-ms-*`) are passed on as they are, as the Python SDK's recordings show.
pub fn expand_exposed(list: &str, names: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let expanded: &[&str] = if entry == "*" { names } else { &[entry] };
        for name in expanded {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                out.push(name);
            }
        }
    }
    out.join(",")
}

/// `*`, an exact name, or a prefix ending in `*` (`x-ms-meta*`), case-insensitive.
fn header_allowed(allowed: &[String], header: &str) -> bool {
    let header = header.to_ascii_lowercase();
    allowed.iter().any(|a| {
        let a = a.to_ascii_lowercase();
        match a.strip_suffix('*') {
            Some(prefix) => header.starts_with(prefix),
            None => a == header,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposed_wildcards_are_spelled_out() {
        let names = [
            "x-ms-request-id",
            "x-ms-version",
            "x-ms-meta-Color",
            "date",
            "content-length",
        ];
        assert_eq!(
            expand_exposed("*", &names),
            "x-ms-request-id,x-ms-version,x-ms-meta-Color,date,content-length"
        );
        assert_eq!(
            expand_exposed("x-ms-meta-*,x-ms-version,x-ms-custom", &names),
            "x-ms-meta-*,x-ms-version,x-ms-custom"
        );
        assert_eq!(
            expand_exposed("x-ms-custom,*", &["date"]),
            "x-ms-custom,date"
        );
    }

    #[test]
    fn patch_is_a_cors_method() {
        let mut p = ServiceProps::default();
        let body = "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>DELETE,GET,HEAD,MERGE,POST,OPTIONS,PUT,PATCH</AllowedMethods><AllowedHeaders>*</AllowedHeaders><ExposedHeaders>*</ExposedHeaders><MaxAgeInSeconds>86400</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>";
        p.apply(body.as_bytes()).unwrap();
        assert!(p.render().contains(
            "<AllowedMethods>DELETE,GET,HEAD,MERGE,POST,OPTIONS,PUT,PATCH</AllowedMethods>"
        ));
    }

    #[test]
    fn sections_come_back_in_azure_order() {
        let mut p = ServiceProps::default();
        let body = "<StorageServiceProperties><Logging><RetentionPolicy><Days>3</Days><Enabled>true</Enabled></RetentionPolicy><Delete>true</Delete><Version>1.0</Version><Write>false</Write><Read>true</Read></Logging><HourMetrics><IncludeAPIs>false</IncludeAPIs><Enabled>true</Enabled><Version>1.0</Version><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods><AllowedHeaders>a</AllowedHeaders><ExposedHeaders>b</ExposedHeaders><MaxAgeInSeconds>5</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>";
        p.apply(body.as_bytes()).unwrap();
        let xml = p.render();
        assert!(xml.contains("<Logging><Version>1.0</Version><Read>true</Read><Write>false</Write><Delete>true</Delete><RetentionPolicy><Enabled>true</Enabled><Days>3</Days></RetentionPolicy></Logging>"), "{xml}");
        assert!(xml.contains("<HourMetrics><Version>1.0</Version><Enabled>true</Enabled><IncludeAPIs>false</IncludeAPIs><RetentionPolicy>"), "{xml}");
        assert!(xml.contains("<CorsRule><AllowedMethods>GET</AllowedMethods><AllowedOrigins>*</AllowedOrigins><AllowedHeaders>a</AllowedHeaders><ExposedHeaders>b</ExposedHeaders><MaxAgeInSeconds>5</MaxAgeInSeconds></CorsRule>"), "{xml}");
        let go = "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods><AllowedHeaders>x-ms-meta-data*,x-ms-meta-target*,x-ms-meta-xyz,x-ms-meta-foo</AllowedHeaders><ExposedHeaders>x-ms-meta-data*,x-ms-meta-source*,x-ms-meta-abc,x-ms-meta-bcd</ExposedHeaders><MaxAgeInSeconds>5</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>";
        p.apply(go.as_bytes()).unwrap();
        let xml = p.render();
        assert!(xml.contains("<AllowedHeaders>x-ms-meta-xyz,x-ms-meta-foo,x-ms-meta-data*,x-ms-meta-target*</AllowedHeaders><ExposedHeaders>x-ms-meta-abc,x-ms-meta-bcd,x-ms-meta-data*,x-ms-meta-source*</ExposedHeaders>"), "{xml}");
    }

    const SET: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceProperties><Cors><CorsRule><AllowedOrigins>http://a.example,http://b.example</AllowedOrigins><AllowedMethods>GET,PUT</AllowedMethods><MaxAgeInSeconds>500</MaxAgeInSeconds><ExposedHeaders>x-ms-meta-data*</ExposedHeaders><AllowedHeaders>x-ms-meta-target*,x-ms-version</AllowedHeaders></CorsRule></Cors></StorageServiceProperties>";

    #[test]
    fn partial_set_keeps_other_elements() {
        let mut p = ServiceProps::default();
        p.apply(SET.as_bytes()).unwrap();
        let xml = p.render();
        assert!(xml.contains("<Logging><Version>1.0</Version><Read>false</Read>"));
        assert!(xml.contains("<AllowedOrigins>http://a.example,http://b.example</AllowedOrigins>"));
        let logging = "<StorageServiceProperties><Logging><Version>1.0</Version><Read>true</Read><Write>false</Write><Delete>false</Delete><RetentionPolicy><Enabled>true</Enabled><Days>7</Days></RetentionPolicy></Logging></StorageServiceProperties>";
        p.apply(logging.as_bytes()).unwrap();
        let xml = p.render();
        assert!(xml.contains("<Read>true</Read>") && xml.contains("<Days>7</Days>"));
        assert_eq!(p.cors.len(), 1, "CORS kept when the body leaves it out");
    }

    #[test]
    fn flags_come_back_in_lower_case_and_bad_ones_change_nothing() {
        // What azure-cli 2.35 sent; the live service answered `false` (its recordings).
        let mut p = ServiceProps::default();
        let old_cli = "<StorageServiceProperties><Logging><Version>1.0</Version><Delete>False</Delete><Read>True</Read><Write>False</Write><RetentionPolicy><Enabled>False</Enabled></RetentionPolicy></Logging></StorageServiceProperties>";
        p.apply(old_cli.as_bytes()).unwrap();
        let xml = p.render();
        assert!(xml.contains("<Logging><Version>1.0</Version><Read>true</Read><Write>false</Write><Delete>false</Delete><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></Logging>"), "{xml}");
        let bad = "<StorageServiceProperties><HourMetrics><Version>1.0</Version><Enabled>yes</Enabled></HourMetrics></StorageServiceProperties>";
        assert_eq!(
            p.apply(bad.as_bytes()).unwrap_err().code,
            "InvalidXmlDocument"
        );
        assert_eq!(p.render(), xml, "a refused body changes nothing");

        // A document an older polyq stored with such a flag is still read back, rules and all.
        let stored = format!(
            "<StorageServiceProperties><HourMetrics><Version>1.0</Version><Enabled>1</Enabled></HourMetrics><Cors>{}</Cors></StorageServiceProperties>",
            SET.split("<Cors>").nth(1).unwrap().split("</Cors>").next().unwrap()
        );
        let mut restored = ServiceProps::default();
        restored.restore(stored.as_bytes()).unwrap();
        assert_eq!(restored.cors.len(), 1);
        assert!(restored.render().contains("<Enabled>1</Enabled>"));
    }

    #[test]
    fn preflight_matches_origin_method_and_headers() {
        let mut p = ServiceProps::default();
        p.apply(SET.as_bytes()).unwrap();
        let h = p
            .preflight(
                "http://a.example",
                "PUT",
                "x-ms-meta-target-1, x-ms-version",
            )
            .unwrap();
        assert!(h.contains(&(
            "Access-Control-Allow-Origin".into(),
            "http://a.example".into()
        )));
        assert!(h.contains(&("Access-Control-Max-Age".into(), "500".into())));
        assert_eq!(
            p.preflight("http://c.example", "PUT", "").unwrap_err().code,
            "CorsPreflightFailure"
        );
        assert!(p.preflight("http://a.example", "DELETE", "").is_err());
        assert!(p.preflight("http://a.example", "GET", "x-other").is_err());
    }

    #[test]
    fn rejects_bad_rules() {
        let mut p = ServiceProps::default();
        let bad = SET.replace("GET,PUT", "GET,FETCH");
        assert_eq!(
            p.apply(bad.as_bytes()).unwrap_err().code,
            "InvalidXmlDocument"
        );
        let rule = "<CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods><MaxAgeInSeconds>1</MaxAgeInSeconds></CorsRule>";
        let six = format!(
            "<StorageServiceProperties><Cors>{}</Cors></StorageServiceProperties>",
            rule.repeat(6)
        );
        assert!(p.apply(six.as_bytes()).is_err());
        assert!(p.cors.is_empty());
    }
}
