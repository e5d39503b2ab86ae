"""What a user may see of a resident: the one module that decides (DESIGN §4 个人信息保护).

Every surface — pages, API, exports, home cards, search results, notifications — asks
here; nothing decides per field or per page.

**The masking rule.** Stored masks keep the ID number's first four and last four
characters (``4313**********0012``) and a mobile's first three and last four
(``138****0000``). Shown beside the birth date, the ID mask can be undone: the hidden
ten characters are the two county digits (known from the grid) and the eight of the birth
date. So, for a user *without* the right to reveal the ID number of the resident:

- the birth date is shown as the **birth year** only (``1980``), never the full date,
  and never together with an age (the two together split the year);
- the ID number is shown as the **region prefix and the check character only**
  (``4313*************2``): with the year known, the month and day leave 365 dates, the
  three sequence digits 500 (the gender, shown, fixes their parity), and the check
  character keeps one in eleven: ~16,600 candidates for each region code, never fewer
  than 1,000 (a leap year's 366 days do not change that).

A user *with* the right (``REVEAL_ROLES`` on a node at or above the resident's grid)
keeps the full view: the stored mask, the full birth date, and the reveal form.
The phone mask (10,000 candidates for a mobile, 1,000,000 for a landline) is the same for
everyone; the exact-phone search is rate-limited so it cannot be used to try them
(``residents.search_budget``).

**Special groups (need to know).** Which roles see which special-group tags (and their
follow-up data and care visits) is configuration: ``SPECIAL_GROUP_ROLES`` maps a group to
the roles that see it, over the defaults below; a role sees the tag only on a node at or
above the tag's grid. Superusers see all.
"""

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext

from accounts.models import Role
from accounts.scoping import subtree_q, user_scope
from residents.models import SpecialGroup

# Who may reveal which protected field of a resident in their subtree (DESIGN §3, §4):
# the grid's own full-time staff and police, and administrators. Part-time workers
# (building leaders, volunteers, property staff), leaders and liaisons may not; family
# doctors and dispatchers may reveal a phone number to reach the person, not the ID.
REVEAL_ROLES = {
    "id_number": (Role.GRID_LEADER, Role.GRID_WORKER, Role.POLICE, Role.ADMIN),
    "phone": (Role.GRID_LEADER, Role.GRID_WORKER, Role.POLICE, Role.ADMIN, Role.DOCTOR, Role.DISPATCHER),
}

# Sensitive groups: the grid's police, grid leader and full-time worker (on the grid or a
# node above it) and administrators.
SENSITIVE_GROUPS = (
    SpecialGroup.COMMUNITY_CORRECTION, SpecialGroup.RELEASED_PRISONER, SpecialGroup.SEVERE_MENTAL_DISORDER,
    SpecialGroup.DRUG_USER, SpecialGroup.KEY_YOUTH,
)
SENSITIVE_ROLES = (Role.POLICE, Role.GRID_LEADER, Role.GRID_WORKER, Role.ADMIN)
# Care groups: those, plus the family doctor and the part-time workers who visit them.
CARE_ROLES = (*SENSITIVE_ROLES, Role.DOCTOR, Role.PARTTIME_WORKER)
DEFAULT_GROUP_ROLES = {
    **{group: SENSITIVE_ROLES for group in SENSITIVE_GROUPS},
    **{group: CARE_ROLES for group in SpecialGroup.values if group not in SENSITIVE_GROUPS},
}


# --- Reveal rights --------------------------------------------------------------------------


def may_see_clear(user, grid_path: str, field: str) -> bool:
    """Does ``user`` hold a role that may reveal ``field`` over the grid at ``grid_path``?"""
    roles = REVEAL_ROLES.get(field)
    if roles is None:
        return False
    scope = user_scope(user)
    return scope.is_global or scope.holds_role_over(grid_path, *roles)


# --- The masks ------------------------------------------------------------------------------


