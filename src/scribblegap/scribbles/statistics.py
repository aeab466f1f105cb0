"""Statistics of a weak annotation (scribbles, clicks, simulated strokes) measured against the dense mask.

The unit of everything here is a *region*: a connected component (8-connected) of one class in a label
map. In the dense mask a region is an "object" (background pieces are regions too, counted apart as the
group "background"; a data set without a background class has objects only); in the weak map a
region is a "scribble" (two strokes of one class that cross count as one, as they would in any
rasterised scribble PNG). Per image, :func:`image_record` returns mergeable counts and histograms;
:func:`merge_records` adds them up and :func:`summarize` turns the total into a JSON-ready dict.

Distances to the boundary are measured inside the region (the image frame counts as boundary, so a
stroke along the frame is "at the boundary" too): 1 on a region's outermost pixels, growing inwards.
A region's *inradius* is its largest such distance; a labelled pixel's *normalised* distance is its
distance divided by the inradius of the object it lies in (1 = on the object's medial axis peak).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import ndimage
from scipy.stats import ks_2samp
from skimage import measure

from scribblegap.core.errors import ConfigError
from scribblegap.core.parallel import map_images
from scribblegap.data.labels import IGNORE

# object (region) area as a fraction of the image; 1% is the "large object" line of the simulator's checks
SIZE_EDGES = (0.0, 0.001, 0.01, 0.05, 0.2, np.inf)
SIZE_NAMES = ("<0.1%", "0.1-1%", "1-5%", "5-20%", ">20%")
LARGE_OBJECT = 0.01
GROUPS = ("background", "objects")

ABS_EDGES = np.arange(0.0, 202.0, 2.0)            # px, the last bin also takes anything farther
NORM_EDGES = np.linspace(0.0, 1.0, 51)
CENTRE_EDGES = np.linspace(0.0, 2.0, 21)          # distance to the centroid / equivalent radius
FRACTION_EDGES = np.linspace(0.0, 0.20, 41)       # labelled fraction of an image
LENGTH_EDGES = np.geomspace(1.0, 4096.0, 25)      # scribble length, px
WIDTH_EDGES = np.arange(0.5, 16.0, 1.0)           # scribble width, px (centred on integers)
COUNT_MAX = 30                                    # scribbles per image histogram: 0..29, 30+
PER_OBJECT_MAX = 10                               # scribbles per object histogram: 0..9, 10+
POSITION_BINS = 10                                # position inside an object's box: 10 x 10


# ----------------------------------------------------------------------------------------- regions
@dataclass
class Regions:
    """Connected components of each class of a label map, with their distance maps."""

    ids: np.ndarray       # (H, W) int32, 0 where the map is 255, else 1..n
    cls: np.ndarray       # (n+1,) class id of each region (255 for index 0)
    area: np.ndarray      # (n+1,) pixels
    dist: np.ndarray      # (H, W) float32: distance to the region's boundary (1 outermost), 0 off regions
    inradius: np.ndarray  # (n+1,) largest ``dist`` in each region (0 for index 0)

    @property
    def n(self) -> int:
        return len(self.area) - 1


def find_regions(label_map: np.ndarray, metric: str = "euclidean") -> Regions:
    """Split a class-id map (255 = void/unlabelled) into 8-connected single-class regions.

    ``metric``: ``"euclidean"`` distances (masks), or ``"chessboard"`` (cheaper; right for pen strokes,
    whose width it measures the same whatever their direction).
    """
    ids, cls, area = label_regions(label_map)
    dist, inradius = region_distances(ids, metric)
    return Regions(ids, cls, area, dist, inradius)


def label_regions(label_map: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ids, cls, area)``: 8-connected single-class regions of a class-id map (255 = none)."""
    label_map = np.asarray(label_map)
    if label_map.ndim != 2:
        raise ValueError(f"label map must be 2-D, got shape {label_map.shape}")
    ids = measure.label(label_map, background=IGNORE, connectivity=2).astype(np.int32)
    n = int(ids.max())
    area = np.bincount(ids.ravel(), minlength=n + 1).astype(np.int64)
    cls = np.full(n + 1, IGNORE, dtype=np.int64)
    cls[ids.ravel()] = label_map.ravel()  # every pixel of a region holds the same class
    cls[0] = IGNORE
    return ids, cls, area


