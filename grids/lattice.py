"""Non-overlapping grid polygons for demo and generated cities.

A lattice of quadrilateral cells whose interior vertices are jittered: neighbouring
cells share their vertices, so the cells tile the plane exactly (no overlaps, no gaps)
while looking like hand-drawn grids rather than a chessboard. Cells are numbered
west→east, north→south as grid codes are (DESIGN §2).
"""

import random

from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union


class Lattice:
    def __init__(self, *, cols: int, rows: int, west: float, north: float, cell_lon: float, cell_lat: float,
                 jitter: float = 0.22, rng: random.Random | None = None):
        self.cols, self.rows = cols, rows
        rng = rng or random.Random(0)
        self._vertex = {}
        for i in range(cols + 1):
            for j in range(rows + 1):
                lon = west + i * cell_lon
                lat = north - j * cell_lat
                if 0 < i < cols:
                    lon += rng.uniform(-jitter, jitter) * cell_lon
                if 0 < j < rows:
                    lat += rng.uniform(-jitter, jitter) * cell_lat
                self._vertex[i, j] = (round(lon, 6), round(lat, 6))

    def cell_ring(self, col: int, row: int) -> list[tuple[float, float]]:
        """The cell's exterior ring, counter-clockwise (RFC 7946), closed."""
        v = self._vertex
        return [v[col, row], v[col, row + 1], v[col + 1, row + 1], v[col + 1, row], v[col, row]]

    def cell_polygon(self, col: int, row: int) -> Polygon:
        return Polygon(self.cell_ring(col, row))

    def cell_geojson(self, col: int, row: int) -> dict:
        return {"type": "Polygon", "coordinates": [[list(p) for p in self.cell_ring(col, row)]]}

    def split_cell(self, col: int, row: int) -> tuple[dict, dict]:
        """The cell cut west/east along the line joining the midpoints of its north and
        south edges: two second-level grids that tile it exactly."""
        nw, sw, se, ne, _ = self.cell_ring(col, row)
        n_mid = (round((nw[0] + ne[0]) / 2, 6), round((nw[1] + ne[1]) / 2, 6))
        s_mid = (round((sw[0] + se[0]) / 2, 6), round((sw[1] + se[1]) / 2, 6))
        west = [nw, sw, s_mid, n_mid, nw]
        east = [n_mid, s_mid, se, ne, n_mid]
        return (
            {"type": "Polygon", "coordinates": [[list(p) for p in west]]},
            {"type": "Polygon", "coordinates": [[list(p) for p in east]]},
        )


def union_geojson(polygons) -> dict:
    """The union of several polygons as a GeoJSON geometry (rounded to ~0.1 m)."""
    merged = unary_union(list(polygons))
    data = mapping(merged)

    def rounded(value):
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], float):
                return [round(v, 6) for v in value]
            return [rounded(v) for v in value]
        return value

    return {"type": data["type"], "coordinates": rounded(data["coordinates"])}
