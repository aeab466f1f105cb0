"""Fetch PASCAL VOC 2012, the SBD masks and the ScribbleSup scribbles into one VOC-layout folder.

Every step can be interrupted and rerun:

* downloads stream into ``<file>.part``, continue with an HTTP ``Range`` request, and are renamed to
  their final name only once the published checksum matches;
* archives are unpacked into a hidden ``.partial`` sibling that is renamed into place when complete,
  so a half-unpacked folder is never mistaken for a finished one (a leftover is wiped and redone);
* each source ends with a marker ``<root>/.complete-<name>``; a rerun skips marked sources.

The result is ``<root>/VOCdevkit/VOC2012`` with ``SegmentationClassAug/`` (SBD masks with VOC's own
masks on top), ``ImageSets/Segmentation/train_aug.txt`` and ``ScribbleSup/<id>.xml``.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np
from scipy.io import loadmat
from scipy.io.matlab import MatReadError
from tqdm import tqdm

from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.io import atomic_path, write_json, write_label_png
from scribblegap.data.labels import LabelSpace, VOC_CLASSES, voc_palette

MIRROR_ENV = "SCRIBBLEGAP_MIRROR"  # base URL of a mirror holding the archives under their file names
CHUNK = 1 << 20
TIMEOUT_S = 60


@dataclass(frozen=True)
class Source:
    """One archive: where to get it, its published checksum, and how to fold it into the VOC folder."""

    name: str
    description: str
    url: str
    filename: str
    md5: str | None
    sha256: str | None
    install: Callable[[Path, Path, Path, bool], None]  # (unpacked folder, root, archive, progress)


def voc_dir(root) -> Path:
    """The VOC 2012 folder this command fills: ``<root>/VOCdevkit/VOC2012``."""
    return Path(root) / "VOCdevkit" / "VOC2012"


# ----------------------------------------------------------------------------------------- download
def file_digest(path, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def download_file(url: str, dest, md5: str | None = None, sha256: str | None = None,
                  progress: bool = True) -> Path:
    """Stream ``url`` to ``dest``, resuming ``dest.part`` when one exists; verify, then rename into place.

    An existing ``dest`` was verified before it got its name and is returned as is. A checksum
    mismatch deletes the partial file and raises :class:`DataError`; a network failure keeps it, so
    the next call resumes where this one stopped.
    """
    dest = Path(dest)
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    response = _open(url, offset)
    if response is None:  # 416: the range starts past the end, so the .part is not a prefix we can trust
        part.unlink()
        offset = 0
        response = _open(url, 0)
    with response:
        if offset and response.status != 206:
            offset = 0  # the server ignored Range and sends the whole file: start over
        elif offset:
            content_range = response.headers.get("Content-Range", "")
            if not content_range.startswith(f"bytes {offset}-"):
                part.unlink()
                raise DataError(url, f"server answered the resume request with range {content_range!r}, "
                                     f"not bytes {offset}-; the partial download was deleted, rerun to restart")
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        written = offset
        with open(part, "ab" if offset else "wb") as f, \
                tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                     desc=dest.name, disable=not progress, leave=False) as bar:
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    f.write(block)
                    written += len(block)
                    bar.update(len(block))
            except (OSError, http.client.HTTPException) as exc:
                raise DataError(url, f"download interrupted after {written} bytes ({exc}); "
                                     f"rerun to resume") from None
    if total is not None and written != total:
        raise DataError(url, f"connection closed after {written} of {total} bytes; rerun to resume")
    _verify(part, dest, md5, sha256)
    os.replace(part, dest)
    return dest


def _open(url: str, offset: int):
    """The response to a GET from ``offset`` on, or None when the server says the range is unsatisfiable."""
    request = urllib.request.Request(url, headers={"User-Agent": "scribblegap-download"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return None
        raise DataError(url, f"download failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(url, f"download failed ({reason}); check the network or use --base-url "
                             f"/ ${MIRROR_ENV} to point at a mirror") from None


def _verify(part: Path, dest: Path, md5: str | None, sha256: str | None) -> None:
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected is None:
            continue
        actual = file_digest(part, algorithm)
        if actual != expected.lower():
            part.unlink()
            raise DataError(dest, f"{algorithm} checksum mismatch: expected {expected.lower()}, got {actual}; "
                                  f"the download was deleted, rerun to fetch it again")


# ------------------------------------------------------------------------------------------ extract
def extract_archive(archive, dest, progress: bool = True) -> Path:
    """Unpack a tar (any compression) or zip into ``dest``, atomically.

    Members go to ``.<dest>.partial`` first, renamed to ``dest`` once all are out; a leftover
    ``.partial`` from an interrupted run is deleted and the extraction redone. An existing ``dest``
    is complete by construction and returned as is. Members with absolute paths or ``..`` and
    corrupt archives raise :class:`DataError` naming the archive.
    """
    archive, dest = Path(archive), Path(dest)
    if dest.is_dir():
        return dest
    if not archive.is_file():
        raise DataError(archive, "archive is missing")
    partial = dest.with_name(f".{dest.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        if archive.suffix.lower() == ".zip":
            _extract_zip(archive, partial, progress)
        else:
            _extract_tar(archive, partial, progress)
        os.replace(partial, dest)
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return dest


def _check_member(archive: Path, name: str, what: str = "member") -> None:
    posix = name.replace("\\", "/")
    parts = PurePosixPath(posix).parts
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in parts:
        raise DataError(archive, f"{what} {name!r} would be written outside the extraction folder "
                                 f"(absolute path or '..'); refusing to extract this archive")


def _corrupt(archive: Path, exc: Exception) -> DataError:
    return DataError(archive, f"corrupt or truncated archive, cannot extract ({type(exc).__name__}: {exc}); "
                              f"delete it and rerun to download it again")


# tarfile's own "data" filter (Python >= 3.11.4 / 3.10.12) also refuses device files and odd modes
_TAR_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def _extract_tar(archive: Path, out: Path, progress: bool) -> None:
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tqdm(tar, desc=f"unpacking {archive.name}", unit=" files", disable=not progress,
                               leave=False):
                _check_member(archive, member.name)
                if member.issym():
                    _check_member(archive, os.path.join(os.path.dirname(member.name), member.linkname),
                                  what=f"link target of {member.name!r}:")
                elif member.islnk():
                    _check_member(archive, member.linkname, what=f"link target of {member.name!r}:")
                elif not (member.isfile() or member.isdir()):
                    raise DataError(archive, f"member {member.name!r} is a device or fifo; refusing to extract")
                tar.extract(member, out, **_TAR_FILTER)
    except DataError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise _corrupt(archive, exc) from None


def _extract_zip(archive: Path, out: Path, progress: bool) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in tqdm(zf.infolist(), desc=f"unpacking {archive.name}", unit=" files",
                             disable=not progress, leave=False):
                _check_member(archive, info.filename)
                zf.extract(info, out)
    except DataError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error) as exc:
        raise _corrupt(archive, exc) from None


# ------------------------------------------------------------------------------------------ install
def _move_tree(src: Path, dst: Path) -> None:
    """Move ``src`` onto ``dst``, merging folders; a rename per entry, so a rerun finishes an interrupted move."""
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
    elif src.is_dir() and dst.is_dir():
        for child in sorted(src.iterdir()):
            _move_tree(child, dst / child.name)
        src.rmdir()
    elif src.is_file() and dst.is_file():
        os.replace(src, dst)
    else:
        raise DataError(dst, f"cannot move {src} here: one is a folder and the other a file")


def _copy_file(src: Path, dst: Path) -> None:
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def install_voc(unpacked: Path, root: Path, archive: Path, progress: bool = True) -> None:
    """Move the archive's ``VOCdevkit/`` under ``root`` (merged into one that already exists)."""
    src = unpacked / "VOCdevkit"
    if src.exists():
        _move_tree(src, root / "VOCdevkit")
    if not (voc_dir(root) / "ImageSets" / "Segmentation").is_dir():
        raise DataError(archive, "does not hold VOCdevkit/VOC2012/ImageSets/Segmentation; is it VOC 2012 trainval?")


