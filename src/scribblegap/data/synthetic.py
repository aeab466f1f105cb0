"""The embedded default data set: procedural multi-class scenes, generated deterministically at run time.

Nothing is stored in the repository: a :class:`SceneConfig` and a seed define every image. Dense masks
teach something scribbles do not: a stroke through an object's interior says nothing about where the
object ends, and objects carry short parts (spikes, legs, teeth) that such a stroke rarely touches;
free strokes lie in the background, objects occlude each other and vary in size. With the default knobs
that gap is made of extents and boundaries a per-image colour model and a CRF can recover, as on VOC
(the scene search recorded in ``results/scene_tuning.json`` measured them, candidate ``wide``); the ``hard`` variant hides it in thin
parts of another hue and body-coloured shadows. The knobs are the fields of :class:`SceneConfig`;
notebook 06 shows what they do to the gap F-B.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass

import numpy as np
import scipy
import skimage
from scipy import ndimage
from skimage import draw

from scribblegap.core.errors import ConfigError
from scribblegap.core.io import atomic_path
from scribblegap.core.settings import cache_dir
from scribblegap.data.base import SegmentationData
from scribblegap.data.download import file_digest
from scribblegap.data.labels import LabelSpace

SYNTH_CLASSES = ("background", "sun", "ring", "comb", "spider", "blob")
_CLASS_HUES = {1: 0.08, 2: 0.25, 3: 0.45, 4: 0.62, 5: 0.80}  # centre hue of each object class
SPLITS = {"train": 0, "val": 1}


@dataclass(frozen=True)
class SceneConfig:
    """Knobs of the generator (sizes in pixels, colours 0-255)."""

    size: int = 128                 # square images
    n_train: int = 800
    n_val: int = 200
    min_objects: int = 1
    max_objects: int = 3
    min_radius: float = 0.18        # object radius as a fraction of the image size
    max_radius: float = 0.36
    thin_width: float = 7.0         # width of spikes, legs and teeth
    thin_parts: int = 3             # mean number of thin parts per object
    thin_length: float = 0.9        # thin part length relative to the object radius
    part_hue_shift: float = 0.0     # hue of thin parts relative to their body (0.5: the opposite colour)
    halo: float = 0                 # width of a background shadow in the body's colour around each body
    halo_shade: float = 0.75        # brightness of that shadow relative to the body
    hue_spread: float = 0.02        # std of an object's hue around its class hue (0.1 = 36 deg)
    texture: float = 0.1            # contrast of the class texture
    clutter: int = 8                # free background strokes and blobs per image
    clutter_like_objects: float = 0.1  # how often clutter takes an object-class colour
    noise: float = 10.0             # pixel noise std
    blur: float = 0.6               # optical blur sigma (softens boundaries)
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


# Named sets of knobs, written out in full so later changes to the defaults leave them as they are.
SCENE_VARIANTS = {
    # thin parts in the opposite hue and a body-coloured shadow in the background: a gap made of structures
    # that dense masks teach and no per-image colour model or CRF can recover (notebook 06)
    "hard": dict(size=128, n_train=800, n_val=200, min_objects=1, max_objects=4, min_radius=0.14, max_radius=0.32,
                 thin_width=4.0, thin_parts=9, thin_length=1.4, part_hue_shift=0.5, halo=6, halo_shade=0.75,
                 hue_spread=0.04, texture=0.35, clutter=8, clutter_like_objects=0.8, noise=10.0, blur=0.6, seed=0),
}


class SyntheticScenes(SegmentationData):
    """One split of the procedural data set, held in memory (800 images of 128 px: 40 MB); once rendered whole,
    also in the scene cache that the other processes of a run read."""

    name = "default"

    def __init__(self, split: str = "train", config: SceneConfig | None = None, classes=None,
                 transform=None, limit: int | None = None):
        if split not in SPLITS:
            raise ConfigError(f"the embedded data set has splits {list(SPLITS)}, not {split!r}")
        self.config = config or SceneConfig()
        n = self.config.n_train if split == "train" else self.config.n_val
        n = n if limit is None else min(n, limit)
        ids = [f"synth_{split}_{i:04d}" for i in range(n)]
        super().__init__(ids, LabelSpace.create(SYNTH_CLASSES, classes), split, transform)
        self._split_ids = tuple(ids)  # head() views share the scenes but not their ids
        self._scenes_key = _split_key(self.config, split, n)
        self._cache = _scenes(self._scenes_key)

    def __getstate__(self):  # a worker process gets the knobs, not the pixels (it has them or reads them)
        return {**self.__dict__, "_cache": None}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._cache = _scenes(self._scenes_key)

    def _scene(self, key: str):
        if key not in self._cache:
            if self._scenes_key not in _READ:
                _READ.add(self._scenes_key)
                self._cache.update(_read_split(_stored_split(self._scenes_key), self._split_ids))
            if key not in self._cache:
                index = int(key.rsplit("_", 1)[1])
                self._cache[key] = render_scene(self.config, SPLITS[self.split], index)
        return self._cache[key]

    def load_all(self) -> "SyntheticScenes":
        """Every scene of this view in memory; a whole split is also stored in the scene cache
        (:func:`~scribblegap.core.settings.cache_dir`), so other processes (the training workers) read it instead of
        rendering it again."""
        for key in self.ids:
            self._scene(key)
        stored = _stored_split(self._scenes_key)
        if stored is not None and not stored.is_file() and all(key in self._cache for key in self._split_ids):
            _write_split(stored, [self._cache[key] for key in self._split_ids])
        return self

    def _read_image(self, key: str) -> np.ndarray:
        return self._scene(key)[0]

    def _read_mask(self, key: str, shape) -> np.ndarray:
        return self._scene(key)[1]

    def image_shape(self, item):
        return (self.config.size, self.config.size)


# --------------------------------------------------------------------------------------- scene cache
_SCENES: dict[str, dict] = {}  # this process's scenes by id, per split key; forked workers inherit them
_READ: set[str] = set()        # split keys whose cache file this process has looked for
_KEPT_SPLITS = 8               # a kernel that tries many knobs keeps the latest splits only (50 MB each)


def _scenes(key: str) -> dict:
    if key not in _SCENES:
        while len(_SCENES) >= _KEPT_SPLITS:
            _SCENES.pop(next(iter(_SCENES)))  # the oldest; data sets that hold it keep their own reference
        _SCENES[key] = {}
    return _SCENES[key]


def _split_key(cfg: SceneConfig, split: str, n: int) -> str:
    """A name for the first ``n`` scenes of ``split`` that hashes everything deciding their pixels: the knobs,
    this module's source and the versions of the libraries that draw."""
    key = json.dumps([cfg.to_dict(), split, n, _source_hash(), np.__version__, scipy.__version__, skimage.__version__])
    return f"{split}-{n}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


