"""Upload forms: a flow file (validated before it is written) and a prompt recording."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional, Regexp


class FlowUploadForm(FlaskForm):
    """A YAML flow file; `target` (a file stem) replaces that file whatever the upload is called."""

    file = FileField(_l("Flow file (YAML)"), validators=[FileRequired(_l("Choose a file to upload."))])
    target = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,63}$")])


class PromptUploadForm(FlaskForm):
    """A recording in any common format, and the prompt name (default: the file name)."""

    file = FileField(_l("Recording (WAV; MP3, M4A, OGG… need ffmpeg)"),
                     validators=[FileRequired(_l("Choose a file to upload."))])
    name = StringField(_l("Prompt name (optional)"), filters=[lambda v: v.strip() if v else v],
                       validators=[Optional(), Length(max=64),
                                   Regexp(r"^[A-Za-z0-9_\-]+$",
                                          message=_l("Use letters, digits, _ or - only (no extension)."))])
