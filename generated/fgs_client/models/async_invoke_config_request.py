from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.func_async_destination_config import FuncAsyncDestinationConfig


T = TypeVar("T", bound="AsyncInvokeConfigRequest")


@_attrs_define
class AsyncInvokeConfigRequest:
    """Body of the PUT. Every field is optional.

    Attributes:
        max_async_event_age_in_seconds (int | Unset): How long, in seconds, an event may wait before it is discarded.
            Default: 3600.
        max_async_retry_attempts (int | Unset): How many times a failed run is retried. Default: 1.
        destination_config (FuncAsyncDestinationConfig | Unset): Where the outcome of a run is reported.
        enable_async_status_log (bool | Unset): Whether run statuses are persisted.
    """

    max_async_event_age_in_seconds: int | Unset = 3600
    max_async_retry_attempts: int | Unset = 1
    destination_config: FuncAsyncDestinationConfig | Unset = UNSET
    enable_async_status_log: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        max_async_event_age_in_seconds = self.max_async_event_age_in_seconds

        max_async_retry_attempts = self.max_async_retry_attempts

        destination_config: dict[str, Any] | Unset = UNSET
        if not isinstance(self.destination_config, Unset):
            destination_config = self.destination_config.to_dict()

        enable_async_status_log = self.enable_async_status_log

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if max_async_event_age_in_seconds is not UNSET:
            field_dict["max_async_event_age_in_seconds"] = max_async_event_age_in_seconds
        if max_async_retry_attempts is not UNSET:
            field_dict["max_async_retry_attempts"] = max_async_retry_attempts
        if destination_config is not UNSET:
            field_dict["destination_config"] = destination_config
        if enable_async_status_log is not UNSET:
            field_dict["enable_async_status_log"] = enable_async_status_log

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.func_async_destination_config import FuncAsyncDestinationConfig  # noqa: PLC0415

        d = dict(src_dict)
        max_async_event_age_in_seconds = d.pop("max_async_event_age_in_seconds", UNSET)

        max_async_retry_attempts = d.pop("max_async_retry_attempts", UNSET)

        _destination_config = d.pop("destination_config", UNSET)
        destination_config: FuncAsyncDestinationConfig | Unset
        if isinstance(_destination_config, Unset):
            destination_config = UNSET
        else:
            destination_config = FuncAsyncDestinationConfig.from_dict(_destination_config)

        enable_async_status_log = d.pop("enable_async_status_log", UNSET)

        async_invoke_config_request = cls(
            max_async_event_age_in_seconds=max_async_event_age_in_seconds,
            max_async_retry_attempts=max_async_retry_attempts,
            destination_config=destination_config,
            enable_async_status_log=enable_async_status_log,
        )

        async_invoke_config_request.additional_properties = d
        return async_invoke_config_request

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
