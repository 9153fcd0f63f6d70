"""``sdsi mail status`` and ``sdsi mail work --once`` as an operator runs them, and
the SMTP settings they read (SDSI_SMTP_URL, SDSI_MAIL_FROM, SDSI_BASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger.errors import ConfigError
from ledger.mail_config import SmtpSettings, mail_settings
from ledger.outbox import Outbox
from sdsi.cli import main
from tests.smtp_sink import SmtpSink


def sdsi(*args: str, env: dict[str, str]) -> Result:
    """``sdsi ARGS`` in this process (the CLI tests run it as a subprocess)."""
    return CliRunner().invoke(
        main, list(args), env={**env, "SDSI_PASSWORD_HASHING": "fast"}
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.ville.fr", SmtpSettings("relay.ville.fr", 25, False, False)),
        (
            "smtp://sdsi%40ville.fr:p%3Ass@relay:587?starttls=1",
            SmtpSettings("relay", 587, False, True, "sdsi@ville.fr", "p:ss"),
        ),
        ("smtps://relay", SmtpSettings("relay", 465, True, False)),
    ],
)
def test_smtp_urls_are_read(url: str, expected: SmtpSettings) -> None:
    assert mail_settings({"SDSI_SMTP_URL": url}).smtp == expected


@pytest.mark.parametrize(
    "env",
    [
        {"SDSI_SMTP_URL": "http://relay"},
        {"SDSI_SMTP_URL": "smtps://relay?starttls=1"},
        {"SDSI_SMTP_URL": "smtp://relay:port"},
        {"SDSI_MAIL_FROM": "sdsi@ville.fr\r\nBcc: x@evil.fr"},
        {"SDSI_MAIL_FROM": "pas une adresse"},
        {"SDSI_BASE_URL": "javascript:alert(1)"},
    ],
)
def test_bad_mail_settings_are_refused_in_one_line(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        mail_settings(env)


def test_status_and_work_once(tmp_path: Path) -> None:
    # SQLite only: the worker's storage is tested on both backends in test_mailer
    database_url = f"sqlite:///{tmp_path}/ledger.db"
    env = {"SDSI_DATA_DIR": str(tmp_path / "data"), "SDSI_DATABASE_URL": database_url}
    assert sdsi("init", "--admin-password", "first-admin-pass", env=env).exit_code == 0
    status = sdsi("mail", "status", env=env)
    assert status.exit_code == 0, status.output
    assert status.stdout.splitlines() == [
        "SMTP: not configured (SDSI_SMTP_URL unset): nothing is sent",
        "queued: 0",
        "sent: 0",
        "failed: 0",
    ]
    refused = sdsi("mail", "work", "--once", env=env)
    assert refused.exit_code == 1
    assert "SDSI_SMTP_URL is not set" in refused.output

    from ledger.app import open_ledger
    from tests.conftest import make_settings

    led = open_ledger(make_settings(tmp_path / "data", database_url))
    try:
        Outbox(led.storage).add(key="k", recipient="a@ville.fr", subject="S", text="T")
    finally:
        led.close()
    sink = SmtpSink().start()
    try:
        mail_env = {**env, "SDSI_SMTP_URL": sink.url, "SDSI_MAIL_FROM": "s@ville.fr"}
        done = sdsi("mail", "work", "--once", env=mail_env)
        assert done.exit_code == 0, done.output
        assert done.stdout.splitlines()[-1] == "sent 1, to retry 0, failed 0"
        after = sdsi("mail", "status", env=mail_env)
    finally:
        sink.stop()
    assert len(sink.messages) == 1
    assert after.stdout.splitlines() == [
        f"SMTP: smtp://127.0.0.1:{sink.port}, from s@ville.fr",
        "queued: 0",
        "sent: 1",
        "failed: 0",
    ]
