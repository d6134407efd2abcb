"""Typed search attributes: they keep the Temporal UI and ``temporal workflow list --query`` useful.

No personal names here: search attribute values are not encrypted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from temporalio.api.enums.v1 import IndexedValueType

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
        # the SDK's enum has the API enum's values
        value_type = cast("IndexedValueType.ValueType", key.indexed_value_type)
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(search_attributes={key.name: value_type}, namespace=namespace)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise


def initial_search_attributes(kind: str, stage: str, org_code: str, region: str) -> TypedSearchAttributes:
    """What a stream is searchable by from its start, before its workflow publishes its state."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(CASE_KIND, kind),
            SearchAttributePair(STAGE, stage),
            SearchAttributePair(ORG_CODE, org_code),
            SearchAttributePair(REGION, region),
            SearchAttributePair(OVERDUE, False),
        ]
    )


def place_search_attributes(kind: str, state: Any) -> list[SearchAttributeUpdate]:
    """For any stream's state: kind, stage, org, region (an inspection, a rating: they have no deadlines)."""
    return [
        CASE_KIND.value_set(kind),
        STAGE.value_set(state.stage.value),
        ORG_CODE.value_set(state.org_code),
        REGION.value_set(state.region),
    ]


def stream_search_attributes(kind: str, state: Any) -> list[SearchAttributeUpdate]:
    """For a case or a project state: kind, stage, org, region, overdue, next due."""
    next_due = state.next_deadline()
    return [
        *place_search_attributes(kind, state),
        OVERDUE.value_set(state.overdue),
        NEXT_DUE.value_set(next_due) if next_due else NEXT_DUE.value_unset(),
    ]
