"""The S3 tests' xdist group; the servers themselves (``s3_server``, ``store``) are in tests/s3.py."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "s3_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("s3"))
