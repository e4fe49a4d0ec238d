"""Recordings without a key: said once at INFO in demo mode (the demo's choice), as a WARNING anywhere else."""
from __future__ import annotations

import logging

import pytest

from engine import sealing


@pytest.mark.parametrize("demo,level", [(True, logging.INFO), (False, logging.WARNING)])
def test_no_recordings_key_is_logged_once_at_the_level_of_the_mode(monkeypatch, caplog, demo, level):
    monkeypatch.setattr(sealing, "_warned", False)
    monkeypatch.setattr(sealing, "_demo_mode", False)
    sealing.set_demo_mode(demo)
    caplog.set_level(logging.INFO, logger="engine.sealing")
    sealing.keyring("")
    sealing.keyring("")
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "engine.sealing"]
    assert len(said) == 1 and said[0][0] == level, said
    assert said[0][1].startswith("no recordings key configured") and ("(demo mode)" in said[0][1]) == demo
    sealing.keyring(sealing.new_key())
    assert len([r for r in caplog.records if r.name == "engine.sealing"]) == 1     # with a key: nothing to say
