"""A budgeted scribble simulator: human-like strokes drawn from a dense mask.

How a stroke is made, for each region (a connected component of one class, background included). No class
is privileged: the background, where the data set has one, is drawn like any other class, so a data set
without one (``background: none`` in its ``classes.txt``: every pixel some named class) is simulated the same
way; only the statistics' split into background and objects changes (all regions are objects then). The
one region treated apart is void (255): it never gets a stroke.

1. *Core.* Pixels far enough from the region's boundary that a stroke of the chosen width centred
   there stays inside, plus a margin (a fraction of the region's free inradius): strokes keep away
   from boundaries the way people keep away from them.
2. *Medial axis.* The core is thinned to its skeleton; the longest path through each skeleton piece
   is the region's main stroke (it follows the shape: along a horse's body, across the sky).
3. *More strokes.* Skeleton parts far from the strokes already chosen (more than ``spacing`` times
   the local half-width) give further candidate strokes: legs, the far side of a background that
   wraps around an object, the second half of a field scene.
4. *Budget.* Every region's ink grows with its area as ``area ** area_exponent``; a single number
   (solved per image) sets how much, so the image's labelled pixels hit ``budget * H * W``. A region's
   first stroke lengthens first, from its middle outwards; further strokes start only when it is
   full. Every region large enough gets at least a short stroke. Above the default budget the pen
   also widens (``width * (budget / DEFAULT_BUDGET) ** width_growth``).
5. *Hand.* Paths are smoothed and wobble sideways within the free space (reproducible noise); any
   point that would leave the core falls back onto the axis, and no labelled pixel ever lies on
   another class or on void (the rasterised stroke is cut to its own class).

Everything random comes from ``np.random.default_rng([seed, crc32(key)])``: an image's scribbles depend
only on its mask, the settings and its id, never on which other images are simulated.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from skimage import draw
from skimage.morphology import skeletonize

from scribblegap.core.errors import ConfigError
from scribblegap.core.folders import claimed_folder
from scribblegap.core.io import write_json, write_label_png
from scribblegap.core.options import typed_changes
from scribblegap.core.parallel import map_images
from scribblegap.data.base import data_settings
from scribblegap.data.labels import IGNORE
from scribblegap.scribbles.io import _footprint, DEFAULT_WIDTH, read_scribble_png, Scribble
from scribblegap.scribbles.statistics import (image_record, label_regions, merge_records, region_distances,
                                              summarize)

DEFAULT_BUDGET = 0.03  # ScribbleSup: about 3% of the pixels at width 3
SIMULATOR_VERSION = 1  # bump when the output for the same settings changes


@dataclass(frozen=True)
class SimulatorOptions:
    """Knobs of the simulator (``**options`` of :func:`simulate_scribbles`)."""

    area_exponent: float = 0.6   # a region's ink grows as area ** this (1: the same fraction everywhere)
    margin: float = 0.15         # share of a region's free inradius kept between stroke and boundary
    min_area: float = 0.0005     # regions smaller than this fraction of the image get no stroke
    min_length: float = 0.03     # shortest stroke worth drawing, as a fraction of the image's shorter side
    smooth: float = 3.0          # px: Gaussian smoothing of the medial-axis path
    wiggle: float = 0.3          # sideways wobble, as a fraction of the free space beside the axis
    wiggle_scale: float = 40.0   # px between independent wobble values along a stroke
    spacing: float = 1.5         # later strokes stay this many local half-widths away from earlier ones
    max_strokes: int = 64        # per region
    axis_rounds: int = 3         # medial-axis strokes per piece of a region (main path, then branches)
    contour_rounds: int = 2      # strokes per contour depth and region
    # depths (fractions of the inradius) of contour strokes, in the order more budget asks for them
    contour_levels: tuple = (0.4, 0.2, 0.7, 0.1, 0.3, 0.55, 0.85, 0.05, 0.15, 0.25, 0.35, 0.475, 0.625,
                             0.775, 0.925)
    contour_spacing: float = 0.75  # contour strokes keep this fraction of the depth gap (x inradius) apart
    headroom: float = 1.5        # gather candidates until they could hold this many times the budget
    contour_min_inradius: float = 10.0  # px: only regions this wide get contour strokes
    grid: int = 0                # trace medial axes every `grid` px (0: 2 for images >= 256 px, else 1)
    width_growth: float = 1 / 3  # above DEFAULT_BUDGET the width grows as (budget / default) ** this
    tolerance: float = 0.02      # relative error allowed on an image's labelled-pixel target

    @classmethod
    def create(cls, options: dict | None = None) -> "SimulatorOptions":
        values = typed_changes(cls, dict(options or {}), "simulator option")
        opts = cls(**values)
        for name in ("area_exponent", "margin", "min_area", "min_length", "smooth", "wiggle", "spacing",
                     "width_growth", "tolerance"):
            if getattr(opts, name) < 0:
                raise ConfigError(f"simulator option {name} must be >= 0, got {getattr(opts, name)}")
        if opts.margin >= 1:
            raise ConfigError(f"simulator option margin must be < 1 (a fraction of the free inradius), "
                              f"got {opts.margin}")
        if opts.max_strokes < 1 or opts.wiggle_scale <= 0:
            raise ConfigError("simulator options max_strokes must be >= 1 and wiggle_scale > 0")
        return opts


@dataclass
class Simulation:
    """One image's simulated scribbles: the label map, the strokes and what happened."""

    labels: np.ndarray
    strokes: list[Scribble]
    info: dict


