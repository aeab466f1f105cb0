"""Training samples: images with hard targets (masks, scribbles, clicks) or soft ones (probabilities).

Images and targets are resized once so their longer side is ``base_size`` (the CPU presets train at
low resolution) and kept in memory; each sample is then augmented with its own generator, seeded by
its position in the sample stream (see :class:`SampleStream`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler
from tqdm.auto import tqdm

from scribblegap.core.errors import DataError
from scribblegap.core.io import read_label_png
from scribblegap.data.labels import IGNORE
from scribblegap.data.store import load_probs, stored_path
from scribblegap.network.transforms import augment, fit_long_side, resize_pair


class TrainingSamples(Dataset):
    """``samples[(index, sample_seed)] -> (image 3xCxC, target)``; targets in contiguous class indices.

    ``weak``: a :class:`~scribblegap.scribbles.WeakLabels` (``full`` = dense masks) for hard targets;
    ``soft_dir``: a folder of ``<id>.npz`` probabilities (+ optional ``<id>.png`` whose 255 pixels are
    ignored) for soft targets.
    """

    def __init__(self, dataset, weak=None, soft_dir=None, base_size: int | None = None, crop: int = 128,
                 scale_range=(0.5, 1.5), cache: bool | None = None):
        if (weak is None) == (soft_dir is None):
            raise ValueError("give exactly one of weak (hard targets) or soft_dir (soft targets)")
        self.dataset, self.weak = dataset, weak
        self.soft_dir = None if soft_dir is None else Path(soft_dir)
        self.base_size, self.crop, self.scale_range = base_size, crop, tuple(scale_range)
        self.cache = base_size is not None if cache is None else cache
        self._store: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def soft(self) -> bool:
        return self.soft_dir is not None

    def load(self, index: int):
        """(image HxWx3 uint8, target) at training resolution; target (H, W) or (K, H, W) uint8."""
        if index in self._store:
            return self._store[index]
        ds = self.dataset
        key = ds.ids[index]
        image = ds.image(key)
        labels = ds.labels
        if self.soft:
            probs = load_probs(stored_path(self.soft_dir, key), labels)
            if probs.shape[1:] != image.shape[:2]:
                raise DataError(stored_path(self.soft_dir, key), f"probabilities {probs.shape[1:]} differ "
                                f"in size from the image {image.shape[:2]}")
            target = np.rint(probs * 255).astype(np.uint8)
            png = self.soft_dir / f"{key}.png"
            if png.is_file():  # pixels the fusion left unlabelled stay ignored
                unsure = read_label_png(png, image.shape[:2], labels.valid_values()) == IGNORE
                target[:, unsure] = 0
        else:
            target = labels.to_index(self.weak(ds, key))
        size = fit_long_side(image.shape[:2], self.base_size)
        if size != image.shape[:2]:
            image, target = resize_pair(image, target, size)
        if self.cache:
            self._store[index] = (image, target)
        return image, target

    def preload(self, progress: bool = True):

        for i in tqdm(range(len(self)), desc="loading training data", disable=not progress, leave=False):
            self.load(i)
        return self

    def labelled_fraction(self) -> float:
        """Fraction of (training-resolution) pixels that carry a label."""
        n = lab = 0
        for i in range(len(self)):
            t = self.load(i)[1]
            n += t.shape[-2] * t.shape[-1]
            lab += int((t.sum(0) > 0).sum()) if self.soft else int((t != IGNORE).sum())
        return lab / max(n, 1)

    def __getitem__(self, item):
        index, sample_seed = item
        image, target = self.load(index)
        g = torch.Generator().manual_seed(int(sample_seed))
        return augment(image, target, self.crop, self.scale_range, True, g)


class SampleStream(Sampler):
    """An endless, reproducible stream of ``(index, sample_seed)``.

    Position ``p`` of the stream is a pure function of (seed, p): epoch ``p // n`` is a permutation
    drawn from (seed, epoch). Starting at ``start`` (a resumed step times the batch size) therefore
    continues exactly where an uninterrupted run would be. With several ranks, rank ``r`` takes the
    positions ``p`` with ``p % world == r``.
    """
    def __init__(self, n: int, seed: int = 0, start: int = 0, rank: int = 0, world: int = 1):
        self.n, self.seed, self.start, self.rank, self.world = n, seed, start, rank, world

    def _perm(self, epoch: int) -> torch.Tensor:
        return torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed * 100003 + epoch))

    def __iter__(self):
        p = self.start + self.rank
        epoch, perm = -1, None
        while True:
            if p // self.n != epoch:
                epoch = p // self.n
                perm = self._perm(epoch)
            yield int(perm[p % self.n]), (self.seed * 1_000_003 + p) % (2 ** 63)
            p += self.world

    def __len__(self):  # endless; DataLoader only needs a number
        return 2 ** 62
