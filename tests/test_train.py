"""The training engine: resumable and deterministic on the CPU, checkpoints readable with weights_only."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from scribblegap.network.checkpoint import load_checkpoint
from scribblegap.data import load_dataset
from scribblegap.network.losses import partial_cross_entropy, soft_cross_entropy
from scribblegap.scribbles import WeakLabels
from scribblegap.network.presets import preset
from scribblegap.network.checkpoint import load_trained
from scribblegap.network.train import train
from scribblegap.network.trainset import SampleStream, TrainingSamples
from scribblegap.network.transforms import augment

TINY = dict(iters=8, batch_size=4, crop_size=64, base_size=96, checkpoint_every=2, eval_every=0,
            warmup_iters=2, threads=1)


def _samples(cfg, n=16):
    ds = load_dataset("default", "train", limit=n)
    return TrainingSamples(ds, WeakLabels("full"), base_size=cfg.base_size, crop=cfg.crop_size)


def _same_weights(a, b):
    sa, sb = load_checkpoint(a)["model"], load_checkpoint(b)["model"]
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_resume_gives_identical_weights(tmp_path):
    cfg = preset("cpu-fast", **TINY)
    train(cfg, _samples(cfg), tmp_path / "a", progress=False)
    train(cfg, _samples(cfg), tmp_path / "b", progress=False, stop_after=3)
    assert load_checkpoint(tmp_path / "b")["step"] == 3
    train(cfg, _samples(cfg), tmp_path / "b", resume=True, progress=False)
    assert _same_weights(tmp_path / "a", tmp_path / "b")
    other = preset("cpu-fast", **{**TINY, "seed": 1})
    train(other, _samples(other), tmp_path / "c", progress=False)
    assert not _same_weights(tmp_path / "a", tmp_path / "c")  # the comparison can fail


def test_checkpoint_contents_and_weights_only(tmp_path):
    cfg = preset("cpu-fast", **TINY)
    train(cfg, _samples(cfg), tmp_path / "run", progress=False)
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert {"model", "optimizer", "scheduler", "step", "rng", "config"} <= set(state)
    assert state["step"] == 8 and state["config"]["iters"] == 8
    model, config = load_trained(tmp_path / "run")
    assert config.crop_size == 64 and not model.training
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log if "loss" in e] == [8] and "images_per_s" in log[0]


def test_existing_run_needs_resume(tmp_path):
    from scribblegap.core.errors import ConfigError

    cfg = preset("cpu-fast", **TINY)
    train(cfg, _samples(cfg), tmp_path / "run", progress=False, stop_after=2)
    with pytest.raises(ConfigError, match="--resume"):
        train(cfg, _samples(cfg), tmp_path / "run", progress=False)


def test_a_finished_run_on_other_scenes_is_not_reused(tmp_path):
    from scribblegap.data.synthetic import SceneConfig
    from scribblegap.core.io import write_json
    from scribblegap.experiment.runs import RECORD, RunSpec, finished

    spec = RunSpec(preset("cpu-fast", **TINY), str(tmp_path / "run"), data="default", limit=16)
    recorded = spec.to_dict()
    assert recorded["scenes"] == SceneConfig().to_dict()
    assert RunSpec(spec.config, spec.out, data="default:hard,halo=2").to_dict()["scenes"]["halo"] == 2
    assert "scenes" not in RunSpec(spec.config, spec.out, data="voc12-mini").to_dict()
    write_json(tmp_path / "run" / RECORD, {"spec": recorded})
    assert finished(spec) is not None
    # the same data name, "default", trained on the scenes of other default knobs
    write_json(tmp_path / "run" / RECORD, {"spec": {**recorded, "scenes": {**recorded["scenes"], "halo": 2}}})
    assert finished(spec) is None


@pytest.mark.slow
def test_kill_9_then_resume_matches_uninterrupted_run(tmp_path):
    args = [sys.executable, "-m", "scribblegap", "train", "--data", "default", "--limit", "16", "--labels", "full",
            "--set", "iters=24", "--set", "batch_size=4", "--set", "crop_size=64", "--set", "base_size=96",
            "--threads", "1", "--set", "checkpoint_every=2", "--set", "eval_every=0", "--val-split", ""]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(args + ["--out", str(tmp_path / "straight")], check=True, env=env, capture_output=True)
    proc = subprocess.Popen(args + ["--out", str(tmp_path / "killed")], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ckpt = tmp_path / "killed" / "checkpoint.pt"
    deadline = time.time() + 120
    while time.time() < deadline:
        if ckpt.is_file() and torch.load(ckpt, weights_only=True)["step"] >= 6:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = torch.load(ckpt, weights_only=True)["step"]
    assert 6 <= killed_at < 24, "the run should have been killed midway"
    subprocess.run(args + ["--out", str(tmp_path / "killed"), "--resume"], check=True, env=env, capture_output=True)
    assert _same_weights(tmp_path / "straight", tmp_path / "killed")


def test_sample_stream_is_a_pure_function_of_position():
    full = SampleStream(10, seed=3)
    first = [x for _, x in zip(range(25), full)]
    resumed = [x for _, x in zip(range(13), SampleStream(10, seed=3, start=12))]
    assert first[12:] == resumed
    assert sorted(i for i, _ in first[:10]) == list(range(10))  # each epoch is a permutation
    ranks = [[x for _, x in zip(range(5), SampleStream(10, seed=3, rank=r, world=2))] for r in (0, 1)]
    assert ranks[0] == first[0:10:2] and ranks[1] == first[1:10:2]


def test_augment_pads_with_ignore_and_keeps_pairs_aligned():
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, 15:] = 255
    target = np.zeros((20, 30), np.uint8)
    target[:, 15:] = 1
    img, tgt = augment(image, target, crop=48, scale_range=(1.0, 1.0), generator=torch.Generator().manual_seed(0))
    assert img.shape == (3, 48, 48) and tgt.shape == (48, 48)
    assert (tgt == 255).sum() == 48 * 48 - 20 * 30  # everything outside the image is ignored
    bright = img.mean(0) > 1.0
    assert (bright == (tgt == 1)).all()  # labels moved with the pixels, flip included
    soft = np.stack([255 - target * 255, target * 255]).astype(np.uint8)
    _, stgt = augment(image, soft, crop=48, scale_range=(1.0, 1.0), generator=torch.Generator().manual_seed(0))
    assert stgt.shape == (2, 48, 48) and (stgt.sum(0) == 0).sum() == 48 * 48 - 20 * 30


def test_losses():
    logits = torch.tensor([[[[2.0]], [[0.0]]]])  # (1, 2, 1, 1)
    target = torch.tensor([[[0]]])
    expected = -torch.log_softmax(logits, 1)[0, 0, 0, 0]
    assert torch.isclose(partial_cross_entropy(logits, target), expected)
    assert partial_cross_entropy(logits, torch.full((1, 1, 1), 255)).item() == 0.0
    soft = torch.tensor([[[[0.5]], [[0.5]]]])
    expected_soft = -(0.5 * torch.log_softmax(logits, 1)).sum()
    assert torch.isclose(soft_cross_entropy(logits, soft), expected_soft)
    assert torch.isclose(soft_cross_entropy(logits, (soft * 255).to(torch.uint8)), expected_soft, atol=1e-2)
    assert soft_cross_entropy(logits, torch.zeros_like(soft)).item() == 0.0


@pytest.mark.slow
def test_torchrun_two_cpu_processes(tmp_path):
    """DistributedDataParallel through torchrun (gloo on the CPU): rank 0 alone logs and saves."""
    import shutil

    torchrun = shutil.which("torchrun") or str(__import__("pathlib").Path(sys.executable).parent / "torchrun")
    out = tmp_path / "ddp"
    result = subprocess.run([torchrun, "--nproc_per_node", "2", "-m", "scribblegap", "train", "--data", "default",
                             "--limit", "16", "--set", "iters=4", "--set", "batch_size=4", "--set", "crop_size=64",
                             "--set", "base_size=96", "--threads", "1", "--set", "eval_every=0", "--val-split", "",
                             "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count('"steps": 4') == 1  # one report, from rank 0
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 4
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log] == [4]
