"""Never lose what a user has: outputs never replace inputs, ``--overwrite`` removes only what its own command
wrote, names become paths only when they are plain, a full disk or a read-only folder is one line (exit 2)
and leaves the finished files valid, images of unexpected modes are converted or refused, and a refused
command leaves nothing behind. Every broken input is made here, in tmp_path."""
import contextlib
import errno
import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import scribblegap.network.checkpoint as checkpoint_module
from conftest import files_under, make_tiny_voc, refused
from scribblegap.cli import main
from scribblegap.core.folders import MANIFEST, WRITER
from scribblegap.core.io import read_image
from scribblegap.data import load_dataset
from scribblegap.data.store import save_probs

TINY_TRAIN = ["--preset", "cpu-fast", "--data", "default", "--limit", "4", "--val-split", "", "--set", "iters=2",
              "--set", "batch_size=2", "--set", "eval_every=0", "--set", "crop_size=32", "--set", "base_size=48"]
NO_SPACE = os.strerror(errno.ENOSPC)


# ------------------------------------------------------------------------------------------- helpers


def ok(capsys, argv) -> str:
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out


def snapshot(folder) -> dict:
    """Every file under ``folder`` with its bytes (what must stay as it was)."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}




def manifest(folder) -> dict:
    return json.loads((Path(folder) / MANIFEST).read_text())


def stores(folder, ds, seed=0):
    """Valid ``<id>.npz`` probability stores for every image of ``ds``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for key in ds.ids:
        h, w = ds.image_shape(key)
        save_probs(folder / f"{key}.npz", rng.dirichlet(np.ones(ds.labels.num_classes), (h, w)).transpose(2, 0, 1),
                   ds.labels)
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 2-step run on the embedded scenes (module-wide: it is only read)."""
    out = tmp_path_factory.mktemp("runs") / "run"
    assert main(["train", *TINY_TRAIN, "--out", str(out)]) == 0
    return out


@contextlib.contextmanager
def small_disk(folder, size: str):
    """A tmpfs of ``size`` mounted on ``folder`` (root with mount rights only; the test is skipped otherwise)."""
    folder.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                                                        str(folder)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def resize(folder, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True, capture_output=True)


def palette_png(path, palette: bytes | None, w=60, h=40):
    """An 8-bit palette PNG of indices 0-5 with the PLTE chunk ``palette`` (None: no chunk, which PIL reads
    as mode P with no colour table, all black). PIL's own writer would shrink the indices to the table."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes([i % 6] * w) for i in range(h))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
                     + (chunk(b"PLTE", palette) if palette is not None else b"")
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# ------------------------------------------------------------------ 1. outputs never replace inputs
@pytest.mark.parametrize("where", ["masks", "inside the masks", "data folder", "above the data"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_simulate_never_writes_over_the_masks(tiny_voc, capsys, where, overwrite):
    root, _ = tiny_voc
    out = {"masks": root / "SegmentationClass", "inside the masks": root / "SegmentationClass" / "sim",
           "data folder": root, "above the data": root.parent}[where]
    before, names = snapshot(root), files_under(root)
    refused(capsys, ["simulate", "--data", root, "--out", out, "--workers", "1"] + ["--overwrite"] * overwrite,
            out, "that this command reads")
    assert snapshot(root) == before and files_under(root) == names  # no scribble over a mask, no manifest, no lock


def test_an_out_that_links_to_an_input_is_refused(tiny_voc, capsys, tmp_path):
    root, _ = tiny_voc
    link = tmp_path / "link"
    link.symlink_to(root / "SegmentationClass")
    before = snapshot(root)
    refused(capsys, ["simulate", "--data", root, "--out", link, "--overwrite"], link, "mask folder")
    assert snapshot(root) == before


def test_predict_never_writes_into_the_run_it_reads(trained, capsys):
    before = snapshot(trained)
    for out in (trained, trained / "predictions"):
        refused(capsys, ["predict", "--checkpoint", trained, "--data", "default", "--limit", "2", "--out", out,
                         "--overwrite"], out, "checkpoint's run folder", trained)
    refused(capsys, ["predict", "--checkpoint", trained / "checkpoint.pt", "--data", "default", "--limit", "2",
                     "--out", trained, "--overwrite"], "checkpoint's run folder")
    assert snapshot(trained) == before


def test_evaluate_writes_beside_the_run_but_never_over_its_files(trained, capsys, tmp_path):
    args = ["evaluate", "--checkpoint", trained, "--data", "default", "--limit", "2"]
    for name in ("checkpoint.pt", "run.json"):
        before = snapshot(trained)
        refused(capsys, args + ["--out", trained / name], trained / name, "that this command reads")
        assert snapshot(trained) == before
    refused(capsys, args + ["--record", "F", "--summary", trained / "run.json"], "--summary")
    ok(capsys, args + ["--out", trained / "val.json"])  # a new file beside the run, as the README shows
    assert "miou" in json.loads((trained / "val.json").read_text())
    (trained / "val.json").unlink()


def test_fuse_never_empties_the_stores_it_reads(tiny_voc, capsys, tmp_path):
    root, _ = tiny_voc
    ds = load_dataset(str(root), "train")
    local, glob = stores(tmp_path / "local", ds, 0), stores(tmp_path / "global", ds, 1)
    before = snapshot(tmp_path)
    base = ["fuse", "--local", local, "--global", glob, "--data", root, "--workers", "1", "--overwrite"]
    refused(capsys, base + ["--out", local], local, "local annotator's folder")
    refused(capsys, base + ["--out", glob / "fused"], "global annotator's folder")
    refused(capsys, base + ["--out", tmp_path], "contains")
    assert snapshot(tmp_path) == before


def test_local_stats_train_and_overview_refuse_their_inputs(tiny_voc, capsys, tmp_path):
    root, _ = tiny_voc
    sim = tmp_path / "sim"
    ok(capsys, ["simulate", "--data", root, "--out", sim, "--workers", "1"])
    points = tmp_path / "points.json"
    points.write_text(json.dumps({}))
    before = {**snapshot(root), **{f"sim/{k}": v for k, v in snapshot(sim).items()}, "points": points.read_bytes()}
    refused(capsys, ["local", "--data", root, "--labels", sim, "--method", "superpixels", "--out", sim,
                     "--overwrite"], sim, "weak labels")
    refused(capsys, ["local", "--data", root, "--labels", "points", "--method", "superpixels",
                     "--out", root / "local"], "lies inside the data folder")
    refused(capsys, ["stats", "--data", root, "--labels", points, "--out", points], points, "weak labels")
    refused(capsys, ["stats", "--data", root, "--labels", sim, "--out", tmp_path / "s.json",
                     "--figure", sim / "figure.png"], "--figure lies inside the weak labels")
    refused(capsys, ["train", *TINY_TRAIN[:-2], "--data", root, "--limit", "2", "--labels", sim,
                     "--out", sim / "run"], "lies inside the training labels")
    refused(capsys, ["overview", "--data", root, "--out", root / "JPEGImages" / "overview.png"], "image folder")
    after = {**snapshot(root), **{f"sim/{k}": v for k, v in snapshot(sim).items()}, "points": points.read_bytes()}
    assert after == before


# --------------------------------------------------------- 2. --overwrite removes only its own files
def test_overwrite_refuses_a_folder_of_another_command(tiny_voc, capsys, tmp_path):
    root, _ = tiny_voc
    preds = tmp_path / "preds"
    preds.mkdir()
    (preds / MANIFEST).write_text(json.dumps({WRITER: "predict", "step": 2}))
    (preds / "2000_000000.npz").write_bytes(b"probabilities")
    before = snapshot(preds)
    refused(capsys, ["simulate", "--data", root, "--out", preds, "--overwrite"], preds, "scribblegap predict")
    refused(capsys, ["simulate", "--data", root, "--out", preds], preds, "scribblegap predict")
    assert files_under(preds) == sorted(before) and snapshot(preds) == before  # not even a lock


def test_overwrite_refuses_files_no_manifest_lists(tiny_voc, capsys, tmp_path):
    root, _ = tiny_voc
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a week of drawing")
    refused(capsys, ["simulate", "--data", root, "--out", mine, "--overwrite"], mine, "no manifest lists",
            "notes.txt")
    assert files_under(mine) == ["notes.txt"]


def test_overwrite_replaces_a_folder_of_its_own_command(tiny_voc, capsys, tmp_path):
    root, _ = tiny_voc
    out = tmp_path / "sim"
    args = ["simulate", "--data", root, "--out", out, "--workers", "1"]
    ok(capsys, args)
    assert manifest(out)[WRITER] == "simulate"
    ok(capsys, args + ["--budget", "0.05", "--overwrite"])
    assert manifest(out)["budget"] == 0.05 and manifest(out)[WRITER] == "simulate"


def test_manifests_from_before_written_by_still_resume(tiny_voc, capsys, tmp_path):
    root, _ = tiny_voc
    out = tmp_path / "sim"
    args = ["simulate", "--data", root, "--out", out, "--workers", "1"]
    ok(capsys, args)
    old = {k: v for k, v in manifest(out).items() if k != WRITER}
    (out / MANIFEST).write_text(json.dumps(old))
    before = snapshot(out)
    ok(capsys, args)  # the same settings: a resume, as before
    assert snapshot(out) == before
    # other settings with --overwrite: the manifest cannot say it was simulate's, so nothing is removed
    refused(capsys, args + ["--budget", "0.05", "--overwrite"], out, "names no command")
    assert snapshot(out) == before


def test_a_training_run_is_claimed_by_train(trained, capsys, tmp_path):
    assert manifest(trained)[WRITER] == "train"
    out = tmp_path / "pred"
    ok(capsys, ["predict", "--checkpoint", trained, "--data", "default", "--limit", "1", "--out", out])
    assert manifest(out)[WRITER] == "predict"
    before = snapshot(out)
    refused(capsys, ["train", *TINY_TRAIN, "--out", out, "--overwrite"], out, "scribblegap predict")
    assert snapshot(out) == before


# ------------------------------------------------------------- 3. names become paths only when plain
@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", ".."])
def test_config_names_must_be_plain(name, capsys, tmp_path):
    config = tmp_path / "conf" / "mine.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"name": name}))
    refused(capsys, ["run", "--config", config, "--show"], "not a plain name")
    refused(capsys, ["run", "--config", "default", "--set", f"name={name}", "--show"], "not a plain name")
    assert files_under(tmp_path) == ["conf", "conf/mine.json"]


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden"])
def test_report_names_must_be_plain(name, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("scribblegap.cli.report.REPO_ROOT", tmp_path)
    refused(capsys, ["report", "--names", name, "--readme", ""], "not a plain name")
    assert files_under(tmp_path) == []


def test_report_of_a_name_without_results_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("scribblegap.cli.report.REPO_ROOT", tmp_path)
    refused(capsys, ["report", "--names", "nothing-here", "--readme", ""], "no results for 'nothing-here'")
    assert files_under(tmp_path) == []


# ------------------------------------------- 4. a full disk, a read-only folder, a path under a file
def _fail_after(monkeypatch, owner, name, good: int, error=errno.ENOSPC):
    """Let ``owner.name`` succeed ``good`` times, then raise the OSError a full disk raises (no file name)."""
    real, calls = getattr(owner, name), []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > good:
            raise OSError(error, os.strerror(error))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def test_simulate_on_a_full_disk_keeps_its_finished_files_and_resumes(tiny_voc, capsys, tmp_path, monkeypatch):
    root, ids = tiny_voc
    out = tmp_path / "sim"
    args = ["simulate", "--data", root, "--out", out, "--workers", "1"]
    with monkeypatch.context() as patch:
        _fail_after(patch, Image.Image, "save", 1)
        refused(capsys, args, out, NO_SPACE, "free some space")
    assert files_under(out) == [".lock", f"{ids[0]}.png", MANIFEST]  # no temp file, no stats.json
    first = (out / f"{ids[0]}.png").read_bytes()
    Image.open(out / f"{ids[0]}.png").load()  # complete and readable
    ok(capsys, args)  # space is back: it resumes
    assert (out / f"{ids[0]}.png").read_bytes() == first and (out / "stats.json").is_file()


def test_simulate_on_a_real_small_disk(capsys, tmp_path):
    root, ids = make_tiny_voc(tmp_path / "voc", n=6)
    with small_disk(tmp_path / "disk", "12k") as disk:
        out = disk / "sim"
        args = ["simulate", "--data", root, "--out", out, "--workers", "1"]
        refused(capsys, args, out, NO_SPACE)
        done = [p for p in out.iterdir() if p.suffix == ".png"]
        assert not list(out.glob(".*.tmp")) and not (out / "stats.json").exists()
        for path in done:
            Image.open(path).load()
        resize(disk, "1m")
        ok(capsys, args)
        assert (out / "stats.json").is_file() and len(list(out.glob("*.png"))) == len(ids)


class _FullFile:
    """An open file on a disk that has just filled up: every write fails as a full disk's does."""

    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def write(self, data):
        raise OSError(errno.ENOSPC, NO_SPACE)

    def flush(self):
        self.handle.flush()


def test_train_on_a_full_disk_keeps_its_checkpoint_and_resumes(capsys, tmp_path, monkeypatch):
    out = tmp_path / "run"
    args = ["train", *TINY_TRAIN, "--set", "checkpoint_every=1", "--out", out]
    saves = []

    def full_on_second_checkpoint(path, mode="r", *rest, **kwargs):
        handle = open(path, mode, *rest, **kwargs)
        saves.append(path)
        return _FullFile(handle) if len(saves) > 1 else handle

    with monkeypatch.context() as patch:
        patch.setattr(checkpoint_module, "open", full_on_second_checkpoint, raising=False)
        refused(capsys, args, out / "checkpoint.pt", NO_SPACE)  # torch's own error would name neither
    assert len(saves) == 2 and not list(out.glob(".*.tmp")) and not (out / "run.json").exists()
    assert checkpoint_module.load_checkpoint(out)["step"] == 1  # the first checkpoint is whole
    ok(capsys, args + ["--resume"])
    assert json.loads((out / "run.json").read_text())["steps"] == 2


def test_predict_on_a_full_disk_resumes(trained, capsys, tmp_path, monkeypatch):
    out = tmp_path / "pred"
    args = ["predict", "--checkpoint", trained, "--data", "default", "--limit", "2", "--out", out]
    with monkeypatch.context() as patch:
        _fail_after(patch, Image.Image, "save", 0)
        refused(capsys, args, out, NO_SPACE)
    assert not list(out.glob(".*.tmp"))
    ok(capsys, args)
    assert len(list(out.glob("*.png"))) == 2 and len(list(out.glob("*.npz"))) == 2


@pytest.fixture
def read_only(tmp_path):
    """A folder this process cannot write into: chmod for a user, a read-only tmpfs for root."""
    folder = tmp_path / "ro"
    if os.geteuid() != 0:
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    with small_disk(folder, "64k"):
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)
        yield folder


def test_read_only_out_is_one_line(read_only, tiny_voc, capsys, tmp_path):
    root, _ = tiny_voc
    refused(capsys, ["simulate", "--data", root, "--out", read_only / "sim"], read_only / "sim",
            "choose a writable output folder")
    refused(capsys, ["stats", "--data", root, "--labels", "full", "--out", read_only / "s.json", "--workers", "1"],
            read_only / "s.json")
    refused(capsys, ["overview", "--data", root, "--out", read_only / "o.png", "--n", "2"], read_only)


def test_read_only_without_a_disk(tiny_voc, capsys, tmp_path, monkeypatch):
    """Permission denied on the output folder's lock, however the file system says it."""
    root, _ = tiny_voc
    out = tmp_path / "sim"
    _fail_after(monkeypatch, Path, "mkdir", 0, errno.EACCES)
    refused(capsys, ["simulate", "--data", root, "--out", out], out, os.strerror(errno.EACCES))


def test_outputs_under_a_file_are_one_line(tiny_voc, trained, capsys, tmp_path):
    root, _ = tiny_voc
    file = tmp_path / "file"
    file.write_text("not a folder")
    refused(capsys, ["simulate", "--data", root, "--out", file / "sim"], file, "is a file")
    refused(capsys, ["evaluate", "--checkpoint", trained, "--data", "default", "--limit", "1",
                     "--out", file / "scores.json"], file)
    refused(capsys, ["stats", "--data", root, "--labels", "full", "--out", file / "s.json", "--workers", "1"], file)
    refused(capsys, ["train", *TINY_TRAIN, "--out", file / "run"], file, "is a file")
    assert file.read_text() == "not a folder"


@pytest.mark.parametrize("argv,problem", [(["--n", "0"], "must be >= 1"), (["--n", "-1"], "must be >= 1"),
                                          (["--n", "two"], "whole number"), (["-n", "0"], "unrecognized")])
def test_overview_counts(argv, problem, capsys, tmp_path):
    refused(capsys, ["overview", "--data", "default", "--limit", "4", "--out", tmp_path / "o.png", *argv], problem,
            prefix="scribblegap: error:" if argv[0] == "-n" else None)  # no such option: the main parser says so
    assert not (tmp_path / "o.png").exists()


# -------------------------------------------------------------- 5. images of unexpected modes
def _replace_image(root, key, image: Image.Image, **save):
    path = root / "JPEGImages" / f"{key}.jpg"
    image.save(path, **save)
    return path


def test_sixteen_bit_greyscale_is_scaled_not_white(tiny_voc):
    root, ids = tiny_voc
    grey = (np.arange(40 * 60, dtype=np.uint32).reshape(40, 60) * 27).astype(np.uint16)
    path = _replace_image(root, ids[0], Image.fromarray(grey), format="PNG")  # a PNG under a .jpg name
    ds = load_dataset(str(root), "train")
    image = ds.image(ids[0])
    assert image.shape == (40, 60, 3) and image.dtype == np.uint8
    assert np.array_equal(image[..., 0], (grey >> 8).astype(np.uint8)) and image.std() > 10
    assert ds.image_shape(ids[0]) == (40, 60)
    assert np.array_equal(read_image(path), image)


def test_grey_with_alpha_and_cmyk_convert(tiny_voc):
    root, ids = tiny_voc
    grey = np.random.default_rng(0).integers(0, 255, (40, 60), dtype=np.uint8)
    path = _replace_image(root, ids[0], Image.fromarray(grey).convert("LA"), format="PNG")
    assert np.array_equal(read_image(path), np.repeat(grey[..., None], 3, axis=2))
    path = _replace_image(root, ids[1], Image.new("CMYK", (60, 40), (0, 0, 0, 0)), format="JPEG")
    assert read_image(path).min() > 240  # no ink: white


@pytest.mark.parametrize("how,problem", [("no palette", "no colour table"), ("short palette", "its table holds 2"),
                                         ("float", "mode F is not supported"),
                                         ("32-bit", "outside 0-65535")])
def test_images_that_do_not_convert_are_refused(how, problem, tiny_voc, capsys, tmp_path):
    root, ids = tiny_voc
    path = root / "JPEGImages" / f"{ids[1]}.jpg"
    if how == "no palette":
        palette_png(path, None)
    elif how == "short palette":
        palette_png(path, bytes([0, 0, 0, 255, 255, 255]))
    elif how == "float":
        Image.fromarray(np.ones((40, 60), np.float32)).save(path, format="TIFF")
    else:
        Image.fromarray(np.full((40, 60), 1 << 20, np.int32)).save(path, format="TIFF")
    masks = snapshot(root / "SegmentationClass")
    out = tmp_path / "sim"
    refused(capsys, ["simulate", "--data", root, "--out", out, "--workers", "1"], path, problem)
    assert not (out / f"{ids[1]}.png").exists() and not (out / "stats.json").exists()
    assert snapshot(root / "SegmentationClass") == masks
    with pytest.raises(Exception, match=problem):
        read_image(path)


def _with_orientation(image: Image.Image, path, orientation: int):
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, format="JPEG", exif=exif, quality=95)


def test_exif_orientation_is_applied_to_the_image_and_its_shape(tiny_voc, capsys, tmp_path):
    root, ids = tiny_voc
    pixels = np.zeros((40, 60, 3), np.uint8)
    pixels[:20] = 255  # the top half white
    path = root / "JPEGImages" / f"{ids[0]}.jpg"
    _with_orientation(Image.fromarray(pixels), path, 3)  # upside down: shown turned by 180 degrees
    image = read_image(path)
    assert image.shape == (40, 60, 3) and image[:20].mean() < 30 and image[20:].mean() > 220
    # turned by 90 degrees, the image no longer matches its 60 x 40 mask: one line, no output
    _with_orientation(Image.fromarray(pixels), path, 6)
    assert read_image(path).shape == (60, 40, 3)
    out = tmp_path / "sim"
    refused(capsys, ["simulate", "--data", root, "--out", out, "--workers", "1"],
            root / "SegmentationClass" / f"{ids[0]}.png", "differs from its image 40x60")
    assert not out.exists()


# ------------------------------------------------------ 6. a refused command leaves nothing behind
@pytest.mark.parametrize("argv", [["--set", "seeds=-1"], ["--seeds", "-1"], ["--set", "curve_seeds=-1"],
                                  ["--set", "train.iters=0"], ["--stages", "nap"]])
def test_a_refused_run_makes_no_folder(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("scribblegap.pipeline.REPO_ROOT", tmp_path)
    monkeypatch.setattr("scribblegap.cli.run.run", lambda config: pytest.fail("the chain started"))
    refused(capsys, ["run", "--config", "default", *argv])
    assert files_under(tmp_path) == []


def test_a_refused_train_makes_no_folder(capsys, tmp_path):
    out = tmp_path / "a" / "b" / "run"
    refused(capsys, ["train", *TINY_TRAIN, "--set", "lr=-1", "--out", out], "lr")
    refused(capsys, ["train", *TINY_TRAIN, "--labels", tmp_path / "nowhere", "--out", out], "nowhere")
    refused(capsys, ["train", *TINY_TRAIN, "--data", tmp_path / "nowhere", "--out", out], "nowhere")
    assert files_under(tmp_path) == []


def test_a_failing_simulate_removes_the_folders_it_made(tiny_voc, capsys, tmp_path):
    root, ids = tiny_voc
    (root / "JPEGImages" / f"{ids[0]}.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    out = tmp_path / "x" / "y" / "sim"
    refused(capsys, ["simulate", "--data", root, "--out", out, "--workers", "1"], ids[0])
    assert not (tmp_path / "x").exists()
