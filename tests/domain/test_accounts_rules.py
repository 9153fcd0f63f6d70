"""Accounts and role grants: who may register, grant, revoke, disable; reasons."""

from __future__ import annotations

from domain.errors import (
    AccountDisabled,
    AlreadyExists,
    CurrentPasswordRequired,
    InvalidValue,
    NotAllowed,
    NotFound,
    PasswordUnchanged,
    ReasonRequired,
    RoleAlreadyGranted,
    RoleNotHeld,
    UnknownActor,
    WrongPassword,
)
from domain.values import Origin
from ledger.app import Ledger
from ledger.core import Caller
from tests.domain.builders import (
    ADMIN,
    DSI,
    PASSWORD,
    Town,
    by,
    events_since,
    names_since,
    refused,
)


def test_registering_an_account_is_refused_to_a_non_administrator(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.add_user(DSI, "newbie", "Nouvel agent", PASSWORD)
    assert err.value.params == {
        "actor": "dsi",
        "action": "créer un compte",
        "roles": "dsi",
    }
    assert err.value.status == 403


def test_administrator_registers_an_account_with_its_roles(
    ledger: Ledger, town: Town
) -> None:
    head = ledger.head()
    ledger.add_user(
        ADMIN,
        "newbie",
        "Nouvel agent",
        PASSWORD,
        email="newbie@ville.fr",
        roles=[("evaluator", None), ("referent", "EDU")],
    )
    assert names_since(ledger, head) == [
        "Account.Registered",
        "Account.RoleGranted",
        "Account.RoleGranted",
    ]
    account = ledger.account("newbie")
    assert account is not None
    assert (account.display_name, account.email, account.grants, account.active) == (
        "Nouvel agent",
        "newbie@ville.fr",
        ["evaluator", "referent:EDU"],
        True,
    )


def test_registering_an_existing_login_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, AlreadyExists) as err:
        ledger.add_user(ADMIN, "m1", "Doublon", PASSWORD)
    assert err.value.params == {"kind": "Compte", "id": "m1"}


def test_malformed_login_is_refused_naming_the_field(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.add_user(ADMIN, "Jean Dupont", "Jean", PASSWORD)
    assert err.value.field == "username"
    assert err.value.params["value"] == "Jean Dupont"


def test_role_grant_without_reason_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, ReasonRequired) as err:
        ledger.grant_role(by("admin"), "m1", "evaluator")
    assert err.value.field == "reason"
    assert err.value.params == {"action": "attribuer un rôle"}


def test_role_grant_with_reason_is_recorded_with_actor_and_reason(
    ledger: Ledger, town: Town
) -> None:
    head = ledger.head()
    ledger.grant_role(by("admin", "nouvelle évaluatrice"), "m1", "evaluator")
    (event,) = events_since(ledger, head)
    assert (type(event).__qualname__, event.role, event.scope) == (
        "Account.RoleGranted",
        "evaluator",
        None,
    )
    assert (event.context.actor, event.context.reason) == (
        "admin",
        "nouvelle évaluatrice",
    )
    account = ledger.account("m1")
    assert account is not None and account.grants == ["member", "evaluator"]


def test_role_grant_by_a_non_administrator_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.grant_role(by("chair", "promotion"), "m1", "chair")
    assert err.value.params["action"] == "attribuer un rôle"


def test_granting_a_role_already_held_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, RoleAlreadyGranted) as err:
        ledger.grant_role(ADMIN, "m1", "member")
    assert err.value.params == {"username": "m1", "role": "member"}


def test_unknown_role_is_refused_naming_the_field(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.grant_role(ADMIN, "m1", "superuser")
    assert (err.value.field, err.value.params["value"]) == ("role", "superuser")


def test_referent_role_without_a_direction_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.grant_role(ADMIN, "m1", "referent")
    assert err.value.field == "scope"


def test_scope_on_an_unscoped_role_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.grant_role(ADMIN, "m1", "dsi", "FIN")
    assert (err.value.field, err.value.params["value"]) == ("scope", "FIN")


def test_referent_scope_naming_no_existing_direction_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotFound) as err:
        ledger.grant_role(ADMIN, "m1", "referent", "URB")
    assert err.value.params == {"kind": "Direction", "id": "URB"}
    with refused(ledger, NotFound):
        ledger.add_user(
            ADMIN, "ref.urb", "Urbanisme", PASSWORD, roles=[("referent", "URB")]
        )


def test_referent_scope_naming_an_existing_direction_is_granted(
    ledger: Ledger, town: Town
) -> None:
    ledger.grant_role(ADMIN, "m1", "referent", "EDU")
    account = ledger.account("m1")
    assert account is not None and account.grants == ["member", "referent:EDU"]


def test_revoking_a_role_not_held_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, RoleNotHeld) as err:
        ledger.revoke_role(ADMIN, "m1", "evaluator")
    assert err.value.params == {"username": "m1", "role": "evaluator"}


def test_revocation_without_reason_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, ReasonRequired) as err:
        ledger.revoke_role(by("admin"), "m1", "member")
    assert err.value.params == {"action": "retirer un rôle"}


