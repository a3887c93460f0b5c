from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.async_invocation import AsyncInvocation


T = TypeVar("T", bound="AsyncInvocationList")


@_attrs_define
class AsyncInvocationList:
    """Body of the query's 200. Only invocations is required: the page's own example carries neither count nor next_marker.

    Attributes:
        invocations (list[AsyncInvocation]): The runs on this page.
        count (int | Unset): How many records matched the query in all.
        next_marker (int | Unset): Where the next page starts; pass it as marker.
    """

    invocations: list[AsyncInvocation]
    count: int | Unset = UNSET
    next_marker: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        invocations = []
        for invocations_item_data in self.invocations:
            invocations_item = invocations_item_data.to_dict()
            invocations.append(invocations_item)

        count = self.count

        next_marker = self.next_marker

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "invocations": invocations,
            }
        )
        if count is not UNSET:
            field_dict["count"] = count
        if next_marker is not UNSET:
            field_dict["next_marker"] = next_marker

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.async_invocation import AsyncInvocation  # noqa: PLC0415

        d = dict(src_dict)
        invocations = []
        _invocations = d.pop("invocations")
        for invocations_item_data in _invocations:
            invocations_item = AsyncInvocation.from_dict(invocations_item_data)

            invocations.append(invocations_item)

        count = d.pop("count", UNSET)

        next_marker = d.pop("next_marker", UNSET)

        async_invocation_list = cls(
            invocations=invocations,
            count=count,
            next_marker=next_marker,
        )

        async_invocation_list.additional_properties = d
        return async_invocation_list

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
