"""Shared fixtures. Real-data tests run whenever VOC12-mini is present; with
SCRIBBLEGAP_REQUIRE_DATA=1 (set by .ci/run) its absence fails the run instead of skipping."""
import os

import pytest

from scribblegap.settings import voc12_mini_dir

REQUIRE_DATA = os.environ.get("SCRIBBLEGAP_REQUIRE_DATA") == "1"


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
