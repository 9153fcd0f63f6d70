"""A real OpenLDAP server for the directory sign-in tests: Debian's ``slapd``,
configured in a temporary directory (``slapd.conf``, an MDB database loaded with
``slapadd``), listening on a free loopback port, stopped at the end.

Under ``CI=true`` a missing ``slapd`` fails the tests (``.ci/system-packages`` lists
``slapd`` and ``ldap-utils``); elsewhere they skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

SUFFIX = "dc=ville,dc=fr"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "secret-de-l-annuaire"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


def find_slapd() -> tuple[str, str]:
    slapd = shutil.which("slapd") or "/usr/sbin/slapd"
    slapadd = shutil.which("slapadd") or "/usr/sbin/slapadd"
    if not (os.path.exists(slapd) and os.path.exists(slapadd)):
        message = "slapd is not installed (apt-get install slapd ldap-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return slapd, slapadd


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def person(uid: str, name: str, password: str) -> str:
    return (
        f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
        f"cn: {name}\nsn: {name.split()[-1]}\ndisplayName: {name}\n"
        f"mail: {uid}@ville.fr\nuserPassword: {password}\n"
    )


def group(name: str, *uids: str) -> str:
    members = "".join(f"member: uid={uid},{PEOPLE}\n" for uid in uids)
    return f"dn: cn={name},{GROUPS}\nobjectClass: groupOfNames\ncn: {name}\n{members}"


class Slapd:
    """One ``slapd`` process over a database in ``root``."""

    def __init__(self, root: Path, entries: list[str], *, tls: bool = False) -> None:
        self.slapd, slapadd = find_slapd()
        self.root = root
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.tls_port = free_port() if tls else None
        self.ldaps_url = f"ldaps://127.0.0.1:{self.tls_port}" if tls else ""
        self.ca_file = root / "ca.pem" if tls else None
        tls_conf = self._certificates() if tls else ""
        (root / "db").mkdir(parents=True)
        schema_dir = Path("/etc/ldap/schema")
        includes = "".join(f"include {schema_dir / s}.schema\n" for s in SCHEMAS)
        modules = "/usr/lib/ldap"
        self.conf = root / "slapd.conf"
        self.conf.write_text(
            f"{includes}"
            f"pidfile {root}/slapd.pid\n"
            f"modulepath {modules}\nmoduleload back_mdb\n"
            f"{tls_conf}"
            "database mdb\n"
            f'suffix "{SUFFIX}"\nrootdn "{ROOT_DN}"\nrootpw {ROOT_PASSWORD}\n'
            f"directory {root}/db\nmaxsize 10485760\n"
            "access to attrs=userPassword by self write by anonymous auth by * none\n"
            "access to * by * read\n"
        )
        base = (
            f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\n"
            "dc: ville\no: Ville\n\n"
            f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
            f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n"
        )
        ldif = root / "base.ldif"
        ldif.write_text(base + "\n".join(entries))
        subprocess.run(
            [slapadd, "-f", str(self.conf), "-l", str(ldif)],
            check=True,
            capture_output=True,
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # -d 0: stays in the foreground (this process is its parent); as root, slapd
        # keeps running as root (the files are the test's own).
        self.process = subprocess.Popen(
            [
                self.slapd,
                "-f",
                str(self.conf),
                "-h",
                " ".join(u + "/" for u in (self.url, self.ldaps_url) if u),
                "-d",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"slapd exited: {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not listen within 20 s")

    def _certificates(self) -> str:
        """A throw-away CA and a certificate for 127.0.0.1 signed by it."""
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        def name(cn: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(name("CA de test"))
            .issuer_name(name("CA de test"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.BasicConstraints(ca=True, path_length=None), critical=True
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name("127.0.0.1"))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        assert self.ca_file is not None
        self.ca_file.write_bytes(ca.public_bytes(pem))
        (self.root / "server.pem").write_bytes(cert.public_bytes(pem))
        (self.root / "server.key").write_bytes(
            key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return (
            f"TLSCACertificateFile {self.ca_file}\n"
            f"TLSCertificateFile {self.root}/server.pem\n"
            f"TLSCertificateKeyFile {self.root}/server.key\n"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def modify(self, dn: str, changes: dict[str, list[tuple[str, list[str]]]]) -> None:
        """Change an entry as the directory's administrator (ldap3 MODIFY_*)."""
        from ldap3 import Connection, Server

        conn = Connection(Server(self.url), ROOT_DN, ROOT_PASSWORD, auto_bind=True)
        try:
            assert conn.modify(dn, changes), conn.result
        finally:
            conn.unbind()