def install_sbd(unpacked: Path, root: Path, archive: Path, progress: bool = True) -> None:
    dataset = unpacked / "benchmark_RELEASE" / "dataset"
    if not (dataset / "cls").is_dir():
        raise DataError(archive, "does not hold benchmark_RELEASE/dataset/cls; is it the SBD benchmark.tgz?")
    voc = voc_dir(root)
    if not (voc / "SegmentationClass").is_dir():
        raise DataError(voc, "VOC 2012 is needed to merge the SBD masks; download it first (--what voc)")
    build_train_aug(dataset, voc, progress)


def read_sbd_mat(path) -> np.ndarray:
    """The class map of one SBD ``cls/<id>.mat`` (struct ``GTcls``, field ``Segmentation``) as uint8."""
    path = Path(path)
    try:
        mat = loadmat(path, squeeze_me=True, struct_as_record=False)
    except (MatReadError, ValueError, TypeError, OSError, EOFError, NotImplementedError, zlib.error) as exc:
        raise DataError(path, f"cannot read MATLAB file ({type(exc).__name__}: {exc})") from None
    seg = getattr(mat.get("GTcls"), "Segmentation", None)
    if seg is None:
        raise DataError(path, "has no GTcls.Segmentation class map")
    seg = np.asarray(seg)
    if seg.ndim != 2 or seg.dtype.kind not in "ui":
        raise DataError(path, f"GTcls.Segmentation must be a 2-D integer map, got {seg.dtype} {seg.shape}")
    valid = LabelSpace.create(VOC_CLASSES).valid_values()
    if seg.min() < 0 or seg.max() > 255 or not valid[seg.astype(np.uint8)].all():
        bad = np.unique(seg[(seg < 0) | (seg > 255) | ~valid[np.clip(seg, 0, 255).astype(np.uint8)]])
        raise DataError(path, f"class map holds values that are not VOC class ids: {bad[:10].tolist()}")
    return seg.astype(np.uint8)


