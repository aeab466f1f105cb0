"""The worked example of bringing your own data: a VOC-layout folder with its own ``classes.txt``, built offline.

The embedded procedural scenes (:mod:`scribblegap.data.synthetic`) exported as files: six classes of their
own names and colours, no background class (the scenes' floor is the class ``ground``, so every pixel
belongs to a named class: ``background: none``), PNG images of 160 x 120 pixels, 150 train and 60 val::

    example-own-data/
        classes.txt                       the class names, colours and 'background: none'
        JPEGImages/<id>.png               images (.jpg or .png)
        SegmentationClass/<id>.png        masks: class ids 0-5 (255 would be void)
        ImageSets/Segmentation/train.txt  the image ids of each split, one a line
        ImageSets/Segmentation/val.txt
        example.json                      what built it (a rebuild with the same settings is skipped)

``scribblegap download --what example --root DIR`` builds it in ``DIR/example-own-data``; ``--data
example-own-data`` (the config ``example-own-data``) finds it there under the data root, or else builds it
on first use in the cache folder. A folder of your own in this layout runs the same way (``--data PATH``).
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from scribblegap.core.errors import DataError
from scribblegap.core.io import atomic_path, write_json, write_label_png
from scribblegap.core.settings import ENV_CACHE, cache_dir, resolve_data
from scribblegap.data.labels import CLASS_FILE, read_class_file
from scribblegap.data.synthetic import SPLITS, SceneConfig, render_scene

EXAMPLE = "example-own-data"   # the folder's name, and the data spec that finds (or builds) it
EXAMPLE_VERSION = 1            # bump when the files built for the same settings change
SCENES = SceneConfig(size=160, n_train=150, n_val=60, seed=1)
ROWS = (20, 140)               # rows kept of each 160 x 160 scene: 160 wide, 120 high
RECORD = "example.json"
CLASS_TEXT = """\
# classes.txt of the worked example (scribblegap.data.example): the procedural scenes under names of their own.
# One class per line in id order (the first is id 0), each with an optional colour: #RRGGBB or R,G,B.
# Every pixel belongs to one of them: the scenes' floor is the class 'ground', not a background.
ground   #786e5a
sun      255,140,0
ring     154,205,50
comb     #00aa8c
spider   30,90,220
blob     #a032c8
background: none
"""


def example_settings() -> dict:
    return {"example_version": EXAMPLE_VERSION, "scenes": SCENES.to_dict(), "rows": list(ROWS)}


def build_example(root, log=None) -> str:
    """Build the worked example in ``root`` (which must not exist yet, be empty, or hold this example);
    returns ``"built"`` or ``"skipped"`` (already there). The files appear together: they are written into a
    hidden sibling folder that is renamed to ``root`` when complete."""
    root = Path(root)
    if _holds_example(root):
        return "skipped"
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise DataError(root, f"exists and does not hold the worked example (no matching {RECORD}); choose "
                              "another folder or delete it")
    root.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".partial", dir=root.parent))
    try:
        _write_example(partial, log)
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()
        try:
            partial.rename(root)
        except OSError:
            if not _holds_example(root):  # not another process that finished first
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return "built"


def _holds_example(root: Path) -> bool:
    try:
        return json.loads((root / RECORD).read_text()) == json.loads(json.dumps(example_settings()))
    except (OSError, ValueError):
        return False


def _write_example(folder: Path, log) -> None:
    with atomic_path(folder / CLASS_FILE) as tmp:
        tmp.write_text(CLASS_TEXT, encoding="utf-8")
    palette = read_class_file(folder / CLASS_FILE).palette  # the masks carry the example's own colours
    for split, code in SPLITS.items():
        count = SCENES.n_train if split == "train" else SCENES.n_val
        ids = [f"{split}_{i:04d}" for i in range(count)]
        for i, key in enumerate(ids):
            image, mask = render_scene(SCENES, code, i)
            image, mask = image[ROWS[0]:ROWS[1]], np.ascontiguousarray(mask[ROWS[0]:ROWS[1]])
            path = folder / "JPEGImages" / f"{key}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                Image.fromarray(image).save(tmp, format="PNG")
            write_label_png(folder / "SegmentationClass" / f"{key}.png", mask, palette)
        with atomic_path(folder / "ImageSets" / "Segmentation" / f"{split}.txt") as tmp:
            tmp.write_text("\n".join(ids) + "\n")
        if log:
            log(f"{split}: {count} images")
    write_json(folder / RECORD, example_settings())


def example_folder() -> Path:
    """The folder ``--data example-own-data`` means: one of that name in the current directory or under the
    data root, else the copy in the cache folder (built there on first use)."""
    try:
        return resolve_data(EXAMPLE)
    except DataError:
        pass
    cache = cache_dir()
    if cache is None:
        raise DataError(EXAMPLE, f"the worked example is not built and the cache is off (${ENV_CACHE}); build it "
                                 "with `scribblegap download --what example --root DIR`") from None
    folder = cache / "example" / f"v{EXAMPLE_VERSION}" / EXAMPLE
    build_example(folder)
    return folder