def check_budget(budget: float, width: float) -> None:
    if not (isinstance(budget, (int, float, np.floating)) and 0 < budget < 1):
        raise ConfigError(f"budget must be a fraction of the pixels in (0, 1), got {budget!r}")
    if not (isinstance(width, (int, float, np.floating)) and 1 <= width < float("inf")):
        raise ConfigError(f"scribble width must be >= 1 px, got {width!r}")


def effective_width(width: float, budget: float, options: SimulatorOptions | None = None) -> float:
    """The pen width used at ``budget``: ``width`` up to the default budget, wider above it."""
    growth = (options or SimulatorOptions()).width_growth
    return float(width) * max(1.0, budget / DEFAULT_BUDGET) ** growth


def grid_step(shape, options: SimulatorOptions | None = None) -> int:
    """Geometry is traced on every ``step``-th pixel: 2 for images of 256 px and more (VOC), else 1."""
    options = options or SimulatorOptions()
    if options.grid:
        return options.grid
    return 2 if min(shape) >= 256 else 1


# --------------------------------------------------------------------------------------- geometry
@dataclass
class _Geometry:
    """The mask's regions (found at full resolution) sampled on the tracing grid."""
    step: int
    ids: np.ndarray       # (h, w) grid: region id of each grid pixel (0 = void)
    cls: np.ndarray       # per region: class id
    area: np.ndarray      # per region: full-resolution pixels
    dist: np.ndarray      # (h, w) grid: a lower bound of the full-resolution distance to the boundary
    inradius: np.ndarray  # per region, full-resolution px (0 when no grid pixel falls in it)
    ok: np.ndarray        # per region: large and wide enough for a stroke
    threshold: np.ndarray  # per region: least distance of a stroke centre from the boundary
    core: np.ndarray      # (h, w) grid: where stroke centres may go
    too_small: np.ndarray
    too_thin: np.ndarray


def _geometry(mask: np.ndarray, pen: float, options: SimulatorOptions) -> _Geometry:
    step = grid_step(mask.shape, options)
    ids, cls, area = label_regions(mask)  # at full resolution: sampling must not merge neighbours
    ids = np.ascontiguousarray(ids[::step, ::step])
    dist, inradius = region_distances(ids)
    # a grid distance d means the full-resolution boundary is at least (d - 1) * step + 1 pixels away
    dist = np.where(ids > 0, (dist - 1) * step + 1, 0).astype(np.float32)
    inradius = np.where(inradius > 0, (inradius - 1) * step + 1, 0).astype(np.float32)
    inradius = np.pad(inradius, (0, len(area) - len(inradius)))  # regions missing from the grid
    base = (pen - 1) / 2 + 1  # a centre this far from the outside keeps the whole pen inside
    too_small = area < options.min_area * mask.size
    too_thin = inradius < base
    ok = ~(too_small | too_thin)
    ok[0] = False
    threshold = (base + options.margin * np.maximum(inradius - base, 0)).astype(np.float32)
    core = ok[ids] & (dist >= threshold[ids])
    return _Geometry(step, ids, cls, area, dist, inradius, ok, threshold, core, too_small, too_thin)