def _read_ids(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(path, "image list is missing")
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def build_train_aug(sbd_dataset, voc_root, progress: bool = True) -> list[str]:
    """Write ``SegmentationClassAug/`` and ``train_aug.txt`` from SBD's ``dataset/`` folder into ``voc_root``.

    Masks: every SBD ``cls/*.mat`` as a palette PNG, then VOC's own ``SegmentationClass`` PNGs over
    them (VOC 2012's masks take precedence). PNGs already written are skipped, so an interrupted run
    resumes. ``train_aug`` = (SBD train | SBD val | VOC train) - VOC val, sorted; returns those ids.
    """
    sbd_dataset, voc_root = Path(sbd_dataset), Path(voc_root)
    splits = voc_root / "ImageSets" / "Segmentation"
    sbd_ids = set(_read_ids(sbd_dataset / "train.txt")) | set(_read_ids(sbd_dataset / "val.txt"))
    voc_train, voc_val = set(_read_ids(splits / "train.txt")), set(_read_ids(splits / "val.txt"))
    out = voc_root / "SegmentationClassAug"
    out.mkdir(parents=True, exist_ok=True)
    voc_masks = {p.stem: p for p in (voc_root / "SegmentationClass").glob("*.png")}
    palette = voc_palette()
    # VOC's mask will overwrite these anyway, so converting them would be wasted work
    todo = [m for m in sorted((sbd_dataset / "cls").glob("*.mat"))
            if m.stem not in voc_masks and not (out / f"{m.stem}.png").exists()]
    for mat in tqdm(todo, desc="SBD .mat -> PNG", unit=" masks", disable=not progress, leave=False):
        write_label_png(out / f"{mat.stem}.png", read_sbd_mat(mat), palette)
    for stem, png in tqdm(sorted(voc_masks.items()), desc="VOC masks", unit=" masks", disable=not progress,
                          leave=False):
        _copy_file(png, out / f"{stem}.png")
    ids = sorted((sbd_ids | voc_train) - voc_val)
    missing = [i for i in ids if not (out / f"{i}.png").is_file()]
    if missing:
        raise DataError(sbd_dataset / "cls", f"{len(missing)} train_aug images have no mask in SBD or VOC, "
                                             f"e.g. {', '.join(missing[:5])}")
    with atomic_path(splits / "train_aug.txt") as tmp:
        tmp.write_text("".join(f"{i}\n" for i in ids))
    return ids


def find_scribble_xmls(folder, archive=None) -> dict[str, Path]:
    """``{image id: xml path}`` of the ScribbleSup files under ``folder``, whatever the nesting.

    The official zip holds ``pascal_2007/``, ``pascal_2012/`` and ``pascal_context/`` whose file names
    overlap; when a ``pascal_2012`` folder exists only it is used.
    """
    folder = Path(folder)
    where = archive or folder
    found = [p for p in folder.rglob("*.xml")
             if not any(part.startswith(".") or part == "__MACOSX" for part in p.relative_to(folder).parts)]
    voc2012 = [p for p in found if "pascal_2012" in (s.lower() for s in p.relative_to(folder).parts[:-1])]
    chosen = voc2012 or found
    if not chosen:
        raise DataError(where, "holds no .xml scribble files")
    by_id: dict[str, Path] = {}
    for p in sorted(chosen):
        if p.stem in by_id:
            raise DataError(where, f"holds two scribble files for image {p.stem}: "
                                   f"{by_id[p.stem].relative_to(folder)} and {p.relative_to(folder)}")
        by_id[p.stem] = p
    return by_id


def install_scribblesup(unpacked: Path, root: Path, archive: Path, progress: bool = True) -> None:
    out = voc_dir(root) / "ScribbleSup"
    for stem, xml in tqdm(sorted(find_scribble_xmls(unpacked, archive).items()), desc="ScribbleSup XMLs",
                          unit=" files", disable=not progress, leave=False):
        _copy_file(xml, out / f"{stem}.xml")


# ------------------------------------------------------------------------------------------ sources
SOURCES: dict[str, Source] = {
    "voc": Source(
        "voc", "PASCAL VOC 2012 trainval (2 GB)",
        "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",
        "VOCtrainval_11-May-2012.tar", md5="6cd6e144f989b92b3379bac3b3de84fd", sha256=None,
        install=install_voc),
    "sbd": Source(
        "sbd", "SBD augmented masks (1.4 GB) -> SegmentationClassAug + train_aug",
        "http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/semantic_contours/benchmark.tgz",
        "benchmark.tgz", md5="82b4d87ceb2ed10f6038a1cba92111cb", sha256=None, install=install_sbd),
    "scribblesup": Source(
        "scribblesup", "ScribbleSup scribbles -> ScribbleSup/<id>.xml",
        "https://jifengdai.org/downloads/scribble_sup/scribble_annotation.zip",
        "scribble_annotation.zip", md5=None, sha256=None,  # ScribbleSup publishes no checksum
        install=install_scribblesup),
}


def parse_what(what) -> list[str]:
    """``"all"`` or names separated by commas -> source names in pipeline order (VOC before SBD)."""
    names = list(SOURCES) if what in (None, "all") else \
        [w.strip() for w in (what.split(",") if isinstance(what, str) else what) if w.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown or not names:
        raise ConfigError(f"--what: unknown source(s) {unknown}; choose from {', '.join(SOURCES)} or all")
    return [n for n in SOURCES if n in names]


def fetch_source(source: Source, root, base_url: str | None = None, keep_archives: bool = False,
                 progress: bool = True, log=print) -> str:
    """Download, verify, unpack and install one source; returns "done" or "skipped" (already complete)."""
    root = Path(root)
    marker = root / f".complete-{source.name}"
    if marker.exists():
        log(f"{source.name}: already complete (delete {marker} to redo)")
        return "skipped"
    url = f"{base_url.rstrip('/')}/{source.filename}" if base_url else source.url
    downloads = root / "downloads"
    archive = downloads / source.filename
    unpacked = downloads / f"{source.name}.unpacked"
    if not unpacked.is_dir():
        log(f"{source.name}: {source.description} from {url}")
        download_file(url, archive, source.md5, source.sha256, progress)
        if source.md5 is None and source.sha256 is None:
            log(f"{source.name}: no published checksum; sha256 of {archive.name} is "
                f"{file_digest(archive, 'sha256')} (pin it with --sha256)")
        extract_archive(archive, unpacked, progress)
    source.install(unpacked, root, archive, progress)
    write_json(marker, {"source": source.name, "url": url, "file": source.filename,
                        "md5": source.md5, "sha256": source.sha256})
    shutil.rmtree(unpacked, ignore_errors=True)
    if not keep_archives:
        archive.unlink(missing_ok=True)
    log(f"{source.name}: done")
    return "done"


def fetch(root, what="all", base_url: str | None = None, sha256: str | None = None,
          keep_archives: bool = False, progress: bool = True, log=print) -> dict[str, str]:
    """Fetch the chosen sources into ``root``; ``{name: "done" | "skipped"}``.

    ``base_url`` (default ``$SCRIBBLEGAP_MIRROR``) replaces each source's URL by ``<base_url>/<file name>``.
    ``sha256`` pins the ScribbleSup zip, which has no published checksum.
    """
    names = parse_what(what)
    base_url = base_url or os.environ.get(MIRROR_ENV) or None
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ConfigError(f"--sha256 must be 64 hex digits, got {sha256!r}")
        if "scribblesup" not in names:
            raise ConfigError("--sha256 pins the ScribbleSup zip; add scribblesup to --what")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    status = {}
    for name in names:
        source = SOURCES[name]
        if name == "scribblesup" and sha256 is not None:
            source = replace(source, sha256=sha256)
        status[name] = fetch_source(source, root, base_url, keep_archives, progress, log)
    return status
