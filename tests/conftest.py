from __future__ import annotations

import pytest

from tests.endpoints import Endpoints, InfrastructureMissingError, resolve


@pytest.fixture(scope="session")
def endpoints() -> Endpoints:
    try:
        return resolve()
    except InfrastructureMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