@functools.cache
def _source_hash() -> str:
    return file_digest(__file__)


def _stored_split(key: str):
    """The scene cache file of a split key, or None when the cache is switched off."""
    root = cache_dir()
    return None if root is None else root / "scenes" / f"{key}.npz"


def _read_split(path, ids) -> dict:
    """The stored scenes by id, or {} when there is no file or it is unreadable (then they are rendered again)."""
    if path is None:
        return {}
    try:
        with np.load(path) as stored:
            images, masks = stored["images"], stored["masks"]
        if len(images) != len(ids) or len(masks) != len(ids):
            raise ValueError("another number of scenes")
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, EOFError):
        path.unlink(missing_ok=True)  # damaged: the next whole render stores it again
        return {}
    return {key: (image, mask) for key, image, mask in zip(ids, images, masks)}


def _write_split(path, scenes) -> None:
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, images=np.stack([s[0] for s in scenes]), masks=np.stack([s[1] for s in scenes]))
    except OSError:
        pass  # a read-only or full cache folder only costs rendering again


# --------------------------------------------------------------------------------------------- drawing
def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    i = int(h * 6) % 6
    f = h * 6 - math.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return np.array(rgb) * 255.0


def _segment(shape, p0, p1, width: float) -> np.ndarray:
    """Boolean mask of a thick line segment from p0 to p1 ((row, col) points)."""
    (r0, c0), (r1, c1) = p0, p1
    dr, dc = r1 - r0, c1 - c0
    norm = math.hypot(dr, dc) or 1.0
    nr, nc = -dc / norm * width / 2, dr / norm * width / 2
    rr, cc = draw.polygon([r0 + nr, r1 + nr, r1 - nr, r0 - nr], [c0 + nc, c1 + nc, c1 - nc, c0 - nc],
                          shape)
    out = np.zeros(shape, bool)
    out[rr, cc] = True
    rr, cc = draw.line(int(round(r0)), int(round(c0)), int(round(r1)), int(round(c1)))
    keep = (rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])
    out[rr[keep], cc[keep]] = True
    return out


