"""The download command, offline: tiny VOC / SBD / ScribbleSup archives built here, served from 127.0.0.1."""
import dataclasses
import hashlib
import io
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from scribblegap import cli
from scribblegap.data import VOCSegmentation, download, voc_palette
from scribblegap.data.download import build_train_aug, download_file, extract_archive, fetch
from scribblegap.core.errors import DataError
from scribblegap.core.io import read_label_png, write_label_png
from scribblegap.scribbles import read_scribble_xml
from scribblegap.scribbles.io import Scribble, write_scribble_xml

SHAPE = (12, 16)
VOC_TRAIN, VOC_VAL = ["2007_000032", "2007_000039"], ["2007_000063"]
SBD_ONLY = ["2008_000002", "2008_000003"]
SBD_TRAIN, SBD_VAL = ["2007_000032", "2007_000063", "2008_000002"], ["2008_000003"]
TRAIN_AUG = ["2007_000032", "2007_000039", "2008_000002", "2008_000003"]


def _mask(seed, cls):
    rng = np.random.default_rng(seed)
    m = np.where(rng.random(SHAPE) < 0.5, cls, 0).astype(np.uint8)
    m[0, :3] = 255
    return m


VOC_MASKS = {i: _mask(k, 8) for k, i in enumerate(VOC_TRAIN + VOC_VAL)}
SBD_MASKS = {i: _mask(10 + k, 12) for k, i in enumerate(["2007_000032", "2007_000063"] + SBD_ONLY)}
for _m in SBD_MASKS.values():
    _m[_m == 255] = 0  # SBD class maps have no void label


def _add(tar, name, data: bytes):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _png_bytes(tmp, labels):
    path = tmp / "m.png"
    write_label_png(path, labels, voc_palette())
    return path.read_bytes()


