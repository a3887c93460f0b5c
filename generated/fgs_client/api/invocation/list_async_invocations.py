from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.async_invocation_list import AsyncInvocationList
from ...models.error_response import ErrorResponse
from ...models.list_async_invocations_status import (
    ListAsyncInvocationsStatus,
)
from ...types import UNSET, Response, Unset


def _get_kwargs(
    project_id: str,
    function_urn: str,
    *,
    request_id: str | Unset = UNSET,
    marker: str | Unset = "0",
    limit: str | Unset = "100",
    status: ListAsyncInvocationsStatus | Unset = UNSET,
    query_begin_time: str | Unset = UNSET,
    query_end_time: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["request_id"] = request_id

    params["marker"] = marker

    params["limit"] = limit

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status

    params["status"] = json_status

    params["query_begin_time"] = query_begin_time

    params["query_end_time"] = query_end_time

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v2/{project_id}/fgs/functions/{function_urn}/async-invocations".format(
            project_id=quote(str(project_id), safe=""),
            function_urn=quote(str(function_urn), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AsyncInvocationList | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = AsyncInvocationList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[AsyncInvocationList | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    project_id: str,
    function_urn: str,
    *,
    client: AuthenticatedClient,
    request_id: str | Unset = UNSET,
    marker: str | Unset = "0",
    limit: str | Unset = "100",
    status: ListAsyncInvocationsStatus | Unset = UNSET,
    query_begin_time: str | Unset = UNSET,
    query_end_time: str | Unset = UNSET,
) -> Response[AsyncInvocationList | ErrorResponse]:
    """Query asynchronous runs

     Lists the function's asynchronous runs, newest first, filtered by request_id, status and time
    window, one page at a time: pass the answer's next_marker as the next request's marker. The window
    defaults to the last hour.

    Args:
        project_id (str):
        function_urn (str):
        request_id (str | Unset):
        marker (str | Unset):  Default: '0'.
        limit (str | Unset):  Default: '100'.
        status (ListAsyncInvocationsStatus | Unset):
        query_begin_time (str | Unset):
        query_end_time (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AsyncInvocationList | ErrorResponse]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        function_urn=function_urn,
        request_id=request_id,
        marker=marker,
        limit=limit,
        status=status,
        query_begin_time=query_begin_time,
        query_end_time=query_end_time,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    project_id: str,
    function_urn: str,
    *,
    client: AuthenticatedClient,
    request_id: str | Unset = UNSET,
    marker: str | Unset = "0",
    limit: str | Unset = "100",
    status: ListAsyncInvocationsStatus | Unset = UNSET,
    query_begin_time: str | Unset = UNSET,
    query_end_time: str | Unset = UNSET,
) -> AsyncInvocationList | ErrorResponse | None:
    """Query asynchronous runs

     Lists the function's asynchronous runs, newest first, filtered by request_id, status and time
    window, one page at a time: pass the answer's next_marker as the next request's marker. The window
    defaults to the last hour.

    Args:
        project_id (str):
        function_urn (str):
        request_id (str | Unset):
        marker (str | Unset):  Default: '0'.
        limit (str | Unset):  Default: '100'.
        status (ListAsyncInvocationsStatus | Unset):
        query_begin_time (str | Unset):
        query_end_time (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AsyncInvocationList | ErrorResponse
    """

    return sync_detailed(
        project_id=project_id,
        function_urn=function_urn,
        client=client,
        request_id=request_id,
        marker=marker,
        limit=limit,
        status=status,
        query_begin_time=query_begin_time,
        query_end_time=query_end_time,
    ).parsed


async def asyncio_detailed(
    project_id: str,
    function_urn: str,
    *,
    client: AuthenticatedClient,
    request_id: str | Unset = UNSET,
    marker: str | Unset = "0",
    limit: str | Unset = "100",
    status: ListAsyncInvocationsStatus | Unset = UNSET,
    query_begin_time: str | Unset = UNSET,
    query_end_time: str | Unset = UNSET,
) -> Response[AsyncInvocationList | ErrorResponse]:
    """Query asynchronous runs

     Lists the function's asynchronous runs, newest first, filtered by request_id, status and time
    window, one page at a time: pass the answer's next_marker as the next request's marker. The window
    defaults to the last hour.

    Args:
        project_id (str):
        function_urn (str):
        request_id (str | Unset):
        marker (str | Unset):  Default: '0'.
        limit (str | Unset):  Default: '100'.
        status (ListAsyncInvocationsStatus | Unset):
        query_begin_time (str | Unset):
        query_end_time (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AsyncInvocationList | ErrorResponse]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        function_urn=function_urn,
        request_id=request_id,
        marker=marker,
        limit=limit,
        status=status,
        query_begin_time=query_begin_time,
        query_end_time=query_end_time,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    project_id: str,
    function_urn: str,
    *,
    client: AuthenticatedClient,
    request_id: str | Unset = UNSET,
    marker: str | Unset = "0",
    limit: str | Unset = "100",
    status: ListAsyncInvocationsStatus | Unset = UNSET,
    query_begin_time: str | Unset = UNSET,
    query_end_time: str | Unset = UNSET,
) -> AsyncInvocationList | ErrorResponse | None:
    """Query asynchronous runs

     Lists the function's asynchronous runs, newest first, filtered by request_id, status and time
    window, one page at a time: pass the answer's next_marker as the next request's marker. The window
    defaults to the last hour.

    Args:
        project_id (str):
        function_urn (str):
        request_id (str | Unset):
        marker (str | Unset):  Default: '0'.
        limit (str | Unset):  Default: '100'.
        status (ListAsyncInvocationsStatus | Unset):
        query_begin_time (str | Unset):
        query_end_time (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AsyncInvocationList | ErrorResponse
    """

    return (
        await asyncio_detailed(
            project_id=project_id,
            function_urn=function_urn,
            client=client,
            request_id=request_id,
            marker=marker,
            limit=limit,
            status=status,
            query_begin_time=query_begin_time,
            query_end_time=query_end_time,
        )
    ).parsed
