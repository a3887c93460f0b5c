from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.invocation_accepted import InvocationAccepted
from ...models.invocation_event import InvocationEvent
from ...types import Response


def _get_kwargs(
    project_id: str,
    function_urn: str,
    *,
    body: InvocationEvent,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v2/{project_id}/fgs/functions/{function_urn}/invocations-async".format(
            project_id=quote(str(project_id), safe=""),
            function_urn=quote(str(function_urn), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | InvocationAccepted | None:
    if response.status_code == 202:
        response_202 = InvocationAccepted.from_dict(response.json())

        return response_202

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

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | InvocationAccepted]:
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
    body: InvocationEvent,
) -> Response[ErrorResponse | InvocationAccepted]:
    """Run a function asynchronously

     Queues one run of the function named by `function_urn` and answers at once with an identifier for
    that run. The function receives the request body as its event. A 202 means the run was accepted, not
    that it has finished or succeeded.

    Args:
        project_id (str):
        function_urn (str):
        body (InvocationEvent): Any JSON object; its keys are chosen by the caller.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | InvocationAccepted]
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
    body: InvocationEvent,
) -> ErrorResponse | InvocationAccepted | None:
    """Run a function asynchronously

     Queues one run of the function named by `function_urn` and answers at once with an identifier for
    that run. The function receives the request body as its event. A 202 means the run was accepted, not
    that it has finished or succeeded.

    Args:
        project_id (str):
        function_urn (str):
        body (InvocationEvent): Any JSON object; its keys are chosen by the caller.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | InvocationAccepted
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
    body: InvocationEvent,
) -> Response[ErrorResponse | InvocationAccepted]:
    """Run a function asynchronously

     Queues one run of the function named by `function_urn` and answers at once with an identifier for
    that run. The function receives the request body as its event. A 202 means the run was accepted, not
    that it has finished or succeeded.

    Args:
        project_id (str):
        function_urn (str):
        body (InvocationEvent): Any JSON object; its keys are chosen by the caller.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | InvocationAccepted]
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
    body: InvocationEvent,
) -> ErrorResponse | InvocationAccepted | None:
    """Run a function asynchronously

     Queues one run of the function named by `function_urn` and answers at once with an identifier for
    that run. The function receives the request body as its event. A 202 means the run was accepted, not
    that it has finished or succeeded.

    Args:
        project_id (str):
        function_urn (str):
        body (InvocationEvent): Any JSON object; its keys are chosen by the caller.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | InvocationAccepted
    """

    return (
        await asyncio_detailed(
            project_id=project_id,
            function_urn=function_urn,
            client=client,
            body=body,
        )
    ).parsed