def region_distances(ids: np.ndarray, metric: str = "euclidean") -> tuple[np.ndarray, np.ndarray]:
    """``(dist, inradius)`` of a region-id map (0 = none): distance to the region's boundary, 1 on its
    outermost pixels, and its largest value per region."""
    # A pixel is on a boundary when one of its 8 neighbours belongs elsewhere (another region, void,
    # or outside the frame). Distances to those pixels + 1 equal the distance to the outside.
    p = np.pad(ids, 1, constant_values=-1)
    c = p[1:-1, 1:-1]
    h, w = ids.shape
    edge = np.zeros(ids.shape, dtype=bool)
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            if dr != 1 or dc != 1:
                edge |= c != p[dr:dr + h, dc:dc + w]
    if edge.all():
        dist = np.ones(ids.shape, dtype=np.float32)
    elif metric == "euclidean":
        dist = ndimage.distance_transform_edt(~edge).astype(np.float32) + 1.0
    elif metric == "chessboard":
        dist = ndimage.distance_transform_cdt(~edge, metric="chessboard").astype(np.float32) + 1.0
    else:
        raise ValueError(f"unknown distance metric {metric!r}")
    dist[ids == 0] = 0.0
    n = int(ids.max()) if ids.size else 0
    inradius = np.zeros(n + 1, dtype=np.float32)
    for i, box in enumerate(ndimage.find_objects(ids), start=1):
        if box is not None:
            inradius[i] = dist[box][ids[box] == i].max()
    return dist, inradius


def background_id(labels) -> int | None:
    """The data set's background class (0 in VOC and in the embedded scenes; a ``classes.txt`` may name
    another or none). Its regions form the group "background"; without one every region is an object."""
    return labels.background


def size_bucket(fraction) -> np.ndarray:
    return np.clip(np.searchsorted(SIZE_EDGES, fraction, side="right") - 1, 0, len(SIZE_NAMES) - 1)


def _hist(values, edges) -> np.ndarray:
    """Counts per bin; values past the last edge land in the last bin, below the first in the first."""
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    return np.bincount(idx, minlength=len(edges) - 1).astype(np.int64)


