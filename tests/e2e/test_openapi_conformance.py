"""Schemathesis over every service's committed OpenAPI document, against the running system:
zero server errors, zero undocumented statuses, and every body as documented (issue 14).

Examples are bounded (CALLPLANE_SCHEMATHESIS_EXAMPLES per operation, derandomized so a failure
replays), which keeps the run to a few minutes on a small machine.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.journey import admin_client, dev_setting, new_customer
from tests.endpoints import Endpoints
from tests.support import REPO_ROOT

pytestmark = pytest.mark.e2e
EXAMPLES = int(os.environ.get("CALLPLANE_SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _document(service: str) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_path(REPO_ROOT / f"services/{service}/openapi.json")
    # Probes are per process (nginx serves them under /_services/<name>/), not public paths.
    return schema.exclude(path=["/livez", "/readyz"])


@pytest.fixture(scope="module")
async def api_key(endpoints: Endpoints) -> AsyncIterator[str]:
    async with admin_client(endpoints.base_url) as admin:
        customer = await new_customer(endpoints.base_url, admin)
        yield customer.api.headers["Authorization"]
        await customer.api.aclose()


def _credentials(path: str, api_key: str) -> dict[str, str]:
    if path.startswith("/admin/"):
        return {"Authorization": f"Admin {dev_setting('ADMIN_TOKEN')}"}
    if path.startswith("/records/"):
        return {"Authorization": f"Bearer {dev_setting('RECORDS_OPERATOR_TOKEN')}"}
    return {"Authorization": api_key}


@schemathesis.pytest.parametrize(
    action_config=_document("action-config"),
    number_inventory=_document("number-inventory"),
    number_masking=_document("number-masking"),
    # call-dispatch serves only its probes and /metrics: nothing public to call.
    call_records=_document("call-records"),
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented(
    case: schemathesis.Case[Any], api_key: str, endpoints: Endpoints
) -> None:
    case.call_and_validate(
        base_url=endpoints.base_url,
        headers=_credentials(case.path, api_key),
        checks=CHECKS,
        timeout=30,
    )
