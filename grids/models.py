"""The administrative tree: city → district/county → street/township → community/village
→ grid (→ second-level grid), as one materialized-path tree (django-treebeard).

A subtree is one indexed prefix query on ``path`` (``LIKE 'prefix%'``); no recursion in
Python. Grids are the nodes at the grid levels; they carry the grid attributes and a
boundary polygon, which the point → grid index (``grids.spatial``) is built from.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager

from grids.names import Bilingual


class AreaLevel(models.TextChoices):
    # 省: only for province-wide deployments; a city deployment has the city as root.
    PROVINCE = "province", _("Province")
    # 市 (地级市)
    CITY = "city", _("City")
    # 区 / 县 / 县级市
    DISTRICT = "district", _("District / county")
    # 街道 / 镇 / 乡
    STREET = "street", _("Street / township")
    # 社区 / 村
    COMMUNITY = "community", _("Community / village")
    # 网格 (一级网格)
    GRID = "grid", _("Grid")
    # 二级网格: a finer grid inside a grid, where a city uses two grid levels.
    SUBGRID = "subgrid", _("Second-level grid")


LEVEL_ORDER = [choice.value for choice in AreaLevel]
GRID_LEVELS = (AreaLevel.GRID, AreaLevel.SUBGRID)
# The level a node's parent must have.
PARENT_LEVEL = {
    AreaLevel.CITY: AreaLevel.PROVINCE,
    AreaLevel.DISTRICT: AreaLevel.CITY,
    AreaLevel.STREET: AreaLevel.DISTRICT,
    AreaLevel.COMMUNITY: AreaLevel.STREET,
    AreaLevel.GRID: AreaLevel.COMMUNITY,
    AreaLevel.SUBGRID: AreaLevel.GRID,
}
# Levels that may stand at the root of the tree.
ROOT_LEVELS = (AreaLevel.PROVINCE, AreaLevel.CITY)


class GridType(models.TextChoices):
    BASIC = "basic", _("Basic grid")  # 基础网格 (residential)
    EXCLUSIVE = "exclusive", _("Exclusive grid")  # 专属网格


class ExclusiveKind(models.TextChoices):
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    MARKET = "market", _("Market")
    PARK = "park", _("Park")
    INDUSTRIAL_PARK = "industrial_park", _("Industrial park")
    ENTERPRISE = "enterprise", _("Large enterprise")
    COMPOUND = "compound", _("Government compound")
    TRANSPORT = "transport", _("Transport hub")
    OTHER = "other", _("Other")


class Area(Bilingual, MP_Node):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Shown when the interface is in English (grids.names); blank: the Chinese name.
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices, db_index=True)
    # Grid attributes (only on grid levels; enforced by the constraints below).
    grid_type = models.CharField(_("grid type"), max_length=16, choices=GridType.choices, blank=True)
    exclusive_kind = models.CharField(_("exclusive kind"), max_length=24, choices=ExclusiveKind.choices, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    # Boundary as a GeoJSON geometry (Polygon or MultiPolygon, WGS84 lon/lat), with its
    # bounding box and a representative point (always inside) for labels and maps.
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    label_lon = models.FloatField(null=True, blank=True, editable=False)
    label_lat = models.FloatField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MP_NodeManager()

    # No node_order_by: new nodes are appended, so existing paths never shift when a
    # sibling is added (later apps may keep a node's path on their own rows).

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]
        indexes = [
            # Subtree queries are ``path LIKE 'prefix%'``; PostgreSQL uses a btree for
            # that only with the pattern operator class (the unique index on path
            # follows the database collation). Ignored on SQLite.
            models.Index(fields=["path"], name="grids_area_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "path"], name="grids_area_level_path"),
        ]
        constraints = [
            models.CheckConstraint(
                name="grids_area_grid_type_only_on_grids",
                condition=(Q(level__in=GRID_LEVELS) & ~Q(grid_type="")) | (~Q(level__in=GRID_LEVELS) & Q(grid_type="")),
            ),
            models.CheckConstraint(
                name="grids_area_exclusive_kind_only_on_exclusive",
                condition=(Q(grid_type=GridType.EXCLUSIVE) & ~Q(exclusive_kind=""))
                | (~Q(grid_type=GridType.EXCLUSIVE) & Q(exclusive_kind="")),
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.code})"

    @property
    def is_grid(self) -> bool:
        return self.level in GRID_LEVELS

    @property
    def kind_label(self) -> str:
        """The local word for this node (街道 or 镇 or 乡; 社区 or 村), read off its code.

        Statistical codes number streets 001–099, towns 100–199 and townships 200–399;
        residents' committees 001–199 and village committees 200–399.
        """
        from grids.codes import kind_label

        return kind_label(self.code, self.level)

    @property
    def sizing_warnings(self) -> list[str]:
        """Warnings when a basic grid exceeds the configured size (DESIGN §2)."""
        if self.grid_type != GridType.BASIC:
            return []
        from django.utils.translation import gettext

        warnings = []
        if self.households is not None and self.households > settings.GRID_MAX_HOUSEHOLDS:
            warnings.append(
                gettext("%(count)s households exceeds the limit of %(limit)s")
                % {"count": self.households, "limit": settings.GRID_MAX_HOUSEHOLDS}
            )
        if self.population is not None and self.population > settings.GRID_MAX_POPULATION:
            warnings.append(
                gettext("%(count)s residents exceeds the limit of %(limit)s")
                % {"count": self.population, "limit": settings.GRID_MAX_POPULATION}
            )
        return warnings


class GridManager(MP_NodeManager):
    def get_queryset(self):
        return super().get_queryset().filter(level__in=GRID_LEVELS)


class Grid(Area):
    """The grid-level nodes of the tree, for admin pages and selectors that list grids."""

    objects = GridManager()

    class Meta:
        proxy = True
        verbose_name = _("grid")
        verbose_name_plural = _("grids")


class BoundaryRevision(models.Model):
    """One row whose token is replaced, in the same transaction, whenever any boundary
    changes. Every process compares it with the token its point → grid index was built
    from and rebuilds when they differ (``grids.spatial``). A random token rather than
    a counter: a rolled-back change can never leave two different sets of boundaries
    under the same value."""

    token = models.CharField(max_length=32, default="")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("boundary revision")

    def __str__(self):
        return f"{self.token} @ {self.changed_at:%Y-%m-%d %H:%M:%S}"
