"""The command line: every command has --help; bad input ends with one line and a non-zero status."""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from scribblegap.cli import COMMANDS, build_parser, main


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "scribblegap", *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_every_command():
    out = _run("--help")
    assert out.returncode == 0
    for name in COMMANDS:
        assert name in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: scribblegap" in capsys.readouterr().out


def test_bad_input_is_one_line_and_nonzero(tiny_voc, tmp_path):
    root, ids = tiny_voc
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(root / "SegmentationClass" / f"{ids[1]}.png")
    out = tmp_path / "overview.png"
    result = _run("overview", "--data", str(root), "--split", "train", "--out", str(out))
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and ids[1] in lines[0] and "differs from its image" in lines[0]
    assert "Traceback" not in result.stderr and not out.exists()
    debug = _run("--debug", "overview", "--data", str(root), "--split", "train", "--out", str(out))
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_missing_data_folder(tmp_path):
    assert main(["overview", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.png")]) == 2


def test_overview_writes_a_figure(tmp_path):
    out = tmp_path / "fig.png"
    assert main(["overview", "--data", "default", "--limit", "4", "--n", "4", "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
