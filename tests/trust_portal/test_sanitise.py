"""The input sanitiser (trust_portal.sanitise) and every place it guards: hostile input is a 400 naming the field,
never a 500 (issue 10, finding 8). Run them on PostgreSQL too: it refuses NUL in text, which is where the 500s
came from."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from evidence.models import EvidenceImport, EvidenceRecord
from pacts import documents
from pacts.models import Agent, Pact
from tests.factories import envelope
from trust_portal import sanitise
from trust_portal.sanitise import MAX_DEPTH, MAX_INTEGER, InputRefused, loads_json, value_problem

EVIDENCE = "/api/v1/agents/refund-bot/evidence/"
IMPORT = "/api/v1/agents/refund-bot/evidence/import/"
PROBLEM = "application/problem+json"


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def problem_fields(response: Any) -> set[str]:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    return {error["field"] for error in response.json().get("errors", [])}


# --- the module ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f", "\ud800"])
def test_control_characters_and_lone_surrogates_are_refused(char: str) -> None:
    assert sanitise.text_problem(f"ab{char}c") is not None


@pytest.mark.parametrize("char", ["\t", "\n", "\r", " ", "é", "\u2028", "\x85", "😀"])
def test_tab_newlines_and_ordinary_unicode_are_text(char: str) -> None:
    assert sanitise.text_problem(f"ab{char}c") is None


def test_a_refused_character_is_named_with_its_code_point_and_position() -> None:
    assert "U+0000 (at position 2)" in (sanitise.text_problem("ab\x00") or "")


@pytest.mark.parametrize(
    ("text", "field", "code"),
    [
        ('{"a": "x\\u0000"}', "a", "control_character"),
        ('{"payload": {"k\\u0001": 1}}', "payload.k\\u0001", "control_character"),
        ('{"a": ["\x7f"]}', "a.0", "control_character"),
        ('{"n": 9007199254740992}', "n", "number_out_of_range"),
        ('{"n": -12345678901234567890123}', "n", "number_out_of_range"),
        ('{"n": 1.' + "1" * 45 + "}", "n", "number_out_of_range"),
        ('{"n": [1, 2, ' + "9" * 400 + "]}", "n.2", "number_out_of_range"),
    ],
)
def test_json_outside_the_limits_is_refused_naming_where(text: str, field: str, code: str) -> None:
    with pytest.raises(InputRefused) as refused:
        loads_json(text)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_json_nests_up_to_the_limit_and_no_deeper() -> None:
    assert loads_json(json.dumps(nested(MAX_DEPTH - 1, [])))
    with pytest.raises(InputRefused) as refused:
        loads_json(json.dumps(nested(MAX_DEPTH, [])))
    assert refused.value.code == "too_deep"
    assert refused.value.field == ".".join(["a"] * MAX_DEPTH)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "\\\\u0000"}',  # an escaped backslash, then the letters u0000
        '["' + "[" * 100 + '", "' + "}" * 100 + '"]',  # brackets inside strings are not nesting
        '{"x\\"' + "[" * 100 + '\\\\": 1}',  # nor behind an escaped quote
        '{"id": "123456789012345678901234567890", "n": -9007199254740991, "f": 0.30000000000000004}',
        '{"big": 1.5e300, "small": 5e-324}',
    ],
)
def test_json_within_the_limits_is_accepted(text: str) -> None:
    assert loads_json(text) == json.loads(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8", max_codepoint=0x90), max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(st.characters(codec="utf-8", max_codepoint=0x90), max_size=4), children, max_size=3)
    ),
    max_leaves=60,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values | st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3).map(nested), ascii_only=st.booleans())
def test_the_fast_byte_scan_refuses_exactly_what_the_exact_walk_refuses(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        loads_json(text)
    except InputRefused as refused:  # with several problems the two may name different ones first
        assert value_problem(value) is not None, f"refused {text[:200]!r} ({refused})"
    else:
        assert value_problem(value) is None, f"accepted {text[:200]!r}"


def test_the_integer_limit_is_i_json() -> None:
    assert loads_json(str(MAX_INTEGER)) == MAX_INTEGER
    with pytest.raises(InputRefused):
        loads_json(str(MAX_INTEGER + 1))


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_offsets_that_overflow_the_calendar_are_refused(raw: str) -> None:
    assert sanitise.date_time_problem(datetime.fromisoformat(raw))


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00-01:00", "9999-12-31T23:59:59+01:00", "2026-11-20T00:00:00Z"])
def test_offsets_within_the_calendar_are_accepted(raw: str) -> None:
    assert sanitise.date_time_problem(datetime.fromisoformat(raw)) is None


# --- the edge: paths, query parameters, headers, cookies ----------------------------------------------------------------


def test_nul_in_a_query_parameter_is_a_problem_naming_it(db: None) -> None:
    response = APIClient().get("/api/v1/agents/?q=%00")
    assert problem_fields(response) == {"q"}


def test_nul_in_a_list_filter_of_evidence_is_a_problem_naming_it(agent: Agent) -> None:
    assert problem_fields(APIClient().get(EVIDENCE + "?source=ci%00")) == {"source"}


def test_nul_in_a_path_segment_is_a_problem(db: None) -> None:
    assert problem_fields(APIClient().get("/api/v1/agents/refund%00bot/")) == {"path"}


def test_nul_in_an_idempotency_key_is_a_problem_naming_the_header(agent: Agent, vendor: Any, bearer: Any, wire) -> None:
    response = bearer(vendor).post(EVIDENCE, wire(), format="json", HTTP_IDEMPOTENCY_KEY="k\x00")
    assert problem_fields(response) == {"header Idempotency-Key"}
    assert EvidenceRecord.objects.count() == 0


def test_nul_in_the_session_cookie_is_a_400_page_that_reads_no_session(client: Any, db: None) -> None:
    client.cookies["sessionid"] = "abcdefgh\x00ijk"
    response = client.get("/agents/")
    assert response.status_code == 400
    assert b"cookie sessionid" in response.content


def test_nul_in_a_page_query_is_a_400_page_naming_the_parameter(client: Any, db: None) -> None:
    response = client.get("/agents/", {"q": "x\x00"})
    assert response.status_code == 400
    assert b"q: Contains the control character U+0000" in response.content


def test_nul_in_a_page_form_field_is_a_400_page_naming_it(client: Any, vendor: Any) -> None:
    client.force_login(vendor)
    response = client.post("/agents/new/", {"name": "Bot\x00", "consequence_level": "low"})
    assert response.status_code == 400
    assert b"name: Contains the control character U+0000" in response.content
    assert Agent.objects.count() == 0


# --- API bodies: every string of every JSON body ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"payload": {"note": "a\x00b"}}, "payload.note"),
        ({"payload": {"k\x00": 1}}, "payload.k\\u0000"),
        ({"source": {"tool": "ci\x00", "version": "1"}}, "source.tool"),
        ({"payload": nested(MAX_DEPTH)}, "payload." + ".".join(["a"] * (MAX_DEPTH - 1))),
        ({"payload": {"n": 2**60}}, "payload.n"),
    ],
)
def test_hostile_evidence_bodies_are_refused_naming_the_field(agent, vendor, bearer, wire, overrides, field) -> None:
    response = bearer(vendor).post(EVIDENCE, wire(**overrides), format="json")
    assert field in problem_fields(response)
    assert EvidenceRecord.objects.count() == 0


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_overflowing_observed_from_is_refused_naming_it(agent, vendor, bearer, wire, raw: str) -> None:
    response = bearer(vendor).post(EVIDENCE, wire(observed_from=raw), format="json")
    assert "observed_from" in problem_fields(response)


def test_a_metric_with_a_trailing_newline_is_refused(agent, vendor, bearer, wire) -> None:
    assert "metric" in problem_fields(bearer(vendor).post(EVIDENCE, wire(metric="task_success\n"), format="json"))


def test_nul_inside_a_signed_envelope_is_refused_naming_the_field(
    agent, vendor, bearer, wire, registered, private_key
) -> None:
    response = bearer(vendor).post(EVIDENCE, envelope(wire(payload={"note": "a\x00"}), private_key), format="json")
    assert "payload.note" in problem_fields(response)
    assert EvidenceRecord.objects.count() == 0


def test_nul_in_an_attachment_filename_is_refused(agent, vendor, bearer, wire) -> None:
    attachment = {"filename": "a\x00.txt", "content_type": "text/plain", "data_base64": "aGk="}
    response = bearer(vendor).post(EVIDENCE, wire(attachment=attachment), format="json")
    assert "attachment.filename" in problem_fields(response)


def test_nul_in_a_pact_title_or_document_is_refused(agent, vendor, bearer, document) -> None:
    url = f"/api/v1/agents/{agent.slug}/pacts/"
    assert "title" in problem_fields(bearer(vendor).post(url, {"title": "R\x00", "document": document}, format="json"))
    document["title"] = "Refunds\x00"
    assert "document.title" in problem_fields(bearer(vendor).post(url, {"document": document}, format="json"))
    assert Pact.objects.count() == 0


def test_nul_in_an_agent_card_is_refused_naming_the_path(vendor, bearer) -> None:
    card = {"name": "Bot", "description": "", "version": "1", "skills": [{"id": "a\x00", "name": "A"}]}
    response = bearer(vendor).post("/api/v1/agents/", {"agent_card": card}, format="json")
    assert "agent_card.skills.0.id" in problem_fields(response)
    assert Agent.objects.count() == 0


# --- imports ------------------------------------------------------------------------------------------------------------


def _import(client: APIClient, fmt: str, data: bytes, name: str = "results.txt") -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(f"{IMPORT}?format={fmt}", {"file": upload}, format="multipart")


def test_a_400_digit_number_in_jsonl_is_refused_naming_the_line(agent, vendor, bearer, wire) -> None:
    line = json.dumps(wire(successes=None, trials=None, value=1.0)).replace('"value": 1.0', '"value": ' + "9" * 400)
    response = _import(bearer(vendor), "jsonl", line.encode())
    assert {field.split(":")[0] for field in problem_fields(response)} == {"line 1"}
    assert EvidenceRecord.objects.count() == EvidenceImport.objects.count() == 0


def test_deep_nesting_and_nul_in_jsonl_are_refused_naming_the_line(agent, vendor, bearer, wire) -> None:
    lines = [json.dumps(wire(payload=nested(40))), json.dumps(wire(payload={"x": "\x00"}))]
    fields = problem_fields(_import(bearer(vendor), "jsonl", "\n".join(lines).encode()))
    assert {field.split(":")[0] for field in fields} == {"line 1", "line 2"}


def test_a_csv_field_beyond_the_csv_limit_is_refused(agent, vendor, bearer) -> None:
    data = b"metric,observed_from,observed_to,value\nm," + b"x" * (200 * 1024) + b",2026-01-01T00:00:00Z,1\n"
    response = _import(bearer(vendor), "csv", data)
    assert response.status_code == 400, response.content[:300]
    assert EvidenceRecord.objects.count() == 0


def test_nul_in_a_csv_cell_is_refused_naming_line_and_column(agent, vendor, bearer) -> None:
    data = b"metric,observed_from,observed_to,value,source_tool\nm,2026-01-01T00:00:00Z,2026-01-01T01:00:00Z,1,c\x00i\n"
    assert problem_fields(_import(bearer(vendor), "csv", data)) == {"line 2: source_tool"}


def test_control_characters_never_reach_a_stored_filename(agent, vendor, bearer, wire) -> None:
    response = _import(bearer(vendor), "jsonl", json.dumps(wire()).encode(), name="a\x00b\x1b.jsonl")
    assert response.status_code in (201, 400), response.content[:300]
    assert all(
        sanitise.text_problem(name) is None for name in EvidenceImport.objects.values_list("filename", flat=True)
    )


def test_nul_in_a_raw_upload_filename_is_refused(agent, vendor, bearer, wire) -> None:
    response = bearer(vendor).post(
        f"{IMPORT}?format=jsonl",
        json.dumps(wire()).encode(),
        content_type="application/octet-stream",
        HTTP_CONTENT_DISPOSITION='attachment; filename="a\x00.jsonl"',
    )
    assert problem_fields(response) == {"header Content-Disposition"}


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("inspect", json.dumps({"eval": nested(40)}).encode()),
        ("inspect", b'{"eval": {"task": "t\\u0000"}}'),
        ("inspect", b'{"eval": [], "results": 3}'),
        ("promptfoo", json.dumps({"results": {"results": [nested(40)]}}).encode()),
        ("promptfoo", b'{"results": {"results": [{}], "timestamp": "0001-01-01T00:00:00+23:59"}}'),
        (
            "promptfoo",
            b'{"results": {"results": [{}], "timestamp": "2026-01-01T00:00:00Z", "stats": {"durationMs": 1e300}}}',
        ),
    ],
)
def test_hostile_tool_files_are_refused(agent, vendor, bearer, fmt: str, data: bytes) -> None:
    response = _import(bearer(vendor), fmt, data)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == PROBLEM


# --- pact documents and the validation form ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("a: " + "[" * 40 + "]" * 40, "$"),
        ('title: "R\\0"\n', "$.title"),
        ("threshold: " + "1" * 60 + "\n", "$"),
        ('{"title": "' + "\\u0000" + '"}', "$.title"),
        (json.dumps(nested(40)), "$" + ".a" * MAX_DEPTH),
    ],
)
def test_hostile_pact_documents_are_parse_errors(text: str, path: str) -> None:
    with pytest.raises(documents.DocumentInvalid) as refused:
        documents.parse_text(text)
    assert refused.value.code == "parse_error"
    assert refused.value.errors[0].path == path


def test_the_validation_form_answers_deep_nesting_with_an_error_not_a_500(client: Any, buyer: Any) -> None:
    client.force_login(buyer)  # any signed-in user may post to it
    for text in ("a: " + "[" * 5000, "[" * 5000, "x: " + "9" * 5000):
        response = client.post("/pacts/validate/", {"document": text})
        assert response.status_code == 200
        assert b'class="message error"' in response.content


# --- dates on pages -----------------------------------------------------------------------------------------------------


def test_an_overflowing_effective_from_publishes_nothing(client: Any, vendor: Any, draft_pact: Pact) -> None:
    client.force_login(vendor)
    response = client.post(
        f"/pacts/{draft_pact.pk}/v/1/publish/", {"confirm": "on", "effective_from": "0001-01-01T00:00:00+23:59"}
    )
    assert response.status_code == 302  # back to the version page, with a message
    assert draft_pact.versions.get(number=1).status == "draft"


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_an_overflowing_date_time_in_a_form_is_a_form_error_naming_it(raw: str) -> None:
    from pacts.forms import PublishForm

    form = PublishForm({"confirm": "on", "effective_from": raw})
    assert not form.is_valid()
    assert "outside years 1–9999" in form.errors["effective_from"][0]


def test_a_posted_id_beyond_64_bits_is_a_form_error_not_a_lookup(client: Any, vendor: Any, agent: Agent) -> None:
    client.force_login(vendor)
    response = client.post("/evidence/", {"name": "ci", "agents": ["9" * 30]})
    assert response.status_code in (200, 400)
    assert b"9" * 30 in response.content or b"valid" in response.content


def test_a_path_id_beyond_64_bits_is_not_found_before_any_lookup(client: Any, db: None) -> None:
    assert client.get("/pacts/" + "9" * 30 + "/v/1/").status_code == 404
    response = APIClient().get("/api/v1/pacts/" + "9" * 30 + "/")
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)
