"""Point → grid resolution, backed by an in-process STR-tree (shapely) of grid polygons.

Each process builds the index lazily from the grid boundaries and remembers the
``BoundaryRevision`` it was built from. Services that change a boundary bump that
revision in the same transaction and drop this process's index on commit; other
processes (more web workers, Celery workers, other machines) notice the new revision
at their next check, at most ``GRID_INDEX_CHECK_SECONDS`` later, and rebuild.

Resolution rules: a point inside a grid resolves to it; a point inside nested grids
resolves to the deepest (second-level grid over grid); a point on an edge shared by two
grids resolves to the one with the smaller code, so the answer is the same everywhere;
a point outside every grid resolves to ``None``, never to the nearest grid.
"""

import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from grids.models import GRID_LEVELS, Area, BoundaryRevision


@dataclass
class _Index:
    revision: str
    tree: shapely.STRtree
    ids: np.ndarray
    # Sort key per geometry: deeper first, then smaller code.
    rank: np.ndarray


_lock = threading.Lock()
_index: _Index | None = None
_checked_at = 0.0


def current_revision() -> str:
    return BoundaryRevision.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def revision_bump() -> None:
    """Record that boundaries changed; call inside the transaction that changes them."""
    token = uuid.uuid4().hex
    updated = BoundaryRevision.objects.filter(pk=1).update(token=token, changed_at=timezone.now())
    if not updated:
        BoundaryRevision.objects.update_or_create(pk=1, defaults={"token": token})
    transaction.on_commit(invalidate)


def invalidate() -> None:
    """Drop this process's index; the next lookup rebuilds it."""
    global _index
    with _lock:
        _index = None


def _build(revision: str) -> _Index:
    rows = list(
        Area.objects.filter(level__in=GRID_LEVELS, boundary__isnull=False)
        .order_by("code")
        .values_list("id", "depth", "boundary")
    )
    geometries = []
    ids = []
    depths = []
    for area_id, depth, boundary in rows:
        geometry = shapely.geometry.shape(boundary)
        shapely.prepare(geometry)
        geometries.append(geometry)
        ids.append(area_id)
        depths.append(depth)
    # Rows are ordered by code, so position is the code order; rank sorts deeper
    # nodes first and, at equal depth, smaller codes first.
    order = np.arange(len(ids))
    depth_array = np.array(depths, dtype=np.int64)
    rank = -depth_array * (len(ids) + 1) + order
    return _Index(
        revision=revision,
        tree=shapely.STRtree(geometries),
        ids=np.array(ids, dtype=np.int64),
        rank=rank,
    )


def _get_index() -> _Index:
    global _index, _checked_at
    index = _index
    now = time.monotonic()
    if index is not None and now - _checked_at < settings.GRID_INDEX_CHECK_SECONDS:
        return index
    revision = current_revision()
    with _lock:
        _checked_at = now
        if _index is None or _index.revision != revision:
            _index = _build(revision)
        return _index


def grid_id_at(*, lat: float, lon: float) -> int | None:
    """The id of the grid containing (lat, lon), or None when it lies outside every grid."""
    index = _get_index()
    if len(index.ids) == 0:
        return None
    hits = index.tree.query(shapely.Point(lon, lat), predicate="intersects")
    if len(hits) == 0:
        return None
    best = hits[np.argmin(index.rank[hits])]
    return int(index.ids[best])


def grid_at(*, lat: float, lon: float) -> Area | None:
    grid_id = grid_id_at(lat=lat, lon=lon)
    if grid_id is None:
        return None
    return Area.objects.filter(pk=grid_id).first()


def grids_overlapping(geometry: shapely.Geometry, *, exclude_ids=()) -> list[tuple[int, float]]:
    """Grids whose polygon overlaps ``geometry`` with positive area: (id, share of geometry)."""
    index = _get_index()
    if len(index.ids) == 0:
        return []
    found = []
    for position in index.tree.query(geometry, predicate="intersects"):
        grid_id = int(index.ids[position])
        if grid_id in exclude_ids:
            continue
        shared = index.tree.geometries[position].intersection(geometry).area
        if shared > geometry.area * 1e-6:
            found.append((grid_id, shared / geometry.area))
    return found
