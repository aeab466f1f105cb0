"""The pseudo-label inspector of notebook 05, used the way a reader uses it: in JupyterLab, in a browser.

The test starts its own JupyterLab (CI=1, so the notebook runs its small chain), opens
notebooks/05_fusion_and_regularisation.ipynb in headless Chromium driven by Playwright, runs all cells from
the Run menu, picks another image in the inspector's dropdown and checks that the figure and the per-image
IoU line both change. Screenshots before and after go to $SCRIBBLEGAP_BROWSER_ARTIFACTS (default
figures/ci/). Without Playwright or Chromium the test is skipped, unless SCRIBBLEGAP_REQUIRE_BROWSER=1
(set by .ci/run), which makes their absence a failure. SCRIBBLEGAP_CHROMIUM names another Chromium binary.

    apt-get install -y chromium && .venv/bin/pip install playwright   # Playwright's own browser download is not used
    CI=1 .venv/bin/pytest tests/test_browser.py -o addopts="" -p no:cacheprovider
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("notebooks/03_local_annotators.ipynb", "notebooks/05_fusion_and_regularisation.ipynb")
CHROMIUM = os.environ.get("SCRIBBLEGAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REQUIRE = os.environ.get("SCRIBBLEGAP_REQUIRE_BROWSER") == "1"
RUN_TIMEOUT_S = 600  # the notebook's small chain takes one to three minutes on two busy cores
IOU_LINE = "per-image mIoU"
# JupyterLab settings for the test's own settings folder: nothing is saved behind its back (the notebook
# on disk stays as committed), every cell is in the page, no news or update checks
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}


def _missing_or_skip(why: str):
    if REQUIRE:
        pytest.fail(f"{why}, and SCRIBBLEGAP_REQUIRE_BROWSER=1 requires the browser test", pytrace=False)
    pytest.skip(f"{why} (install: apt-get install -y chromium; pip install playwright)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_or_skip("Playwright for Python is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        _missing_or_skip(f"Chromium not found at {CHROMIUM}")
    if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
        _missing_or_skip("JupyterLab is not installed in this environment")
    return sync_playwright


@pytest.fixture(scope="module")
def artefacts() -> Path:
    folder = Path(os.environ.get("SCRIBBLEGAP_BROWSER_ARTIFACTS") or ROOT / "figures" / "ci")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def lab(tmp_path_factory, sync_playwright):
    """A JupyterLab server on the repository: (base URL, token). Its settings, workspaces and runtime
    files live in a temporary folder; the kernel inherits CI=1 and SCRIBBLEGAP_DATA."""
    home = tmp_path_factory.mktemp("lab")
    for name, values in LAB_SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "CI": "1", "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    command = [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={ROOT}", f"--LabApp.user_settings_dir={home / 'settings'}",
               f"--LabApp.workspaces_dir={home / 'workspaces'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(home / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(home / 'jupyterlab.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 120 s:\n{(home / 'jupyterlab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def unchanged_notebook():
    """The test must leave the notebook pair as it was (autosave is off; this makes sure), and no
    checkpoint folder JupyterLab made beside it."""
    paths = [ROOT / n for n in NOTEBOOKS] + [(ROOT / n).with_suffix(".py") for n in NOTEBOOKS]
    before = {p: p.read_bytes() for p in paths}
    checkpoints = (ROOT / NOTEBOOKS[0]).parent / ".ipynb_checkpoints"
    had_checkpoints = checkpoints.exists()
    yield
    if not had_checkpoints:
        shutil.rmtree(checkpoints, ignore_errors=True)
    changed = [p.name for p, data in before.items() if p.read_bytes() != data]
    for p, data in before.items():
        if p.read_bytes() != data:
            p.write_bytes(data)
    assert not changed, f"the browser session rewrote {changed} (restored)"


def _wait_for_kernel(base: str, token: str, timeout_s: float, notebook: str) -> None:
    """Until the server reports the notebook's kernel started and idle (before that, Run All would ask for
    a kernel)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=10) as reply:
            sessions = json.load(reply)
        if any(s.get("path") == notebook and (s.get("kernel") or {}).get("execution_state") == "idle" for s in sessions):
            return
        time.sleep(1)
    pytest.fail(f"the kernel of {notebook} did not start within {timeout_s:.0f} s (sessions: {sessions})")


