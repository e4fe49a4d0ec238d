"""Prompt upload conversion: any sample rate/channels in, mono 16-bit 8 kHz and 16 kHz WAV out."""
import io
import math
import shutil
import struct
import wave

import pytest

from engine.prompts import PromptError, convert


def wav_bytes(rate=44100, channels=2, seconds=0.5):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(struct.pack("<h", int(3000 * math.sin(i / 10))) * channels for i in range(int(rate * seconds)))
        w.writeframes(frames)
    return buf.getvalue()


def test_a_stereo_44k_wav_becomes_mono_8k_and_16k_prompts(tmp_path):
    paths = convert(wav_bytes(), "welcome_new.wav", tmp_path)
    for rate, path in paths.items():
        with wave.open(str(path)) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, rate)
            assert abs(w.getnframes() / rate - 0.5) < 0.02
    assert paths[8000] == tmp_path / "welcome_new.wav" and paths[16000] == tmp_path / "16000" / "welcome_new.wav"


@pytest.mark.parametrize("data,name,message", [
    (b"not audio at all", "x.wav", "not a readable wav audio file"),
    (wav_bytes(seconds=0), "empty.wav", "empty"),
    (wav_bytes(seconds=0.1), "bad name!.wav", "must be 1-64 letters"),
])
def test_bad_uploads_are_refused_with_the_reason(tmp_path, data, name, message):
    with pytest.raises(PromptError, match=message):
        convert(data, name, tmp_path)
    assert not any(tmp_path.iterdir())


def test_compressed_formats_need_ffmpeg(tmp_path):
    if shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is installed here: mp3 decoding is available")
    with pytest.raises(PromptError, match="install ffmpeg"):
        convert(b"ID3...", "menu.mp3", tmp_path)
