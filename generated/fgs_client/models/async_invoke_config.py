from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.func_async_destination_config import FuncAsyncDestinationConfig


T = TypeVar("T", bound="AsyncInvokeConfig")


@_attrs_define
class AsyncInvokeConfig:
    """Body of the config's 200, after PUT or GET. No field is required: the pages have no mandatory column for answers,
    and their example omits enable_async_status_log.

        Attributes:
            func_urn (str | Unset): URN of the function this configuration belongs to.
            max_async_event_age_in_seconds (int | Unset): How long, in seconds, an event may wait before it is discarded.
            max_async_retry_attempts (int | Unset): How many times a failed run is retried.
            destination_config (FuncAsyncDestinationConfig | Unset): Where the outcome of a run is reported.
            created_time (None | str | Unset): A UTC or offset date and time; null or absent when there is none yet.
            last_modified (None | str | Unset): A UTC or offset date and time; null or absent when there is none yet.
            enable_async_status_log (bool | Unset): Whether run statuses are persisted.
    """

    func_urn: str | Unset = UNSET
    max_async_event_age_in_seconds: int | Unset = UNSET
    max_async_retry_attempts: int | Unset = UNSET
    destination_config: FuncAsyncDestinationConfig | Unset = UNSET
    created_time: None | str | Unset = UNSET
    last_modified: None | str | Unset = UNSET
    enable_async_status_log: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        func_urn = self.func_urn

        max_async_event_age_in_seconds = self.max_async_event_age_in_seconds

        max_async_retry_attempts = self.max_async_retry_attempts

        destination_config: dict[str, Any] | Unset = UNSET
        if not isinstance(self.destination_config, Unset):
            destination_config = self.destination_config.to_dict()

        created_time: None | str | Unset
        if isinstance(self.created_time, Unset):
            created_time = UNSET
        else:
            created_time = self.created_time

        last_modified: None | str | Unset
        if isinstance(self.last_modified, Unset):
            last_modified = UNSET
        else:
            last_modified = self.last_modified

        enable_async_status_log = self.enable_async_status_log

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if func_urn is not UNSET:
            field_dict["func_urn"] = func_urn
        if max_async_event_age_in_seconds is not UNSET:
            field_dict["max_async_event_age_in_seconds"] = max_async_event_age_in_seconds
        if max_async_retry_attempts is not UNSET:
            field_dict["max_async_retry_attempts"] = max_async_retry_attempts
        if destination_config is not UNSET:
            field_dict["destination_config"] = destination_config
        if created_time is not UNSET:
            field_dict["created_time"] = created_time
        if last_modified is not UNSET:
            field_dict["last_modified"] = last_modified
        if enable_async_status_log is not UNSET:
            field_dict["enable_async_status_log"] = enable_async_status_log

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.func_async_destination_config import FuncAsyncDestinationConfig  # noqa: PLC0415

        d = dict(src_dict)
        func_urn = d.pop("func_urn", UNSET)

        max_async_event_age_in_seconds = d.pop("max_async_event_age_in_seconds", UNSET)

        max_async_retry_attempts = d.pop("max_async_retry_attempts", UNSET)

        _destination_config = d.pop("destination_config", UNSET)
        destination_config: FuncAsyncDestinationConfig | Unset
        if isinstance(_destination_config, Unset):
            destination_config = UNSET
        else:
            destination_config = FuncAsyncDestinationConfig.from_dict(_destination_config)

        def _parse_created_time(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        created_time = _parse_created_time(d.pop("created_time", UNSET))

        def _parse_last_modified(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_modified = _parse_last_modified(d.pop("last_modified", UNSET))

        enable_async_status_log = d.pop("enable_async_status_log", UNSET)

        async_invoke_config = cls(
            func_urn=func_urn,
            max_async_event_age_in_seconds=max_async_event_age_in_seconds,
            max_async_retry_attempts=max_async_retry_attempts,
            destination_config=destination_config,
            created_time=created_time,
            last_modified=last_modified,
            enable_async_status_log=enable_async_status_log,
        )

        async_invoke_config.additional_properties = d
        return async_invoke_config

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
