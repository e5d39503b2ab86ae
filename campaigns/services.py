"""Writes for campaigns: create, change the form, publish, refresh the targets, close;
reassign a target. Answers and events filed from a campaign are in
``campaigns.answers``. Every service takes ``actor=``, locks what it changes, and
keeps the progress counters in the same transaction."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import RoleAssignment
from accounts.scoping import GRID_WORKER_ROLES
from campaigns import counters, population
from campaigns.formspec import form_check
from campaigns.models import Campaign, CampaignState, FormVersion, Progress, Target, TargetKind
from campaigns.refresh import targets_refresh
from campaigns.selectors import can_manage, can_reassign
from events.models import Category
from residents.models import PlaceKind, SpecialGroup


def _category(value) -> Category | None:
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        category = value
    else:
        category = Category.objects.filter(**({"pk": value} if isinstance(value, int) else {"code": str(value)})).first()
    if category is None or not category.is_active or not category.is_small_class:
        raise ValidationError({"problem_category": _("Choose a small class of events for the problems.")})
    return category


def _check(*, target_kind, place_kinds, groups, form, starts_on, ends_on, problem_category) -> dict:
    errors = {}
    if target_kind not in TargetKind.values:
        errors["target_kind"] = _("Choose what the campaign visits.")
    if any(kind not in PlaceKind.values for kind in place_kinds):
        errors["place_kinds"] = _("Unknown kind of key place.")
    if any(group not in SpecialGroup.values for group in groups):
        errors["groups"] = _("Unknown special group.")
    if target_kind == TargetKind.SPECIAL_GROUP and not groups:
        errors["groups"] = _("Choose the special groups whose members are visited.")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The campaign cannot end before it starts.")
    try:
        form = form_check(form)
    except ValidationError as error:
        errors["form"] = error.messages
    try:
        category = _category(problem_category)
    except ValidationError as error:
        errors.update(error.message_dict)
        category = None
    for spec in form if isinstance(form, list) and "form" not in errors else []:
        if spec.get("category"):
            try:
                _category(spec["category"])
            except ValidationError:
                errors["form"] = [_("Field %(code)s names an unknown small class.") % {"code": spec["code"]}]
    if "form" not in errors and category is None and any(spec.get("problem") and not spec.get("category") for spec in form):
        errors["problem_category"] = _("Choose the small class that problems are filed as.")
    if errors:
        raise ValidationError(errors)
    return {"form": form, "problem_category": category}


def campaign_create(*, actor, area, name: str, target_kind: str, form, starts_on: datetime.date, ends_on: datetime.date,
                    place_kinds=(), groups=(), problem_category=None, description: str = "",
                    allow_late: bool = False) -> Campaign:
    """A draft campaign on ``area``, by a dispatcher, administrator or leader of it."""
    if not can_manage(actor, area):
        raise PermissionDenied(_("Only the command center, administrators and leaders of this area create campaigns."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the campaign a name.")})
    checked = _check(target_kind=target_kind, place_kinds=list(place_kinds), groups=list(groups), form=form,
                     starts_on=starts_on, ends_on=ends_on, problem_category=problem_category)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            area=area, name=name[:100], description=description, target_kind=target_kind, place_kinds=list(place_kinds),
            groups=list(groups), form=checked["form"], problem_category=checked["problem_category"], starts_on=starts_on,
            ends_on=ends_on, allow_late=allow_late, created_by=actor,
        )
        FormVersion.objects.create(campaign=campaign, version=campaign.form_version, form=campaign.form, by=actor)
        audit_record(actor=actor, action="campaign_create", obj=campaign, changes={"area": area.code, "kind": target_kind})
    return campaign


def campaign_form_change(*, actor, campaign: Campaign, form, problem_category=None) -> Campaign:
    """A new version of the form — fields, required flags, conditions, problem rules —
    also after publishing: answers keep the version they were given against (kept in
    ``FormVersion``), new answers are checked against the new one. Refused once closed."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("area").get(pk=campaign.pk)
        if not can_manage(actor, campaign):
            raise PermissionDenied(_("Only the command center, administrators and leaders of this area change campaigns."))
        if campaign.state == CampaignState.CLOSED:
            raise ValidationError(_("The campaign is closed."))
        checked = _check(target_kind=campaign.target_kind, place_kinds=campaign.place_kinds, groups=campaign.groups,
                         form=form, starts_on=campaign.starts_on, ends_on=campaign.ends_on,
                         problem_category=problem_category or campaign.problem_category)
        if checked["form"] == campaign.form and checked["problem_category"] == campaign.problem_category:
            return campaign  # nothing changed: no new version
        before = {spec["code"] for spec in campaign.form}
        after = {spec["code"] for spec in checked["form"]}
        campaign.form, campaign.problem_category = checked["form"], checked["problem_category"]
        campaign.form_version += 1
        campaign.save(update_fields=["form", "problem_category", "form_version"])
        FormVersion.objects.create(campaign=campaign, version=campaign.form_version, form=campaign.form, by=actor)
        audit_record(actor=actor, action="campaign_form_change", obj=campaign, changes={
            "version": campaign.form_version, "added": sorted(after - before), "removed": sorted(before - after),
            "problem_category": campaign.problem_category.code if campaign.problem_category else ""})
    return campaign


