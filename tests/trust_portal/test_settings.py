"""Settings are read from the environment, strictly."""

from __future__ import annotations

import copy
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.tasks import email_followers_of_version
from trust_portal.api.throttling import ClientRateThrottle
from trust_portal.env import Env, parse_database_url, parse_rate

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = ROOT / "trust_portal" / "settings.py"
PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    " 'eager': s.CELERY_TASK_ALWAYS_EAGER, 'debug': s.DEBUG, 'secret': bool(s.SECRET_KEY)}))"
)


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "trust_portal.settings"}
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-0123456789abcdefXYZ",
    "ALLOWED_HOSTS": "trust.example.com",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
    "CACHE_URL": "redis://cache.internal:6379/1",
    "SITE_URL": "https://trust.example.com",
}


def test_empty_environment_is_the_embedded_default() -> None:
    result = run_python(PRINT_SETTINGS, {})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["name"].endswith("db.sqlite3")
    assert seen["eager"] is True
    assert seen["debug"] is True
    assert seen["secret"] is True


def test_production_environment_passes_check_deploy() -> None:
    result = run_python("", PRODUCTION_ENV, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_environment_uses_postgres_and_a_real_broker() -> None:
    result = run_python(PRINT_SETTINGS, PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {
        "engine": "trust_portal.postgresql",
        "name": "portal",
        "eager": False,
        "debug": False,
        "secret": True,
    }


def test_malformed_database_url_fails_at_start_naming_it() -> None:
    result = run_python(PRINT_SETTINGS, {"DATABASE_URL": "mysql//nonsense"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("CELERY_BROKER_URL", "amqp:/nowhere"),
        ("SECURE_HSTS_SECONDS", "a year"),
        ("LOGIN_FAILURE_LIMIT", "0"),
    ],
)
def test_malformed_variable_fails_naming_it(name: str, value: str) -> None:
    result = run_python(PRINT_SETTINGS, {name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_production_without_secret_key_refuses_to_start() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_sqlite_database_url_keeps_the_concurrency_options_of_the_default() -> None:
    options = parse_database_url("DATABASE_URL", "sqlite:////tmp/x.db")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] == 20
    assert "journal_mode=WAL" in options["init_command"]


def test_database_url_parsing() -> None:
    config = parse_database_url("DATABASE_URL", "postgresql://u:p%40ss@h:6543/db?sslmode=require")
    assert config["NAME"] == "db"
    assert config["PASSWORD"] == "p@ss"
    assert config["PORT"] == "6543"
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert parse_database_url("X", "sqlite:////tmp/x.db")["NAME"] == "/tmp/x.db"
    with pytest.raises(ImproperlyConfigured, match="names no database"):
        parse_database_url("DATABASE_URL", "postgres://h:5432/")
    with pytest.raises(ImproperlyConfigured, match="port is not a number"):
        parse_database_url("DATABASE_URL", "postgres://h:port/db")


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("postgres://u@DB.Internal:5432/db", "DB.Internal", "5432"),
        ("postgres://u@%2Fvar%2Frun%2Fpostgresql/db", "/var/run/postgresql", ""),  # a socket directory, as libpq
        ("postgres://u:p@[::1]:5433/db", "::1", "5433"),
        ("postgres:///db", "", ""),
    ],
)
def test_database_url_hosts(url: str, host: str, port: str) -> None:
    config = parse_database_url("DATABASE_URL", url)
    assert (config["HOST"], config["PORT"], config["NAME"]) == (host, port, "db")


def test_bool_reader_is_strict() -> None:
    env = Env({"A": "yes", "B": "0", "C": "perhaps"})
    assert env.bool("A", default=False) is True
    assert env.bool("B", default=True) is False
    assert env.bool("MISSING", default=True) is True
    with pytest.raises(ImproperlyConfigured, match="C="):
        env.bool("C", default=False)


# --- every variable, strictly ---------------------------------------------------------------


class RecordingEnviron(dict[str, str]):
    """An environment that remembers which variables were asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(name)
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        self.asked.add(str(name))
        return super().__contains__(name)


def settings_from(values: dict[str, str]) -> dict[str, Any]:
    """Execute the settings module afresh, in this process, as start-up would, with exactly ``values`` as its environment."""
    environ = RecordingEnviron(values)
    with mock.patch.object(os, "environ", environ):
        namespace = runpy.run_path(str(SETTINGS_FILE))
    namespace["_asked"] = environ.asked
    return namespace


def refused(values: dict[str, str]) -> str:
    with pytest.raises(ImproperlyConfigured) as caught:
        settings_from(values)
    return str(caught.value)


def readme_variables() -> set[str]:
    """The variables named in the first column of the README's table under "Production setup"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Production setup", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


# Variables whose every value is meaningful: user names and passwords are opaque strings, and the log key
# is parsed by transparency.log and refused by its system check (see the LOG_SIGNING_KEY test below).
FREE_TEXT = {"EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "LOG_SIGNING_KEY"}
# One malformed value per variable of the README table, and the environment it is malformed in.
MALFORMED: dict[str, tuple[str, dict[str, str]]] = {
    "DEBUG": ("maybe", {}),
    "SECRET_KEY": ("too-short", PRODUCTION_ENV),
    "ALLOWED_HOSTS": ("https://trust.example.com", {}),
    "CSRF_TRUSTED_ORIGINS": ("trust.example.com", {}),
    "SITE_URL": ("trust.example.com", {}),
    "DATABASE_URL": ("mysql//nonsense", {}),
    "CELERY_BROKER_URL": ("amqp:/nowhere", {}),
    "CELERY_RESULT_BACKEND": ("memory://", {}),
    "CELERY_QUEUE": ("", {}),
    "CACHE_URL": ("redis://cache:port/1", {}),
    "SECURE_COOKIES": ("sometimes", {}),
    "SECURE_SSL_REDIRECT": ("2", {}),
    "SECURE_HSTS_SECONDS": ("-1", {}),
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": ("y", {}),
    "SECURE_HSTS_PRELOAD": ("please", {}),
    "SECURE_PROXY_SSL_HEADER": ("X-Forwarded-Proto", {}),
    "API_THROTTLE_RATE": ("fast", {}),
    "API_THROTTLE_RATE_ANON": ("10/fortnight", {}),
    "TRUSTED_PROXIES": ("-1", {}),
    "PAGE_THROTTLE_RATE": ("0/minute", {}),
    "PAGE_THROTTLE_RATE_ANON": ("lots", {}),
    "API_PAGE_SIZE_MAX_ANON": ("0", {}),
    "API_PAGE_SIZE_MAX": ("1e3", {}),
    "API_PAGE_MAX_BYTES": ("1MiB", {}),
    "SCORE_HALF_LIFE_DAYS": ("0", {}),
    "TIER_UPGRADE_DAYS": ("two weeks", {}),
    "WEBHOOK_ALLOW_PRIVATE": ("sometimes", {}),
    "RECEIPT_SECONDS": ("5", {}),
    "LOGIN_FAILURE_LIMIT": ("0", {}),
    "LOGIN_FAILURE_IP_LIMIT": ("many", {}),
    "LOGIN_FAILURE_USER_LIMIT": ("0", {}),
    "LOGIN_FAILURE_WINDOW_SECONDS": ("15m", {}),
    "EMAIL_BACKEND": ("smtp", {}),
    "EMAIL_HOST": ("smtp://mail.example.com", {}),
    "EMAIL_PORT": ("70000", {}),
    "EMAIL_USE_TLS": ("starttls", {}),
    "DEFAULT_FROM_EMAIL": ("noreply", {}),
    "STATIC_ROOT": ("staticfiles", {}),
    "STATIC_MANIFEST": ("hashed", {}),
    "MEDIA_ROOT": ("", {}),
    "LOG_LEVEL": ("verbose", {}),
    "EVIDENCE_BATCH_LIMIT": ("0", {}),
    "EVIDENCE_ATTACHMENT_MAX_BYTES": ("5MiB", {}),
    "EVIDENCE_IMPORT_MAX_BYTES": ("100", {}),
    "EVIDENCE_IMPORT_RECORD_LIMIT": ("-1", {}),
    "IDEMPOTENCY_KEY_TTL_HOURS": ("1", {}),
    "VERDICT_SWEEP_SECONDS": ("1", {}),
    "LEDGER_SWEEP_SECONDS": ("1", {}),
    "DISPUTE_SWEEP_SECONDS": ("1", {}),
    "LOG_ORIGIN": ("trust portal", {}),
    "LOG_SIGNING_KEY_FILE": ("log-key.pem", {}),
    "CHECKPOINT_SECONDS": ("0", {}),
    "DATA_UPLOAD_MAX_MEMORY_SIZE": ("1 MiB", {}),
}


def test_the_readme_table_lists_exactly_the_variables_settings_read() -> None:
    assert settings_from({})["_asked"] == readme_variables()


def test_every_readme_variable_is_covered_by_a_malformed_value_below() -> None:
    assert readme_variables() - FREE_TEXT == set(MALFORMED)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_value_of_any_readme_variable_stops_start_up_naming_it(name: str) -> None:
    value, base = MALFORMED[name]
    assert settings_from(base)  # the environment is sound without the malformed value
    assert name in refused({**base, name: value})


@pytest.mark.parametrize("name", ["API_THROTTLE_RATE", "API_THROTTLE_RATE_ANON"])
@pytest.mark.parametrize("value", ["fast", "10/fortnight", "0/minute", "-5/second"])
def test_a_malformed_throttle_rate_stops_start_up_naming_the_variable(name: str, value: str) -> None:
    result = run_python("", {name: value}, "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name}={value!r} is not a rate" in result.stderr


@pytest.mark.parametrize(
    "value", ["10/mango", "10/minutes", "1.5/minute", "10", "/minute", "10/", "10 per minute", "+5/second", ""]
)
def test_a_throttle_rate_is_a_positive_count_per_drf_period(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_RATE="):
        parse_rate("API_THROTTLE_RATE", value)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("5/second", (5, 1)),
        ("5/s", (5, 1)),
        ("120/minute", (120, 60)),
        ("7/m", (7, 60)),
        ("1/hour", (1, 3600)),
        ("2/h", (2, 3600)),
        ("3/day", (3, 86400)),
        ("4/d", (4, 86400)),
        (" 30/Minute ", (30, 60)),
    ],
)
def test_throttle_rates_take_drf_long_and_short_periods(value: str, parsed: tuple[int, int]) -> None:
    assert parse_rate("API_THROTTLE_RATE", value) == parsed


def test_throttle_rates_are_normalised_in_settings() -> None:
    rates = settings_from({"API_THROTTLE_RATE": "600/M", "API_THROTTLE_RATE_ANON": " 60/hour"})["API_THROTTLE_RATES"]
    assert rates == {"token": "600/m", "anon": "60/hour"}


def test_the_api_throttle_reads_rates_as_start_up_does() -> None:
    throttle = ClientRateThrottle()
    assert throttle.parse_rate("9/h") == (9, 3600)
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_RATES"):
        throttle.parse_rate("10/mango")  # DRF alone would read this as ten a minute


@pytest.mark.parametrize("value", ["verbose", "5", "", "INFO,DEBUG", "warn"])
def test_log_level_must_be_a_level_name(value: str) -> None:
    assert "LOG_LEVEL" in refused({"LOG_LEVEL": value})


def test_log_level_is_normalised_to_upper_case() -> None:
    assert settings_from({"LOG_LEVEL": " warning"})["LOGGING"]["root"]["level"] == "WARNING"


@pytest.mark.parametrize(
    "value",
    ["trust.example.com", "/portal", "ftp://trust.example.com", "https://", "https://trust.example.com/",
     "https://trust.example.com?x=1", "https://trust.example.com:port", "https://user@trust.example.com",
     "https://trust.example.com "],
)  # fmt: skip
def test_site_url_must_be_an_absolute_http_url_without_a_trailing_slash(value: str) -> None:
    assert "SITE_URL" in refused({"SITE_URL": value})


def test_site_url_is_required_in_production() -> None:
    without = {k: v for k, v in PRODUCTION_ENV.items() if k != "SITE_URL"}
    assert "SITE_URL is required" in refused(without)


def test_site_url_defaults_to_the_development_server_when_debug_is_on() -> None:
    assert settings_from({})["SITE_URL"] == "http://127.0.0.1:8000"
    assert settings_from({"SITE_URL": "https://portal.example.com/trust"})["SITE_URL"] == (
        "https://portal.example.com/trust"
    )


@pytest.mark.django_db
def test_follower_emails_link_absolutely_to_the_site_url(settings, vendor, buyer) -> None:
    assert urlsplit(settings.SITE_URL).netloc  # the settings define it (the test process's own, not overridden)
    agent = pact_services.agent_create(user=vendor, name="Refund Bot", slug="refund-bot", consequence_level="high")
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Refunds", document=copy.deepcopy(REFUNDS_V1))
    version = pact_services.pact_version_publish(version=pact.versions.get(), user=vendor)
    pact_services.agent_follow(agent=agent, user=buyer)
    mail.outbox.clear()
    assert email_followers_of_version(version.pk, []) == 1
    link = settings.SITE_URL + reverse("pacts:version", args=[pact.pk, version.number])
    assert f"See it: {link}\n" in mail.outbox[0].body + "\n"


@pytest.mark.parametrize(
    "value", ["https://trust.example.com", "trust.example.com:443", "trust.example.com/portal", "trust example.com"]
)
def test_allowed_hosts_must_be_bare_host_names(value: str) -> None:
    assert "ALLOWED_HOSTS" in refused({"ALLOWED_HOSTS": f"localhost,{value}"})


def test_allowed_hosts_take_djangos_forms() -> None:
    hosts = "trust.example.com, .example.org,127.0.0.1,[::1],*"
    assert settings_from({"ALLOWED_HOSTS": hosts})["ALLOWED_HOSTS"] == [
        "trust.example.com",
        ".example.org",
        "127.0.0.1",
        "[::1]",
        "*",
    ]


@pytest.mark.parametrize(
    "value", ["trust.example.com", "https://trust.example.com/", "https://trust.example.com/login", "//trust.example"]
)
def test_csrf_trusted_origins_must_be_origins(value: str) -> None:
    assert "CSRF_TRUSTED_ORIGINS" in refused({"CSRF_TRUSTED_ORIGINS": value})


def test_csrf_trusted_origins_take_ports_and_wildcards() -> None:
    origins = "https://trust.example.com,http://127.0.0.1:8000,https://*.example.org"
    assert settings_from({"CSRF_TRUSTED_ORIGINS": origins})["CSRF_TRUSTED_ORIGINS"] == origins.split(",")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CELERY_BROKER_URL", "redis://"),
        ("CELERY_BROKER_URL", "redis://cache:port/0"),
        ("CELERY_BROKER_URL", "redis://cache:6379/zero"),
        ("CACHE_URL", "memory://"),
        ("CACHE_URL", "http://cache:6379/1"),
        ("CELERY_RESULT_BACKEND", "memory://localhost/"),
    ],
)
def test_redis_urls_must_name_a_host_a_numeric_port_and_database(name: str, value: str) -> None:
    assert name in refused({name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STATIC_ROOT", "staticfiles"),
        ("MEDIA_ROOT", ""),
        ("MEDIA_ROOT", "./media"),
        ("LOG_SIGNING_KEY_FILE", "log-key.pem"),
    ],
)
def test_file_locations_must_be_absolute_paths(name: str, value: str) -> None:
    assert f"{name}={value!r} must be an absolute path" in refused({name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EMAIL_BACKEND", "smtp"),
        ("EMAIL_BACKEND", "django/core/mail/backends/smtp"),
        ("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend "),
        ("EMAIL_HOST", "smtp://mail.example.com"),
        ("EMAIL_HOST", ""),
        ("EMAIL_PORT", "0"),
        ("EMAIL_PORT", "65536"),
        ("DEFAULT_FROM_EMAIL", "noreply"),
        ("DEFAULT_FROM_EMAIL", "a@example.com, b@example.com"),
        ("DEFAULT_FROM_EMAIL", "Trust Portal <>"),
    ],
)
def test_mail_settings_must_be_well_formed(name: str, value: str) -> None:
    assert name in refused({name: value})


