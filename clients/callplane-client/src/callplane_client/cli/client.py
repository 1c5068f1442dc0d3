"""A thin HTTP client over callplane's public API: one method per call, JSON in and out.

Errors come back in Infobip's envelope; `ApiError` turns it into one line with the status, the
`messageId`, the text and the fields named in `validationErrors`.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from callplane_client.cli.errors import CliError

Scheme = Literal["App", "Admin", "Bearer"]
_WHERE = {
    "App": "--api-key, CALLPLANE_API_KEY or api_key in the config file",
    "Admin": "--admin-token, CALLPLANE_ADMIN_TOKEN or admin_token in the config file",
    "Bearer": "--operator-token, CALLPLANE_OPERATOR_TOKEN or operator_token in the config file",
}


class ApiError(CliError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def describe(response: httpx.Response) -> str:
    """One line for a refused request, from the envelope when there is one."""
    try:
        body = response.json()
        problem = body["requestError"]["serviceException"]
    except (ValueError, KeyError, TypeError):
        text = response.text.strip().splitlines()[0] if response.text.strip() else ""
        return f"HTTP {response.status_code}: {text or response.reason_phrase}"
    line = f"HTTP {response.status_code} {problem.get('messageId', '')}: {problem.get('text', '')}"
    fields = problem.get("validationErrors") or {}
    if fields:
        details = "; ".join(f"{name}: {', '.join(map(str, msgs))}" for name, msgs in fields.items())
        line += f" ({details})"
    return line


class Api:
    def __init__(
        self,
        base_url: str,
        credentials: dict[Scheme, str | None],
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._credentials = credentials
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        auth: Scheme = "App",
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        secret = self._credentials.get(auth)
        if not secret:
            raise CliError(f"no {auth} credential: set {_WHERE[auth]}")
        sent = {"Authorization": f"{auth} {secret}", **(headers or {})}
        try:
            response = self._http.request(
                method, path, json=json, params=params, content=content, headers=sent
            )
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach {self._http.base_url}: {exc}") from None
        if response.status_code >= 400:  # noqa: PLR2004 - HTTP's own boundary
            raise ApiError(response.status_code, describe(response))
        if response.status_code == 204 or not response.content:  # noqa: PLR2004
            return None
        return response.json()

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)