# ---------------------------------------------------------------------------------- per-image record
def image_record(weak: np.ndarray, mask: np.ndarray, labels, regions: Regions | None = None,
                 samples: int = 0, key: str = "") -> dict:
    """Counts and histograms of one image's weak labels ``weak`` against its dense ``mask``.

    Both are ``(H, W) uint8`` maps of data set class ids with 255 for unlabelled / void, class subset
    applied. ``regions`` may pass ``find_regions(mask)`` when the caller has it already. With
    ``samples > 0`` the record also keeps up to that many normalised boundary distances per group
    (background, objects), drawn reproducibly from ``key``, for two-sample tests.
    """
    weak, mask = np.asarray(weak), np.asarray(mask)
    if weak.shape != mask.shape:
        raise ValueError(f"weak labels {weak.shape} and mask {mask.shape} differ in size")
    reg = regions if regions is not None else find_regions(mask)
    keep = np.asarray(labels.keep)
    bg = background_id(labels)
    h, w = mask.shape
    npix = h * w

    labelled = weak != IGNORE
    agree = labelled & (weak == mask)
    on_void = labelled & (mask == IGNORE)
    other = labelled & (mask != IGNORE) & (weak != mask)

    weak_counts = np.bincount(weak.ravel(), minlength=256)[keep]
    mask_counts = np.bincount(mask.ravel(), minlength=256)[keep]

    # scribbles: regions of the weak map; width from their inradius (a w-px stroke peaks at (w+1)/2)
    scr = find_regions(weak, metric="chessboard")
    s_width = np.maximum(2.0 * scr.inradius[1:] - 1.0, 1.0)
    s_length = scr.area[1:] / s_width

    # objects: regions of the mask
    obj_area = reg.area[1:]
    obj_cls = reg.cls[1:]
    obj_is_bg = obj_cls == bg if bg is not None else np.zeros(reg.n, bool)
    obj_bucket = size_bucket(obj_area / npix)
    a_ids = reg.ids[agree]
    touched = np.zeros(reg.n + 1, dtype=bool)
    touched[a_ids] = True
    touched = touched[1:]
    # distinct scribbles landing (correctly) on each object
    pairs = np.unique(scr.ids[agree].astype(np.int64) * (reg.n + 1) + a_ids)
    per_object = np.bincount(pairs % (reg.n + 1), minlength=reg.n + 1)[1:]

    objects = np.zeros((2, len(SIZE_NAMES)), np.int64)
    objects_touched = np.zeros((2, len(SIZE_NAMES)), np.int64)
    untouched_pixels = np.zeros((2, len(SIZE_NAMES)), np.int64)
    region_pixels = np.zeros((2, len(SIZE_NAMES)), np.int64)
    per_object_hist = np.zeros((2, PER_OBJECT_MAX + 1), np.int64)
    for g, sel in enumerate((obj_is_bg, ~obj_is_bg)):
        objects[g] = np.bincount(obj_bucket[sel], minlength=len(SIZE_NAMES))
        objects_touched[g] = np.bincount(obj_bucket[sel & touched], minlength=len(SIZE_NAMES))
        untouched_pixels[g] = np.bincount(obj_bucket[sel & ~touched], weights=obj_area[sel & ~touched],
                                          minlength=len(SIZE_NAMES)).astype(np.int64)
        region_pixels[g] = np.bincount(obj_bucket[sel], weights=obj_area[sel],
                                       minlength=len(SIZE_NAMES)).astype(np.int64)
        per_object_hist[g] = np.bincount(np.minimum(per_object[sel], PER_OBJECT_MAX),
                                         minlength=PER_OBJECT_MAX + 1)
    class_index = labels.index_lut[np.minimum(obj_cls, 255)]
    large = obj_area >= LARGE_OBJECT * npix
    k = len(keep)
    cls_objects = np.bincount(class_index, minlength=256)[:k]
    cls_touched = np.bincount(class_index[touched], minlength=256)[:k]
    cls_large = np.bincount(class_index[large], minlength=256)[:k]
    cls_large_touched = np.bincount(class_index[large & touched], minlength=256)[:k]

    # where the labelled pixels lie inside their objects
    d = reg.dist[agree]
    nd = d / np.maximum(reg.inradius[a_ids], 1.0)
    in_bg = reg.cls[a_ids] == bg if bg is not None else np.zeros(len(a_ids), bool)
    abs_hist = np.stack([_hist(d[in_bg], ABS_EDGES), _hist(d[~in_bg], ABS_EDGES)])
    norm_hist = np.stack([_hist(nd[in_bg], NORM_EDGES), _hist(nd[~in_bg], NORM_EDGES)])
    sums = np.array([[d[in_bg].sum(), nd[in_bg].sum(), in_bg.sum()],
                     [d[~in_bg].sum(), nd[~in_bg].sum(), (~in_bg).sum()]], dtype=np.float64)

    position = np.zeros((POSITION_BINS, POSITION_BINS), np.int64)
    centre_hist = np.zeros(len(CENTRE_EDGES) - 1, np.int64)
    obj_px = ~in_bg
    if obj_px.any():
        rr, cc = np.nonzero(agree)
        rr, cc, oid = rr[obj_px], cc[obj_px], a_ids[obj_px]
        boxes = ndimage.find_objects(reg.ids)
        used = np.unique(oid)
        r0 = np.zeros(reg.n + 1); r1 = np.zeros(reg.n + 1); c0 = np.zeros(reg.n + 1); c1 = np.zeros(reg.n + 1)
        for i in used:
            sl = boxes[i - 1]
            r0[i], r1[i], c0[i], c1[i] = sl[0].start, sl[0].stop - 1, sl[1].start, sl[1].stop - 1
        u = (cc - c0[oid]) / np.maximum(c1[oid] - c0[oid], 1)
        v = (rr - r0[oid]) / np.maximum(r1[oid] - r0[oid], 1)
        bu = np.minimum((u * POSITION_BINS).astype(int), POSITION_BINS - 1)
        bv = np.minimum((v * POSITION_BINS).astype(int), POSITION_BINS - 1)
        position = np.bincount(bv * POSITION_BINS + bu, minlength=POSITION_BINS ** 2).reshape(
            POSITION_BINS, POSITION_BINS).astype(np.int64)
        # centroids of the objects that were hit
        grid_r, grid_c = np.nonzero(np.isin(reg.ids, used))
        gid = reg.ids[grid_r, grid_c]
        cnt = np.bincount(gid, minlength=reg.n + 1)
        mr = np.bincount(gid, weights=grid_r, minlength=reg.n + 1) / np.maximum(cnt, 1)
        mc = np.bincount(gid, weights=grid_c, minlength=reg.n + 1) / np.maximum(cnt, 1)
        radius = np.sqrt(np.maximum(reg.area, 1) / np.pi)
        centre_hist = _hist(np.hypot(rr - mr[oid], cc - mc[oid]) / radius[oid], CENTRE_EDGES)

    record = {
        "images": 1,
        "pixels": npix,
        "valid_pixels": int((mask != IGNORE).sum()),
        "labelled": int(labelled.sum()),
        "fraction_hist": _hist([labelled.sum() / npix], FRACTION_EDGES),
        "fraction_sum": np.array([labelled.sum() / npix, (labelled.sum() / npix) ** 2]),
        "class_labelled": weak_counts.astype(np.int64),
        "class_pixels": mask_counts.astype(np.int64),
        "class_images": (mask_counts > 0).astype(np.int64),
        "class_images_labelled": ((weak_counts > 0) & (mask_counts > 0)).astype(np.int64),
        "class_objects": cls_objects, "class_touched": cls_touched,
        "class_large": cls_large, "class_large_touched": cls_large_touched,
        "disagree_class": int(other.sum()),
        "disagree_void": int(on_void.sum()),
        "scribbles": int(scr.n),
        "scribbles_hist": np.bincount([min(scr.n, COUNT_MAX)], minlength=COUNT_MAX + 1).astype(np.int64),
        "length_hist": _hist(s_length, LENGTH_EDGES),
        "width_hist": _hist(s_width, WIDTH_EDGES),
        "scribble_sums": np.array([s_length.sum(), s_width.sum(), scr.area[1:].sum()], dtype=np.float64),
        "objects": objects, "objects_touched": objects_touched,
        "untouched_pixels": untouched_pixels, "region_pixels": region_pixels,
        "per_object_hist": per_object_hist,
        "abs_hist": abs_hist, "norm_hist": norm_hist, "distance_sums": sums,
        "position_hist": position, "centre_hist": centre_hist,
    }
    if samples:
        rng = np.random.default_rng(zlib.crc32(key.encode()))
        for g, sel in zip(GROUPS, (in_bg, ~in_bg)):
            vals = nd[sel]
            if len(vals) > samples:
                vals = vals[np.sort(rng.choice(len(vals), samples, replace=False))]
            record[f"samples_{g}"] = [float(x) for x in vals]
    return record