def _accept_kernel_dialog(page) -> None:
    """Should JupyterLab still ask which kernel to use, take the one it proposes (the notebook's python3)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if dialog.count():
        dialog.locator("button", has_text=re.compile(r"^Select$")).click()
        time.sleep(2)


def _prompts(page) -> list[str]:
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt").all_inner_texts()


def _run_all_cells(page, artefacts: Path, notebook: str) -> None:
    """Run > Run All Cells from the menu bar, as a reader would; clicked again if no cell starts (the
    notebook's kernel can still be connecting when the page first looks idle)."""
    for attempt in range(4):
        _accept_kernel_dialog(page)
        page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        item = page.locator('.lm-Menu-item[data-command="runmenu:run-all"]')
        item.wait_for(state="visible", timeout=10_000)
        if "lm-mod-disabled" in (item.get_attribute("class") or ""):
            page.keyboard.press("Escape")
        else:
            item.click()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                _accept_kernel_dialog(page)
                if any(re.search(r"\[(\*|\d+)\]", p) for p in _prompts(page)):
                    return
                time.sleep(0.5)
        time.sleep(5)
    shot = artefacts / f"browser_{Path(notebook).stem[:2]}_run_all_failed.png"
    page.screenshot(path=str(shot), full_page=True)
    pytest.fail(f"Run > Run All Cells did not start {notebook} (screenshot: {shot})")


def _wait_for_run_all(page, timeout_s: float, notebook: str) -> None:
    """Wait until every code cell has run; fail with the traceback when Run All stopped at an error."""
    deadline, stopped_since = time.monotonic() + timeout_s, None
    while True:
        state = page.evaluate("""() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
            const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            return {n: prompts.length, done: prompts.filter(p => /\\[\\d+\\]/.test(p)).length,
                    busy: prompts.filter(p => p.includes('*')).length,
                    kernel: status ? status.getAttribute('data-status') : null,
                    tracebacks: [...panel.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                        .map(o => o.textContent).filter(t => t.includes('Traceback')).map(t => t.slice(-2000))};
        }""")
        if state["n"] and state["done"] == state["n"] and not state["busy"]:
            return
        if (state["done"] or state["busy"]) and not state["busy"] and state["kernel"] == "idle":
            stopped_since = stopped_since or time.monotonic()
            if time.monotonic() - stopped_since > 5:  # Run All has stopped short of the last cell
                pytest.fail(f"{notebook}: Run All stopped after {state['done']} of {state['n']} code cells:\n"
                            + ("\n".join(state["tracebacks"]) or "(no traceback shown)"))
        else:
            stopped_since = None
        if time.monotonic() > deadline:
            pytest.fail(f"{notebook} did not finish within {timeout_s:.0f} s ({state['done']} of {state['n']} "
                        f"code cells ran, {state['busy']} running or queued)")
        time.sleep(1)


def _figure(image, iou) -> dict:
    try:
        return {"src": image.get_attribute("src", timeout=2000), "iou": iou.inner_text(timeout=2000).strip()}
    except Exception:  # the output area is being cleared and redrawn
        return {}


def _redrawn(image, iou, before: dict, timeout_s: float, iou_changes: bool) -> dict:
    """The inspector's figure (and IoU line) once they differ from ``before``, or whatever shows at the timeout."""
    deadline, now = time.monotonic() + timeout_s, before
    while time.monotonic() < deadline:
        now = _figure(image, iou) or now
        if now["src"] != before["src"] and (now["iou"] != before["iou"] or not iou_changes):
            break
        time.sleep(0.5)
    return now


def _inspector(page, notebook: str, artefacts: Path):
    inspector = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-vbox",
                             has=page.locator(".widget-dropdown")).filter(has=page.locator(".widget-output")).last
    try:
        inspector.wait_for(state="visible", timeout=60_000)
    except Exception:
        shown = page.locator(".jp-NotebookPanel .jp-OutputArea-output", has_text="VBox(").count()
        hint = (" The widget shows as text (VBox(...)): the page has no widget renderer; jupyterlab_widgets "
                "must be installed in the environment that runs JupyterLab (ipywidgets>=8 brings it)."
                if shown else "")
        shot = artefacts / f"browser_{Path(notebook).stem[:2]}_no_inspector.png"
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"the inspector widget of {notebook} did not render.{hint} Screenshot: {shot}")
    inspector.scroll_into_view_if_needed()
    return inspector


