"""Fixtures for the SMART client tests: HTTP mocked at the transport with ``responses``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Every HTTP request must match a registered route; unmatched ones raise."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
