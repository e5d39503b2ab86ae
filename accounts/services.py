"""Writes for staff, departments and role assignments.

``actor=None`` means the system itself (management commands, data loading); every
other actor must be allowed to manage the node or department concerned.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import DEPARTMENT_ROLES, ROLE_LEVELS, Department, Role, RoleAssignment, User
from accounts.scoping import can_manage_area, departments_manageable_by, forget_scope, user_scope
from grids.models import Area, AreaLevel

ADMIN_GROUP_NAME = "platform-administrators"
# Models an administrator configures in the Django admin (always within their subtree).
_ADMIN_MODELS = {
    "accounts": ("user", "department", "roleassignment"),
    "grids": ("area", "grid"),
}
_ADMIN_READ_ONLY_MODELS = {
    "accounts": ("auditentry",),
    "governance": ("heartbeat",),
    "residents": ("personaldataaccess", "residentimport"),
}


def admin_group() -> Group:
    group, _created = Group.objects.get_or_create(name=ADMIN_GROUP_NAME)
    wanted = []
    for app_label, models in _ADMIN_MODELS.items():
        wanted += Permission.objects.filter(content_type__app_label=app_label, content_type__model__in=models)
    for app_label, models in _ADMIN_READ_ONLY_MODELS.items():
        wanted += Permission.objects.filter(
            content_type__app_label=app_label, content_type__model__in=models, codename__startswith="view_"
        )
    group.permissions.set(wanted)
    return group


def _department_group(department: Department) -> Group:
    if department.group_id is None:
        department.group, _created = Group.objects.get_or_create(name=f"department:{department.code}")
        department.save(update_fields=["group"])
    return department.group


def _require_manage_area(actor, area: Area | None) -> None:
    if actor is not None and not can_manage_area(actor, area):
        raise PermissionDenied(_("You may only configure areas inside your own subtree."))


def _require_manage_department(actor, department: Department) -> None:
    if actor is not None and not departments_manageable_by(actor).filter(pk=department.pk).exists():
        raise PermissionDenied(_("You may only configure your own departments."))


# --- Departments ----------------------------------------------------------------------


def department_create(
    *, actor, code: str, name: str, area: Area, kind: str = "other", parent: Department | None = None, phone: str = "",
    name_en: str = "",
) -> Department:
    _require_manage_area(actor, area)
    if parent is not None and not area.path.startswith(parent.area.path):
        raise ValidationError(
            {"parent": _("A superior department must sit at the same node or above (%(area)s).") % {"area": parent.area}}
        )
    with transaction.atomic():
        department = Department(code=code, name=name, name_en=name_en, area=area, kind=kind, parent=parent, phone=phone)
        department.full_clean()
        department.save()
        _department_group(department)
        audit_record(actor=actor, action="department_create", obj=department, changes={"area": area.code})
    return department


def department_update(*, actor, department: Department, **changes) -> Department:
    allowed = {"name", "name_en", "kind", "parent", "phone", "is_active", "area"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    with transaction.atomic():
        department = Department.objects.select_for_update().get(pk=department.pk)
        _require_manage_department(actor, department)
        if "area" in changes:
            _require_manage_area(actor, changes["area"])
        changed = {}
        for field, value in changes.items():
            if getattr(department, field) != value:
                changed[field] = str(value)
                setattr(department, field, value)
        if changed:
            department.full_clean()
            department.save(update_fields=list(changed))
            audit_record(actor=actor, action="department_update", obj=department, changes=changed)
    return department


# --- Role assignments -----------------------------------------------------------------


def role_assignment_check(role: str, area: Area | None, department: Department | None) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role %(role)s.") % {"role": role}})
    if role in DEPARTMENT_ROLES:
        if department is None or area is not None:
            raise ValidationError({"department": _("The role %(role)s is held on a department.") % {"role": Role(role).label}})
        return
    if area is None or department is not None:
        raise ValidationError({"area": _("The role %(role)s is held on a node of the area tree.") % {"role": Role(role).label}})
    levels = ROLE_LEVELS[role]
    if area.level not in levels:
        raise ValidationError(
            {
                "area": _("The role %(role)s cannot be held on a %(level)s; allowed: %(allowed)s.")
                % {
                    "role": Role(role).label,
                    "level": AreaLevel(area.level).label,
                    "allowed": "、".join(str(AreaLevel(level).label) for level in levels),
                }
            }
        )


def role_grant(
    *, actor, user: User, role: str, area: Area | None = None, department: Department | None = None, title: str = ""
) -> RoleAssignment:
    """Give ``user`` the ``role`` on ``area`` or ``department``; granting an active
    assignment again returns it unchanged."""
    role_assignment_check(role, area, department)
    if department is not None:
        _require_manage_department(actor, department)
    else:
        _require_manage_area(actor, area)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = RoleAssignment.objects.filter(
            user=user, role=role, area=area, department=department, revoked_at__isnull=True
        ).first()
        if existing is not None:
            if existing.title != title and title:
                existing.title = title
                existing.save(update_fields=["title"])
            return existing
        try:
            with transaction.atomic():
                assignment = RoleAssignment.objects.create(
                    user=user, role=role, area=area, department=department, title=title, granted_by=actor
                )
        except IntegrityError:
            # A concurrent grant of the same role won the race.
            return RoleAssignment.objects.get(user=user, role=role, area=area, department=department, revoked_at__isnull=True)
        if role == Role.ADMIN and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        if role == Role.ADMIN:
            user.groups.add(admin_group())
        if department is not None:
            user.groups.add(_department_group(department))
        audit_record(
            actor=actor,
            action="role_grant",
            obj=assignment,
            changes={"user": user.username, "role": role, "area": area.code if area else None,
                     "department": department.code if department else None, "title": title},
        )
    forget_scope(user)
    return assignment


def role_revoke(*, actor, assignment: RoleAssignment) -> RoleAssignment:
    with transaction.atomic():
        assignment = (
            RoleAssignment.objects.select_for_update(of=("self",))
            .select_related("user", "area", "department")
            .get(pk=assignment.pk)
        )
        if assignment.department_id:
            _require_manage_department(actor, assignment.department)
        else:
            _require_manage_area(actor, assignment.area)
        if assignment.revoked_at is not None:
            return assignment
        assignment.revoked_at = timezone.now()
        assignment.revoked_by = actor
        assignment.save(update_fields=["revoked_at", "revoked_by"])
        user = assignment.user
        active = RoleAssignment.objects.filter(user=user, revoked_at__isnull=True)
        if assignment.role == Role.ADMIN and not active.filter(role=Role.ADMIN).exists():
            user.groups.remove(admin_group())
            if not user.is_superuser and user.is_staff:
                user.is_staff = False
                user.save(update_fields=["is_staff"])
        if assignment.department_id and not active.filter(department_id=assignment.department_id).exists():
            user.groups.remove(_department_group(assignment.department))
        audit_record(actor=actor, action="role_revoke", obj=assignment, changes={"user": user.username, "role": assignment.role})
    forget_scope(user)
    return assignment


def user_create(*, actor, username: str, password: str | None, full_name: str = "", phone: str = "", email: str = "") -> User:
    """Create a staff account. Non-global actors must give it a role in the same
    transaction (see ``accounts.admin``) so it never falls outside their scope."""
    if actor is not None and not (user_scope(actor).is_global or user_scope(actor).admin_paths or user_scope(actor).admin_department_ids):
        raise PermissionDenied(_("Only administrators create accounts."))
    user = User(username=username, full_name=full_name, phone=phone, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=actor, action="user_create", obj=user)
    return user
