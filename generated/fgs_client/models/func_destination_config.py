from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.func_destination_config_destination import (
    FuncDestinationConfigDestination,
    check_func_destination_config_destination,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="FuncDestinationConfig")


@_attrs_define
class FuncDestinationConfig:
    """One destination.

    Attributes:
        destination (FuncDestinationConfigDestination | Unset): The kind of service that receives the report.
        param (str | Unset): The destination's parameters as a JSON document in a string: for OBS the bucket, object
            prefix and expiry (0 to 365 days, 0 never); for SMN its topic_urn; for FunctionGraph its func_urn.
    """

    destination: FuncDestinationConfigDestination | Unset = UNSET
    param: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        destination: str | Unset = UNSET
        if not isinstance(self.destination, Unset):
            destination = self.destination

        param = self.param

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if destination is not UNSET:
            field_dict["destination"] = destination
        if param is not UNSET:
            field_dict["param"] = param

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _destination = d.pop("destination", UNSET)
        destination: FuncDestinationConfigDestination | Unset
        if isinstance(_destination, Unset):
            destination = UNSET
        else:
            destination = check_func_destination_config_destination(_destination)

        param = d.pop("param", UNSET)

        func_destination_config = cls(
            destination=destination,
            param=param,
        )

        func_destination_config.additional_properties = d
        return func_destination_config

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
