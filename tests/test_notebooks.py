"""Each notebook is a jupytext pair, notebooks/NN_name.py (py:percent) and notebooks/NN_name.ipynb (with
outputs): both copies must hold the same cells. After editing one, `jupytext --sync notebooks/NN_name.py`."""
import pytest

pytest.importorskip("jupytext", reason="jupytext is not installed (pip install -e '.[notebooks]')")

from scribblegap.report import notebooks  # noqa: E402

PAIRS = notebooks.pairs()


def test_there_are_notebooks_and_each_has_a_py_copy():
    assert len(PAIRS) >= 8, f"expected the notebooks' .py copies in notebooks/, found {[p.name for p in PAIRS]}"
    problems = notebooks.unpaired()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("py", PAIRS, ids=[p.stem for p in PAIRS])
def test_pair_in_sync(py):
    difference = notebooks.first_difference(py)
    assert difference is None, difference


def test_a_changed_cell_is_reported(tmp_path):
    """The check itself: a pair whose second cell differs is named with that cell and the fix."""
    import jupytext

    source = PAIRS[0]
    nb = jupytext.read(source)
    jupytext.write(nb, tmp_path / source.name, fmt="py:percent")
    nb.cells[1].source += "\nprint('edited in the .ipynb only')"
    jupytext.write(nb, tmp_path / f"{source.stem}.ipynb")
    message = notebooks.first_difference(tmp_path / source.name)
    assert message is not None and "cell 2 differs" in message and f"jupytext --sync notebooks/{source.name}" in message
    (tmp_path / source.name).write_text((tmp_path / source.name).read_text() + "\n# %%\nextra = 1\n")
    jupytext.write(jupytext.read(tmp_path / source.name), tmp_path / f"{source.stem}.ipynb")
    assert notebooks.first_difference(tmp_path / source.name) is None