def _polyline(shape, points, width: float) -> np.ndarray:
    out = np.zeros(shape, bool)
    for p0, p1 in zip(points[:-1], points[1:]):
        out |= _segment(shape, p0, p1, width)
    return out


def _ellipse(shape, r, c, rr_, cr_, rot=0.0) -> np.ndarray:
    out = np.zeros(shape, bool)
    rr, cc = draw.ellipse(r, c, max(rr_, 1), max(cr_, 1), shape=shape, rotation=rot)
    out[rr, cc] = True
    return out


def _blob(shape, r, c, radius, rng, harmonics=3) -> np.ndarray:
    """A smooth random star-shaped blob (radius modulated by a few Fourier harmonics)."""
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    rad = np.ones_like(t)
    for k in range(2, 2 + harmonics):
        rad += rng.uniform(0.05, 0.22) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    rr, cc = draw.polygon(r + radius * rad * np.sin(t), c + radius * rad * np.cos(t), shape)
    out = np.zeros(shape, bool)
    out[rr, cc] = True
    return out


def _shape_mask(cls: int, shape, r, c, radius, cfg: SceneConfig, rng) -> tuple[np.ndarray, np.ndarray]:
    """(body, parts): the object's main region and its thin parts (spikes, handles, teeth, legs)."""
    w = cfg.thin_width * rng.uniform(0.8, 1.25)
    n_thin = max(0, int(rng.poisson(cfg.thin_parts)))
    length = cfg.thin_length * radius
    rot = rng.uniform(0, np.pi)
    parts = np.zeros(shape, bool)
    if cls == 1:  # sun: a disc with thin radial spikes
        body = _ellipse(shape, r, c, radius * 0.6, radius * 0.6)
        for a in rng.uniform(0, 2 * np.pi, n_thin):
            p0 = (r + 0.5 * radius * math.sin(a), c + 0.5 * radius * math.cos(a))
            p1 = (r + (0.6 * radius + length) * math.sin(a), c + (0.6 * radius + length) * math.cos(a))
            parts |= _segment(shape, p0, p1, w)
    elif cls == 2:  # ring: an annulus whose hole shows the background, with a thin handle or two
        outer = _ellipse(shape, r, c, radius, radius * rng.uniform(0.75, 1.0), rot)
        inner = _ellipse(shape, r, c, radius * 0.55, radius * 0.45, rot)
        body = outer & ~inner
        for a in rng.uniform(0, 2 * np.pi, max(1, n_thin // 3)):
            p0 = (r + 0.9 * radius * math.sin(a), c + 0.9 * radius * math.cos(a))
            p1 = (r + (radius + length) * math.sin(a), c + (radius + length) * math.cos(a))
            parts |= _segment(shape, p0, p1, w)
    elif cls == 3:  # comb: a bar with thin parallel teeth on one side
        dr, dc = math.sin(rot), math.cos(rot)
        a = (r - dr * radius, c - dc * radius)
        b = (r + dr * radius, c + dc * radius)
        body = _segment(shape, a, b, radius * 0.45)
        for s in np.linspace(-0.9, 0.9, max(3, n_thin)):
            base = (r + dr * radius * s, c + dc * radius * s)
            tip = (base[0] + dc * length, base[1] - dr * length)
            parts |= _segment(shape, base, tip, w)
    elif cls == 4:  # spider: an elliptic body with bent thin legs
        body = _ellipse(shape, r, c, radius * 0.55, radius * 0.4, rot)
        for a in np.linspace(0, 2 * np.pi, max(4, n_thin), endpoint=False) + rng.uniform(0, 1):
            knee_a = a + rng.uniform(-0.5, 0.5)
            p0 = (r, c)
            p1 = (r + 0.8 * length * math.sin(a), c + 0.8 * length * math.cos(a))
            p2 = (p1[0] + 0.6 * length * math.sin(knee_a), p1[1] + 0.6 * length * math.cos(knee_a))
            parts |= _polyline(shape, [p0, p1, p2], w)
    else:  # blob: no thin parts, a body only
        body = _blob(shape, r, c, radius * 0.8, rng)
    return body, parts & ~body


def _texture(cls: int, shape, rng) -> np.ndarray:
    """A zero-mean class pattern in [-1, 1]: stripes whose period and angle depend on the class."""
    yy, xx = np.mgrid[0: shape[0], 0: shape[1]].astype(np.float32)
    period = 3.0 + 1.5 * cls + rng.uniform(-1, 1)
    angle = cls * 0.7 + rng.uniform(-0.3, 0.3)
    return np.sin(2 * np.pi * (xx * math.cos(angle) + yy * math.sin(angle)) / period)


def render_scene(cfg: SceneConfig, split_code: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Image ``(S, S, 3) uint8`` and mask ``(S, S) uint8`` of scene ``index``; pure function of its inputs."""
    rng = np.random.default_rng([cfg.seed, split_code, index])
    s = cfg.size
    shape = (s, s)
    # background: a smooth two-colour gradient plus low-frequency mottling
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    c0 = _hsv_to_rgb(rng.uniform(), rng.uniform(0.1, 0.5), rng.uniform(0.3, 0.9))
    c1 = _hsv_to_rgb(rng.uniform(), rng.uniform(0.1, 0.5), rng.uniform(0.3, 0.9))
    a = rng.uniform(0, 2 * np.pi)
    t = np.clip(0.5 + (xx - 0.5) * math.cos(a) + (yy - 0.5) * math.sin(a), 0, 1)[..., None]
    image = c0 * (1 - t) + c1 * t
    mottle = ndimage.gaussian_filter(rng.normal(0, 1, shape), s / 16)
    image += 25 * (mottle / (mottle.std() + 1e-6))[..., None]
    mask = np.zeros(shape, np.uint8)
    object_classes = sorted(_CLASS_HUES)

    def paint(region, cls_hue, texture_cls):
        hue = (cls_hue + rng.normal(0, cfg.hue_spread)) % 1.0
        colour = _hsv_to_rgb(hue, rng.uniform(0.45, 0.9), rng.uniform(0.45, 0.95))
        tex = 1 + cfg.texture * _texture(texture_cls, shape, rng)
        image[region] = colour * tex[region][:, None]
        return colour, tex

    # clutter: free thin strokes and small blobs, often in object colours; they are background
    for _ in range(int(rng.poisson(cfg.clutter))):
        like = rng.uniform() < cfg.clutter_like_objects
        hue = (_CLASS_HUES[int(rng.choice(object_classes))] + cfg.part_hue_shift * rng.integers(0, 2)) if like \
            else rng.uniform()
        if rng.uniform() < 0.6:
            p = rng.uniform(0, s, (int(rng.integers(2, 4)), 2))
            region = _polyline(shape, [tuple(q) for q in p], cfg.thin_width * rng.uniform(0.8, 1.4))
        else:
            region = _blob(shape, rng.uniform(0, s), rng.uniform(0, s), s * rng.uniform(0.03, 0.07), rng)
        paint(region, hue, int(rng.integers(1, 6)))

    # objects, back to front: later ones occlude earlier ones
    for _ in range(int(rng.integers(cfg.min_objects, cfg.max_objects + 1))):
        cls = int(rng.choice(object_classes))
        radius = s * rng.uniform(cfg.min_radius, cfg.max_radius)
        r, c = rng.uniform(0.15 * s, 0.85 * s, 2)
        body, parts = _shape_mask(cls, shape, r, c, radius, cfg, rng)
        if cfg.halo > 0:  # a shadow of the body's colour, darker, that belongs to the background
            halo = ndimage.binary_dilation(body, iterations=int(cfg.halo)) & ~body & ~parts & (mask == 0)
            halo_index = np.flatnonzero(halo)
        colour, tex = paint(body, _CLASS_HUES[cls], cls)
        if cfg.halo > 0:  # same colour and texture as the body, only darker
            image.reshape(-1, 3)[halo_index] = colour * cfg.halo_shade * tex.reshape(-1)[halo_index, None]
        if parts.any():  # parts look different from the body (like a rider's legs, a horse's mane)
            paint(parts, _CLASS_HUES[cls] + cfg.part_hue_shift, cls)
        mask[body | parts] = cls

    if cfg.blur > 0:
        image = ndimage.gaussian_filter(image, sigma=(cfg.blur, cfg.blur, 0))
    image += rng.normal(0, cfg.noise, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), mask
