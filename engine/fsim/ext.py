"""Registration of the call-control extensions (transfer, hold, broadcast, recording, bridge app, eavesdrop,
conference) into the api table (commands.TABLE) and the application table (apps.APPS)."""
from . import bridge_app, broadcast, conference, eavesdrop, hold, pstn, recording, transfer

API = {
    "uuid_transfer": transfer.api_uuid_transfer, "uuid_hold": hold.api_uuid_hold,
    "uuid_broadcast": broadcast.api_uuid_broadcast, "uuid_break": broadcast.api_uuid_break,
    "uuid_record": recording.api_uuid_record, "conference": conference.api_conference,
}

APPS = {
    "transfer": transfer.app_transfer, "bridge": bridge_app.app_bridge,
    "record_session": recording.app_record_session, "stop_record_session": recording.app_stop_record_session,
    "eavesdrop": eavesdrop.app_eavesdrop, "three_way": eavesdrop.app_three_way,
    "conference": conference.app_conference, "record": pstn.app_record,
}


def register():
    """Install the extensions into the api and application tables (idempotent)."""
    from . import apps, commands
    commands.TABLE.update(API)
    apps.APPS.update(APPS)


register()
