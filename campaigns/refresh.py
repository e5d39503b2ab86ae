"""Targets that follow the registry after publishing.

``targets_refresh`` brings a published campaign's targets in line with the registry —
all of them (``campaign_refresh``, the button and the nightly task) or only those of a
few grids. A target that left the population (moved out, tag ended, household empty,
building removed) and is not yet visited is closed as moved out; a new member gets a
target; one whose object moved to another grid of the campaign goes with it to that
grid's worker. Visited targets are never changed.

Moves refresh the campaigns by themselves: the registry's services send
``residents.signals.registry_changed`` inside their transaction, and
``refresh_due_record`` writes a ``RefreshDue`` row per grid in that same transaction
(so a move that commits always leaves its row, one that rolls back leaves none) and
hands the sweep to the worker on commit. ``campaigns_refresh_due`` (that task, and
every minute from beat in case the broker was down) refreshes the published campaigns
over those grids and deletes the rows in one transaction: a sweep that dies keeps them.
"""

from django.db import transaction
from django.db.models import Q

from campaigns import counters, population
from campaigns.models import Campaign, CampaignState, RefreshDue, Target, TargetStatus
from grids.models import Area

SWEEP_BATCH = 500


def targets_refresh(campaign: Campaign, *, at, grid_ids=None) -> dict[str, int]:
    """Refresh the targets (all, or those in ``grid_ids`` and those whose object is now
    there); then their grids' counters. Call in a transaction, the campaign locked."""
    limited = grid_ids is not None
    targets = Target.objects.select_for_update().filter(campaign=campaign)
    if limited:
        grid_ids = sorted(set(grid_ids))
        current = population.population_now(campaign, grid_ids=grid_ids)
        targets = targets.filter(Q(grid_id__in=grid_ids) | Q(object_id__in=list(current)))
        # Objects of those grids' targets that left for a grid elsewhere in the campaign.
        known = list(targets.filter(status__in=(TargetStatus.PENDING, TargetStatus.NOT_HOME))
                     .values_list("object_id", flat=True))
        current.update(population.population_now(campaign, grid_ids=[], object_ids=known) if known else {})
    else:
        current = population.population_now(campaign)
    gone, moved, touched = [], [], set(grid_ids or ())
    # Targets first, counters after: the same lock order as an answer.
    for target in targets.order_by("pk").only("pk", "object_id", "grid_id", "status", "building_id", "label",
                                              "worker_id").iterator(chunk_size=5000):
        if target.status in (TargetStatus.DONE, TargetStatus.MOVED_OUT):
            continue
        found = current.get(target.object_id)
        if found is None:
            target.status = TargetStatus.MOVED_OUT
            gone.append(target)
            touched.add(target.grid_id)
        elif found[0] != target.grid_id:
            touched.update((target.grid_id, found[0]))
            target.grid_id, target.building_id, target.label, target.worker_id = found
            moved.append(target)
    Target.objects.bulk_update(gone, ["status"], batch_size=5000)
    Target.objects.bulk_update(moved, ["grid_id", "building_id", "label", "worker_id"], batch_size=5000)
    added = population.population_insert(campaign, at=at, grid_ids=grid_ids)
    counters.progress_rebuild(campaign, sorted(touched) if limited else None)
    return {"moved_out": len(gone), "moved": len(moved), "added": added}


def refresh_due_record(*, grid_ids) -> None:
    """The receiver of ``registry_changed``: mark the grids for the sweep, when a
    published campaign could cover them, and hand the sweep to the worker on commit."""
    grid_ids = sorted({grid_id for grid_id in grid_ids if grid_id})
    if not grid_ids or not Campaign.objects.filter(state=CampaignState.PUBLISHED).exists():
        return
    RefreshDue.objects.bulk_create([RefreshDue(grid_id=grid_id) for grid_id in grid_ids])
    transaction.on_commit(_sweep_soon)


def _sweep_soon() -> None:
    from campaigns.tasks import campaigns_refresh_due_task
    from governance.handoff import hand_off

    hand_off(campaigns_refresh_due_task)


def campaigns_refresh_due(*, at) -> dict[str, int]:
    """Refresh the published campaigns over the grids marked by moves, then delete the
    marks, in one transaction (two sweeps at once take different marks). Safe to run
    twice; returns the totals."""
    totals = {"grids": 0, "campaigns": 0, "moved_out": 0, "moved": 0, "added": 0}
    with transaction.atomic():
        due = list(RefreshDue.objects.select_for_update(skip_locked=True).order_by("pk")[:SWEEP_BATCH])
        if not due:
            return totals
        grid_ids = sorted({row.grid_id for row in due})
        paths = dict(Area.objects.filter(pk__in=grid_ids).values_list("pk", "path"))
        for campaign in Campaign.objects.filter(state=CampaignState.PUBLISHED).select_related("area").order_by("pk"):
            inside = [grid_id for grid_id in grid_ids if paths.get(grid_id, "").startswith(campaign.area.path)]
            if not inside:
                continue
            locked = Campaign.objects.select_for_update().select_related("area").get(pk=campaign.pk)
            if locked.state != CampaignState.PUBLISHED:
                continue
            result = targets_refresh(locked, at=at, grid_ids=inside)
            locked.refreshed_at = at
            locked.save(update_fields=["refreshed_at"])
            totals["campaigns"] += 1
            for name, value in result.items():
                totals[name] += value
        RefreshDue.objects.filter(pk__in=[row.pk for row in due]).delete()
        totals["grids"] = len(grid_ids)
    return totals
