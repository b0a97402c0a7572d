"""The CLI's error lines never carry the service's control characters raw (a forged log
line, terminal escapes): issue 17, point 5."""

from __future__ import annotations

import json
import os

import pytest

from obs_workflow_async import cli
from obs_workflow_async.testing import FakeWorkflowServer
from obs_workflow_async.testing.faults import Fault

HOSTILE = "denied\r\n2026-01-01 INFO forged\x1b[2J\x7f\x9b\u2028\u202e"
RAW = ("\r", "\x1b", "\x7f", "\x9b", "\u2028", "\u202e")
# XML 1.0 cannot carry ESC (such a body is unreadable, as the official SDK reads it) and
# turns a literal CR into LF: the XML shape sends CR as a character reference, no ESC.
HOSTILE_XML = "denied\r\n2026-01-01 INFO forged\x7f\x9b\u2028\u202e"


@pytest.mark.parametrize("shape", ["v2 json", "v3 json", "xml"])
def test_error_line_on_stderr_escapes_service_text(
    obs_fake_server: FakeWorkflowServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    shape: str,
) -> None:
    if shape == "xml":
        text = HOSTILE_XML.replace("\r", "&#13;")
        body = f"<Error><Code>Bad</Code><Message>{text}</Message></Error>"
        content_type = "application/xml"
    else:
        fields = ("code", "message") if shape == "v2 json" else ("error_code", "error_msg")
        body = json.dumps(dict(zip(fields, ("Bad\x1b", HOSTILE), strict=True)))
        content_type = "application/json"
    obs_fake_server.add_fault(
        Fault("status", 400, body=body, content_type=content_type), operation="start"
    )
    monkeypatch.setenv("OBS_ACCESS_KEY_ID", obs_fake_server.access_key_id)
    monkeypatch.setenv("OBS_SECRET_ACCESS_KEY", obs_fake_server.secret_access_key)
    monkeypatch.setenv("OBS_SERVER", obs_fake_server.url)
    assert os.environ["OBS_SERVER"] == obs_fake_server.url
    status = cli.main(["start", "g", "--bucket", "media", "--object", "k"])
    err = capsys.readouterr().err
    assert status == 1
    assert "forged" in err  # the message is shown...
    for char in RAW:
        assert char not in err, (char, err)  # ...with its control characters escaped
    assert err.count("\n") == 1  # one error line
    expected = HOSTILE_XML if shape == "xml" else HOSTILE
    assert json.loads(err)["message"] == expected  # the JSON still decodes to the data
    assert obs_fake_server.attempts["g"] == 1