def merge_records(records) -> dict:
    """Sum per-image records (numbers and arrays add, sample lists concatenate)."""
    total: dict = {}
    for rec in records:
        for name, value in rec.items():
            if name not in total:
                total[name] = list(value) if isinstance(value, list) else np.array(value, copy=True) \
                    if isinstance(value, np.ndarray) else value
            elif isinstance(value, list):
                total[name].extend(value)
            else:
                total[name] = total[name] + value
    return total


# ---------------------------------------------------------------------------------------- summary
def _binned_median(counts, edges) -> float | None:
    counts = np.asarray(counts)
    if counts.sum() == 0:
        return None
    cdf = np.cumsum(counts) / counts.sum()
    i = int(np.searchsorted(cdf, 0.5))
    return float(edges[i] + edges[i + 1]) / 2


def _ratio(a, b):
    return float(a) / float(b) if b else None


def summarize(total: dict, labels) -> dict:
    """A JSON-ready summary of merged records (histograms kept with their bin edges for plots)."""
    n = total["images"]
    mean_f = total["fraction_sum"][0] / n
    var_f = max(total["fraction_sum"][1] / n - mean_f ** 2, 0.0)
    per_class = {}
    for i, c in enumerate(labels.keep):
        per_class[labels.names[c]] = {
            "labelled_fraction_of_all_pixels": _ratio(total["class_labelled"][i], total["pixels"]),
            "labelled_fraction_of_class_pixels": _ratio(total["class_labelled"][i], total["class_pixels"][i]),
            "images_with_class": int(total["class_images"][i]),
            "images_with_class_labelled": int(total["class_images_labelled"][i]),
            "objects": int(total["class_objects"][i]),
            "objects_touched": int(total["class_touched"][i]),
            "objects_touched_fraction": _ratio(total["class_touched"][i], total["class_objects"][i]),
            "large_objects": int(total["class_large"][i]),
            "large_objects_touched_fraction": _ratio(total["class_large_touched"][i],
                                                     total["class_large"][i]),
        }
    objects, touched = total["objects"], total["objects_touched"]
    untouched_px, region_px = total["untouched_pixels"], total["region_pixels"]
    by_size, totals = {}, {}
    for g, group in enumerate(GROUPS):
        by_size[group] = {name: {"objects": int(objects[g, b]), "touched": int(touched[g, b]),
                                 "fraction": _ratio(touched[g, b], objects[g, b]),
                                 "untouched_pixels": int(untouched_px[g, b])}
                          for b, name in enumerate(SIZE_NAMES)}
        totals[group] = {"objects": int(objects[g].sum()), "untouched": int((objects[g] - touched[g]).sum()),
                         "untouched_pixels": int(untouched_px[g].sum()),
                         "untouched_pixel_fraction": _ratio(untouched_px[g].sum(), region_px[g].sum())}
    first_large = int(np.searchsorted(SIZE_EDGES, LARGE_OBJECT))
    large = {group: _ratio(touched[g, first_large:].sum(), objects[g, first_large:].sum())
             for g, group in enumerate(GROUPS)}
    large["all"] = _ratio(touched[:, first_large:].sum(), objects[:, first_large:].sum())
    distance = {}
    for g, group in enumerate(GROUPS):
        s_abs, s_norm, count = total["distance_sums"][g]
        distance[group] = {
            "pixels": int(count),
            "mean_px": _ratio(s_abs, count), "median_px": _binned_median(total["abs_hist"][g], ABS_EDGES),
            "mean_normalised": _ratio(s_norm, count),
            "median_normalised": _binned_median(total["norm_hist"][g], NORM_EDGES),
            "abs_counts": total["abs_hist"][g].tolist(),
            "normalised_counts": total["norm_hist"][g].tolist(),
        }
    s_len, s_wid, s_area = total["scribble_sums"]
    scribbles = total["scribbles"]
    labelled = total["labelled"]
    disagree = total["disagree_class"] + total["disagree_void"]
    return {
        "images": int(n),
        "labelled_fraction": {"mean_per_image": float(mean_f), "std_per_image": float(np.sqrt(var_f)),
                              "pooled": _ratio(labelled, total["pixels"]),
                              "of_valid_pixels": _ratio(labelled, total["valid_pixels"]),
                              "hist": total["fraction_hist"].tolist(),
                              "hist_edges": FRACTION_EDGES.tolist()},
        "per_class": per_class,
        # whose regions form the group "background" (None: every region is an object)
        "background_class": None if labels.background is None else labels.names[labels.background],
        "scribbles": {
            "total": int(scribbles), "per_image_mean": _ratio(scribbles, n),
            "per_image_hist": total["scribbles_hist"].tolist(),
            "length_px_mean": _ratio(s_len, scribbles),
            "length_px_median": _binned_median(total["length_hist"], LENGTH_EDGES),
            "length_hist": total["length_hist"].tolist(), "length_edges": LENGTH_EDGES.tolist(),
            "width_px_mean": _ratio(s_wid, scribbles),
            "width_hist": total["width_hist"].tolist(), "width_edges": WIDTH_EDGES.tolist(),
            "per_object_hist": {g: total["per_object_hist"][i].tolist() for i, g in enumerate(GROUPS)},
            "per_touched_object_mean": {
                g: _ratio((np.arange(PER_OBJECT_MAX + 1) * total["per_object_hist"][i]).sum(),
                          total["per_object_hist"][i][1:].sum()) for i, g in enumerate(GROUPS)},
        },
        "objects_touched": {"by_size": by_size, "totals": totals, "size_buckets": list(SIZE_NAMES),
                            "larger_than_1_percent": large},
        "boundary_distance": {"abs_edges": ABS_EDGES.tolist(), "normalised_edges": NORM_EDGES.tolist(),
                              **distance},
        "position": {"object_box_hist": total["position_hist"].tolist(),
                     "centroid_distance_hist": total["centre_hist"].tolist(),
                     "centroid_distance_edges": CENTRE_EDGES.tolist()},
        "disagreement": {"pixels_on_other_class": int(total["disagree_class"]),
                         "pixels_on_void": int(total["disagree_void"]),
                         "fraction_of_labelled": _ratio(disagree, labelled)},
    }