# ------------------------------------------------------------------------------------ medial axis
_STEPS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, np.sqrt(2)), (1, -1, np.sqrt(2)))


def _node_graph(rc: np.ndarray, shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges (i, j, length) between 8-adjacent nodes (grid pixels)."""
    n = len(rc)
    index = np.full(shape, -1, dtype=np.int64)
    index[rc[:, 0], rc[:, 1]] = np.arange(n)
    src, dst, wt = [], [], []
    for dr, dc, step in _STEPS:
        r2, c2 = rc[:, 0] + dr, rc[:, 1] + dc
        inside = (r2 < shape[0]) & (c2 >= 0) & (c2 < shape[1])
        j = np.full(n, -1, dtype=np.int64)
        j[inside] = index[r2[inside], c2[inside]]
        hit = j >= 0
        src.append(np.nonzero(hit)[0])
        dst.append(j[hit])
        wt.append(np.full(int(hit.sum()), step))
    return np.concatenate(src), np.concatenate(dst), np.concatenate(wt)


def _argmax_per_group(values, group):
    order = np.lexsort((values, group))
    ends = np.r_[np.nonzero(np.diff(group[order]))[0], len(order) - 1]
    return order[ends]


def _longest_paths(edges, alive: np.ndarray) -> list[np.ndarray]:
    """The longest shortest path through every connected piece of the alive nodes (double sweep:
    exact on trees, a good long path on loops). Returns node indices in path order."""
    src, dst, wt = edges
    idx = np.nonzero(alive)[0]
    local = np.full(len(alive), -1, dtype=np.int64)
    local[idx] = np.arange(len(idx))
    keep = alive[src] & alive[dst]
    n = len(idx)
    i, j = local[src[keep]], local[dst[keep]]
    graph = coo_matrix((np.r_[wt[keep], wt[keep]], (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
    _, comp = connected_components(graph, directed=False)
    first = np.unique(comp, return_index=True)[1]
    d1 = dijkstra(graph, directed=False, indices=first, min_only=True)
    a = _argmax_per_group(d1, comp)
    d2, pred, _ = dijkstra(graph, directed=False, indices=a, min_only=True, return_predecessors=True)
    paths = []
    for end in _argmax_per_group(d2, comp):
        path = [end]
        while pred[path[-1]] >= 0:
            path.append(pred[path[-1]])
        paths.append(idx[np.array(path[::-1], dtype=np.int64)])
    return paths


def _arc_length(rc: np.ndarray) -> np.ndarray:
    steps = np.hypot(*np.diff(rc, axis=0).T) if len(rc) > 1 else np.zeros(0)
    return np.r_[0.0, np.cumsum(steps)]


@dataclass
class _Candidate:
    region: int
    rc: np.ndarray   # (n, 2) int path pixels (row, col), full resolution
    s: np.ndarray    # arc length at each path pixel
    rank: int        # 0 for a region's first (main) stroke, then 1, 2, ...
    phase: int = 0   # index of the phase that found it (0: medial axis, then contours)
    u: float = 0.0          # where along the path a partial stroke sits (-1 .. 1 around the middle)
    reverse: bool = False   # drawing direction
    wobble: np.ndarray | None = None  # sideways noise at control points along the path
    hand: np.ndarray | None = None    # the path as the hand draws it (made when first needed)

    @property
    def length(self) -> float:
        return float(self.s[-1])


class _Nodes:
    """Grid pixels that may carry strokes, with their region and full-resolution position."""
    def __init__(self, grid_rc: np.ndarray, geo: _Geometry):
        self.grid = grid_rc
        self.full = grid_rc * geo.step
        self.region = geo.ids[grid_rc[:, 0], grid_rc[:, 1]].astype(np.int64)
        self.dist = geo.dist[grid_rc[:, 0], grid_rc[:, 1]]
        self.far = 4.0 * (float(max(geo.core.shape)) * geo.step + 1.0)  # region * far: no cross-region hits

    def key(self, sel=slice(None)) -> np.ndarray:
        return np.column_stack([self.full[sel], self.region[sel] * self.far])


def _drop_near(nodes: _Nodes, alive: np.ndarray, radius: np.ndarray, points: np.ndarray) -> None:
    """Nodes closer than their ``radius`` to any of ``points`` (rows of ``_Nodes.key``) die."""
    rest = np.nonzero(alive)[0]
    if len(rest) and len(points):
        d, _ = cKDTree(points).query(nodes.key(rest))
        alive[rest[d < radius[rest]]] = False


def _trace(nodes: _Nodes, alive: np.ndarray, radius: np.ndarray, shape, rounds: int, min_length: float,
           first_free: bool):
    """Rounds of longest paths; after each, nodes within their ``radius`` of a chosen path die (that part
    of the region is represented already). Returns ``(round, length, node indices)``."""
    found = []
    if not alive.any():
        return found
    edges = _node_graph(nodes.grid, shape)
    for round_ in range(rounds):
        if not alive.any():
            break
        chosen = []
        for path in _longest_paths(edges, alive):
            length = float(_arc_length(nodes.full[path])[-1])
            alive[path] = False
            if (round_ > 0 or not first_free) and length < min_length:
                continue  # a stub: nothing worth a stroke is left there
            found.append((round_, length, path))
            chosen.append(path)
        if not chosen:
            break
        _drop_near(nodes, alive, radius, nodes.key(np.concatenate(chosen)))
    return found


def _candidate_phases(geo: _Geometry, pen: float, image_shape, shortest: float, options: SimulatorOptions):
    """Candidate strokes, one phase at a time: ``(phase name, [(region, round, length, path), ...])``.

    Phase 0 is the medial axis of the core: each piece's main path, then branches far from it (and a
    dot for a region whose core thinned away). Each further phase is the contour at one depth (a
    fraction of the inradius) inside wide regions, away from the strokes already there; contour parts
    that merely run along the image frame are left out. The caller stops asking once it has enough.
    """
    shape = geo.core.shape
    taken = []

    def found_to_items(found, nodes):
        items = []
        for round_, length, path in found:
            items.append((int(nodes.region[path[0]]), round_, length, nodes.full[path]))
            taken.append(nodes.key(path))
        return sorted(items, key=lambda t: (t[0], t[1], -t[2]))

    axis = _Nodes(np.argwhere(skeletonize(geo.core)), geo)
    items = found_to_items(_trace(axis, np.ones(len(axis.grid), bool), options.spacing * axis.dist + 1.0,
                                  shape, options.axis_rounds, shortest, True), axis)
    # a region with room but no skeleton pixel (its core thinned away) gets a dot at its deepest pixel
    missing = sorted(set(np.nonzero(geo.ok)[0].tolist()) - {t[0] for t in items})
    if missing:
        for r, (pr, pc) in zip(missing, ndimage.maximum_position(geo.dist, geo.ids, missing)):
            items.append((int(r), 0, 0.0, np.array([[pr * geo.step, pc * geo.step]], dtype=np.int64)))
        items.sort(key=lambda t: (t[0], t[1], -t[2]))
    yield "medial axis", items

    h, w = image_shape
    ids, dist = geo.ids, geo.dist
    # contours around the other regions first; those along the image frame only when more is needed
    passes = [(False, frac) for frac in options.contour_levels] + [(True, f) for f in options.contour_levels]
    used = {False: [0.0, 1.0], True: [0.0, 1.0]}  # depths with strokes: the boundary and the medial axis
    for along_frame, frac in passes:
        gap = min(abs(frac - u) for u in used[along_frame])
        used[along_frame].append(frac)
        level = np.maximum(frac * geo.inradius, geo.threshold + pen)
        wide = geo.ok & (geo.inradius >= options.contour_min_inradius) & (level < geo.inradius)
        if not wide[1:].any():
            continue
        above = wide[ids] & (dist >= level[ids]) & geo.core
        ring = above & ~ndimage.binary_erosion(above, structure=np.ones((3, 3), bool))
        nodes = _Nodes(np.argwhere(ring), geo)
        if not len(nodes.grid):
            continue
        r, c = nodes.full[:, 0], nodes.full[:, 1]
        frame = np.minimum(np.minimum(r, c), np.minimum(h - 1 - r, w - 1 - c)) + 1.0
        alive = (frame <= nodes.dist + 2 * geo.step) == along_frame  # is the nearest boundary the frame?
        # keep apart from the strokes already there, in proportion to the gap between depths
        radius = np.maximum(options.contour_spacing * gap * geo.inradius[nodes.region], 2.0 * pen)
        if taken:
            _drop_near(nodes, alive, radius, np.concatenate(taken))
        found = _trace(nodes, alive, radius, shape, options.contour_rounds, shortest, False)
        yield f"{'frame ' if along_frame else ''}contour at depth {frac:g}", found_to_items(found, nodes)


# --------------------------------------------------------------------------------------- the hand
def _draw_randomness(cand: _Candidate, rng, options) -> None:
    """Every random choice about a stroke, drawn when the candidate appears (a fixed number per
    candidate, whatever the budget), so more budget lengthens the same strokes."""
    cand.u = float(rng.uniform(-1.0, 1.0))
    cand.reverse = bool(rng.integers(2))
    cand.wobble = np.clip(rng.standard_normal(int(cand.length // options.wiggle_scale) + 2), -1.5, 1.5)


def _hand_path(cand: _Candidate, geo: _Geometry, image_shape, options) -> np.ndarray:
    """The path smoothed and wobbling sideways within the free space beside it; points that would
    leave the core fall back onto the path."""
    if cand.hand is not None:
        return cand.hand
    step, (h, w), (gh, gw) = geo.step, image_shape, geo.core.shape
    pts = cand.rc
    if len(cand.rc) >= 3 and options.smooth > 0:
        sm = ndimage.gaussian_filter1d(cand.rc.astype(np.float64), options.smooth / step, axis=0,
                                       mode="nearest")
        tangent = np.gradient(sm, axis=0)
        norm = np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-9)
        normal = np.stack([-tangent[:, 1] / norm, tangent[:, 0] / norm], axis=1)
        g = cand.rc // step
        free = np.maximum(geo.dist[g[:, 0], g[:, 1]] - geo.threshold[cand.region], 0.0)
        noise = np.interp(cand.s, np.linspace(0.0, cand.length, len(cand.wobble)), cand.wobble)
        noise = ndimage.gaussian_filter1d(noise, options.wiggle_scale / (4 * step), mode="nearest")
        sm += normal * (options.wiggle * free * noise)[:, None]
        pts = np.rint(sm).astype(np.int64)
        np.clip(pts[:, 0], 0, h - 1, out=pts[:, 0])
        np.clip(pts[:, 1], 0, w - 1, out=pts[:, 1])
        gr = np.minimum((pts[:, 0] + step // 2) // step, gh - 1)
        gc = np.minimum((pts[:, 1] + step // 2) // step, gw - 1)
        bad = ~geo.core[gr, gc] | (geo.ids[gr, gc] != cand.region)
        pts[bad] = cand.rc[bad]
    cand.hand = pts
    return pts


def _window(cand: _Candidate, length: float, u: float) -> slice:
    """Indices of the part of the path of arc length ``length``, centred near the middle."""
    if length >= cand.length:
        return slice(0, len(cand.s))
    centre = cand.length / 2 + u * (cand.length - length) / 2
    lo = np.searchsorted(cand.s, centre - length / 2, side="left")
    hi = np.searchsorted(cand.s, centre + length / 2, side="right")
    return slice(int(lo), max(int(hi), int(lo) + 1))


def _chain(points: np.ndarray) -> np.ndarray:
    """Drop repeated consecutive pixels."""
    if len(points) < 2:
        return points
    keep = np.r_[True, np.any(np.diff(points, axis=0) != 0, axis=1)]
    return points[keep]


def _polyline_pixels(chain: np.ndarray) -> np.ndarray:
    """The pixels of a polyline through integer points, exactly as ``skimage.draw.line`` draws it.

    Consecutive points here are almost always at most 2 pixels apart, where Bresenham's middle pixel
    is ``start + sign(step)``; longer (rare) segments go through ``draw.line`` itself.
    """
    if len(chain) < 2:
        return chain
    step = np.diff(chain, axis=0)
    reach = np.abs(step).max(axis=1)
    parts = [chain, chain[:-1][reach == 2] + np.sign(step[reach == 2])]
    for i in np.nonzero(reach > 2)[0]:
        (r0, c0), (r1, c1) = chain[i], chain[i + 1]
        rr, cc = draw.line(int(r0), int(c0), int(r1), int(c1))
        parts.append(np.stack([rr, cc], axis=1))
    return np.concatenate(parts)


def _rasterize(pixels_per_stroke, classes, mask, width):
    """Draw each stroke's centre pixels with the pen, cut to the pixels of the stroke's own class.

    A pixel is labelled when a stroke of its class covers it, so no labelled pixel ever lies on
    another class or on void.
    """
    out = np.full(mask.shape, IGNORE, dtype=np.uint8)
    foot = _footprint(width) if width > 1 else np.ones((1, 1), bool)
    r = foot.shape[0] // 2
    h, w = mask.shape
    for cls in sorted(set(classes)):
        px = np.concatenate([p for p, c in zip(pixels_per_stroke, classes) if c == cls])
        r0, c0 = max(px[:, 0].min() - r, 0), max(px[:, 1].min() - r, 0)
        r1, c1 = min(px[:, 0].max() + r + 1, h), min(px[:, 1].max() + r + 1, w)
        centre = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        centre[px[:, 0] - r0, px[:, 1] - c0] = True
        if foot.all():
            pen = ndimage.maximum_filter(centre, size=foot.shape, mode="constant")
        else:
            pen = ndimage.binary_dilation(centre, structure=foot)
        hit = pen & (mask[r0:r1, c0:c1] == cls)
        out[r0:r1, c0:c1][hit] = cls
    return out


# ------------------------------------------------------------------------------------- simulator
def simulate_image(mask: np.ndarray, labels, budget: float = DEFAULT_BUDGET, width: float = DEFAULT_WIDTH,
                   seed: int = 0, key: str = "", *, steps: bool = False, **options) -> Simulation:
    """Scribbles for one dense mask, with a report (``info``) of what was drawn and what was skipped.

    With ``steps`` the report also keeps the intermediate results (``info["steps"]``: the tracing grid's
    region ids, distances and core, every candidate path with its phase, and the drawn lengths), for
    explaining the simulator; they do not change the output.
    """
    opts = options.pop("_options", None) or SimulatorOptions.create(options)
    check_budget(budget, width)
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise ConfigError(f"mask must be a 2-D uint8 class-id map, got {mask.dtype} {mask.shape}")
    mask = labels.apply(mask)
    npix = mask.size
    pen = max(effective_width(width, budget, opts), 1.0)
    rng = np.random.default_rng([int(seed), zlib.crc32(key.encode())])

    geo = _geometry(mask, pen, opts)
    shortest = opts.min_length * min(mask.shape)
    target = budget * npix
    real = np.arange(len(geo.area)) > 0
    skipped = real & ~geo.ok
    info = {"width": pen, "target_pixels": float(target), "grid_step": geo.step,
            "regions": int(len(geo.area) - 1),
            "skipped_regions": int(skipped.sum()), "skipped_pixels": int(geo.area[skipped].sum()),
            "skipped_too_small": int((skipped & geo.too_small).sum()),
            "skipped_too_thin": int((skipped & geo.too_thin & ~geo.too_small).sum())}

    # gather candidates phase by phase until they could hold comfortably more than the budget
    cands = []
    count: dict[int, int] = {}
    phases = []
    for phase, items in _candidate_phases(geo, pen, mask.shape, shortest, opts):
        phases.append(phase)
        for region, _, _, rc in items:
            if count.get(region, 0) < opts.max_strokes:
                cands.append(_Candidate(region, rc, _arc_length(rc), count.get(region, 0), len(phases) - 1))
                _draw_randomness(cands[-1], rng, opts)
                count[region] = count.get(region, 0) + 1
        capacity = sum(pen * c.length + pen * pen for c in cands)
        if capacity >= opts.headroom * target:
            break
    info["regions_drawn"] = len(count)
    m = len(cands)
    if m == 0:
        info.update(labelled_pixels=0, strokes=0, saturated=True)
        return Simulation(np.full(mask.shape, IGNORE, np.uint8), [], info)

    region = np.array([c.region for c in cands])
    rank = np.array([c.rank for c in cands])
    full = np.array([c.length for c in cands])
    weight = geo.area[region].astype(np.float64) ** opts.area_exponent
    before = np.zeros(m)  # full length of a region's earlier candidates
    running: dict[int, float] = {}
    for i in range(m):
        before[i] = running.get(region[i], 0.0)
        running[region[i]] = before[i] + full[i]
    first = rank == 0
    floor = np.minimum(shortest, full)

    def lengths(effort: float) -> np.ndarray:
        room = effort * weight - before
        out = np.clip(room, 0.0, full)
        out[first] = np.maximum(out[first], floor[first])
        out[~first & (room < shortest)] = 0.0
        return out

    def estimate(effort: float) -> float:
        L = lengths(effort)
        drawn = first | (L > 0)
        return float(pen * L[drawn].sum() + pen * pen * drawn.sum())

    top = float(((before + full) / weight).max()) * (1 + 1e-9)
    at_top = estimate(top)

    def solve(goal: float) -> float:
        if at_top <= goal:
            return top
        lo, hi = 0.0, top
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if estimate(mid) < goal else (lo, mid)
        return hi

    def draw_all(effort: float):
        L = lengths(effort)
        strokes, pixels, classes = [], [], []
        for cand, length in zip(cands, L):
            if length <= 0 and cand.rank > 0:
                continue
            chain = _chain(_hand_path(cand, geo, mask.shape, opts)[_window(cand, length, cand.u)])
            if cand.reverse:
                chain = chain[::-1]
            cls = int(geo.cls[cand.region])
            strokes.append(Scribble(cls, chain[:, ::-1].astype(np.float64)))  # (x, y)
            pixels.append(_polyline_pixels(chain))
            classes.append(cls)
        return _rasterize(pixels, classes, mask, pen), strokes

    # solve on the estimate, then correct it with the real pixel count (pens overlap on tight curves,
    # and are cut where they would leave their class)
    goal = target
    effort = solve(goal)
    out, strokes = draw_all(effort)
    for _ in range(4):
        got = int((out != IGNORE).sum())
        if effort >= top or abs(got - target) <= opts.tolerance * target or got == 0:
            break
        goal *= target / got
        effort = solve(goal)
        out, strokes = draw_all(effort)
    info.update(labelled_pixels=int((out != IGNORE).sum()), strokes=len(strokes),
                saturated=bool(effort >= top))
    if steps:
        info["steps"] = {"grid_step": geo.step, "ids": geo.ids, "dist": geo.dist, "core": geo.core,
                         "phases": phases, "effort": effort, "lengths": lengths(effort),
                         "candidates": [{"region": c.region, "cls": int(geo.cls[c.region]), "rank": c.rank,
                                         "phase": c.phase, "path": c.rc, "hand": c.hand} for c in cands]}
    return Simulation(out, strokes, info)


def simulate_scribbles(mask: np.ndarray, labels, budget: float = DEFAULT_BUDGET, width: float = DEFAULT_WIDTH,
                       seed: int = 0, key: str = "", **options) -> tuple[np.ndarray, list[Scribble]]:
    """Simulated scribbles for one dense mask.

    ``mask``: ``(H, W) uint8`` data set class ids, 255 void (class subset already applied). Returns a
    ``uint8`` map (class id on labelled pixels, 255 elsewhere) and the strokes; drawing the strokes with
    :func:`~scribblegap.scribbles.rasterize_scribbles` at the pen width (``effective_width``) and keeping
    the pixels where the mask has the stroke's class gives the map again. Deterministic in ``(seed, key)``.
    """
    sim = simulate_image(mask, labels, budget, width, seed, key, **options)
    return sim.labels, sim.strokes


# ------------------------------------------------------------------------------------- data sets
def _simulate_one(dataset, out_dir: Path, budget, seed, width, options, key):

    mask = dataset.mask(key)
    path = out_dir / f"{key}.png"
    if path.is_file():  # resume: a finished file is final (it was written atomically)
        weak = read_scribble_png(path, mask.shape, len(dataset.labels.names))
    else:
        weak = simulate_image(mask, dataset.labels, budget, width, seed, key, _options=options).labels
        write_label_png(path, weak, dataset.palette)
    record = image_record(weak, mask, dataset.labels)
    target = budget * mask.size
    record["under_budget"] = int(record["labelled"] < 0.9 * target)
    record["over_budget"] = int(record["labelled"] > 1.1 * target)
    return record


def simulation_parameters(dataset, budget, seed, width, options: SimulatorOptions) -> dict:

    return {**data_settings(dataset), "budget": float(budget), "seed": int(seed), "width": float(width),
            "effective_width": effective_width(width, budget, options),
            "options": asdict(options), "simulator_version": SIMULATOR_VERSION}


def check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0, got {seed!r}")


def simulate_dataset(ds, out_dir, budget: float = DEFAULT_BUDGET, seed: int = 0, width: float = DEFAULT_WIDTH,
                     workers: int = 1, progress: bool = True, overwrite: bool = False, **options) -> dict:
    """Simulate every image of ``ds`` into ``out_dir/<id>.png`` and write ``out_dir/stats.json``.

    Resumable: existing PNGs are kept (and measured). ``out_dir/manifest.json`` records the settings
    before the first file; resuming into a folder made with other settings is refused (``overwrite``
    replaces its contents instead), and the folder's lock stops a second process at once.
    ``stats.json`` is written only when every image is done. Returns the statistics written.
    """
    opts = SimulatorOptions.create(options)
    check_budget(budget, width)
    check_seed(seed)
    if not ds.ids:
        raise ConfigError("no images to simulate")
    out_dir = Path(out_dir)
    params = simulation_parameters(ds, budget, seed, width, opts)
    with claimed_folder(out_dir, params, "scribbles", overwrite, writer="simulate"):
        _check_legacy_record(out_dir, params)
        return _simulate_all(ds, out_dir, budget, seed, width, opts, workers, progress, params)


def _check_legacy_record(out_dir: Path, params: dict) -> None:
    """Folders simulated before there were manifests hold their settings in ``simulation.json``."""
    path = out_dir / "simulation.json"
    if not path.is_file():
        return
    try:
        old = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        old = None
    new = json.loads(json.dumps(params))
    if not isinstance(old, dict) or any(old[k] != new[k] for k in set(old) & set(new)):
        raise ConfigError(f"{out_dir} holds scribbles simulated with other settings ({path}); choose another "
                          "output folder or delete it")


def _simulate_all(ds, out_dir, budget, seed, width, opts, workers, progress, params) -> dict:
    fn = partial(_simulate_one, ds, out_dir, budget, seed, width, opts)
    total = merge_records(map_images(fn, ds.ids, workers=workers, desc=f"simulate {ds.split}",
                                     progress=progress))
    if not total:
        raise ConfigError("no images to simulate")
    summary = summarize(total, ds.labels)
    n = total["images"]
    achieved = summary["labelled_fraction"]["mean_per_image"]
    touched = summary["objects_touched"]
    skipped = {g: {"objects": touched["totals"][g]["objects"],
                   "untouched": touched["totals"][g]["untouched"],
                   "untouched_pixels": touched["totals"][g]["untouched_pixels"],
                   "untouched_pixel_fraction": touched["totals"][g]["untouched_pixel_fraction"]}
               for g in ("background", "objects")}
    stats = {
        "parameters": params,
        "budget": {"target": float(budget), "achieved_mean": achieved,
                   "relative_error": (achieved - budget) / budget,
                   "images_under_budget_by_10pct": int(total["under_budget"]),
                   "images_over_budget_by_10pct": int(total["over_budget"])},
        "untouched": skipped,
        "statistics": summary,
        "images": int(n),
    }
    write_json(out_dir / "stats.json", stats)
    return stats
