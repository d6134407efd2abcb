"""委员项目 / 支部项目 keyed by the leading person (issue 14): several per organization and year, the
书记项目 still one; the committee-member role (党组织委员) leads its own project, not the 书记项目."""

from __future__ import annotations

import pytest

from domain.actors import Actor, Role
from domain.errors import InvalidCommand, PermissionDenied
from domain.policy import Policy
from domain.project import ApplyProject, Level, Stage, project_id_for
from domain.project.state import MAX_PROJECT_ID
from service.streams import PROJECTS
from tests.unit.test_project_decider import ORG, T0, YEAR, P, apply_cmd

MEMBER_1 = Actor(id="wy-01", roles=[Role.COMMITTEE_MEMBER], scope=[ORG])
MEMBER_2 = Actor(id="wy-02", roles=[Role.COMMITTEE_MEMBER], scope=[ORG])
BRANCH_1 = Actor(id="zb-01", roles=[Role.BRANCH_SECRETARY], scope=[ORG])


def member_apply(actor: Actor, level: Level = Level.COMMITTEE_MEMBER, **changes) -> ApplyProject:  # type: ignore[no-untyped-def]
    return apply_cmd(actor, level=level, per_person=True, **changes)


def test_the_id_names_the_leading_person_at_the_member_and_branch_levels() -> None:
    assert project_id_for(Level.COMMITTEE_MEMBER, ORG, YEAR, "wy-01") == "proj-committee_member-V001-2027-wy-01"
    assert project_id_for(Level.BRANCH, ORG, YEAR, "zb-01") == "proj-branch-V001-2027-zb-01"
    # the 书记项目 stays one per organization and year, whoever leads it
    assert project_id_for(Level.SECRETARY, ORG, YEAR, "bs-1") == project_id_for(Level.SECRETARY, ORG, YEAR) == "proj-secretary-V001-2027"
    # ids of before (no leader): one per level, organization and year
    assert project_id_for(Level.COMMITTEE_MEMBER, ORG, YEAR) == "proj-committee_member-V001-2027"


def test_two_committee_members_of_one_organization_each_apply_for_their_own_project() -> None:
    ids = []
    for member in (MEMBER_1, MEMBER_2):
        p = P()
        (applied,) = p.do(member_apply(member), T0)
        assert applied.owner == member.id and p.state.stage == Stage.REVIEWING
        ids.append(applied.project_id)
    assert ids == ["proj-committee_member-V001-2027-wy-01", "proj-committee_member-V001-2027-wy-02"]


def test_the_service_starts_the_stream_under_the_id_the_decider_records() -> None:
    for member, level in ((MEMBER_1, Level.COMMITTEE_MEMBER), (BRANCH_1, Level.BRANCH), (BRANCH_1, Level.SECRETARY)):
        p = P()
        (applied,) = p.do(member_apply(member, level), T0)
        assert PROJECTS.id_for(member_apply(member, level)) == applied.project_id


def test_an_opening_recorded_before_keeps_its_id() -> None:
    p = P()
    (applied,) = p.do(apply_cmd(MEMBER_1, level=Level.COMMITTEE_MEMBER), T0)  # per_person absent, as recorded
    assert applied.project_id == "proj-committee_member-V001-2027"


def test_a_committee_member_does_not_lead_the_secretary_project() -> None:
    with pytest.raises(PermissionDenied, match=r"may not lead a secretary project.*level_roles\.secretary"):
        P().do(member_apply(MEMBER_1, Level.SECRETARY), T0)
    # a branch project is theirs to lead too
    (applied,) = P().do(member_apply(MEMBER_1, Level.BRANCH), T0)
    assert applied.project_id == "proj-branch-V001-2027-wy-01"


def test_a_committee_member_records_progress_on_their_project_but_does_not_review_it() -> None:
    from domain.project import ApproveApplication, RecordProgress

    p = P()
    p.do(member_apply(MEMBER_1), T0)
    with pytest.raises(PermissionDenied):
        p.do(ApproveApplication(actor=MEMBER_2), T0)
    p.do(ApproveApplication(actor=Actor(id="ts-1", roles=[Role.TOWNSHIP_SECRETARY])), T0)
    (progress,) = p.do(RecordProgress(actor=MEMBER_1, note="走访10户"), T0)
    assert progress.actor == "wy-01"


def test_level_roles_are_policy() -> None:
    open_policy = Policy(supervisors=["sup-1"], projects={"level_roles": {}})
    (applied,) = P(open_policy).do(member_apply(MEMBER_1, Level.SECRETARY), T0)
    assert applied.project_id == "proj-secretary-V001-2027"
    strict = Policy(supervisors=["sup-1"], projects={"level_roles": {"branch": ["branch_secretary"]}})
    with pytest.raises(PermissionDenied, match="level_roles.branch are branch_secretary"):
        P(strict).do(member_apply(MEMBER_1, Level.BRANCH), T0)
    with pytest.raises(ValueError, match="level_roles"):
        Policy(projects={"level_roles": {"township": ["branch_secretary"]}})


def test_an_id_too_long_for_the_audit_log_is_refused_naming_the_field() -> None:
    long_person = Actor(id="p" * 100, roles=[Role.COMMITTEE_MEMBER], scope=[ORG])
    with pytest.raises(InvalidCommand, match=rf"org_code: .* more than {MAX_PROJECT_ID}"):
        P().do(member_apply(long_person), T0)


def test_region_and_org_scope_still_apply() -> None:
    outsider = Actor(id="wy-09", roles=[Role.COMMITTEE_MEMBER], scope=["V999"])
    with pytest.raises(PermissionDenied, match="may not act on organization V001"):
        P().do(member_apply(outsider), T0)


def test_a_committee_member_works_on_their_own_project_only() -> None:
    """A member records progress on the 委员项目 they lead, not on another member's; the organization's
    secretary may on any of its projects."""
    from datetime import timedelta

    from domain.project import ApproveApplication, RecordProgress
    from tests.unit.test_project_decider import REVIEWER

    p = P()
    p.do(member_apply(MEMBER_1), T0)
    p.do(ApproveApplication(actor=REVIEWER, comments="同意"), T0 + timedelta(days=1))
    refusal = "wy-02 is a committee member and may record progress on only their own project, not wy-01's"
    with pytest.raises(PermissionDenied, match=refusal):
        p.do(RecordProgress(actor=MEMBER_2, note="代为报告"), T0 + timedelta(days=2))
    p.do(RecordProgress(actor=MEMBER_1, note="召开党员大会"), T0 + timedelta(days=2))
    p.do(RecordProgress(actor=BRANCH_1, note="书记督促"), T0 + timedelta(days=3))
