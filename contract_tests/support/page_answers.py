"""The answers that the vendor's lifecycle pages show, verbatim, for tests of the models that read them."""

from __future__ import annotations

from typing import Any

# Querying Asynchronous Invocation Requests, 200.
PAGE_RUN: dict[str, Any] = {
    "request_id": "403fcbd6-ec41-401f-9fa7-386f3d3d****",
    "status": "SUCCESS",
    "error_message": "",
    "start_time": "2019-10-25T15:37:27",
    "end_time": "2019-10-25T15:37:27",
    "error_code": 0,
}
PAGE_LIST: dict[str, Any] = {"invocations": [PAGE_RUN]}
# Configuring / Querying Asynchronous Execution Notification, 200.
TARGET_URN = "urn:fss:{region}:5691ba790e2b46ceb38316xxxxxxxxxx:function:default:testPython:latest"
DESTINATION: dict[str, Any] = {"destination": "FunctionGraph", "param": '{"func_urn":"' + TARGET_URN + '"}'}
PAGE_CONFIG: dict[str, Any] = {
    "func_urn": "urn:fss:xxxxxxxxx:7aad83af3e8d42e99ac194xxxxxxxxxx:function:default:test:latest",
    "max_async_event_age_in_seconds": 60,
    "max_async_retry_attempts": 1,
    "destination_config": {"on_success": DESTINATION, "on_failure": DESTINATION},
    "created_time": "2021-03-04T14:50:02+08:00",
    "last_modified": "2021-03-04 14:50:02",
}
