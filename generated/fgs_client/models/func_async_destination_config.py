from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.func_destination_config import FuncDestinationConfig


T = TypeVar("T", bound="FuncAsyncDestinationConfig")


@_attrs_define
class FuncAsyncDestinationConfig:
    """Where the outcome of a run is reported.

    Attributes:
        on_success (FuncDestinationConfig | Unset): One destination.
        on_failure (FuncDestinationConfig | Unset): One destination.
    """

    on_success: FuncDestinationConfig | Unset = UNSET
    on_failure: FuncDestinationConfig | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        on_success: dict[str, Any] | Unset = UNSET
        if not isinstance(self.on_success, Unset):
            on_success = self.on_success.to_dict()

        on_failure: dict[str, Any] | Unset = UNSET
        if not isinstance(self.on_failure, Unset):
            on_failure = self.on_failure.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if on_success is not UNSET:
            field_dict["on_success"] = on_success
        if on_failure is not UNSET:
            field_dict["on_failure"] = on_failure

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.func_destination_config import FuncDestinationConfig  # noqa: PLC0415

        d = dict(src_dict)
        _on_success = d.pop("on_success", UNSET)
        on_success: FuncDestinationConfig | Unset
        if isinstance(_on_success, Unset):
            on_success = UNSET
        else:
            on_success = FuncDestinationConfig.from_dict(_on_success)

        _on_failure = d.pop("on_failure", UNSET)
        on_failure: FuncDestinationConfig | Unset
        if isinstance(_on_failure, Unset):
            on_failure = UNSET
        else:
            on_failure = FuncDestinationConfig.from_dict(_on_failure)

        func_async_destination_config = cls(
            on_success=on_success,
            on_failure=on_failure,
        )

        func_async_destination_config.additional_properties = d
        return func_async_destination_config

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
