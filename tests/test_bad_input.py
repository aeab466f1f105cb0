"""Bad input stops a command with one line on stderr that names the file (or option) and the problem,
exit status 2, and leaves no partial output behind. Every broken input is made here, in tmp_path."""
import fcntl
import json
import math
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from PIL import Image

from conftest import files_under, make_tiny_voc, refused
from scribblegap.cli import main
from scribblegap.data import load_dataset
from scribblegap.core.folders import folder_lock
from scribblegap.data.store import save_probs

# hypothesis keeps caches in ./.hypothesis by default: keep them out of the checkout
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "scribblegap-hypothesis")
FAST = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


# ------------------------------------------------------------------------------------------- helpers




def write_points(path, points: dict):
    path.write_text(json.dumps(points))
    return path


@pytest.fixture(scope="module")
def voc(tmp_path_factory):
    """A read-only tiny VOC folder (2 images of 40x60) with a points.json; tests that break files make their own."""
    root, ids = make_tiny_voc(tmp_path_factory.mktemp("data") / "voc", n=2)
    write_points(root / "points.json", {k: [{"x": 10, "y": 10, "cls": 8}, {"x": 40, "y": 30, "cls": 15}] for k in ids})
    return root, ids


@pytest.fixture
def broken_voc(tmp_path):
    root, ids = make_tiny_voc(tmp_path / "voc", n=3)
    write_points(root / "points.json", {k: [{"x": 10, "y": 10, "cls": 8}] for k in ids})
    return root, ids


