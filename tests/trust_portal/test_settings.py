"""Settings are read from the environment, strictly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from trust_portal.env import Env, parse_database_url

ROOT = Path(__file__).resolve().parents[2]
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
        "engine": "django.db.backends.postgresql",
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


def test_bool_reader_is_strict() -> None:
    env = Env({"A": "yes", "B": "0", "C": "perhaps"})
    assert env.bool("A", default=False) is True
    assert env.bool("B", default=True) is False
    assert env.bool("MISSING", default=True) is True
    with pytest.raises(ImproperlyConfigured, match="C="):
        env.bool("C", default=False)
