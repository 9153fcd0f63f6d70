"""Bad input to the witness and to SDSI_WITNESSES: a clear refusal, never a crash.
Generated bodies never make add-checkpoint fail with anything but a 4xx."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import ConfigError
from ledger.notes import sign_note
from ledger.witness_app import MAX_BODY, WitnessApp
from ledger.witness_config import witnesses_settings
from ledger.witness_state import WitnessState, WitnessStateError
from tests.ledger.witness_helpers import HandLog, new_witness

ORIGIN = "ville.example/sdsi"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> WitnessApp:
    directory = tmp_path_factory.mktemp("w") / "w"
    new_witness(directory, "w.example/w", HandLog(ORIGIN))
    return WitnessApp(WitnessState.open(directory))


LOG = HandLog(ORIGIN).grow(3)
LINE = st.sampled_from(
    [
        "old 0",
        "old 3",
        "old 01",
        "",
        base64.b64encode(bytes(32)).decode(),
        "AAAA",
        "— x AAAA",
        ORIGIN,
        "3",
        "\u2014",
        *LOG.note().split("\n"),
    ]
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.lists(LINE, max_size=12).map("\n".join), st.text(max_size=200)))
def test_generated_bodies_get_a_client_error(app: WitnessApp, body: str) -> None:
    answer = app.add_checkpoint(body.encode())
    if answer.status == 200:  # a valid first checkpoint can be generated: fine
        assert answer.body.startswith("— w.example/w ")
        return
    assert answer.status in (400, 403, 404, 409, 422), answer


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("prefecture https://w.example", "expected 'LABEL URL VKEY'"),
        ("pré https://w.example w+00000000+AA==", "label 'pré'"),
        ("p ftp://w.example w+00000000+AA==", "is not an http(s) URL"),
        ("p https://w.example w+00000000+AA==", "not an Ed25519 cosignature key"),
        ("p https://w.example nothing", "is not a witness vkey"),
    ],
)
def test_bad_witness_settings_are_refused_naming_the_entry(
    raw: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        witnesses_settings(raw)
    assert "SDSI_WITNESSES" in str(caught.value)
    assert message in str(caught.value)


def test_a_log_key_of_the_wrong_type_or_name_is_refused(tmp_path: Path) -> None:
    state = WitnessState.init(tmp_path / "w", "w.example/w")
    log = HandLog(ORIGIN)
    with pytest.raises(WitnessStateError, match="is not the origin"):
        state.add_log("autre.example/log", log.vkey)
    with pytest.raises(WitnessStateError, match="not an Ed25519 note vkey"):
        state.add_log(ORIGIN, state.cosigner.vkey().replace("w.example/w", ORIGIN))
    with pytest.raises(WitnessStateError, match="witness name"):
        WitnessState.init(tmp_path / "x", "a name")
    witness = state.cosigner.vkey()
    entry = f"p https://w.example {witness}\nq https://v.example {witness}"
    with pytest.raises(ConfigError, match="listed twice"):
        witnesses_settings(entry)
    [parsed] = witnesses_settings(f"p https://w.example/ {witness}")
    assert parsed.endpoint == "https://w.example/add-checkpoint"


@pytest.mark.parametrize("length", ["-1", "-70000", "x"])
def test_a_negative_or_bad_content_length_is_refused_before_reading(
    app: WitnessApp, length: str
) -> None:
    stream = io.BytesIO(b"x" * (MAX_BODY + 1))
    environ = {
        "PATH_INFO": "/add-checkpoint",
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": length,
        "wsgi.input": stream,
    }
    answer = app.dispatch(environ)
    assert (answer.status, answer.body, stream.tell()) == (
        400,
        "bad Content-Length\n",
        0,
    )


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("\u0663", "tree size '\u0663' is not a decimal number"),  # Arabic-Indic 3
        ("\u00b2", "tree size '\u00b2' is not a decimal number"),  # superscript 2
        ("9223372036854775808", "tree size 9223372036854775808 is above"),
        ("18446744073709551616", "tree size '18446744073709551616' is not a decimal"),
        ("9" * 5000, "tree size '9999999999"),
    ],
)
def test_a_signed_checkpoint_with_a_size_no_database_holds_is_a_400(
    tmp_path: Path, size: str, message: str
) -> None:
    """Signed by the trusted key, yet not a C2SP size (``isdigit`` takes "٣" and
    "²"), or past what a database column holds: refused, nothing cosigned (it was
    an OverflowError, a 500, and "٣" was cosigned as 3)."""
    log = HandLog(ORIGIN).grow(3)
    new_witness(tmp_path / "w", "w.example/w", log)
    witness = WitnessApp(WitnessState.open(tmp_path / "w"))
    text = f"{ORIGIN}\n{size}\n{base64.b64encode(bytes(32)).decode()}\n"
    body = b"old 0\n\n" + sign_note(text, ORIGIN, log.key).encode()
    answer = witness.add_checkpoint(body)
    assert answer.status == 400, answer
    assert answer.body.startswith(message), answer.body
    assert witness.add_checkpoint(log.body(0)).status == 200  # nothing was held
