"""Conformance points from Azurite's queue suite and Microsoft's REST docs, through the Python
SDK: no anonymous access, preflight wording, the CORS headers of actual responses (Azure's
Vary / Allow-Origin table), and the visibility-timeout ranges of Put and Update Message."""
import os
import urllib.error
import urllib.request
import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.queue import CorsRule

from conftest import endpoint


def test_anonymous_requests_are_refused(service):
    # The Python SDK will not build a client without a credential, so raw HTTP stands in for
    # an application that lost its credential.
    name = "anon" + uuid.uuid4().hex[:12]
    req = urllib.request.Request(f"{endpoint()}/{name}", method="PUT", headers={"x-ms-version": "2021-08-06"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 401
    assert e.value.headers["x-ms-error-code"] == "NoAuthenticationInformation"
    assert e.value.headers["WWW-Authenticate"].startswith("Bearer")
    assert [q.name for q in service.list_queues(name_starts_with=name)] == []


def _preflight(headers):
    url = f"http://127.0.0.1:{os.environ['POLYQ_AZURE_PORT']}/devstoreaccount1/"
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS", headers=headers), timeout=10)
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()
    raise AssertionError("preflight must fail")


def _cors_headers(service, origin=None):
    seen = {}
    headers = {"Origin": origin} if origin else {}
    service.get_service_properties(headers=headers, raw_response_hook=lambda r: seen.update(r.http_response.headers))
    lower = {k.lower(): v for k, v in seen.items()}
    return lower.get("access-control-allow-origin"), lower.get("vary"), lower.get("access-control-expose-headers")


def test_cors_preflight_wording_and_actual_response_headers(service):
    try:
        service.set_service_properties(cors=[CorsRule(["exact.example"], ["GET"], exposed_headers=["x-ms-*"])])
        status, headers, body = _preflight({"Origin": "exact.example"})
        assert (status, headers["x-ms-error-code"]) == (400, "InvalidHeaderValue")
        assert "A required CORS header is not present." in body
        status, _, body = _preflight({"Origin": "other.example", "Access-Control-Request-Method": "GET"})
        assert status == 403 and "CORS not enabled or no matching rule found for this request." in body

        assert _cors_headers(service, "exact.example") == ("exact.example", "Origin", "x-ms-*")
        assert _cors_headers(service, "other.example") == (None, "Origin", None)
        assert _cors_headers(service) == (None, "Origin", None)

        service.set_service_properties(cors=[CorsRule(["*"], ["GET"], exposed_headers=["x-ms-*"])])
        assert _cors_headers(service, "any.example") == ("*", None, "x-ms-*")
        assert _cors_headers(service) == ("*", None, "x-ms-*")
    finally:
        service.set_service_properties(cors=[])
    assert _cors_headers(service, "any.example") == (None, None, None)


def test_visibility_timeout_ranges(queue):
    sent = queue.send_message("x")
    for vt in (-1, 604801):
        with pytest.raises(HttpResponseError) as e:
            queue.send_message("x", visibility_timeout=vt)
        assert e.value.error_code == "OutOfRangeQueryParameterValue"
        with pytest.raises(HttpResponseError) as e:
            queue.update_message(sent, visibility_timeout=vt)
        assert e.value.error_code == "OutOfRangeQueryParameterValue"
    with pytest.raises(HttpResponseError) as e:
        queue.send_message("x", time_to_live=30, visibility_timeout=30)
    assert e.value.error_code == "InvalidQueryParameterValue"
