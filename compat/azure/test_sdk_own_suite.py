"""Findings from running azure-storage-queue's own test suite (12.18.1, tests/) live against
polyq and comparing polyq's answers with that suite's recordings of the live service."""
from azure.storage.queue import CorsRule


def _vary(captured):
    def hook(response):
        captured.append(response.http_response.headers.get("Vary"))

    return hook


def test_vary_origin_is_only_on_get_and_head_answers(service, queue):
    # The recordings were made on an account with CORS rules: the Get Messages answer says
    # "Vary: Origin", the Create Queue and Put Message answers beside it say nothing.
    service.set_service_properties(cors=[CorsRule(["http://shop.example"], ["GET", "PUT", "POST", "DELETE"])])
    try:
        writes, reads = [], []
        queue.send_message("hello", raw_response_hook=_vary(writes))
        queue.set_queue_metadata({"k": "v"}, raw_response_hook=_vary(writes))
        queue.peek_messages(raw_response_hook=_vary(reads))
        queue.get_queue_properties(raw_response_hook=_vary(reads))
        queue.clear_messages(raw_response_hook=_vary(writes))
        assert writes == [None, None, None]
        assert reads == ["Origin", "Origin"]
    finally:
        service.set_service_properties(cors=[])