def campaign_publish(*, actor, campaign: Campaign) -> int:
    """Create every grid worker's targets from the registry as it is now (one
    ``INSERT … SELECT``), build the counters, and open the campaign. Returns the number
    of targets. Publishing twice is refused."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("area").get(pk=campaign.pk)
        if not can_manage(actor, campaign):
            raise PermissionDenied(_("Only the command center, administrators and leaders of this area publish campaigns."))
        if campaign.state != CampaignState.DRAFT:
            raise ValidationError(_("The campaign is already published."))
        now = timezone.now()
        created = population.population_insert(campaign, at=now)
        counters.progress_rebuild(campaign)
        campaign.state, campaign.published_at, campaign.published_by = CampaignState.PUBLISHED, now, actor
        campaign.save(update_fields=["state", "published_at", "published_by"])
        audit_record(actor=actor, action="campaign_publish", obj=campaign, changes={"targets": created})
        transaction.on_commit(_statistics_refresh)
    return created


def _statistics_refresh() -> None:
    """Planner statistics for the rows publishing just wrote: without them PostgreSQL
    plans the first answers as if the targets table were as small as before (autovacuum
    catches up only later)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE campaigns_target, campaigns_progress")


def campaign_refresh(*, actor, campaign: Campaign) -> dict[str, int]:
    """Bring every target in line with the registry after moves (``campaigns.refresh``;
    moves in a few grids refresh those by themselves). Then the counters are rebuilt."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("area").get(pk=campaign.pk)
        if actor is not None and not can_manage(actor, campaign):
            raise PermissionDenied(_("Only the command center, administrators and leaders of this area refresh campaigns."))
        if campaign.state != CampaignState.PUBLISHED:
            raise ValidationError(_("Only a published campaign's targets can be refreshed."))
        now = timezone.now()
        result = targets_refresh(campaign, at=now)
        campaign.refreshed_at = now
        campaign.save(update_fields=["refreshed_at"])
        audit_record(actor=actor, action="campaign_refresh", obj=campaign, changes=result)
    return result


def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    """Close the campaign (by hand, or by the daily task at its end date: ``actor=None``)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("area").get(pk=campaign.pk)
        if actor is not None and not can_manage(actor, campaign):
            raise PermissionDenied(_("Only the command center, administrators and leaders of this area close campaigns."))
        if campaign.state != CampaignState.PUBLISHED:
            raise ValidationError(_("Only a published campaign can be closed."))
        campaign.state, campaign.closed_at = CampaignState.CLOSED, timezone.now()
        campaign.save(update_fields=["state", "closed_at"])
        audit_record(actor=actor, action="campaign_close", obj=campaign)
    return campaign


def campaigns_close_due(*, today: datetime.date) -> int:
    """Close every published campaign whose end date has passed. Safe to run twice."""
    closed = 0
    for campaign in Campaign.objects.filter(state=CampaignState.PUBLISHED, ends_on__lt=today):
        try:
            campaign_close(actor=None, campaign=campaign)
            closed += 1
        except ValidationError:
            continue  # closed meanwhile
    return closed


def target_reassign(*, actor, target: Target, worker) -> Target:
    """Give a target to another grid worker of the same grid; the counters follow."""
    with transaction.atomic():
        target = Target.objects.select_for_update().select_related("campaign__area", "grid").get(pk=target.pk)
        if not can_reassign(actor, target):
            raise PermissionDenied(_("Only the grid leader or the command center reassigns targets."))
        holds = RoleAssignment.objects.filter(user=worker, area=target.grid, role__in=GRID_WORKER_ROLES,
                                              revoked_at__isnull=True).exists()
        if not holds:
            raise ValidationError({"worker": _("Choose a grid worker of this grid.")})
        if target.worker_id == worker.pk:
            return target
        counts = counters.target_counts(target.status, target.problem, target.event_id)
        counters.worker_row_ensure(campaign=target.campaign, grid=target.grid, worker_id=worker.pk)
        old = target.worker_id
        target.worker = worker
        target.save(update_fields=["worker"])
        # Only the worker rows move; the nodes' totals stay the same.
        rows = Progress.objects.select_for_update().filter(campaign=target.campaign, area=target.grid,
                                                           worker_id__in=[w for w in (old, worker.pk) if w]).order_by("pk")
        for row in rows:
            sign = -1 if row.worker_id == old else 1
            for name, value in counts.items():
                setattr(row, name, getattr(row, name) + sign * value)
            row.save(update_fields=list(counts))
    return target
