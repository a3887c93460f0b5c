from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.async_invocation_status import (
    AsyncInvocationStatus,
    check_async_invocation_status,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="AsyncInvocation")


@_attrs_define
class AsyncInvocation:
    """One run. request_id and status are required, as a record without them says nothing; the other fields may be absent
    or null while the run has no outcome yet, and start_time, end_time and error_message may be the empty string, the
    pages' way of writing a value that is not there. A final run (SUCCESS, FAIL, DISCARD) has ended: its end_time is not
    "".

        Attributes:
            request_id (str): The request_id that the 202 gave.
            status (AsyncInvocationStatus): WAIT (queued), RUNNING, then SUCCESS or FAIL; DISCARD when the event aged out.
                SUCCESS, FAIL and DISCARD are final.
            error_message (None | str | Unset): Why the run failed; empty or absent on success.
            error_code (int | None | Unset): The run's error code, 0 on success. An integer, unlike the FSS.xxxx strings of
                error bodies.
            start_time (None | str | Unset): When a run started or ended, as a Timestamp; null, absent or the empty string
                while there is no such time yet.
            end_time (None | str | Unset): When a run started or ended, as a Timestamp; null, absent or the empty string
                while there is no such time yet.
    """

    request_id: str
    status: AsyncInvocationStatus
    error_message: None | str | Unset = UNSET
    error_code: int | None | Unset = UNSET
    start_time: None | str | Unset = UNSET
    end_time: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        request_id = self.request_id

        status: str = self.status

        error_message: None | str | Unset
        if isinstance(self.error_message, Unset):
            error_message = UNSET
        else:
            error_message = self.error_message

        error_code: int | None | Unset
        if isinstance(self.error_code, Unset):
            error_code = UNSET
        else:
            error_code = self.error_code

        start_time: None | str | Unset
        if isinstance(self.start_time, Unset):
            start_time = UNSET
        else:
            start_time = self.start_time

        end_time: None | str | Unset
        if isinstance(self.end_time, Unset):
            end_time = UNSET
        else:
            end_time = self.end_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "request_id": request_id,
                "status": status,
            }
        )
        if error_message is not UNSET:
            field_dict["error_message"] = error_message
        if error_code is not UNSET:
            field_dict["error_code"] = error_code
        if start_time is not UNSET:
            field_dict["start_time"] = start_time
        if end_time is not UNSET:
            field_dict["end_time"] = end_time

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        request_id = d.pop("request_id")

        status = check_async_invocation_status(d.pop("status"))

        def _parse_error_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error_message = _parse_error_message(d.pop("error_message", UNSET))

        def _parse_error_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        error_code = _parse_error_code(d.pop("error_code", UNSET))

        def _parse_start_time(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        start_time = _parse_start_time(d.pop("start_time", UNSET))

        def _parse_end_time(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        end_time = _parse_end_time(d.pop("end_time", UNSET))

        async_invocation = cls(
            request_id=request_id,
            status=status,
            error_message=error_message,
            error_code=error_code,
            start_time=start_time,
            end_time=end_time,
        )

        async_invocation.additional_properties = d
        return async_invocation

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
