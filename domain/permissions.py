"""Who may send a command: roles and organization scope (pure; shared by every kind).

Each kind says which roles a command needs (``roles_allowed``) and which organization and region it
concerns; separation of duties (who submits is not who approves) stays with each kind's rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.actors import Actor, Role
from domain.errors import PermissionDenied


def require_role(actor: Actor, allowed: Iterable[Role], command_type: str) -> None:
    roles = frozenset(allowed)
    if not actor.has_any(roles):
        raise PermissionDenied(f"{actor.id} has none of the roles allowed to {command_type}: {', '.join(sorted(roles))}")


def require_scope(actor: Actor, org_code: str, region: str) -> None:
    if not actor.may_act_on(org_code, region):
        raise PermissionDenied(f"{actor.id} may not act on organization {org_code} ({region})")


def authorize(actor: Actor, allowed: Iterable[Role], command_type: str, org_code: str, region: str) -> None:
    """The actor holds one of the ``allowed`` roles and may act on the organization."""
    require_role(actor, allowed, command_type)
    require_scope(actor, org_code, region)


def may_see(actor: Actor, org_code: str, region: str, *, involved: bool = False) -> bool:
    """A person sees a case of an organization in their scope, or one where they are responsible for a
    measure (a village secretary sees their own village's case, a township its villages', the county all)."""
    return involved or actor.may_act_on(org_code, region)
