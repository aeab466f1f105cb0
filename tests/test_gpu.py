"""GPU smoke test of the paper's model; skipped without CUDA. Throughput: scripts/bench_train.py."""
import pytest
import torch

from scribblegap.network.presets import preset
from scribblegap.network.train import compute_loss, make_optimizer
from scribblegap.network.checkpoint import make_model


@pytest.mark.gpu
def test_deeplabv2_r101_amp_loss_falls():
    device = torch.device("cuda")
    config = preset("voc12-r101", init=None, freeze_bn=False, optimizer="sgd", lr=1e-3)
    model = make_model(config, 21).to(device).to(memory_format=torch.channels_last)
    opt = make_optimizer(config, model)
    torch.manual_seed(0)
    x = torch.randn(4, 3, 161, 161, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 21, (4, 161, 161), device=device)
    y[:, :80] = 255  # partial labels, as with scribbles
    losses = []
    for _ in range(8):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(x)
        loss = compute_loss(config, logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]