def _jpeg_bytes(seed):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (*SHAPE, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def _mat_bytes(tmp, labels):
    path = tmp / "m.mat"
    savemat(path, {"GTcls": {"Segmentation": labels, "CategoriesPresent": np.unique(labels)}})
    return path.read_bytes()


def _xml_bytes(tmp, scribbles):
    path = tmp / "s.xml"
    write_scribble_xml(path, SHAPE, scribbles)
    return path.read_bytes()


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """The three archives under their real file names, and their md5s."""
    folder = tmp_path_factory.mktemp("archives")
    scratch = tmp_path_factory.mktemp("scratch")
    voc = "VOCdevkit/VOC2012"
    with tarfile.open(folder / "VOCtrainval_11-May-2012.tar", "w") as tar:
        for k, i in enumerate(VOC_TRAIN + VOC_VAL + SBD_ONLY):
            _add(tar, f"{voc}/JPEGImages/{i}.jpg", _jpeg_bytes(k))
        for i, m in VOC_MASKS.items():
            _add(tar, f"{voc}/SegmentationClass/{i}.png", _png_bytes(scratch, m))
        for split, ids in (("train", VOC_TRAIN), ("val", VOC_VAL), ("trainval", VOC_TRAIN + VOC_VAL)):
            _add(tar, f"{voc}/ImageSets/Segmentation/{split}.txt", "".join(f"{i}\n" for i in ids).encode())
    with tarfile.open(folder / "benchmark.tgz", "w:gz") as tar:
        for i, m in SBD_MASKS.items():
            _add(tar, f"benchmark_RELEASE/dataset/cls/{i}.mat", _mat_bytes(scratch, m))
        _add(tar, "benchmark_RELEASE/dataset/train.txt", "\n".join(SBD_TRAIN).encode())
        _add(tar, "benchmark_RELEASE/dataset/val.txt", "\n".join(SBD_VAL).encode())
    with zipfile.ZipFile(folder / "scribble_annotation.zip", "w") as zf:
        for k, i in enumerate(VOC_TRAIN + VOC_VAL):
            line = Scribble(8, np.array([[1.0, 2.0], [10.0, 2.0 + k]]))
            zf.writestr(f"scribble_annotation/pascal_2012/{i}.xml", _xml_bytes(scratch, [line]))
        # same name in another set (PASCAL-CONTEXT classes): must not be picked
        zf.writestr(f"scribble_annotation/pascal_context/{VOC_TRAIN[0]}.xml", b"<annotation>context</annotation>")
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    return folder, md5


@pytest.fixture
def sources(monkeypatch, archives):
    """The real source table with the fixtures' checksums in place of the published ones."""
    _, md5 = archives
    table = {name: dataclasses.replace(s, md5=md5[s.filename] if s.md5 else None)
             for name, s in download.SOURCES.items()}
    monkeypatch.setattr(download, "SOURCES", table)
    return table


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        path = srv.folder / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        rng = self.headers.get("Range")
        if rng and srv.honour_range:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.cut_after is not None:  # simulate a dropped connection
            self.wfile.write(body[: srv.cut_after])
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(archives):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.folder, srv.requests, srv.honour_range, srv.cut_after = archives[0], [], True, None
    srv.base_url = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


def _tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_full_run_builds_voc_with_train_aug_and_scribbles(tmp_path, sources, server, capsys):
    root = tmp_path / "data"
    assert cli.main(["download", "--root", str(root), "--base-url", server.base_url]) == 0
    out = capsys.readouterr().out
    zip_sha = hashlib.sha256((server.folder / "scribble_annotation.zip").read_bytes()).hexdigest()
    assert zip_sha in out  # the unpinned ScribbleSup zip: its digest is printed for pinning

    voc = root / "VOCdevkit" / "VOC2012"
    ds = VOCSegmentation(voc, "train_aug")
    assert ds.ids == TRAIN_AUG
    assert ds.mask_root.name == "SegmentationClassAug"
    for k, i in enumerate(ds.ids):
        image, mask = ds[k]
        assert image.shape == (*SHAPE, 3)
        # VOC 2012's own mask wins where both exist; SBD fills the rest
        np.testing.assert_array_equal(mask, VOC_MASKS.get(i, SBD_MASKS.get(i)))
    # VOC val keeps its mask too, and is not in train_aug even though SBD lists it as train
    np.testing.assert_array_equal(VOCSegmentation(voc, "val").mask(0), VOC_MASKS["2007_000063"])
    written = sorted(p.stem for p in (voc / "SegmentationClassAug").glob("*.png"))
    assert written == sorted(VOC_MASKS.keys() | SBD_MASKS.keys())

    xmls = sorted((voc / "ScribbleSup").glob("*.xml"))
    assert [p.stem for p in xmls] == sorted(VOC_TRAIN + VOC_VAL)  # pascal_2012 only, nesting flattened
    shape, scribbles = read_scribble_xml(voc / "ScribbleSup" / "2007_000039.xml", ds.image_shape("2007_000039"))
    assert shape == SHAPE and scribbles[0].cls == 8
    np.testing.assert_array_equal(scribbles[0].points, [[1, 2], [10, 3]])

    for name in ("voc", "sbd", "scribblesup"):
        assert (root / f".complete-{name}").is_file()
    assert list((root / "downloads").iterdir()) == []  # archives and unpacked folders cleaned up
    assert [r for r in server.requests if r[1]] == []  # nothing to resume on a clean run

    # a rerun touches neither the network nor a single file
    before, n_requests = _tree(root), len(server.requests)
    assert cli.main(["download", "--root", str(root), "--base-url", server.base_url]) == 0
    assert len(server.requests) == n_requests
    assert _tree(root) == before
    assert "already complete" in capsys.readouterr().out


def test_keep_archives_and_sha256_pin(tmp_path, sources, server):
    zip_path = server.folder / "scribble_annotation.zip"
    root = tmp_path / "data"
    with pytest.raises(DataError, match="sha256 checksum mismatch"):
        fetch(root, "scribblesup", base_url=server.base_url, sha256="ab" * 32, progress=False, log=lambda m: None)
    assert not (root / "downloads" / zip_path.name).exists()
    good = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    fetch(root, "scribblesup", base_url=server.base_url, sha256=good.upper(), keep_archives=True,
          progress=False, log=lambda m: None)
    assert (root / "downloads" / zip_path.name).read_bytes() == zip_path.read_bytes()
    assert (root / "VOCdevkit" / "VOC2012" / "ScribbleSup" / f"{VOC_VAL[0]}.xml").is_file()
    # VOC fetched afterwards merges into the VOCdevkit the scribbles started
    fetch(root, "voc", base_url=server.base_url, progress=False, log=lambda m: None)
    voc = root / "VOCdevkit" / "VOC2012"
    assert len(list((voc / "ScribbleSup").glob("*.xml"))) == 3 and len(list((voc / "JPEGImages").iterdir())) == 5


def test_mirror_environment_variable(tmp_path, sources, server, monkeypatch):
    monkeypatch.setenv(download.MIRROR_ENV, server.base_url)
    assert fetch(tmp_path, "voc", progress=False, log=lambda m: None) == {"voc": "done"}
    assert server.requests == [("/VOCtrainval_11-May-2012.tar", None)]


def test_resume_continues_a_partial_download_with_range(tmp_path, server):
    data = (server.folder / "VOCtrainval_11-May-2012.tar").read_bytes()
    dest = tmp_path / "voc.tar"
    (tmp_path / "voc.tar.part").write_bytes(data[:1000])
    download_file(f"{server.base_url}/VOCtrainval_11-May-2012.tar", dest, md5=hashlib.md5(data).hexdigest(),
                  progress=False)
    assert server.requests == [("/VOCtrainval_11-May-2012.tar", "bytes=1000-")]
    assert dest.read_bytes() == data
    assert not (tmp_path / "voc.tar.part").exists()


def test_resume_restarts_when_server_ignores_range(tmp_path, server):
    server.honour_range = False
    data = (server.folder / "VOCtrainval_11-May-2012.tar").read_bytes()
    (tmp_path / "voc.tar.part").write_bytes(b"x" * 1000)  # appending to this would corrupt the file
    dest = download_file(f"{server.base_url}/VOCtrainval_11-May-2012.tar", tmp_path / "voc.tar",
                         md5=hashlib.md5(data).hexdigest(), progress=False)
    assert server.requests == [("/VOCtrainval_11-May-2012.tar", "bytes=1000-")]
    assert dest.read_bytes() == data


def test_part_longer_than_the_file_restarts(tmp_path, server):
    data = (server.folder / "benchmark.tgz").read_bytes()
    (tmp_path / "sbd.tgz.part").write_bytes(b"x" * (len(data) + 10))  # the server answers 416
    dest = download_file(f"{server.base_url}/benchmark.tgz", tmp_path / "sbd.tgz",
                         md5=hashlib.md5(data).hexdigest(), progress=False)
    assert server.requests == [("/benchmark.tgz", f"bytes={len(data) + 10}-"), ("/benchmark.tgz", None)]
    assert dest.read_bytes() == data


def test_dropped_connection_keeps_part_and_rerun_resumes(tmp_path, server):
    data = (server.folder / "VOCtrainval_11-May-2012.tar").read_bytes()
    url, dest = f"{server.base_url}/VOCtrainval_11-May-2012.tar", tmp_path / "voc.tar"
    server.cut_after = 700
    with pytest.raises(DataError, match="rerun to resume"):
        download_file(url, dest, md5=hashlib.md5(data).hexdigest(), progress=False)
    assert not dest.exists()
    assert (tmp_path / "voc.tar.part").read_bytes() == data[:700]
    server.cut_after = None
    download_file(url, dest, md5=hashlib.md5(data).hexdigest(), progress=False)
    assert server.requests[-1] == ("/VOCtrainval_11-May-2012.tar", "bytes=700-")
    assert dest.read_bytes() == data


def test_wrong_checksum_raises_and_leaves_no_file(tmp_path, sources, server, monkeypatch):
    monkeypatch.setitem(download.SOURCES, "voc", dataclasses.replace(sources["voc"], md5="0" * 32))
    actual = hashlib.md5((server.folder / "VOCtrainval_11-May-2012.tar").read_bytes()).hexdigest()
    with pytest.raises(DataError) as err:
        fetch(tmp_path, "voc", base_url=server.base_url, progress=False, log=lambda m: None)
    message = str(err.value)
    assert "VOCtrainval_11-May-2012.tar" in message and "0" * 32 in message and actual in message
    assert list((tmp_path / "downloads").iterdir()) == []  # no final file, no .part
    assert not (tmp_path / "VOCdevkit").exists() and not (tmp_path / ".complete-voc").exists()


def test_missing_file_on_server_is_a_data_error(tmp_path, server):
    with pytest.raises(DataError, match="HTTP 404"):
        download_file(f"{server.base_url}/nope.tar", tmp_path / "nope.tar", progress=False)


def test_interrupted_extraction_is_redone_from_scratch(tmp_path, archives):
    folder, _ = archives
    dest = tmp_path / "voc.unpacked"
    leftover = tmp_path / ".voc.unpacked.partial" / "VOCdevkit" / "junk.txt"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("half-written")
    extract_archive(folder / "VOCtrainval_11-May-2012.tar", dest, progress=False)
    assert not (dest / "VOCdevkit" / "junk.txt").exists()
    assert not leftover.parent.parent.exists()
    assert len(list((dest / "VOCdevkit" / "VOC2012" / "JPEGImages").glob("*.jpg"))) == 5


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"])
def test_path_traversal_members_are_rejected(tmp_path, name):
    archive = tmp_path / "bad.tar"
    with tarfile.open(archive, "w") as tar:
        _add(tar, "ok/fine.txt", b"fine")
        _add(tar, name, b"evil")
    with pytest.raises(DataError, match="outside the extraction folder") as err:
        extract_archive(archive, tmp_path / "out" / "bad", progress=False)
    assert "bad.tar" in str(err.value)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "evil.txt").exists()
    assert list((tmp_path / "out").iterdir()) == []  # neither the folder nor its .partial remain