# ------------------------------------------------------------------------------------- data sets
def _record_for(dataset, weak_fn, samples, key):
    mask = dataset.mask(key)
    return image_record(weak_fn(dataset, key), mask, dataset.labels, samples=samples, key=key)


def dataset_statistics(dataset, weak, samples: int = 0, workers: int = 1, progress: bool = True,
                       desc: str = "statistics") -> tuple[dict, dict]:
    """Statistics of a whole data set's weak labels: ``(summary, merged record)``.

    ``weak`` is anything ``weak(dataset, key) -> uint8 map`` (a :class:`~scribblegap.scribbles.WeakLabels`).
    The merged record keeps the distance samples (``samples_background``, ``samples_objects``).
    """
    fn = partial(_record_for, dataset, weak, samples)
    total = merge_records(map_images(fn, dataset.ids, workers=workers, desc=desc, progress=progress))
    if not total:
        raise ConfigError("no images to measure")
    return summarize(total, dataset.labels), total


def ks_test(a, b) -> dict:
    """Two-sample Kolmogorov-Smirnov test (scipy) as a small dict: statistic, p-value, sample sizes."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) == 0 or len(b) == 0:
        return {"statistic": None, "pvalue": None, "n1": len(a), "n2": len(b)}
    res = ks_2samp(a, b)
    return {"statistic": float(res.statistic), "pvalue": float(res.pvalue), "n1": len(a), "n2": len(b)}
