from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.cancel_request import CancelRequest
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    project_id: str,
    function_urn: str,
    *,
    body: CancelRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v2/{project_id}/fgs/functions/{function_urn}/cancel".format(
            project_id=quote(str(project_id), safe=""),
            function_urn=quote(str(function_urn), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | None | None:
    if response.status_code == 200:
        response_200 = cast(None, response.json())
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
) -> Response[ErrorResponse | None]:
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
    body: CancelRequest,
) -> Response[ErrorResponse | None]:
    """Stop an asynchronous run

     Stops the run named by request_id. The page adds that the function's other concurrent requests are
    stopped too, and that they end with "4208 function invocation canceled".

    Args:
        project_id (str):
        function_urn (str):
        body (CancelRequest): Body of the cancel request. Undeclared keys are not refused, so a
            client that follows the page's prose and sends booleans ({"recursive": false, "force":
            true}) still sends a valid body.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | None]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        function_urn=function_urn,
        body=body,
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
    body: CancelRequest,
) -> ErrorResponse | None | None:
    """Stop an asynchronous run

     Stops the run named by request_id. The page adds that the function's other concurrent requests are
    stopped too, and that they end with "4208 function invocation canceled".

    Args:
        project_id (str):
        function_urn (str):
        body (CancelRequest): Body of the cancel request. Undeclared keys are not refused, so a
            client that follows the page's prose and sends booleans ({"recursive": false, "force":
            true}) still sends a valid body.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | None
    """

    return sync_detailed(
        project_id=project_id,
        function_urn=function_urn,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    project_id: str,
    function_urn: str,
    *,
    client: AuthenticatedClient,
    body: CancelRequest,
) -> Response[ErrorResponse | None]:
    """Stop an asynchronous run

     Stops the run named by request_id. The page adds that the function's other concurrent requests are
    stopped too, and that they end with "4208 function invocation canceled".

    Args:
        project_id (str):
        function_urn (str):
        body (CancelRequest): Body of the cancel request. Undeclared keys are not refused, so a
            client that follows the page's prose and sends booleans ({"recursive": false, "force":
            true}) still sends a valid body.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | None]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        function_urn=function_urn,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    project_id: str,
    function_urn: str,
    *,
    client: AuthenticatedClient,
    body: CancelRequest,
) -> ErrorResponse | None | None:
    """Stop an asynchronous run

     Stops the run named by request_id. The page adds that the function's other concurrent requests are
    stopped too, and that they end with "4208 function invocation canceled".

    Args:
        project_id (str):
        function_urn (str):
        body (CancelRequest): Body of the cancel request. Undeclared keys are not refused, so a
            client that follows the page's prose and sends booleans ({"recursive": false, "force":
            true}) still sends a valid body.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | None
    """

    return (
        await asyncio_detailed(
            project_id=project_id,
            function_urn=function_urn,
            client=client,
            body=body,
        )
    ).parsed
