"""Shared fixtures. Real-data tests run whenever VOC12-mini is present; with
SCRIBBLEGAP_REQUIRE_DATA=1 (set by .ci/run) its absence fails the run instead of skipping."""
import os
import re
from pathlib import Path

import pytest

from scribblegap.cli import main
from scribblegap.core.settings import voc12_mini_dir

REQUIRE_DATA = os.environ.get("SCRIBBLEGAP_REQUIRE_DATA") == "1"


# ------------------------------------------------------------------------------------------- CLI helpers
PROGRESS_BAR = re.compile(r"\d+/\d+ \[[^\]]*(it/s|s/it)")  # tqdm's lines (on stderr before an error) are no message


def refused(capsys, argv, *names, prefix=None) -> str:
    """Run the CLI in-process: exit status 2 and one error line (argparse's usage aside) holding ``names``,
    starting ``scribblegap <command>: error:`` (``prefix`` where argparse's main parser speaks)."""
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exit_:
        rc = exit_.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip() and not PROGRESS_BAR.search(line)]
    if lines and lines[0].startswith("usage:"):  # an argparse error: usage, then its one error line
        lines = [line for line in lines[1:] if not line.startswith(" ")]
    assert rc == 2, err
    assert "Traceback" not in err and len(lines) == 1, err
    assert lines[0].startswith(prefix or f"scribblegap {argv[0]}: error:"), lines[0]
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    return lines[0]


def files_under(folder) -> list[str]:
    """Every path under ``folder`` (files and folders), relative to it: what a refused command must not add."""
    folder = Path(folder)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture(scope="session")
def voc12_mini():
    path = voc12_mini_dir(required=False)
    if path is None:
        if REQUIRE_DATA:
            pytest.fail("VOC12-mini is required here (SCRIBBLEGAP_REQUIRE_DATA=1) but was not found; "
                        "set SCRIBBLEGAP_DATA to the folder that holds voc12-mini/")
        pytest.skip("VOC12-mini not found (set SCRIBBLEGAP_DATA)")
    return path


@pytest.fixture(scope="session")
def voc12_train(voc12_mini):
    from scribblegap.data import VOCSegmentation

    return VOCSegmentation(voc12_mini, "train", classes="voc12-mini")


def make_tiny_voc(root, n=3, size=(40, 60), seed=0):
    """A VOC-layout folder with ``n`` random images and masks (classes 0, 8, 15 and a void border)."""
    from pathlib import Path

    import numpy as np
    from PIL import Image

    from scribblegap.data import voc_palette

    root = Path(root)
    rng = np.random.default_rng(seed)
    for d in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / d).mkdir(parents=True, exist_ok=True)
    ids = [f"2000_{i:06d}" for i in range(n)]
    for key in ids:
        Image.fromarray(rng.integers(0, 255, size + (3,), dtype=np.uint8)).save(root / "JPEGImages" / f"{key}.jpg")
        mask = np.zeros(size, np.uint8)
        mask[5:20, 5:25] = 8
        mask[22:35, 30:55] = 15
        mask[20:22, :] = 255
        im = Image.fromarray(mask)
        im.putpalette(voc_palette().ravel().tolist())
        im.save(root / "SegmentationClass" / f"{key}.png")
    (root / "ImageSets/Segmentation/train.txt").write_text("\n".join(ids) + "\n")
    (root / "ImageSets/Segmentation/val.txt").write_text(ids[0] + "\n")
    return root, ids


@pytest.fixture
def tiny_voc(tmp_path):
    return make_tiny_voc(tmp_path / "voc")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    """The tests of the session's tiny chain train networks: marked slow (``make test-fast`` leaves them out);
    the GPU tests are skipped without CUDA."""
    import torch

    cuda = torch.cuda.is_available()
    skip = pytest.mark.skip(reason="needs CUDA (run on a GPU machine)")
    for item in items:
        if "tiny_chain" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
        if "gpu" in item.keywords and not cuda:
            item.add_marker(skip)


TINY_STAGES = ("chain", "F", "R", "evaluate", "pseudo", "variants", "round2", "budget", "boundary", "sample", "report")


@pytest.fixture(scope="session")
def tiny_chain(tmp_path_factory):
    """The whole chain once per test session, on 24 embedded hard scenes with 15-step networks: two seeds of
    F, B, W and R at the main budget and at 1%, the retraining options and round 2 on the first seed.
    Returns (config, root, log lines)."""
    from dataclasses import replace

    from scribblegap.pipeline import run, smoke_config

    root = tmp_path_factory.mktemp("chain")
    cfg = replace(smoke_config("hard-fast"), seeds=(0, 1), variant_seeds=(0,), budgets=(0.01,),
                  focus_budgets=(0.01,), stages=TINY_STAGES)
    lines = []
    run(cfg, root, log=lines.append)
    return cfg, root, lines
