"""Class names, colours, and class subsets.

Files always hold the data set's own class ids (VOC ids 0-20, 255 = void/unlabelled). A
:class:`LabelSpace` says which ids count: the others become 255 when a mask or scribble is read.
Models work on contiguous indices ``0..K-1`` of the kept ids (:meth:`LabelSpace.to_index`).

A data set folder names its own classes in ``classes.txt`` beside ``JPEGImages/`` (without one it has
VOC's 21). UTF-8 text, one class per line in id order (the first class line is id 0)::

    # a comment: lines whose first character is '#', and blank lines, are skipped
    ground    #8c7a5b       # optional colour: #RRGGBB ...
    sun       250,170,30    # ... or R,G,B (0-255 each)
    ring                    # no colour: the VOC colour of its id
    background: none

* A class name is one word: no spaces, commas or colons, not only digits (``--classes`` takes ids and
  names separated by commas), not starting with ``#``; each name once. 1 to 255 classes (id 255 is void).
* ``background: NAME`` says which class is the background (what is left when the objects are taken
  away), ``background: none`` that there is none: every pixel belongs to a named class. Without such a
  line the class named ``background``, if there is one, is the background. At most one such line.
* A ``#`` followed by a space (or ending the line) starts a comment; a colour's ``#`` has none after it.

Which class is the background changes no stage's arithmetic: the simulator, the local annotators, the
fusion and the CRF treat every class alike. It only splits the scribble statistics into background and
objects (:mod:`scribblegap.scribbles.statistics`); without a background every region is an object.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.io import IGNORE, read_text_file

VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
    "tvmonitor",
)

# Named class subsets (VOC ids). "voc12-mini" is the benchmark protocol of ../shared/data/voc12-mini.
CLASS_SUBSETS = {
    "voc": tuple(range(21)),
    "voc12-mini": (0, 8, 10, 12, 13, 15, 17),  # background, cat, cow, dog, horse, person, sheep
}

CLASS_FILE = "classes.txt"  # a data set folder's own class names (module docstring)
MAX_CLASSES = IGNORE        # ids 0-254; 255 marks void / unlabelled pixels
NAMED_BACKGROUND = "named"  # LabelSpace.create: the class called "background", if there is one


def voc_palette(n: int = 256) -> np.ndarray:
    """The standard PASCAL VOC colour map, ``(n, 3) uint8`` (bit-interleaved class ids)."""
    pal = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = (r, g, b)
    pal[IGNORE] = (255, 255, 255)
    return pal


@dataclass(frozen=True)
class DataClasses:
    """What a data set says about its classes: names by id, the background's id (or None), colours."""

    names: tuple[str, ...]
    background: int | None
    palette: np.ndarray  # (256, 3) uint8: a colour per id, the VOC colour where none is given


VOC_DATA_CLASSES = DataClasses(VOC_CLASSES, 0, voc_palette())

_COMMENT = re.compile(r"\s#(?:\s|$)")  # " # ..." after the name (a colour's '#' has no space after it)
_BACKGROUND = re.compile(r"background\s*:(.*)")
_RGB = re.compile(r"(\d{1,3}),(\d{1,3}),(\d{1,3})")
_HEX = re.compile(r"#([0-9a-fA-F]{6})")


def read_class_file(path) -> DataClasses:
    """Parse a data set's ``classes.txt`` (format in the module docstring); anything it cannot use is a
    :class:`DataError` naming the file, the line and the problem."""
    path = Path(path)
    text = read_text_file(path, "class file")
    names, colours, line_of, background = [], {}, {}, None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = _COMMENT.split(line, 1)[0].strip()
        directive = _BACKGROUND.fullmatch(line)
        if directive:
            if background is not None:
                raise DataError(path, f"line {number}: a second background line (the first is line {background[1]})")
            background = (directive.group(1).strip(), number)
            continue
        words = line.split()
        if len(words) > 2:
            raise DataError(path, f"line {number}: expected a class name and optionally a colour, got {len(words)} "
                                  f"words ({line!r}); a class name is one word (e.g. traffic_light)")
        name = words[0]
        if "," in name or ":" in name or name.isdigit():
            raise DataError(path, f"line {number}: class name {name!r} may not hold ',' or ':' nor be only digits")
        if name in line_of:
            raise DataError(path, f"class {name!r} is named twice (lines {line_of[name]} and {number})")
        if len(words) == 2:
            colours[len(names)] = parse_colour(words[1], path, f"line {number}: colour of class {name!r}")
        line_of[name] = number
        names.append(name)
    if not names:
        raise DataError(path, "class file names no classes (one class name per line)")
    if len(names) > MAX_CLASSES:
        raise DataError(path, f"class file names {len(names)} classes; at most {MAX_CLASSES} (id {IGNORE} is void)")
    if background is None:
        background_id = names.index("background") if "background" in names else None
    elif background[0] == "none":
        background_id = None
    elif background[0] in names:
        background_id = names.index(background[0])
    else:
        raise DataError(path, f"line {background[1]}: background {background[0]!r} is not one of the classes "
                              "(name one, or write 'background: none')")
    palette = voc_palette()
    for i, colour in colours.items():
        palette[i] = colour
    return DataClasses(tuple(names), background_id, palette)


