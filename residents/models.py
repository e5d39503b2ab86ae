"""Residents, housing and places (DESIGN §4): 实有人口、实有房屋、重点场所.

Every row that belongs to a place in the tree keeps the grid it lies in (``grid``), so
scoping is one indexed prefix query on ``grid__path`` (``accounts.scoping``).
ID and phone numbers are stored encrypted, hashed and masked (``residents.crypto``);
nothing here holds them in clear.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from residents.files import private_storage

# --- Housing ------------------------------------------------------------------------------


class Building(models.Model):
    # Lookups by grid alone use the unique (grid, name) index below; so do the units',
    # rooms' and households' parents (their unique natural keys start with the parent).
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="buildings", db_index=False)
    # The name grid workers use inside the grid: 3栋, 月塘小区A座.
    name = models.CharField(_("building"), max_length=60)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    # Building leader (楼栋长): a user (often a part-time grid worker) or just a name and phone.
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("building leader"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    leader_name = models.CharField(_("building leader's name"), max_length=60, blank=True)
    leader_phone = models.CharField(_("building leader's phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid", "name"]
        constraints = [models.UniqueConstraint(fields=["grid", "name"], name="residents_building_unique_in_grid")]

    def __str__(self):
        return self.name


class Unit(models.Model):
    """A unit (单元, a stairwell) of a building. A building without units has one unit
    with an empty name, so every room has a unit and natural keys stay simple."""

    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="units", db_index=False)
    name = models.CharField(_("unit"), max_length=30, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("unit leader"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    leader_name = models.CharField(_("unit leader's name"), max_length=60, blank=True)
    leader_phone = models.CharField(_("unit leader's phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "name"]
        constraints = [models.UniqueConstraint(fields=["building", "name"], name="residents_unit_unique_in_building")]

    def __str__(self):
        return f"{self.building.name}{self.name}"


class RoomUse(models.TextChoices):
    SELF_OCCUPIED = "self", _("Self-occupied")  # 自住
    RENTAL = "rental", _("Rental")  # 出租房屋
    VACANT = "vacant", _("Vacant")  # 空置
    COMMERCIAL = "commercial", _("Commercial")  # 商用


class Room(models.Model):
    """A housing unit (房屋): one door number in a unit of a building."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="rooms", db_index=False)
    # Denormalised from the unit, for queries that start at rooms.
    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="rooms")
    number = models.CharField(_("room"), max_length=20)
    use = models.CharField(_("use"), max_length=16, choices=RoomUse.choices, default=RoomUse.SELF_OCCUPIED)
    owner_name = models.CharField(_("owner"), max_length=60, blank=True)
    # Tenants are the residents living in a rental room.

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["unit", "number"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="residents_room_unique_in_unit")]

    def __str__(self):
        return f"{self.unit}{self.number}"


class Household(models.Model):
    """A household (户), by its household number (户号) within the grid."""

    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="households_set", db_index=False)
    number = models.CharField(_("household number"), max_length=30)
    room = models.ForeignKey(Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.SET_NULL, related_name="households")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [models.UniqueConstraint(fields=["grid", "number"], name="residents_household_unique_in_grid")]

    def __str__(self):
        return self.number


# --- Residents ----------------------------------------------------------------------------


class KeyedHashField(models.BinaryField):
    """A keyed hash (``crypto.lookup_hash``): 64 hex characters in Python, as before,
    stored as its 32 bytes (``bytea``). Half the size of the text in the table and in
    its indexes, compared byte by byte, and no text-pattern index beside the unique one.
    Lookups take the hex text (``filter(id_hash=crypto.lookup_hash(…))``)."""

    def get_db_prep_value(self, value, connection, prepared=False):
        if isinstance(value, str):
            value = bytes.fromhex(value)
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value, expression, connection):
        return None if value is None else bytes(value).hex()

    def to_python(self, value):
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value).hex()
        return value

    def value_to_string(self, obj):
        return self.value_from_object(obj)

    def _check_str_default_value(self):
        return []  # the default is hex text ("" for none), like every value in Python


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("Registered")  # 户籍
    FLOATING = "floating", _("Floating")  # 流动
    LODGING = "lodging", _("Lodging")  # 寄住
    FOREIGN = "foreign", _("Foreign")  # 境外
    UNREGISTERED = "unregistered", _("Not yet registered")  # 未落户


