//! The account-level stubs: OpenService (`POST /commonbuy/openservice`, called by the SDKs'
//! open-service samples) answers with an `OrderId`; other methods on it are not operations.

mod common;

use common::{start_dev, Form};

#[tokio::test]
async fn open_service_answers_with_an_order_id() {
    let s = start_dev().await;
    for form in [Form::Mns, Form::Mqs] {
        let r = s.req(form, "POST", "/commonbuy/openservice", "").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("<OpenService xmlns="), "{}", r.body);
        let order = r.field("OrderId").unwrap_or_default();
        assert!(!order.is_empty());
        assert_eq!(Some(order.as_str()), r.header("x-mns-request-id"));
        let r = s.req(form, "GET", "/commonbuy/openservice", "").await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("InvalidRequestURL"))
        );
    }
}