def _use_the_inspector(page, notebook: str, artefacts: Path) -> dict:
    """Change the image, the layer and the opacity; returns {change: (before, after)}."""
    tag = Path(notebook).stem[:2]
    inspector = _inspector(page, notebook, artefacts)
    image = inspector.locator(".widget-output img").first
    iou = inspector.locator(".widget-output .jp-OutputArea-output", has_text=IOU_LINE).last
    image.wait_for(state="visible", timeout=60_000)
    iou.wait_for(state="visible", timeout=60_000)
    inspector.screenshot(path=str(artefacts / f"browser_{tag}_inspector_before.png"))
    seen = {}

    before = _figure(image, iou)
    select = inspector.locator(".widget-dropdown select").first
    options, current = select.locator("option").all_inner_texts(), select.input_value()
    assert len(options) > 1, f"{notebook}: the image dropdown offers {options}"
    after = before
    for option in [o for o in options if o != current][:3]:  # another image; a few, in case two score alike
        select.select_option(label=option)
        after = _redrawn(image, iou, before, timeout_s=90, iou_changes=True)
        if after["iou"] != before["iou"]:
            break
    seen["image"] = before, after

    before = after
    buttons = inspector.locator(".widget-toggle-buttons button")
    names = buttons.all_inner_texts()
    active = inspector.locator(".widget-toggle-buttons button.mod-active").inner_text()
    other = next(n for n in names if n != active)
    buttons.filter(has_text=re.compile(rf"^{re.escape(other)}$")).first.click()
    seen["layer"] = before, _redrawn(image, iou, before, timeout_s=90, iou_changes=True)

    before = seen["layer"][1]
    readout = inspector.locator(".widget-hslider", has_text="opacity").locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("0.15")
    page.keyboard.press("Enter")
    seen["opacity"] = before, _redrawn(image, iou, before, timeout_s=90, iou_changes=False)
    inspector.screenshot(path=str(artefacts / f"browser_{tag}_inspector_after.png"))
    return seen


def test_both_inspectors_redraw_for_image_layer_and_opacity(lab, sync_playwright, artefacts, unchanged_notebook):
    base, token = lab
    started, errors, results = time.monotonic(), [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        try:
            for notebook in NOTEBOOKS:
                page.goto(f"{base}/lab/tree/{notebook}?token={token}", timeout=120_000)
                page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=120_000)
                _wait_for_kernel(base, token, timeout_s=180, notebook=notebook)  # python3, from the notebook's metadata
                _run_all_cells(page, artefacts, notebook)
                _wait_for_run_all(page, RUN_TIMEOUT_S, notebook)
                results[notebook] = _use_the_inspector(page, notebook, artefacts)
        except BaseException:
            page.screenshot(path=str(artefacts / "browser_failure.png"), full_page=True)  # what the page showed
            raise
        finally:
            browser.close()
    print(f"browser test: {time.monotonic() - started:.0f} s; screenshots in {artefacts}")
    for notebook, seen in results.items():
        for change, (before, after) in seen.items():
            assert after["src"] != before["src"], f"{notebook}: a new {change} did not redraw the figure ({artefacts})"
            if change != "opacity":
                assert after["iou"] != before["iou"], f"{notebook}: a new {change} left the IoU line {before['iou']!r}"
        assert seen["image"][1]["iou"].startswith(IOU_LINE) and re.search(r"\d+\.\d", seen["image"][1]["iou"])
    assert not errors, "errors in the browser console:\n" + "\n".join(errors[:20])
