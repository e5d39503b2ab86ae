"""Staff, departments and role assignments (DESIGN §3)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import GRID_LEVELS, AreaLevel
from grids.names import Bilingual


class User(AbstractUser):
    # Chinese names are one string; first/last name stay for Django's own forms.
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("work phone"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return f"{self.full_name} ({self.username})" if self.full_name else self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    # Django's admin greets the user with these: the person's name, not the login.
    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name()

    def get_short_name(self) -> str:
        return self.full_name or super().get_short_name()


class DepartmentKind(models.TextChoices):
    URBAN_MANAGEMENT = "urban_management", _("Urban management")  # 城管
    LAW_ENFORCEMENT = "law_enforcement", _("Comprehensive law enforcement")  # 综合执法
    MARKET_REGULATION = "market_regulation", _("Market regulation")  # 市场监管
    EMERGENCY = "emergency", _("Emergency management")  # 应急管理
    PUBLIC_SECURITY = "public_security", _("Public security")  # 公安
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")  # 民政
    HOUSING = "housing", _("Housing and construction")  # 住建
    ENVIRONMENT = "environment", _("Ecology and environment")  # 生态环境
    TRANSPORT = "transport", _("Transport")  # 交通运输
    WATER = "water", _("Water affairs")  # 水务
    HEALTH = "health", _("Health")  # 卫健
    EDUCATION = "education", _("Education")  # 教育
    JUSTICE = "justice", _("Justice")  # 司法
    PETITIONS = "petitions", _("Letters and visits")  # 信访
    HUMAN_RESOURCES = "human_resources", _("Human resources and social security")  # 人社
    NATURAL_RESOURCES = "natural_resources", _("Natural resources")  # 自然资源
    FIRE = "fire", _("Fire and rescue")  # 消防
    UTILITIES = "utilities", _("Utilities")  # 供水供电供气
    OTHER = "other", _("Other")


class Department(Bilingual, models.Model):
    """A functional department (职能部门) at one node of the tree, e.g. 区城管局 at a
    district, 街道城管中队 at a street. Its handlers hold department roles."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Shown when the interface is in English (grids.names); blank: the Chinese name.
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices, default=DepartmentKind.OTHER)
    area = models.ForeignKey("grids.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="departments")
    parent = models.ForeignKey(
        "self", verbose_name=_("superior department"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    phone = models.CharField(_("duty phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The department's members as an auth group, so object-level grants (django-guardian)
    # can be given to the whole department at once (e.g. access to a dispatched event).
    group = models.OneToOneField(Group, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="department")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.label


class Role(models.TextChoices):
    GRID_LEADER = "grid_leader", _("Grid leader")  # 网格长
    GRID_WORKER = "grid_worker", _("Full-time grid worker")  # 专职网格员
    PARTTIME_WORKER = "parttime_worker", _("Part-time grid worker")  # 兼职网格员 (楼栋长、单元长、志愿者、物业)
    POLICE = "police", _("Grid police liaison")  # 网格民警
    LEGAL = "legal", _("Legal liaison")  # 政法网格员 (法官、检察官、警官、律师)
    DOCTOR = "doctor", _("Family doctor")  # 签约家庭医生
    LIAISON = "liaison", _("Liaison cadre")  # 网格联络员 / 下沉干部
    DISPATCHER = "dispatcher", _("Command-center dispatcher")  # 指挥中心坐席
    DEPT_HANDLER = "dept_handler", _("Department handler")  # 部门处置人员
    DEPT_ADMIN = "dept_admin", _("Department admin")  # 部门管理员
    LEADER = "leader", _("Leader")  # 领导
    ADMIN = "admin", _("Administrator")  # 系统管理员


DEPARTMENT_ROLES = (Role.DEPT_HANDLER, Role.DEPT_ADMIN)
_ALL_LEVELS = tuple(AreaLevel)
# The levels each area role may be held on.
ROLE_LEVELS = {
    Role.GRID_LEADER: (*GRID_LEVELS, AreaLevel.COMMUNITY),  # 一级网格长 on a community
    Role.GRID_WORKER: GRID_LEVELS,
    Role.PARTTIME_WORKER: GRID_LEVELS,
    Role.POLICE: GRID_LEVELS,
    Role.LEGAL: GRID_LEVELS,
    Role.DOCTOR: GRID_LEVELS,
    Role.LIAISON: GRID_LEVELS,
    Role.DISPATCHER: (AreaLevel.STREET, AreaLevel.DISTRICT, AreaLevel.CITY, AreaLevel.PROVINCE),
    Role.LEADER: _ALL_LEVELS,
    Role.ADMIN: _ALL_LEVELS,
}


class RoleAssignment(models.Model):
    """A user holds a role on one node of the tree or on one department.

    Revoking keeps the row (with ``revoked_at``) so the history of who was
    responsible for a grid when survives staff changes.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    area = models.ForeignKey(
        "grids.Area", verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="role_assignments"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="role_assignments"
    )
    # Free title inside the role: 楼栋长, 单元长, 志愿者, 物业; 法官, 检察官, 律师; 党组织书记 …
    title = models.CharField(_("title"), max_length=40, blank=True)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                name="accounts_role_on_area_xor_department",
                condition=(Q(area__isnull=False, department__isnull=True, role__in=[r for r in Role if r not in DEPARTMENT_ROLES]))
                | (Q(area__isnull=True, department__isnull=False, role__in=DEPARTMENT_ROLES)),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=Q(revoked_at__isnull=True, area__isnull=False),
                name="accounts_unique_active_area_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=Q(revoked_at__isnull=True, department__isnull=False),
                name="accounts_unique_active_department_role",
            ),
        ]
        indexes = [
            models.Index(fields=["user"], condition=Q(revoked_at__isnull=True), name="accounts_active_by_user"),
            models.Index(fields=["area", "role"], condition=Q(revoked_at__isnull=True), name="accounts_active_by_area"),
        ]

    def __str__(self):
        target = self.area or self.department
        return f"{self.user} · {self.get_role_display()} · {target}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEntry(models.Model):
    """Who changed what in the configuration (areas, grids, departments, roles).

    Written by services through ``accounts.audit.audit_record``; read-only everywhere.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="accounts_audit_object")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"