def test_mail_settings_take_a_real_smtp_configuration() -> None:
    seen = settings_from(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "smtp.example.com",
            "EMAIL_PORT": "587",
            "DEFAULT_FROM_EMAIL": '"Trust Portal, Acme" <trust@example.com>',
        }
    )
    assert (seen["EMAIL_HOST"], seen["EMAIL_PORT"]) == ("smtp.example.com", 587)


@pytest.mark.parametrize(("name", "value"), [("CELERY_QUEUE", ""), ("CELERY_QUEUE", "  "), ("SECRET_KEY", "")])
def test_names_that_must_not_be_empty_refuse_an_empty_value(name: str, value: str) -> None:
    assert f"{name} is set but empty" in refused({name: value})


@pytest.mark.parametrize("value", ["", "trust portal", "trust+portal", "log\tname"])
def test_log_origin_must_be_a_signed_note_key_name(value: str) -> None:
    assert "LOG_ORIGIN" in refused({"LOG_ORIGIN": value})


def _x25519_pem() -> str:
    return (
        X25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )


@pytest.mark.parametrize("value", ["garbage", _x25519_pem()], ids=["not-pem", "not-ed25519"])
def test_a_garbage_log_signing_key_stops_start_up_naming_it(value: str) -> None:
    result = run_python("", {"LOG_SIGNING_KEY": value}, "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: LOG_SIGNING_KEY:" in result.stderr  # at app loading, before any request


def test_an_unreadable_log_key_file_fails_manage_py_check_naming_it(tmp_path) -> None:
    key_file = tmp_path / "log-key.pem"
    key_file.write_text("garbage")
    result = run_python("", {"LOG_SIGNING_KEY_FILE": str(key_file)}, "manage.py", "check")
    assert result.returncode != 0
    assert "transparency.E001" in result.stderr and "LOG_SIGNING_KEY" in result.stderr
