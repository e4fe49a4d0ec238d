"""Unit tests of fsim's wire format: URL encoding (obs. 13), serialisation and command framing."""
from hypothesis import given, strategies as st

from engine.fsim import wire


def test_url_encoding_matches_capture_examples():
    assert wire.url_encode("sofia/internal/13800138000@127.0.0.1:5070") == \
        "sofia/internal/13800138000%40127.0.0.1%3A5070"
    assert wire.url_encode("张三") == "%E5%BC%A0%E4%B8%89"
    assert wire.url_encode("Sun, 22 Nov 2026 18:26:31 GMT") == "Sun,%2022%20Nov%202026%2018%3A26%3A31%20GMT"
    assert wire.url_encode("fd00::2") == "fd00%3A%3A2"
    assert wire.url_encode("cc_note=hello world & more") == "cc_note%3Dhello%20world%20%26%20more"
    assert wire.url_encode('a+b#c;d<e>f?g[h]i\\j^k`l{m|n}o"p') == \
        "a%2Bb%23c%3Bd%3Ce%3Ef%3Fg%5Bh%5Di%5Cj%5Ek%60l%7Bm%7Cn%7Do%22p"
    assert wire.url_encode("/ , . - _ ~ ! $ ' ( ) *").replace("%20", " ") == "/ , . - _ ~ ! $ ' ( ) *"
    assert wire.url_encode("line\r\nx\t") == "line%0D%0Ax%09"


def test_existing_percent_sequences_are_not_double_encoded():
    assert wire.url_encode("a%20b") == "a%20b"
    assert wire.url_encode("100%") == "100%25"
    assert wire.url_encode("%zz") == "%25zz"
    assert wire.url_encode("%2a") == "%252a"   # switch_url_encode_opt only accepts uppercase hex


@given(st.text())
def test_encode_decode_roundtrip_without_percent(s):
    s = s.replace("%", "")
    enc = wire.url_encode(s)
    assert all(0x20 < ord(c) < 0x7F for c in enc)
    assert wire.url_decode(enc) == s


def test_serialize_plain_with_body_and_frame_lengths():
    headers = [("Event-Name", "BACKGROUND_JOB"), ("Job-Command-Arg", "{a=b}user/1001 &park()")]
    text = wire.serialize_plain(headers, "+OK 张\n")
    assert text == ("Event-Name: BACKGROUND_JOB\nJob-Command-Arg: %7Ba%3Db%7Duser/1001%20%26park()\n"
                    "Content-Length: 8\n\n+OK 张\n")
    frame = wire.event_frame(headers, "+OK 张\n")
    head, _, payload = frame.partition(b"\n\n")
    assert head == b"Content-Length: %d\nContent-Type: text/event-plain" % len(payload)
    assert wire.serialize_plain([("A", "b")]) == "A: b\n\n"


def test_json_serialisation_strings_and_body():
    text = wire.serialize_json([("Event-Name", "X"), ("Seq", 5), ("N", "张 \\d")], "body\n")
    assert text == '{"Event-Name":"X","Seq":"5","N":"张 \\\\d","Content-Length":"5","_body":"body\\n"}'


def test_reply_frames():
    assert wire.command_reply("+OK accepted") == b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
    assert wire.command_reply("+OK Job-UUID: x", [("Job-UUID", "x")]) == \
        b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: x\nJob-UUID: x\n\n"
    assert wire.api_response("é") == b"Content-Type: api/response\nContent-Length: 2\n\n\xc3\xa9"
    notice = wire.disconnect_notice()
    assert notice.startswith(b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n")
    assert len(notice.split(b"\n\n", 1)[1]) == 67


def test_command_parser_framing():
    p = wire.CommandParser()
    assert p.feed(b"\r\n\napi sta") == []
    assert p.feed(b"tus\r\n\r\nsendmsg u1\ncall-command: execute\nexecute-app-name:  playback\n\n") == [
        ("api status", [], None),
        ("sendmsg u1", [("call-command", "execute"), ("execute-app-name", "playback")], None)]
    out = p.feed(b"sendmsg u2\ncontent-type: text/plain\ncontent-length: 5\n\nhello" + b"exit\n\n")
    assert out[0] == ("sendmsg u2", [("content-type", "text/plain"), ("content-length", "5")], "hello")
    assert out[1] == ("exit", [], None)


def test_command_parser_rejects_huge_content_length():
    p = wire.CommandParser()
    try:
        p.feed(b"sendevent X\ncontent-length: 99999999999\n\n")
    except ValueError:
        return
    raise AssertionError("expected ValueError")