def parse_colour(text: str, path, where: str) -> tuple[int, int, int]:
    """``R,G,B`` (0-255 each) or ``#RRGGBB``."""
    rgb, hex_ = _RGB.fullmatch(text), _HEX.fullmatch(text)
    if hex_:
        return tuple(int(hex_.group(1)[i:i + 2], 16) for i in (0, 2, 4))
    if rgb and all(int(v) <= 255 for v in rgb.groups()):
        return tuple(int(v) for v in rgb.groups())
    hint = "" if text.startswith("#") or any(c.isdigit() for c in text) else \
        "; a class name is one word (write its_name, not its name)"
    raise DataError(path, f"{where}: {text!r} does not parse (expected R,G,B with 0-255 each, or #RRGGBB){hint}")


def class_file_text(names, colours=None, background: str | None = NAMED_BACKGROUND) -> str:
    """The ``classes.txt`` of ``names`` (and ``(R, G, B)`` colours): what :func:`read_class_file` reads back.
    ``background``: a class name, None for 'background: none', or the default for no background line."""
    colours = colours or [None] * len(names)
    lines = [f"{n} #{''.join(f'{v:02x}' for v in c)}" if c is not None else n for n, c in zip(names, colours)]
    if background != NAMED_BACKGROUND:
        lines.append(f"background: {background or 'none'}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LabelSpace:
    """All class names of a data set (indexed by id), the ids kept for an experiment, and the id of the
    background class (None: the data set has none, every pixel is some named class)."""

    names: tuple[str, ...]
    keep: tuple[int, ...]
    background: int | None = None

    def __post_init__(self):
        bad = [c for c in self.keep if not 0 <= c < len(self.names)]
        if bad:
            raise ConfigError(f"class ids {bad} are not in this data set's {len(self.names)} classes")
        if self.background is not None and not 0 <= self.background < len(self.names):
            raise ConfigError(f"background id {self.background} is not in this data set's {len(self.names)} classes")

    @classmethod
    def create(cls, names, classes=None, background: int | str | None = NAMED_BACKGROUND) -> "LabelSpace":
        """``classes``: None (all), a preset name (``"voc12-mini"``), or ids / names. ``background``: the
        background's id, None for none, or by default the class named ``background`` if there is one."""
        names = tuple(names)
        if background == NAMED_BACKGROUND:
            background = names.index("background") if "background" in names else None
        if classes is None or classes == "all":
            return cls(names, tuple(range(len(names))), background)
        if isinstance(classes, str):
            if classes in CLASS_SUBSETS:
                return cls(names, CLASS_SUBSETS[classes], background)
            classes = [c.strip() for c in classes.split(",")]
        keep = []
        for c in classes:
            if isinstance(c, str) and not c.isdigit():
                if c not in names:
                    raise ConfigError(f"unknown class {c!r}; known: {', '.join(names)} or presets "
                                      f"{', '.join(CLASS_SUBSETS)}")
                keep.append(names.index(c))
            else:
                keep.append(int(c))
        return cls(names, tuple(sorted(set(keep))), background)

    @property
    def num_classes(self) -> int:
        return len(self.keep)

    @property
    def kept_names(self) -> tuple[str, ...]:
        return tuple(self.names[c] for c in self.keep)

    @property
    def subset_lut(self) -> np.ndarray:
        """256-entry table: kept id -> itself, any other value -> 255."""
        lut = np.full(256, IGNORE, dtype=np.uint8)
        lut[list(self.keep)] = list(self.keep)
        return lut

    @property
    def index_lut(self) -> np.ndarray:
        """256-entry table: kept id -> its index 0..K-1, anything else -> 255."""
        lut = np.full(256, IGNORE, dtype=np.uint8)
        lut[list(self.keep)] = np.arange(len(self.keep))
        return lut

    def apply(self, labels: np.ndarray) -> np.ndarray:
        """Map ids outside the subset to 255 (ids stay ids)."""
        return self.subset_lut[labels]

    def to_index(self, labels: np.ndarray) -> np.ndarray:
        return self.index_lut[labels]

    def to_ids(self, index_map: np.ndarray) -> np.ndarray:
        """Contiguous indices (255 passes through) back to data set ids."""
        lut = np.full(256, IGNORE, dtype=np.uint8)
        lut[: len(self.keep)] = self.keep
        return lut[index_map]

    def valid_values(self) -> np.ndarray:
        """Boolean table of values a label file may hold: any class id of the data set, or 255."""
        ok = np.zeros(256, dtype=bool)
        ok[: len(self.names)] = True
        ok[IGNORE] = True
        return ok
