"""Account-level operations: service properties (logging, metrics, CORS), stats, preflight."""
import os
import urllib.request

from azure.storage.queue import CorsRule, Metrics, QueueAnalyticsLogging, RetentionPolicy


def test_service_properties_round_trip(service):
    logging = QueueAnalyticsLogging(read=True, write=True, delete=False, retention_policy=RetentionPolicy(enabled=True, days=5))
    metrics = Metrics(enabled=True, include_apis=True, retention_policy=RetentionPolicy(enabled=True, days=3))
    cors = [CorsRule(["http://app.example"], ["GET", "PUT"], allowed_headers=["x-ms-meta-*"], exposed_headers=["x-ms-request-id"], max_age_in_seconds=60)]
    service.set_service_properties(analytics_logging=logging, hour_metrics=metrics, cors=cors)
    props = service.get_service_properties()
    assert props["analytics_logging"].read is True
    assert props["analytics_logging"].retention_policy.days == 5
    assert props["hour_metrics"].enabled is True
    assert props["minute_metrics"].enabled is False
    assert props["cors"][0].allowed_origins == "http://app.example"
    assert props["cors"][0].max_age_in_seconds == 60

    # Preflight and CORS headers on an actual response, with plain HTTP.
    base = f"http://127.0.0.1:{os.environ['POLYQ_AZURE_PORT']}/devstoreaccount1/anyqueue"
    req = urllib.request.Request(base, method="OPTIONS", headers={"Origin": "http://app.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-ms-meta-a"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
        assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"
        assert r.headers["Access-Control-Max-Age"] == "60"
    req = urllib.request.Request(base, method="OPTIONS", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"})
    try:
        urllib.request.urlopen(req)
        raise AssertionError("preflight from an unknown origin must fail")
    except urllib.error.HTTPError as e:
        assert e.code == 403
        assert e.headers["x-ms-error-code"] == "CorsPreflightFailure"
    service.set_service_properties(cors=[])
    assert service.get_service_properties()["cors"] == []


def test_service_stats(service):
    from azure.storage.queue import QueueServiceClient
    from conftest import CONN

    port = os.environ["POLYQ_AZURE_PORT"]
    from conftest import KEY, endpoint

    secondary = QueueServiceClient(
        endpoint(), credential={"account_name": "devstoreaccount1", "account_key": KEY}, secondary_hostname=f"127.0.0.1:{port}", retry_total=0
    )
    stats = secondary.get_service_stats()
    assert stats["geo_replication"]["status"] == "live"
