"""Typed search attributes: they keep the Temporal UI and ``temporal workflow list --query`` useful.

No personal names here: search attribute values are not encrypted.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.rectification import KIND, CaseState

CASE_KIND = SearchAttributeKey.for_keyword("PdcaCaseKind")
STAGE = SearchAttributeKey.for_keyword("PdcaStage")
ORG_CODE = SearchAttributeKey.for_keyword("PdcaOrgCode")
REGION = SearchAttributeKey.for_keyword("PdcaRegion")
OVERDUE = SearchAttributeKey.for_bool("PdcaOverdue")
NEXT_DUE = SearchAttributeKey.for_datetime("PdcaNextDue")

ALL_KEYS = (CASE_KIND, STAGE, ORG_CODE, REGION, OVERDUE, NEXT_DUE)


def dev_server_flags() -> list[str]:
    """``temporal server start-dev`` arguments that register every key."""
    kinds = {"KEYWORD": "Keyword", "BOOL": "Bool", "DATETIME": "Datetime"}
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags


async def register(client: Client, namespace: str = "default") -> None:
    """Register every key (idempotent: keys that already exist are left alone).

    Add-then-tolerate rather than list-then-add: the time-skipping test server implements
    AddSearchAttributes but not ListSearchAttributes.
    """
    for key in ALL_KEYS:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(search_attributes={key.name: key.indexed_value_type}, namespace=namespace)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise


def initial_search_attributes(org_code: str, region: str) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(CASE_KIND, KIND),
            SearchAttributePair(STAGE, "designated"),
            SearchAttributePair(ORG_CODE, org_code),
            SearchAttributePair(REGION, region),
            SearchAttributePair(OVERDUE, False),
        ]
    )


def case_search_attributes(state: CaseState) -> list[SearchAttributeUpdate]:
    next_due = state.next_deadline()
    return [
        CASE_KIND.value_set(KIND),
        STAGE.value_set(state.stage.value),
        ORG_CODE.value_set(state.org_code),
        REGION.value_set(state.region),
        OVERDUE.value_set(state.overdue),
        NEXT_DUE.value_set(next_due) if next_due else NEXT_DUE.value_unset(),
    ]


# --- secretary projects (issue 3)


def initial_project_search_attributes(org_code: str, region: str) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(CASE_KIND, "project"),
            SearchAttributePair(STAGE, "reviewing"),
            SearchAttributePair(ORG_CODE, org_code),
            SearchAttributePair(REGION, region),
            SearchAttributePair(OVERDUE, False),
        ]
    )


def project_search_attributes(state) -> list[SearchAttributeUpdate]:  # type: ignore[no-untyped-def]
    """For a ``domain.project.ProjectState``: kind "project", stage, org, region, overdue, next due."""
    next_due = state.next_deadline()
    return [
        CASE_KIND.value_set("project"),
        STAGE.value_set(state.stage.value),
        ORG_CODE.value_set(state.org_code),
        REGION.value_set(state.region),
        OVERDUE.value_set(state.overdue),
        NEXT_DUE.value_set(next_due) if next_due else NEXT_DUE.value_unset(),
    ]