def strict_id_mask(stored_mask: str) -> str:
    """The ID mask for a user without the reveal right: region prefix and check character."""
    if len(stored_mask) <= 8:
        return "*" * len(stored_mask)
    return stored_mask[:4] + "*" * (len(stored_mask) - 5) + stored_mask[-1]


def shown_values(user, *, grid_path: str, id_mask: str, phone_mask: str, birth_date) -> dict:
    """ID number, phone and birth date (as text) as ``user`` may see them."""
    if may_see_clear(user, grid_path, "id_number"):
        return {"id_number": id_mask, "phone": phone_mask, "birth": birth_date.isoformat() if birth_date else "",
                "full_view": True}
    return {"id_number": strict_id_mask(id_mask), "phone": phone_mask, "birth": str(birth_date.year) if birth_date else "",
            "full_view": False}


def present(user, resident):
    """Put what ``user`` may see on the resident (``shown_id_number``, ``shown_phone``,
    ``shown_birth``, ``full_view``) for templates and serializers; returns it."""
    values = shown_values(user, grid_path=resident.grid.path, id_mask=resident.id_mask, phone_mask=resident.phone_mask,
                          birth_date=resident.birth_date)
    resident.shown_id_number = values["id_number"]
    resident.shown_phone = values["phone"]
    resident.shown_birth = values["birth"]
    resident.full_view = values["full_view"]
    return resident


# --- Special groups ---------------------------------------------------------------------------


def group_roles(group: str) -> tuple[str, ...]:
    """The roles that see ``group`` (configured over the defaults; unknown → sensitive)."""
    configured = getattr(settings, "SPECIAL_GROUP_ROLES", None) or {}
    if group in configured:
        return tuple(configured[group])
    return DEFAULT_GROUP_ROLES.get(group, SENSITIVE_ROLES)


def visible_tags_q(user, *, path_field: str = "grid__path") -> Q | None:
    """A condition on special-group tags (or anything with a ``group`` and a grid path)
    that keeps only the groups the user's roles may see where they hold them; ``None``
    for a superuser (everything)."""
    scope = user_scope(user)
    if scope.is_global:
        return None
    condition = Q(pk__in=[])
    for group in SpecialGroup.values:
        paths = scope.role_paths(*group_roles(group))
        if paths:
            condition |= Q(group=group) & subtree_q(paths, path_field)
    return condition


def may_see_group(user, grid_path: str, group: str) -> bool:
    scope = user_scope(user)
    return scope.is_global or scope.holds_role_over(grid_path, *group_roles(group))


# --- Imports ----------------------------------------------------------------------------------


def can_import(user) -> bool:
    """May ``user`` import residents? A permission of roles (``RESIDENT_IMPORT_ROLES``:
    administrators, grid leaders and full-time workers by default), held on any node;
    the import writes only inside the user's scope."""
    scope = user_scope(user)
    return scope.is_global or bool(scope.role_paths(*settings.RESIDENT_IMPORT_ROLES))


def can_export(user) -> bool:
    """May ``user`` export residents (masked, logged)? A permission of roles
    (``RESIDENT_EXPORT_ROLES``: administrators, leaders, grid leaders, full-time workers
    and grid police by default), held on any node; the export holds only the user's scope."""
    scope = user_scope(user)
    return scope.is_global or bool(scope.role_paths(*settings.RESIDENT_EXPORT_ROLES))


def can_open_residents(user) -> bool:
    """The residents pages (people, buildings, key places, care visits) are for staff
    holding a role on an area; staff of departments only hold none and are refused (403)
    with a message instead of being shown empty pages."""
    scope = user_scope(user)
    return scope.is_global or bool(scope.area_paths)


def refused_row_reason() -> str:
    """The one reason for a row the importer may not write. It must not tell whether the
    person is registered elsewhere (that would make the import an oracle)."""
    return gettext("you may not register or change this person here; if they live in your grid, ask an administrator to check")
