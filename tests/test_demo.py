"""``python -m autodiff.demo --out DIR``: trains to 100% and writes a PNG of the decision boundary."""

import os
import pathlib
import struct
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_demo_command(tmp_path):
    out = tmp_path / "demo out"          # a folder that does not exist yet, with a space
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run([sys.executable, "-m", "autodiff.demo", "--out", str(out)], env=env,
                            capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "training accuracy 100%" in result.stdout

    picture = out / "decision_boundary.png"
    assert picture.is_file()
    assert str(picture) in result.stdout
    data = picture.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    # the first chunk is IHDR: width and height, big-endian; figsize (5, 4) at 100 dpi
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    assert kind == b"IHDR" and length == 13
    assert (width, height) == (500, 400)
    assert 5_000 < len(data) < 2_000_000
    assert data.endswith(b"IEND\xaeB`\x82")
    assert list(tmp_path.iterdir()) == [out]   # nothing written outside --out
