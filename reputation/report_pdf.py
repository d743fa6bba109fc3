"""The diligence report on paper: its PDF (WeasyPrint, from the same template the page shows) and its JSON twin.

The PDF fetches nothing: its stylesheet is read from the static folder and handed over as text, and the fetcher
refuses every URL, so a name or rationale in the report can point the renderer nowhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from reputation.report import report_digest
from trustcore.verify import REPORT_RECEIPT_FIELD

STYLESHEET = "css/report.css"


def twin_text(report: dict[str, Any]) -> str:
    """The report's JSON as stored beside its PDF (the receipt checks its RFC 8785 form, so layout is free)."""
    return json.dumps(report, indent=1, ensure_ascii=False)


def report_context(report: dict[str, Any]) -> dict[str, Any]:
    signatures = (report.get(REPORT_RECEIPT_FIELD) or {}).get("signatures") or [{}]
    return {
        "report": report,
        "digest": report_digest(report),
        "receipt_keyid": signatures[0].get("keyid", ""),
        "origin_hint": getattr(settings, "SITE_URL", "") or "https://<this portal>",
    }


def _stylesheet() -> str:
    found = finders.find(STYLESHEET)
    path = Path(found if isinstance(found, str) else settings.BASE_DIR / "static" / STYLESHEET)
    return path.read_text()


def report_pdf(report: dict[str, Any]) -> bytes:
    from weasyprint import CSS, HTML, URLFetcher

    html = render_to_string("reputation/report_pdf.html", report_context(report))
    nothing = URLFetcher(allowed_protocols=())
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=nothing)
    pdf = document.write_pdf(stylesheets=[CSS(string=_stylesheet(), url_fetcher=nothing)])
    return bytes(pdf or b"")