class Resident(models.Model):
    # Indexed by (grid, name) below, which also serves lookups by grid alone.
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="residents", db_index=False)
    room = models.ForeignKey(Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.SET_NULL, related_name="residents")
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    # ID number: encrypted, keyed hash (unique: the upsert key), mask.
    id_cipher = models.BinaryField(editable=False)
    id_hash = KeyedHashField(unique=True)
    id_mask = models.CharField(_("ID number"), max_length=18, editable=False)
    phone_cipher = models.BinaryField(editable=False, blank=True, default=b"")
    phone_hash = KeyedHashField(blank=True, default="")
    phone_mask = models.CharField(_("phone"), max_length=20, blank=True, default="", editable=False)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    residence_type = models.CharField(_("residence type"), max_length=16, choices=ResidenceType.choices, default=ResidenceType.REGISTERED)
    registered_address = models.CharField(_("registered address"), max_length=200, blank=True)
    relation_to_head = models.CharField(_("relation to household head"), max_length=20, blank=True)
    moved_in_on = models.DateField(_("moved in on"), null=True, blank=True)
    # Moving out keeps the record (history); nothing is hard-deleted by grid workers.
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name", "id"]
        indexes = [
            # Name prefix search (LIKE '张%') across a large scope, and within one grid.
            models.Index(fields=["name"], name="residents_name_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["grid", "name"], name="residents_grid_name", opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(fields=["phone_hash"], name="residents_phone_hash", condition=~Q(phone_hash="")),
        ]
        constraints = [
            models.CheckConstraint(
                name="residents_moved_out_after_in",
                condition=Q(moved_out_on__isnull=True) | Q(moved_in_on__isnull=True) | Q(moved_out_on__gte=models.F("moved_in_on")),
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.id_mask}"

    @property
    def is_current(self) -> bool:
        return self.moved_out_on is None


# --- Special groups and care visits ----------------------------------------------------------


class SpecialGroup(models.TextChoices):
    COMMUNITY_CORRECTION = "community_correction", _("Community correction")  # 社区矫正
    RELEASED_PRISONER = "released_prisoner", _("Released prisoner")  # 刑满释放
    SEVERE_MENTAL_DISORDER = "severe_mental_disorder", _("Severe mental disorder")  # 严重精神障碍
    DRUG_USER = "drug_user", _("Drug user")  # 吸毒人员
    KEY_YOUTH = "key_youth", _("Key youth")  # 重点青少年
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")  # 留守儿童
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone / empty-nest")  # 独居/空巢老人
    DISABLED = "disabled", _("Disabled")  # 残疾人
    VETERAN = "veteran", _("Veteran")  # 退役军人
    LOW_INCOME = "low_income", _("Low-income")  # 低保/特困


class CareLevel(models.TextChoices):
    HIGH_RISK = "high", _("High-risk (weekly visits)")
    KEY = "key", _("Key (monthly visits)")
    GENERAL = "general", _("General (quarterly visits)")


VISIT_INTERVAL_DAYS = {CareLevel.HIGH_RISK: 7, CareLevel.KEY: 30, CareLevel.GENERAL: 90}
# The level a group starts at unless the follow-up says otherwise.
DEFAULT_CARE_LEVEL = {
    SpecialGroup.COMMUNITY_CORRECTION: CareLevel.HIGH_RISK,
    SpecialGroup.SEVERE_MENTAL_DISORDER: CareLevel.HIGH_RISK,
    SpecialGroup.DRUG_USER: CareLevel.HIGH_RISK,
    SpecialGroup.RELEASED_PRISONER: CareLevel.KEY,
    SpecialGroup.KEY_YOUTH: CareLevel.KEY,
    SpecialGroup.LEFT_BEHIND_CHILD: CareLevel.KEY,
    SpecialGroup.ELDERLY_ALONE: CareLevel.KEY,
    SpecialGroup.DISABLED: CareLevel.GENERAL,
    SpecialGroup.VETERAN: CareLevel.GENERAL,
    SpecialGroup.LOW_INCOME: CareLevel.GENERAL,
}


class ResidentTag(models.Model):
    """A resident's membership of a special group, with its follow-up data (e.g. the
    correction term, the disability grade, the guardian) and its visit schedule."""

    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="tags")
    # Denormalised from the resident, so overdue lists are one indexed scan per scope.
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    group = models.CharField(_("special group"), max_length=32, choices=SpecialGroup.choices)
    care_level = models.CharField(_("care level"), max_length=8, choices=CareLevel.choices)
    follow_up = models.JSONField(_("follow-up data"), default=dict, blank=True)
    since = models.DateField(_("since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    next_visit_due = models.DateField(_("next visit due"))

    class Meta:
        verbose_name = _("special-group tag")
        verbose_name_plural = _("special-group tags")
        constraints = [
            models.UniqueConstraint(fields=["resident", "group"], condition=Q(ended_on__isnull=True), name="residents_one_active_tag_per_group"),
        ]
        indexes = [models.Index(fields=["next_visit_due"], condition=Q(ended_on__isnull=True), name="residents_tag_due")]

    def __str__(self):
        return f"{self.resident.name} · {self.get_group_display()}"

    @property
    def interval_days(self) -> int:
        return VISIT_INTERVAL_DAYS[self.care_level]

    def is_overdue(self, today: datetime.date) -> bool:
        return self.ended_on is None and self.next_visit_due < today


class CareVisit(models.Model):
    tag = models.ForeignKey(ResidentTag, verbose_name=_("special-group tag"), on_delete=models.CASCADE, related_name="visits")
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("visited by"), on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("visited on"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return f"{self.tag} {self.visited_on}"


# --- Key places -------------------------------------------------------------------------------


class PlaceKind(models.TextChoices):
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    MARKET = "market", _("Market")
    ENTERTAINMENT = "entertainment", _("Entertainment venue")
    HAZARDOUS = "hazardous", _("Hazardous-goods site")
    CONSTRUCTION = "construction", _("Construction site")
    RELIGIOUS = "religious", _("Religious venue")
    OTHER = "other", _("Other")


class KeyPlace(models.Model):
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="key_places")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("key place")
        verbose_name_plural = _("key places")
        ordering = ["grid", "name"]
        constraints = [models.UniqueConstraint(fields=["grid", "name"], name="residents_place_unique_in_grid")]

    def __str__(self):
        return self.name


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("No problems")
    ISSUES = "issues", _("Problems found")


class PlaceInspection(models.Model):
    place = models.ForeignKey(KeyPlace, verbose_name=_("key place"), on_delete=models.CASCADE, related_name="inspections")
    inspected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspected by"), on_delete=models.PROTECT, related_name="+")
    inspected_on = models.DateField(_("inspected on"))
    result = models.CharField(_("result"), max_length=8, choices=InspectionResult.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-id"]

    def __str__(self):
        return f"{self.place} {self.inspected_on}"


# --- Personal-data access log ------------------------------------------------------------------


class AccessAction(models.TextChoices):
    REVEAL = "reveal", _("Reveal")
    EXPORT = "export", _("Export")
    # An exact search by ID number or phone (``field``; ``row_count``: how many matched).
    SEARCH = "search", _("Exact search")
    # An exact search refused because the user's search budget was spent.
    REFUSED = "refused", _("Search refused (over budget)")
    # An import file or error report downloaded (``filters``: the import).
    DOWNLOAD = "download", _("File download")


class PersonalDataAccess(models.Model):
    """Append-only: who revealed or exported residents' personal data, when and why.

    Written only by ``residents.services``; the admin shows it read-only, and saving an
    existing row or deleting one raises (on PostgreSQL a trigger refuses it too).
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=8, choices=AccessAction.choices)
    resident = models.ForeignKey(Resident, verbose_name=_("resident"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(_("field"), max_length=20, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Exports: the filter and how many rows went out, and whether they were masked.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data access log")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        # The search budget counts a user's recent exact searches.
        indexes = [models.Index(fields=["actor", "action", "at"], name="residents_access_by_actor")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("the personal-data access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("the personal-data access log is append-only")


# --- Imports -----------------------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportKind(models.TextChoices):
    RESIDENTS = "residents", _("residents")
    KEY_PLACES = "key_places", _("key places")


class ResidentImport(models.Model):
    """One import of a residents (or key places) file: who, which file, progress and the outcome."""

    # Empty for a system import (the management command run without --user).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Stored encrypted (residents.files) and deleted after the retention (files_purged_at).
    file = models.FileField(_("file"), upload_to="residents/imports/%Y/%m/", storage=private_storage, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("what the file holds"), max_length=12, choices=ImportKind.choices, default=ImportKind.RESIDENTS)
    upgrade_ids = models.BooleanField(_("upgrade 15-digit ID numbers"), default=False)
    # The .xlsx sheet to read; empty: the first.
    sheet = models.CharField(_("sheet"), max_length=100, blank=True, default="")
    # The uploader's language: the error report is written in it.
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    # One clear error for a file that cannot be read at all (wrong type, headers, empty).
    message = models.TextField(_("message"), blank=True)
    # Data rows in the file, counted before the import starts (for the progress bar).
    total_rows = models.PositiveIntegerField(_("rows in file"), default=0)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The first errors (row, column, reason) for the page; all of them are in error_file.
    error_sample = models.JSONField(default=list, blank=True)
    # What the reader says about the file as a whole: rows skipped above the header,
    # other sheets and their row counts, columns not imported, mixed encodings.
    notes = models.JSONField(default=list, blank=True)
    error_file = models.FileField(_("error report"), upload_to="residents/import-errors/%Y/%m/", blank=True, storage=private_storage)
    files_purged_at = models.DateTimeField(_("files deleted at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("resident import")
        verbose_name_plural = _("resident imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class PiiRotation(models.Model):
    """Progress of ``manage.py rotate_pii_key`` to one key (``residents.rotation``): the
    last id done per table, so that a rotation that died goes on where it stopped."""

    key_id = models.CharField(_("key id"), max_length=16, unique=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    progress = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal-data key rotation")
        verbose_name_plural = _("personal-data key rotations")

    def __str__(self):
        return self.key_id
