"""Activity: an organization's recorded history, read server-side when a case opens (issue 14).

Every case, opened by hand (by any client) or by its campaign, gets it here, at the start of its
workflow (``memory-recall-v1``, workflows/rectification.py), never from the command body: the secretary
the directory names now, every organization-year of the last ten years as the memory rules read them
(``store.directory.Directory.history``, with the memory evidence each year already served), and the
organization's pairing units (store/pairings.py). The answer is recorded in the workflow's history, so a
replay decides the same opening.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from temporalio import activity

from domain.directory import HistoryRecord, Pairing
from store.directory import Directory
from store.pairings import pairings_of
from store.ratings import RatingFacts, rating_facts, source_org

log = structlog.get_logger()

HISTORY_YEARS = 10  # as far back as the designation reads (Directory.designation_inputs)


class OrgRecordRequest(BaseModel):
    org_code: str
    year: int


class OrgRecord(BaseModel):
    """What the directory holds of one organization (``found`` False: not in the directory)."""

    found: bool
    name: str | None = None  # the organization's name in the directory (None: recorded before it was read)
    region: str | None = None  # the township the directory places it in (None: recorded before it was read)
    secretary: str | None = None
    history: list[HistoryRecord] = Field(default_factory=list)
    pairings: list[Pairing] = Field(default_factory=list)


def read_record(engine: Engine, org_code: str, year: int) -> OrgRecord:
    directory = Directory(engine)
    org = directory.organization(org_code)
    if org is None:
        return OrgRecord(found=False)
    history = directory.history(org_code=org_code, years=range(year - HISTORY_YEARS, year + 1))
    # only this organization of each unit's list: the case records who is paired with it, not the unit's other villages
    pairings = [p.model_copy(update={"org_codes": [org_code]}) for p in pairings_of(engine, org_code)]
    return OrgRecord(found=True, name=org.name, region=org.region, secretary=org.secretary, history=history, pairings=pairings)


class OrgPlace(BaseModel):
    """Where the directory places one organization: its name and township."""

    code: str
    name: str
    region: str


class OrgPlacesRequest(BaseModel):
    codes: list[str]


class OrgPlaces(BaseModel):
    """The organizations of ``codes`` the directory knows (an unknown code is absent)."""

    places: list[OrgPlace] = Field(default_factory=list)


class SourceRequest(BaseModel):
    source: str


class SourceOrg(BaseModel):
    org_code: str  # "" when no case or finding of that id is recorded


class OrgRecordActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="read_org_record")
    def read_org_record(self, request: OrgRecordRequest) -> OrgRecord:
        record = read_record(self.engine, request.org_code, request.year)
        log.info("org_record_read", org_code=request.org_code, found=record.found, years=len(record.history))
        return record

    @activity.defn(name="read_org_places")
    def read_org_places(self, request: OrgPlacesRequest) -> OrgPlaces:
        """The names and townships of organizations an inspection visited (its scope is checked on them)."""
        orgs = Directory(self.engine).organizations(codes=request.codes)
        return OrgPlaces(places=[OrgPlace(code=o.code, name=o.name, region=o.region) for o in orgs])

    @activity.defn(name="read_rating_facts")
    def read_rating_facts(self, request: OrgRecordRequest) -> RatingFacts:
        """What a star rating opens with (评星定级): the organization's name, township and domain, last
        year's star level, the cases closed 晋位升级 since and the rating year's own cases (store/ratings.py)."""
        facts = rating_facts(self.engine, request.org_code, request.year)
        log.info("rating_facts_read", org_code=request.org_code, year=request.year, found=facts.found)
        return facts

    @activity.defn(name="read_source_org")
    def read_source_org(self, request: SourceRequest) -> SourceOrg:
        """The organization a case (``rect-…``) or an inspection finding (``insp-…/F2``) concerns ("" if unknown)."""
        return SourceOrg(org_code=source_org(self.engine, request.source))

    def activities(self) -> list[Callable[..., Any]]:
        return [self.read_org_record, self.read_org_places, self.read_rating_facts, self.read_source_org]
