"""The ``rating`` section of the policy (评星定级): the star standards, the gates, the 公示 window
(docs/rating.md explains each key).

A standard (星级标准) is a list of items — point items scored 0…points, veto items (一票否决情形) that
either occurred or did not — and one line per star level: the total it needs and the items that must be
met in full (进关条件). A standard applies to some domains (农村、社区、机关…); the first whose domains
include an organization's is its standard, and one with no domains applies to every other organization.
Standards are versioned with the policy: each rating records the policy version and the standard's name.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.directory import OrgDomain
from domain.policy.designation import ScoredItem, parse_domains, unique_codes
from domain.workcal import Offset

STARS = (1, 2, 3, 4, 5)


class RatingItem(ScoredItem):
    """One item of a star standard: a point item (0…points) or a veto item (occurred or not)."""


class StarLine(BaseModel):
    """What a star level needs (进关): a total of at least ``min_total`` and every ``required`` item
    scored in full."""

    model_config = ConfigDict(extra="forbid")

    stars: int = Field(ge=1, le=5)
    min_total: float = Field(default=0, ge=0)
    required: list[str] = Field(default_factory=list)


class RatingStandard(BaseModel):
    """A star standard for some domains (none: every organization no other standard takes)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    domains: list[OrgDomain] = Field(default_factory=list)
    items: list[RatingItem] = Field(min_length=1)
    lines: list[StarLine] = Field(min_length=1)

    _domains = field_validator("domains", mode="before")(parse_domains)

    @model_validator(mode="after")
    def _check(self) -> RatingStandard:
        unique_codes(self.items, f"standard {self.name}: ")
        stars = [line.stars for line in self.lines]
        if stars != sorted(set(stars)) or stars[0] != 1:
            raise ValueError(f"standard {self.name}: lines must start at 1 star, each level once, in increasing order")
        totals = [line.min_total for line in self.lines]
        if totals != sorted(totals):
            raise ValueError(f"standard {self.name}: a higher star level may not need a lower total")
        point_items = {i.code for i in self.items if not i.veto}
        for line in self.lines:
            unknown = [c for c in line.required if c not in point_items]
            if unknown:
                raise ValueError(
                    f"standard {self.name}: {line.stars} stars requires {', '.join(unknown)}, not a point item of the standard"
                )
        return self

    @property
    def full_points(self) -> float:
        return sum(i.points for i in self.items if not i.veto)

    def item(self, code: str) -> RatingItem | None:
        return next((i for i in self.items if i.code == code), None)

    def line(self, stars: int) -> StarLine | None:
        return next((line for line in self.lines if line.stars == stars), None)


def default_standards() -> list[RatingStandard]:
    """One county's 五星级党组织 standard (an example: a policy file replaces it)."""
    items = [
        RatingItem(code="political", zh="政治功能强", en="strong political function", points=20),
        RatingItem(code="team", zh="班子队伍强", en="strong leadership team", points=20),
        RatingItem(code="members", zh="党员作用发挥好", en="members play their part", points=20),
        RatingItem(code="rules", zh="制度落实好（三会一课等）", en="organizational life kept", points=20),
        RatingItem(code="service", zh="发展治理和服务群众好", en="development, governance, service", points=20),
        RatingItem(code="discipline", zh="班子成员违纪违法受到处分", en="a leader punished for breaking discipline or law", veto=True),
        RatingItem(code="incident", zh="发生重大群体性事件或安全事故", en="a major mass incident or accident", veto=True),
        RatingItem(code="designated", zh="被列为软弱涣散党组织", en="designated weak and lax", veto=True),
    ]
    lines = [
        StarLine(stars=1, min_total=0),
        StarLine(stars=2, min_total=60),
        StarLine(stars=3, min_total=70),
        StarLine(stars=4, min_total=80, required=["rules"]),
        StarLine(stars=5, min_total=90, required=["rules", "team"]),
    ]
    return [RatingStandard(name="五星级党组织标准", items=items, lines=lines)]


class RatingPolicy(BaseModel):
    """The ``rating`` section of the policy (评星定级)."""

    model_config = ConfigDict(extra="forbid")

    standards: list[RatingStandard] = Field(default_factory=default_standards, min_length=1)
    # 公示期: after county approval, objections are taken this long before the level is decided.
    objection_window: Offset = "5wd"
    # A veto item that occurred grants at most this many stars (一票否决), at approval and mid-year (降星).
    veto_level: int = Field(default=1, ge=1, le=5)
    # The veto item a rectification case opened against the organization counts as (None: a case is no veto).
    case_veto_item: str | None = "designated"
    # 动态管理: a decided level stays managed (veto events downgrade it) this long, then the rating is archived.
    managed_for: Offset = "365d"
    # 晋位升级: a rectification case of the organization closed (销号) since the previous rating proposes
    # this many stars above the previous level (a proposal the reviewers see; the gates still decide).
    upgrade_step: int = Field(default=1, ge=1, le=4)

    @model_validator(mode="after")
    def _check(self) -> RatingPolicy:
        names = [s.name for s in self.standards]
        if len(set(names)) != len(names):
            raise ValueError("rating.standards: each standard needs its own name")
        if self.case_veto_item is not None:
            for standard in self.standards:
                item = standard.item(self.case_veto_item)
                if item is None or not item.veto:
                    raise ValueError(
                        f"rating.case_veto_item: {self.case_veto_item!r} is not a veto item of standard {standard.name} "
                        "(set it to null to turn it off)"
                    )
        return self

    def standard_for(self, domain: OrgDomain | None) -> RatingStandard:
        """The first standard naming ``domain``, else the first naming no domain, else the first."""
        for standard in self.standards:
            if domain is not None and domain in standard.domains:
                return standard
        return next((s for s in self.standards if not s.domains), self.standards[0])

    def standard_named(self, name: str) -> RatingStandard | None:
        return next((s for s in self.standards if s.name == name), None)
