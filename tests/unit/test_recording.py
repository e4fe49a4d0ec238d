"""Reading a finished recording's facts from its WAV header, without decoding the audio."""
import wave

from engine.recording import inspect


def write_wav(path, seconds, channels=2):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * channels * int(8000 * seconds))


def test_a_stereo_recording_has_its_duration_size_and_checksum(tmp_path):
    path = tmp_path / "call.wav"
    write_wav(path, 3.5)
    facts = inspect(str(path))
    assert (facts.status, facts.duration_s, facts.size_bytes) == ("complete", 3.5, path.stat().st_size)
    assert len(facts.checksum) == 64


def test_a_truncated_recording_is_flagged_damaged_not_hidden(tmp_path):
    path = tmp_path / "call.wav"
    write_wav(path, 3.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert inspect(str(path)).status == "damaged"
    path.write_bytes(b"RIFF\x00\x00garbage")
    assert inspect(str(path)).status == "damaged"
    assert inspect(str(tmp_path / "gone.wav")).status == "missing"