def test_path_traversal_in_zip_and_symlink_are_rejected(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../evil.xml", b"<annotation/>")
    with pytest.raises(DataError, match="bad.zip.*outside"):
        extract_archive(archive, tmp_path / "out", progress=False)
    archive = tmp_path / "link.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("data/link")
        info.type, info.linkname = tarfile.SYMTYPE, "../../etc/passwd"
        tar.addfile(info)
    with pytest.raises(DataError, match="link target"):
        extract_archive(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["garbage.tgz", "truncated.tgz", "garbage.zip"])
def test_corrupt_archive_raises_data_error(tmp_path, archives, kind):
    archive = tmp_path / kind
    if kind == "truncated.tgz":
        data = (archives[0] / "benchmark.tgz").read_bytes()
        archive.write_bytes(data[: len(data) // 2])
    else:
        archive.write_bytes(b"this is not an archive at all" * 10)
    with pytest.raises(DataError, match=f"{kind}: corrupt or truncated archive"):
        extract_archive(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / ".out.partial").exists()


def test_sbd_conversion_resumes_and_rejects_bad_mats(tmp_path, archives):
    folder, _ = archives
    voc_root = extract_archive(folder / "VOCtrainval_11-May-2012.tar", tmp_path / "v") / "VOCdevkit" / "VOC2012"
    dataset = extract_archive(folder / "benchmark.tgz", tmp_path / "s") / "benchmark_RELEASE" / "dataset"
    # a PNG left by an interrupted run is kept, not rewritten
    done = voc_root / "SegmentationClassAug" / "2008_000002.png"
    write_label_png(done, SBD_MASKS["2008_000002"], voc_palette())
    mtime = done.stat().st_mtime_ns
    assert build_train_aug(dataset, voc_root, progress=False) == TRAIN_AUG
    assert done.stat().st_mtime_ns == mtime
    assert (voc_root / "ImageSets" / "Segmentation" / "train_aug.txt").read_text().split() == TRAIN_AUG
    np.testing.assert_array_equal(read_label_png(voc_root / "SegmentationClassAug" / "2008_000003.png"),
                                  SBD_MASKS["2008_000003"])

    (voc_root / "SegmentationClassAug" / "2008_000003.png").unlink()
    bad = dataset / "cls" / "2008_000003.mat"
    bad.write_bytes(b"not a mat file")
    with pytest.raises(DataError, match="2008_000003.mat: cannot read MATLAB file"):
        build_train_aug(dataset, voc_root, progress=False)
    savemat(bad, {"GTcls": {"Boundaries": np.zeros(SHAPE)}})
    with pytest.raises(DataError, match="2008_000003.mat: has no GTcls.Segmentation"):
        build_train_aug(dataset, voc_root, progress=False)
    savemat(bad, {"GTcls": {"Segmentation": np.full(SHAPE, 40, dtype=np.uint8)}})
    with pytest.raises(DataError, match="not VOC class ids: \\[40\\]"):
        build_train_aug(dataset, voc_root, progress=False)


def test_sbd_without_voc_is_a_clear_error(tmp_path, sources, server):
    with pytest.raises(DataError, match="VOC 2012 is needed"):
        fetch(tmp_path, "sbd", base_url=server.base_url, progress=False, log=lambda m: None)
    assert not (tmp_path / ".complete-sbd").exists()
    # the unpacked archive stays, so the retry after fetching VOC does not download SBD again
    n_requests = len(server.requests)
    assert fetch(tmp_path, "voc,sbd", base_url=server.base_url, progress=False,
                 log=lambda m: None) == {"voc": "done", "sbd": "done"}
    assert [r[0] for r in server.requests[n_requests:]] == ["/VOCtrainval_11-May-2012.tar"]


def test_cli_help_and_bad_options(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["download", "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--root", "--what", "--base-url", "--sha256", "--keep-archives"):
        assert option in help_text
    assert cli.main(["download", "--root", str(tmp_path), "--what", "voc,coco"]) == 2
    assert "unknown source" in capsys.readouterr().err
    assert cli.main(["download", "--root", str(tmp_path), "--sha256", "123"]) == 2
    assert "64 hex digits" in capsys.readouterr().err
