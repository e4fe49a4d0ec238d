"""On a machine without ffmpeg (`make run` installs none): the engine and the console start without pydub's
"Couldn't find ffmpeg" RuntimeWarning, WAV prompts and recordings work, and what needs ffmpeg says so."""
from __future__ import annotations

import os
import subprocess
import sys

from engine.config import PROJECT_ROOT
from engine.recording import inspect


def _without_ffmpeg_env() -> dict[str, str]:
    """This environment with every PATH directory holding ffmpeg or avconv left out (pydub looks them up there)."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not any(os.access(os.path.join(d, tool), os.X_OK) for tool in ("ffmpeg", "avconv"))]
    return dict(os.environ, PATH=os.pathsep.join(dirs), PYTHONPATH=str(PROJECT_ROOT))


def _python(code: str, cwd) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter without ffmpeg, any RuntimeWarning an error."""
    return subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code], cwd=cwd,
                          env=_without_ffmpeg_env(), capture_output=True, text=True, timeout=120)


def test_the_engine_and_the_console_import_without_a_runtime_warning(tmp_path):
    done = _python("import engine.recording, engine.prompts, engine.bootstrap, admin_web\n"
                   "from admin_web import create_app\n"
                   f"create_app(overrides={{'DATABASE_URL': 'sqlite:///{tmp_path / 'c.db'}', 'SECRET_KEY': 't'}})\n"
                   "print('imported')", tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "imported", done.stderr[-2000:]
    assert "ffmpeg" not in done.stderr


def test_a_wav_prompt_is_converted_and_an_mp3_refused_with_the_reason(tmp_path):
    done = _python("import io, wave\n"
                   "from engine.prompts import PromptError, convert\n"
                   "buf = io.BytesIO()\n"
                   "with wave.open(buf, 'wb') as w:\n"
                   "    w.setnchannels(2); w.setsampwidth(2); w.setframerate(44100)\n"
                   "    w.writeframes(b'\\x10\\x00' * 2 * 22050)\n"
                   "paths = convert(buf.getvalue(), 'welcome.wav', '.')\n"
                   "print(sorted(paths))\n"
                   "try:\n"
                   "    convert(b'ID3...', 'menu.mp3', '.')\n"
                   "except PromptError as exc:\n"
                   "    print(exc)\n", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    converted, refusal = done.stdout.splitlines()
    assert converted == "[8000, 16000]"
    assert refusal == "cannot decode .mp3 files here: install ffmpeg, or upload a WAV file"
    with open(tmp_path / "16000" / "welcome.wav", "rb") as fh:
        assert fh.read(4) == b"RIFF"
    assert "ffmpeg or avconv" not in done.stderr


def test_a_recording_other_than_wav_is_kept_with_its_duration_unknown_and_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)              # no ffmpeg here
    path = tmp_path / "call.mp3"
    path.write_bytes(b"ID3\x03\x00" + b"\x00" * 200)
    facts = inspect(str(path))
    assert (facts.status, facts.size_bytes, facts.duration_s) == ("complete", 205, None)
    assert len(facts.checksum) == 64
    assert facts.problem == "duration unknown: ffmpeg is not installed"
