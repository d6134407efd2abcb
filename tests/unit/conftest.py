from __future__ import annotations

import pytest

from domain.policy import Policy

from .builders import Case, branch_secretary, county_leader, first_secretary, supervisor, township_secretary


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def case(policy: Policy) -> Case:
    return Case(policy=policy)


@pytest.fixture
def sup():
    return supervisor()


@pytest.fixture
def leader():
    return county_leader()


@pytest.fixture
def township():
    return township_secretary()


@pytest.fixture
def branch():
    return branch_secretary()


@pytest.fixture
def first():
    return first_secretary()