def test_revocation_with_reason_removes_the_role(ledger: Ledger, town: Town) -> None:
    head = ledger.head()
    ledger.revoke_role(by("admin", "fin de mandat"), "m1", "member")
    assert names_since(ledger, head) == ["Account.RoleRevoked"]
    account = ledger.account("m1")
    assert account is not None and account.grants == []


def test_disabling_without_reason_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, ReasonRequired) as err:
        ledger.disable_user(by("admin"), "m1")
    assert err.value.params == {"action": "désactiver un compte"}


def test_disabling_a_disabled_account_is_refused(ledger: Ledger, town: Town) -> None:
    ledger.disable_user(ADMIN, "m1")
    with refused(ledger, AccountDisabled) as err:
        ledger.disable_user(ADMIN, "m1")
    assert err.value.params == {"username": "m1"}


def test_disabled_account_can_no_longer_act(ledger: Ledger, town: Town) -> None:
    ledger.disable_user(by("admin", "départ"), "dsi")
    account = ledger.account("dsi")
    assert account is not None and account.active is False
    with refused(ledger, UnknownActor) as err:
        ledger.create_pole(DSI, "PXX", "Pôle")
    assert err.value.params == {"actor": "dsi"}


def test_re_enabled_account_acts_again(ledger: Ledger, town: Town) -> None:
    ledger.disable_user(by("admin", "départ"), "dsi")
    ledger.enable_user(ADMIN, "dsi")
    ledger.create_pole(DSI, "PXX", "Pôle")
    account = ledger.account("dsi")
    assert account is not None and account.active is True


def test_unknown_actor_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, UnknownActor) as err:
        ledger.create_pole(by("intrus"), "PXX", "Pôle")
    assert err.value.params == {"actor": "intrus"}


def test_changing_another_account_password_is_refused_even_to_an_administrator(
    ledger: Ledger, town: Town
) -> None:
    for actor in ("m1", "admin"):
        with refused(ledger, NotAllowed) as err:
            ledger.change_password(by(actor), "m2", PASSWORD, "another-password-1")
        assert err.value.params["action"] == "changer le mot de passe d'un autre compte"


def test_resetting_a_password_is_refused_to_a_non_administrator(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.reset_password(by("m1"), "m2", "another-password-1")
    assert err.value.params["action"] == "réinitialiser le mot de passe d'un compte"


def test_one_changes_ones_own_password_giving_the_current_one(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, WrongPassword) as wrong:
        ledger.change_password(by("m1"), "m1", "not-the-password", "another-password-1")
    assert (wrong.value.field, wrong.value.status) == ("current_password", 422)
    with refused(ledger, PasswordUnchanged):
        ledger.change_password(by("m1"), "m1", PASSWORD, PASSWORD)
    head = ledger.head()
    ledger.change_password(by("m1"), "m1", PASSWORD, "another-password-1")
    assert names_since(ledger, head) == ["Account.PasswordChanged"]
    assert ledger.authenticate("m1", "another-password-1") is not None
    assert ledger.authenticate("m1", PASSWORD) is None


def test_a_reset_needs_a_reason_and_forces_a_change_unless_told_not_to(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, ReasonRequired):
        ledger.reset_password(Caller(actor="admin"), "m2", "temporary-pass-1")
    head = ledger.head()
    ledger.reset_password(ADMIN, "m2", "temporary-pass-1")
    assert names_since(ledger, head) == ["Account.PasswordReset"]
    assert ledger.account("m2").must_change_password is True
    assert ledger.storage.must_change_password("m2") is True
    ledger.change_password(by("m2"), "m2", "temporary-pass-1", "my-own-pass-22")
    assert ledger.account("m2").must_change_password is False
    assert ledger.storage.must_change_password("m2") is False
    ledger.reset_password(ADMIN, "m2", "temporary-pass-2", force_change=False)
    assert ledger.storage.must_change_password("m2") is False


def test_an_administrator_resets_their_own_password_only_from_the_command_line(
    ledger: Ledger, town: Town
) -> None:
    for origin in (Origin.WEB, Origin.API):
        with refused(ledger, CurrentPasswordRequired):
            ledger.reset_password(
                Caller(actor="admin", origin=origin, reason="oubli"),
                "admin",
                "new-admin-pass-1",
            )
    ledger.reset_password(
        Caller(actor="admin", origin=Origin.CLI, reason="bris de glace"),
        "admin",
        "new-admin-pass-1",
        force_change=False,
    )
    assert ledger.authenticate("admin", "new-admin-pass-1") is not None


def test_a_new_password_too_short_or_too_simple_is_refused_naming_the_field(
    ledger: Ledger, town: Town
) -> None:
    for weak in ("court-9ch", "0123456789", "abababababab"):
        with refused(ledger, InvalidValue) as err:
            ledger.reset_password(ADMIN, "m2", weak)
        assert err.value.field == "password"
        with refused(ledger, InvalidValue) as err:
            ledger.change_password(by("m1"), "m1", PASSWORD, weak)
        assert err.value.field == "password"
    ledger.reset_password(ADMIN, "m2", "dix-caract")  # 10 characters: enough
