"""Who may do what: every role and site check of the ledger, in one place.

Each function raises NotPermitted with one sentence, or returns. The use cases call them before
acting; the domain model keeps only invariants (a dose's sequence, an erased person stays erased).
Site-bound rules (a vaccinator acts only at their own site) and province limits (a province officer
acts only for their own province's sites and store) live here too, so the web, the CLI, the API and
batch imports all get the same answer.
"""

from __future__ import annotations

from uuid import UUID

from ledger.errors import (
    DoseOfAnotherSite,
    IdentityOfAnotherSite,
    NotAtOwnSite,
    NotPermitted,
    OutsideProvince,
)
from ledger.values import Actor, Role

SITE_REGISTRARS = (Role.PROVINCE_OFFICER, Role.ADMIN, Role.SYSTEM)
CAPACITY_EDITORS = (Role.PROVINCE_OFFICER, Role.ADMIN, Role.SYSTEM, Role.SITE_STAFF)
ERASERS = (Role.ADMIN, Role.SYSTEM, Role.PROVINCE_OFFICER)


def require_site_registrar(actor: Actor) -> None:
    """Register a vaccination site: a province officer, an administrator or the system."""
    if actor.role not in SITE_REGISTRARS:
        raise NotPermitted("Only a province officer or administrator registers vaccination sites.")


def require_capacity_editor(actor: Actor) -> None:
    """Change a site's daily capacity."""
    if actor.role not in CAPACITY_EDITORS:
        raise NotPermitted("Only site staff, a province officer or an administrator change capacity.")


def require_staff(actor: Actor, doing: str) -> None:
    """Staff only: `doing` completes "Only ... staff ..." (e.g. "receive vaccine lots")."""
    if not actor.role.is_staff:
        raise NotPermitted(f"Only {doing}.")


def require_at_site(actor: Actor, site_id: UUID) -> None:
    """A site-bound actor (site staff, vaccinator) acts only at their own site."""
    if actor.role.is_site_bound and actor.site_id != site_id:
        raise NotAtOwnSite(f"A {actor.role.value} may only act at their own site: sign in at site {site_id}.")


def require_in_province(actor: Actor, province_code: str) -> None:
    """A province officer acts only in their own province (an officer with no province in none);
    administrators and the system act nationwide; other roles are limited by their own rules."""
    if actor.role is Role.PROVINCE_OFFICER and actor.province_code != province_code:
        mine = actor.province_code or "—"  # a sign, not an English word inside a Vietnamese sentence
        raise OutsideProvince(
            f"A province officer acts only in their own province ({mine}), not in province {province_code}: "
            "sign in as an officer of that province.",
            province=province_code,
            actor_province=mine,
        )


def in_reach(actor: Actor, *, province_code: str, site_id: UUID | None = None) -> bool:
    """Whether the actor may see or act for a site (or a province store when `site_id` is None):
    site-bound staff their own site, a province officer their province, national roles everything."""
    if actor.role.is_site_bound:
        return site_id is not None and actor.site_id == site_id
    if actor.role is Role.PROVINCE_OFFICER:
        return actor.province_code == province_code
    return actor.role in (Role.ADMIN, Role.SYSTEM)


def require_may_register(actor: Actor, guardian_id: UUID | None) -> None:
    """Citizens register themselves; guardians register dependants on their own account; staff anyone."""
    if actor.role is Role.GUARDIAN and guardian_id is None:
        raise NotPermitted("A guardian registers dependants: give the guardian id.")
    if (
        actor.role in (Role.CITIZEN, Role.GUARDIAN)
        and guardian_id is not None
        and actor.actor_id != str(guardian_id)
    ):
        raise NotPermitted("A citizen may only add dependants to their own account.")


def acts_for(actor: Actor, person_id: UUID, guardian_id: UUID | None) -> bool:
    """Citizens act for themselves, guardians for their dependants, staff for anyone."""
    if actor.role.is_staff:
        return True
    if actor.role is Role.CITIZEN and actor.actor_id == str(person_id):
        return True
    return actor.role is Role.GUARDIAN and guardian_id is not None and actor.actor_id == str(guardian_id)


def require_acts_for(actor: Actor, person_id: UUID, guardian_id: UUID | None) -> None:
    """Report or declare for a person: themselves, a dependant they manage, or staff."""
    if not acts_for(actor, person_id, guardian_id):
        raise NotPermitted("You may only report for yourself or a dependant you manage.")


def require_may_correct(
    actor: Actor,
    command: str,
    person_id: UUID,
    guardian_id: UUID | None,
    sites_that_know: frozenset[UUID | None] = frozenset(),
) -> None:
    """Staff correct a registration; a citizen may correct their own phone.

    Identity fields (name, sex, date of birth, phone) open the person's account, so site-bound staff
    change them only for a person their site registered or vaccinated; anyone else goes to a
    province officer or to that site (issue 12, item 1: a station rewrote a phone nationwide).
    """
    if actor.role is Role.CITIZEN and command == "correct_phone":
        require_acts_for(actor, person_id, guardian_id)
    elif not actor.role.is_staff:
        raise NotPermitted("Only staff correct a registration (a citizen may correct their own phone).")
    elif actor.role.is_site_bound and actor.site_id not in sites_that_know:
        raise IdentityOfAnotherSite(
            "Your site never registered or vaccinated this person: ask a province officer or the site "
            "that gave their dose to change their identity."
        )


def require_may_void(actor: Actor, dose_site_id: UUID, dose_province: str | None = None) -> None:
    """Void a dose: staff; a site-bound actor only a dose given at their own site (issue 12, item 1);
    a province officer only a dose given in their province (issue 13)."""
    require_staff(actor, "vaccination staff void doses")
    if actor.role.is_site_bound and actor.site_id != dose_site_id:
        raise DoseOfAnotherSite(
            "That dose was given at another site: ask that site or a province officer to void it."
        )
    if dose_province is not None:
        require_in_province(actor, dose_province)


def require_follow_up_recorder(actor: Actor) -> None:
    """Only health staff record a reaction follow-up."""
    if not actor.role.is_staff:
        raise NotPermitted("Only health staff record a reaction follow-up: sign in as staff.")


def require_eraser(actor: Actor) -> None:
    """Erasure: an administrator, a province officer (of the person's province: `require_in_province`,
    checked by the command against the person) or the system."""
    if actor.role not in ERASERS:
        raise NotPermitted("Only an administrator or province officer may erase a person.")


def require_revoker(actor: Actor) -> None:
    """Revoking a certificate: health staff or the system."""
    if not actor.role.is_staff:
        raise NotPermitted("Only health staff or the system may revoke a certificate.")


def national_id_is_held(actor: Actor) -> bool:
    """A national ID typed by a citizen or guardian online is held until staff see the card."""
    return actor.role in (Role.CITIZEN, Role.GUARDIAN)
