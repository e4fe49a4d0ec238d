"""Recordings encrypted at rest (engine.sealing): unreadable without the key, opened with any configured key,
re-encrypted with the first one on rotation."""
import io
import os
import stat
import wave

import pytest

from engine import sealing


def wav_bytes(seconds=1.0, rate=8000):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x02\x03\x04" * int(rate * seconds))
    return buf.getvalue()


def test_a_sealed_file_holds_no_audio_and_opens_only_with_a_key(tmp_path):
    path = tmp_path / "call.wav"
    clear = wav_bytes()
    path.write_bytes(clear)
    key = sealing.new_key()
    assert sealing.seal(str(path), sealing.keyring(key))
    data = path.read_bytes()
    assert data.startswith(sealing.MAGIC) and b"RIFF" not in data[:64] and clear[100:200] not in data
    assert data[len(sealing.MAGIC):].isascii()                          # a Fernet token: base64 text only
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not sealing.seal(str(path), sealing.keyring(key))            # once only
    assert sealing.open_audio(str(path), sealing.keyring(key)) == clear
    with pytest.raises(sealing.SealError):
        sealing.open_audio(str(path), sealing.keyring(sealing.new_key()))
    with pytest.raises(sealing.SealError):
        sealing.open_audio(str(path), None)


def test_rotation_new_key_first_reseal_then_the_old_key_can_go(tmp_path):
    path = tmp_path / "call.wav"
    clear = wav_bytes()
    path.write_bytes(clear)
    old, new = sealing.new_key(), sealing.new_key()
    sealing.seal(str(path), sealing.keyring(old))
    both = sealing.keyring(f"{new},{old}")
    assert sealing.open_audio(str(path), both) == clear                 # either key opens it meanwhile
    sealing.reseal(str(path), both)
    assert sealing.open_audio(str(path), sealing.keyring(new)) == clear  # the old key is no longer needed
    with pytest.raises(sealing.SealError):
        sealing.open_audio(str(path), sealing.keyring(old))


def test_the_store_writer_seals_a_closed_recording_after_storing_the_facts_of_its_clear_audio(tmp_path, sqlite_url):
    from sqlalchemy import select
    from engine.domain.commands import SaveRecording
    from engine.store.models import Recording
    from engine.store.session import make_engine, make_session_factory
    from engine.store_writer import StoreWriter
    path = tmp_path / "rec.wav"
    path.write_bytes(wav_bytes(2.0))
    db = make_engine(sqlite_url)
    key = sealing.new_key()
    writer = StoreWriter(make_session_factory(db), keys=sealing.keyring(key))
    start = SaveRecording(str(path), "u1", "13800000000", "12366", "8001", None, "1001", None, 100.0)
    writer.write([start])
    assert not sealing.is_sealed(str(path))                             # still being written by the switch
    writer.write([SaveRecording(str(path), "u1", "", "", "", None, "", None, 0.0, stopped_at=102.0,
                                record_ms=2000)])
    assert sealing.is_sealed(str(path))
    with make_session_factory(db)() as session:
        row = session.scalar(select(Recording))
        assert (row.status, row.duration_s) == ("complete", 2.0) and row.checksum
    db.dispose()


def test_a_demo_without_keys_seals_with_the_demo_key_and_a_real_key_takes_its_files_over(tmp_path):
    """Demo mode (no [keys] recordings): nothing lies on disk as plain audio; once `callcenter init` gave a key,
    every keyring still opens the demo's files and `recordings reseal` moves them under the new key."""
    path = tmp_path / "demo.wav"
    clear = wav_bytes()
    path.write_bytes(clear)
    assert sealing.seal(str(path), sealing.keyring(""))
    data = path.read_bytes()
    assert data.startswith(sealing.MAGIC) and b"RIFF" not in data[:64] and clear[100:200] not in data
    own = sealing.new_key()
    assert sealing.open_audio(str(path), sealing.keyring(own)) == clear
    sealing.reseal(str(path), sealing.keyring(own))
    from cryptography.fernet import Fernet, MultiFernet
    assert sealing.open_audio(str(path), MultiFernet([Fernet(own)])) == clear   # under the new key alone now
    with pytest.raises(sealing.SealError):
        sealing.open_audio(str(path), MultiFernet([Fernet(sealing.DEMO_KEY)]))


def test_the_demo_key_counts_as_a_shipped_secret():
    import dataclasses
    from engine.config import load_config, shipped_secrets
    config = load_config(env={})
    assert "keys.recordings" in shipped_secrets(dataclasses.replace(config, recording_keys=sealing.DEMO_KEY))
    assert "keys.recordings" not in shipped_secrets(dataclasses.replace(config, recording_keys=sealing.new_key()))