def stores(folder, ds, seed=0):
    """Valid ``<id>.npz`` probability stores for every image of ``ds``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for key in ds.ids:
        h, w = ds.image_shape(key)
        save_probs(folder / f"{key}.npz", rng.dirichlet(np.ones(ds.labels.num_classes), (h, w)).transpose(2, 0, 1),
                   ds.labels)
    return folder


# -------------------------------------------------------------------- 1. checkpoints and their classes
def _train_tiny(out, data, classes=None):
    try:
        from scribblegap.network.presets import preset
    except ImportError:  # before presets moved out of train.py
        from scribblegap.network.presets import preset
    from scribblegap.scribbles import WeakLabels
    from scribblegap.network.train import train
    from scribblegap.network.trainset import TrainingSamples

    cfg = preset("cpu-fast", iters=2, batch_size=2, crop_size=32, base_size=48, checkpoint_every=2, eval_every=0,
                 warmup_iters=0, threads=1)
    ds = load_dataset(data, "train", classes=classes, limit=2)
    train(cfg, TrainingSamples(ds, WeakLabels("full"), base_size=cfg.base_size, crop=cfg.crop_size), out,
          progress=False)
    return out / "checkpoint.pt"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return _train_tiny(tmp_path_factory.mktemp("runs") / "default", "default")


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory, voc):
    """A 7-class (voc12-mini protocol) model trained on the tiny VOC folder."""
    return _train_tiny(tmp_path_factory.mktemp("runs") / "mini", str(voc[0]), classes="voc12-mini")


def test_evaluate_refuses_a_checkpoint_of_other_classes(default_run, capsys, tmp_path):
    line = refused(capsys, ["evaluate", "--checkpoint", default_run, "--data", "default", "--classes", "background,sun",
                            "--limit", "1", "--out", tmp_path / "scores.json"],
                   default_run, "trained on 6 classes", "only in the checkpoint: ring, comb, spider, blob")
    assert "--classes background,sun,ring,comb,spider,blob" in line
    assert not (tmp_path / "scores.json").exists()
    # the same checkpoint on its own classes is scored (the check does not refuse everything)
    assert main(["evaluate", "--checkpoint", str(default_run), "--data", "default", "--limit", "1"]) == 0
    assert "mIoU" in capsys.readouterr().out


def test_predict_refuses_a_checkpoint_of_other_classes(mini_run, voc, capsys, tmp_path):
    out = tmp_path / "pred"
    refused(capsys, ["predict", "--checkpoint", mini_run, "--data", voc[0], "--classes", "voc", "--out", out],
            mini_run, "trained on 7 classes", "only in the data: aeroplane", "--classes voc12-mini")
    assert files_under(out) == []
    refused(capsys, ["evaluate", "--checkpoint", mini_run.parent, "--data", voc[0], "--split", "train"],
            mini_run, "only in the data: aeroplane")  # VOC folders keep all 21 classes by default


def test_checkpoints_without_their_parts_or_unreadable(default_run, capsys, tmp_path):
    state = torch.load(default_run, weights_only=True)
    partial = tmp_path / "partial.pt"
    torch.save({"model": state["model"], "config": state["config"]}, partial)
    refused(capsys, ["evaluate", "--checkpoint", partial, "--data", "default", "--limit", "1"],
            partial, "checkpoint lacks step, extra, extra.num_classes")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x80\x02not a checkpoint")
    refused(capsys, ["predict", "--checkpoint", garbage, "--data", "default", "--limit", "1", "--out",
                     tmp_path / "out"], garbage, "cannot read checkpoint")
    wrong = tmp_path / "wrong.pt"  # says 3 classes, holds weights of 6
    torch.save({**state, "extra": {**state["extra"], "num_classes": 3}}, wrong)
    refused(capsys, ["evaluate", "--checkpoint", wrong, "--data", "default", "--limit", "1"],
            wrong, "does not load into the model", "size mismatch")
    assert files_under(tmp_path / "out") == []


# -------------------------------------------------------------------------- 2. images decoded in full
def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


def test_truncated_image_stops_simulate_and_stats(broken_voc, capsys, tmp_path):
    root, ids = broken_voc
    image = root / "JPEGImages" / f"{ids[0]}.jpg"
    _truncate(image)
    out = tmp_path / "sim"
    # one worker: the first image fails before any other is written
    refused(capsys, ["simulate", "--data", root, "--out", out, "--workers", "1"], image, "cannot decode image",
            "truncated")
    assert files_under(out) == []  # no manifest, stats.json or lock of a run that made nothing
    stats = tmp_path / "stats.json"
    refused(capsys, ["stats", "--data", root, "--labels", "points", "--out", stats], image, "truncated")
    assert not stats.exists()


def test_decompression_bombs_are_data_errors(broken_voc, capsys, tmp_path, monkeypatch):
    root, ids = broken_voc
    out = tmp_path / "sim"
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # the 40x60 images are over twice that: PIL's error
    # one worker: a patched limit does not reach worker processes started fresh (forkserver under nbval)
    refused(capsys, ["simulate", "--data", root, "--out", out, "--workers", "1"], root / "JPEGImages" / f"{ids[0]}.jpg",
            "too large to decode safely")
    mask = root / "SegmentationClass" / f"{ids[0]}.png"
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(mask)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 6000)  # images pass; the 10000-px mask only warns in PIL
    refused(capsys, ["simulate", "--data", root, "--out", out, "--workers", "1"], mask, "too large to decode safely")
    assert files_under(out) == []


# ---------------------------------------------------------------- 3. weak labels and probability stores
def _corrupt_npz(path, how):
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "zlib":  # flip bytes inside the compressed probabilities: the zip directory still reads
        at = data.find(b"probs.npy") + 200
        path.write_bytes(data[:at] + bytes(b ^ 0xFF for b in data[at: at + 40]) + data[at + 40:])
    elif how == "text":
        path.write_text("hello")
    elif how == "float ids":
        np.savez_compressed(path, classes=np.array([0.0, 8.0]), probs=np.zeros((2, 40, 60), np.uint8))


@pytest.mark.parametrize("how, problem", [("empty", "the file is empty"), ("truncated", "BadZipFile"),
                                          ("zlib", "zlib.error"), ("text", "not an .npz zip archive"),
                                          ("float ids", "class ids must be a 1-D integer array")])
def test_fuse_names_a_broken_probability_store(voc, capsys, tmp_path, how, problem):
    root, ids = voc
    ds = load_dataset(str(root), "train")
    local, glob = stores(tmp_path / "local", ds, 0), stores(tmp_path / "global", ds, 1)
    bad = local / f"{ids[0]}.npz"
    _corrupt_npz(bad, how)
    out = tmp_path / "fused"
    refused(capsys, ["fuse", "--local", local, "--global", glob, "--data", root, "--out", out, "--workers", "1"],
            bad, problem)
    assert files_under(out) == []


def _xml(path, width, height, points, tag="cat"):
    pts = "".join(f"<point><X>{x}</X><Y>{y}</Y></point>" for x, y in points)
    path.write_text(f"<annotation><size><width>{width}</width><height>{height}</height></size>"
                    f"<polygon><tag>{tag}</tag>{pts}</polygon></annotation>")


finite = st.floats(min_value=0, max_value=39, allow_nan=False)
not_finite = st.sampled_from([math.nan, math.inf, -math.inf])


@FAST
@given(points=st.lists(st.tuples(finite, finite), min_size=1, max_size=6), bad=not_finite,
       where=st.integers(0, 6), axis=st.integers(0, 1))
def test_scribble_xml_with_non_finite_points(voc, capsys, points, bad, where, axis):
    root, ids = voc
    where = min(where, len(points))
    point = [5.0, 5.0]
    point[axis] = bad
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "xml"
        folder.mkdir()
        _xml(folder / f"{ids[0]}.xml", 60, 40, points[:where] + [tuple(point)] + points[where:])
        out = Path(tmp) / "stats.json"
        refused(capsys, ["stats", "--data", root, "--limit", "1", "--workers", "1", "--labels", folder, "--out", out],
                folder / f"{ids[0]}.xml", "non-finite point")
        assert not out.exists()


@FAST
@given(size=st.sampled_from(["inf", "-inf", "1e400", "0", "-40", "40.5"]), which=st.integers(0, 1))
def test_scribble_xml_with_a_bad_image_size(voc, capsys, size, which):
    root, ids = voc
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "xml"
        folder.mkdir()
        width, height = (size, 40) if which == 0 else (60, size)
        _xml(folder / f"{ids[0]}.xml", width, height, [(3, 3), (20, 10)])
        refused(capsys, ["stats", "--data", root, "--limit", "1", "--workers", "1", "--labels", folder, "--out", Path(tmp) / "s.json"],
                folder / f"{ids[0]}.xml", "<size> must be positive whole numbers")


json_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@FAST
@given(entry=json_values)
def test_points_entry_that_is_not_a_list(voc, capsys, entry):
    root, ids = voc
    with tempfile.TemporaryDirectory() as tmp:
        path = write_points(Path(tmp) / "pts.json", {ids[0]: entry})
        refused(capsys, ["stats", "--data", root, "--limit", "1", "--workers", "1", "--labels", path, "--out", Path(tmp) / "s.json"],
                path, f"{ids[0]}: expected a list of points")


@FAST
@given(bad=not_finite, axis=st.sampled_from(["x", "y"]))
def test_points_with_non_finite_coordinates(voc, capsys, bad, axis):
    root, ids = voc
    with tempfile.TemporaryDirectory() as tmp:
        point = {"x": 3, "y": 4, "cls": 8, axis: bad}
        path = Path(tmp) / "pts.json"
        path.write_text(json.dumps({ids[0]: [{"x": 1, "y": 1, "cls": 0}, point]}))  # NaN / Infinity literals
        refused(capsys, ["stats", "--data", root, "--limit", "1", "--workers", "1", "--labels", path, "--out", Path(tmp) / "s.json"],
                path, "point 1 has non-finite coordinates")


def test_points_with_a_fractional_class_id(voc, capsys, tmp_path):
    root, ids = voc
    path = write_points(tmp_path / "pts.json", {ids[0]: [{"x": 1, "y": 1, "cls": 8.5}]})
    refused(capsys, ["local", "--data", root, "--limit", "1", "--labels", path, "--method", "superpixels",
                     "--out", tmp_path / "out", "--workers", "1"], path, "point 0 has class id 8.5, not a whole")
    assert files_under(tmp_path / "out") == []


# ---------------------------------------------------------------------------------------- 4. split files
@pytest.mark.parametrize("content, problem", [
    (b"2000_000000\n\xff\xfe2000_000001\n", "not UTF-8 text (byte 0xff at offset 12)"),
    (b"2000_000000\n2000_000001\n2000_000000\n", "'2000_000000' is listed twice (lines 1 and 3)"),
    (b"2000_000000\n../2000_000001\n", "line 2: image id '../2000_000001' is not a plain file name"),
    (b"2000_000000\nsub/2000_000001\n", "'sub/2000_000001' is not a plain file name"),
    (b"sub\\2000_000001\n", "is not a plain file name"),
    (b".hidden\n", "'.hidden' is not a plain file name"),
    (b"\n  \n", "lists no images"),
])
def test_bad_split_files(broken_voc, capsys, tmp_path, content, problem):
    root, _ = broken_voc
    split = root / "ImageSets" / "Segmentation" / "train.txt"
    split.write_bytes(content)
    out = tmp_path / "sim"
    refused(capsys, ["simulate", "--data", root, "--out", out], split, problem)
    assert files_under(out) == []


def test_split_that_is_not_a_file(broken_voc, capsys, tmp_path):
    root, _ = broken_voc
    split = root / "ImageSets" / "Segmentation" / "odd.txt"
    split.mkdir()
    refused(capsys, ["stats", "--data", root, "--split", "odd", "--labels", "points", "--out", tmp_path / "s.json"],
            split, "not a regular file")


# ------------------------------------------------------------------------------------- 5. option values
def _commands(root, tmp):
    """A valid command line per command; an option appended last overrides the one before it."""
    out = tmp / "out"
    return {"simulate": ["simulate", "--data", root, "--out", out],
            "stats": ["stats", "--data", root, "--labels", "points", "--out", tmp / "s.json"],
            "local": ["local", "--data", root, "--labels", "points", "--method", "superpixels", "--out", out],
            "fuse": ["fuse", "--local", tmp, "--global", tmp, "--data", root, "--out", out],
            "predict": ["predict", "--checkpoint", tmp / "c.pt", "--data", root, "--out", out],
            "evaluate": ["evaluate", "--checkpoint", tmp / "c.pt", "--data", root]}


@pytest.mark.parametrize("command, option, value", [
    ("simulate", "--limit", "0"), ("simulate", "--limit", "-1"), ("stats", "--limit", "-1"),
    ("simulate", "--width", "0"), ("simulate", "--width", "-3"), ("simulate", "--width", "nan"),
    ("simulate", "--workers", "0"), ("stats", "--workers", "-1"), ("local", "--workers", "0"),
    ("fuse", "--workers", "-2"), ("evaluate", "--workers", "0"),
    ("fuse", "--threshold", "0"), ("fuse", "--threshold", "1.5"), ("fuse", "--threshold", "nan"),
])
def test_bad_option_values(voc, capsys, tmp_path, command, option, value):
    refused(capsys, _commands(voc[0], tmp_path)[command] + [f"{option}={value}"], f"argument {option}:")
    assert files_under(tmp_path / "out") == [] and not (tmp_path / "s.json").exists()


@FAST
@given(weight=st.floats().filter(lambda w: not 0 <= w <= 1))
def test_fuse_weight_outside_0_1(voc, capsys, tmp_path, weight):
    refused(capsys, _commands(voc[0], tmp_path)["fuse"] + [f"--weight={weight}"], "argument --weight:")


@FAST
@given(budget=st.floats().filter(lambda b: not 0 < b < 1))
def test_simulate_budget_outside_0_1(voc, capsys, tmp_path, budget):
    refused(capsys, _commands(voc[0], tmp_path)["simulate"] + [f"--budget={budget}"], "argument --budget:")
    assert files_under(tmp_path / "out") == []


@FAST
@given(seed=st.integers(max_value=-1))
def test_simulate_negative_seed(voc, capsys, tmp_path, seed):
    refused(capsys, _commands(voc[0], tmp_path)["simulate"] + [f"--seed={seed}"], "argument --seed:", "must be >= 0")


@pytest.mark.parametrize("command", ["simulate", "local", "fuse", "predict"])
def test_out_that_is_an_existing_file(voc, capsys, tmp_path, command):
    existing = tmp_path / "file.txt"
    existing.write_text("keep me")
    refused(capsys, _commands(voc[0], tmp_path)[command] + ["--out", existing], "argument --out:",
            existing, "is an existing file, not a folder")
    assert existing.read_text() == "keep me"


def test_stats_out_that_is_a_folder(voc, capsys, tmp_path):
    refused(capsys, _commands(voc[0], tmp_path)["stats"] + ["--out", tmp_path], "argument --out:", "is a folder")


# ----------------------------------------------------------------------- 6. nothing partial on failure
def test_local_failing_on_its_first_image_leaves_no_record(broken_voc, capsys, tmp_path):
    root, ids = broken_voc
    scribbles = tmp_path / "scribbles"
    scribbles.mkdir()
    (scribbles / f"{ids[0]}.png").write_bytes(b"not a png")
    out = tmp_path / "out"
    refused(capsys, ["local", "--data", root, "--labels", scribbles, "--method", "superpixels", "--out", out,
                     "--workers", "1"], scribbles / f"{ids[0]}.png", "cannot decode scribble map")
    assert files_under(out) == []  # no run.json, no manifest


def test_simulate_failing_midway_keeps_finished_images_but_writes_no_stats(broken_voc, capsys, tmp_path):
    root, ids = broken_voc
    _truncate(root / "JPEGImages" / f"{ids[2]}.jpg")
    out = tmp_path / "sim"
    refused(capsys, ["simulate", "--data", root, "--out", out], f"{ids[2]}.jpg")
    assert files_under(out) == [".lock", f"{ids[0]}.png", f"{ids[1]}.png", "manifest.json"]


# -------------------------------------------------------------------------- 7. manifests and locks
def test_simulate_resumes_refuses_other_settings_and_overwrites(voc, capsys, tmp_path):
    root, _ = voc
    out = tmp_path / "sim"
    args = ["simulate", "--data", str(root), "--out", str(out), "--workers", "1"]
    assert main(args) == 0 and main(args) == 0  # the same settings resume
    capsys.readouterr()
    refused(capsys, args + ["--budget", "0.05"], out, "other settings (budget, effective_width differ)",
            "--overwrite")
    assert json.loads((out / "manifest.json").read_text())["budget"] == 0.03
    assert main(args + ["--budget", "0.05", "--overwrite"]) == 0
    assert json.loads((out / "manifest.json").read_text())["budget"] == 0.05


def test_a_second_simulate_into_a_busy_folder_stops_at_once(voc, capsys, tmp_path):
    root, _ = voc
    out = tmp_path / "sim"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from scribblegap.core.folders import folder_lock\n"
                               "with folder_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)",
                               str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.perf_counter()
        refused(capsys, ["simulate", "--data", root, "--out", out], out, "being written by another process")
        assert time.perf_counter() - start < 10
        assert files_under(out) == [".lock"]
    finally:
        holder.kill()
        holder.wait()
    assert main(["simulate", "--data", str(root), "--out", str(out)]) == 0  # free again


def test_local_refuses_another_method_before_its_first_file(voc, capsys, tmp_path):
    root, _ = voc
    out = tmp_path / "local"
    base = ["local", "--data", str(root), "--labels", "points", "--out", str(out), "--workers", "1"]
    assert main(base + ["--method", "superpixels", "--set", "n_segments=20"]) == 0
    before = {p: (out / p).read_bytes() for p in files_under(out)}
    capsys.readouterr()
    refused(capsys, base + ["--method", "gmm"], out, "other settings (method, params")
    refused(capsys, base + ["--method", "superpixels", "--set", "n_segments=20", "--clip"], "labels.clip differ")
    assert {p: (out / p).read_bytes() for p in files_under(out)} == before


def test_sharded_local_runs_share_one_folder(voc, capsys, tmp_path):
    root, ids = voc
    out = tmp_path / "local"
    base = ["local", "--data", str(root), "--labels", "points", "--method", "superpixels", "--out", str(out),
            "--workers", "1", "--set", "n_segments=20"]
    # shard 0 starts while another shard holds the folder's lock for its manifest check: it waits, then runs
    ready = threading.Event()

    def hold():
        with folder_lock(out):
            ready.set()
            time.sleep(1)

    holder = threading.Thread(target=hold)
    holder.start()
    ready.wait()
    assert main(base + ["--shard", "0/2"]) == 0
    holder.join()
    with open(out / ".lock.shard-1-of-2", "w") as lock:  # shard 1 is running elsewhere: a second shard 1 stops
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        capsys.readouterr()
        refused(capsys, base + ["--shard", "1/2"], out, "another process of shard 1/2")
    assert main(base + ["--shard", "1/2"]) == 0
    assert {f"{k}.png" for k in ids} <= set(files_under(out))
    capsys.readouterr()
    refused(capsys, base[:-1] + ["n_segments=30", "--shard", "0/2"], "params.n_segments differ")


def test_fuse_refuses_another_weight(voc, capsys, tmp_path):
    root, _ = voc
    ds = load_dataset(str(root), "train")
    local, glob = stores(tmp_path / "local", ds, 0), stores(tmp_path / "global", ds, 1)
    args = ["fuse", "--local", str(local), "--global", str(glob), "--data", str(root), "--out", str(tmp_path / "f"),
            "--workers", "1"]
    assert main(args) == 0
    capsys.readouterr()
    refused(capsys, args + ["--weight", "0.25"], "other settings (weight differ)")
    assert main(args + ["--weight", "0.25", "--overwrite"]) == 0


def test_predict_refuses_another_checkpoint(default_run, capsys, tmp_path):
    out = tmp_path / "pred"
    args = ["predict", "--data", "default", "--limit", "1", "--out", str(out)]
    assert main(args + ["--checkpoint", str(default_run)]) == 0
    copy = tmp_path / "copy.pt"
    copy.write_bytes(default_run.read_bytes())
    capsys.readouterr()
    refused(capsys, args + ["--checkpoint", str(copy)], out, "other settings (checkpoint differ)")
    assert main(args + ["--checkpoint", str(default_run.parent)]) == 0  # the run folder is the same checkpoint


def test_folders_from_before_manifests_are_still_checked(voc, capsys, tmp_path):
    root, _ = voc
    local = tmp_path / "local"
    local.mkdir()
    (local / "run.json").write_text(json.dumps({"method": "gmm", "params": {}, "images": {}}))
    refused(capsys, ["local", "--data", root, "--labels", "points", "--method", "superpixels", "--out", local,
                     "--workers", "1"], local, "holds a run of 'gmm'")
    sim = tmp_path / "sim"
    sim.mkdir()
    (sim / "simulation.json").write_text(json.dumps({"budget": 0.05, "seed": 0}))
    refused(capsys, ["simulate", "--data", root, "--out", sim], sim / "simulation.json", "other settings")
    assert sorted(p.name for p in sim.iterdir()) == [".lock", "simulation.json"]


# ------------------------------------------------------------ training settings, run configs, reruns
TINY_TRAIN = ["train", "--data", "default", "--limit", "8", "--val-split", "", "--set", "iters=2", "--set",
              "batch_size=2", "--set", "crop_size=32", "--set", "base_size=48", "--set", "eval_every=0"]


@pytest.mark.parametrize("setting", ["iters=-5", "iters=0", "batch_size=0", "checkpoint_every=0", "lr=nan",
                                     "lr=-1", "crop_size=0", "seed=-1", "loss=mse", "iterz=3"])
def test_bad_training_settings_are_one_line(setting, capsys, tmp_path):
    out = tmp_path / "run"
    refused(capsys, [*TINY_TRAIN, "--set", setting, "--out", out], setting.split("=")[0])
    assert not out.exists()


def test_train_out_that_is_a_file(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    refused(capsys, [*TINY_TRAIN, "--out", tmp_path / "file"], "--out", "existing file")


def test_resume_of_a_finished_run_changes_nothing(capsys, tmp_path):
    out = tmp_path / "run"
    assert main([*TINY_TRAIN, "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert main([*TINY_TRAIN, "--out", str(out), "--resume"]) == 0
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # no second final log line, no rewritten record
    capsys.readouterr()
    refused(capsys, [*TINY_TRAIN, "--set", "iters=3", "--out", out, "--resume"], str(out), "iters")


def test_a_stale_temp_file_is_removed_when_a_run_resumes(tmp_path):
    out = tmp_path / "run"
    assert main([*TINY_TRAIN[:-2], "--set", "eval_every=0", "--set", "checkpoint_every=1", "--set", "iters=1",
                 "--out", str(out)]) == 0
    (out / ".checkpoint.pt.abc.tmp").write_text("x")
    (out / "run.json").unlink()  # as if killed before its record: the next call resumes
    assert main([*TINY_TRAIN[:-2], "--set", "eval_every=0", "--set", "checkpoint_every=1", "--set", "iters=1",
                 "--out", str(out), "--resume"]) == 0
    assert not list(out.glob(".*.tmp")) and (out / "run.json").is_file()


@pytest.mark.parametrize("text,names", [("{not json", ["does not parse"]), ('{"seedz": [0]}', ["seedz"]),
                                        ('{"train_overrides": {"iters": 0}}', ["iters"]), ("[1, 2]", ["JSON object"]),
                                        ('{"stages": ["chain", "nap"]}', ["nap"])])
def test_bad_run_config_files_are_one_line(text, names, capsys, tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(text)
    refused(capsys, ["run", "--config", path, "--show"], *names)
