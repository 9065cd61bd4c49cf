"""The Content-Security-Policy: the header on every page, and templates that need nothing it
forbids (no inline <script> bodies, no on*= handlers, no style= attributes, no javascript:
URLs). tests/browser/test_csp.py loads pages in chromium and records violations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from .factories import OrganizationFactory, admin_of, logged_in

ROOT = Path(settings.BASE_DIR)

# Page templates only. E-mail bodies are not served under the CSP (mail clients want inline
# styles), nor are the documents WeasyPrint renders to PDF (they carry their own <style>).
PDF_SOURCES = {
    "billing/templates/billing/statement_pdf.html",
    "procurement/templates/procurement/purchase_order_pdf.html",
    "shipments/templates/shipments/credit_note.html",
}
TEMPLATES = sorted(
    path
    for path in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in path.parts
    and "email" not in path.parts
    and "pdf" not in path.parts
    and path.relative_to(ROOT).as_posix() not in PDF_SOURCES
)

HANDLER = re.compile(r"""<[^>]*?\son[a-z]+\s*=""", re.IGNORECASE | re.DOTALL)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"""<[^>]*?\sstyle\s*=""", re.IGNORECASE | re.DOTALL)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
HX_ON = re.compile(r"""\shx-on[:-]""", re.IGNORECASE)


def _offences(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in TEMPLATES:
        text = path.read_text()
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)[:80]}")
    return found


def test_the_grep_sees_the_templates():
    names = {p.relative_to(ROOT).as_posix() for p in TEMPLATES}
    assert "templates/base.html" in names
    assert "partnerships/templates/partnerships/partnership_detail.html" in names
    assert not any("/email/" in n for n in names)


@pytest.mark.parametrize(
    "what, pattern",
    [
        ("on*= event handler attributes (use data-* and static/js/app.js)", HANDLER),
        ("inline <script> bodies (use a static file: <script src=...>)", INLINE_SCRIPT),
        ("style= attributes (use a class in static/css/app.css)", STYLE_ATTRIBUTE),
        ("<style> elements (use static/css/app.css)", STYLE_ELEMENT),
        ("javascript: URLs", JS_URL),
        ("hx-on attributes (htmx evaluates them; allowEval is off)", HX_ON),
    ],
)
def test_no_template_needs_what_the_csp_forbids(what, pattern):
    assert _offences(pattern) == [], f"templates with {what}"


def test_the_grep_catches_what_it_looks_for():
    assert HANDLER.search('<select id="x" onchange="this.form.submit()">')
    assert HANDLER.search('<form\n  method="post" ONSUBMIT="return confirm(1)">')
    assert not HANDLER.search('<meta name="viewport" content="width=device-width">')
    assert not HANDLER.search("<p>Click on=this</p>")
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/app.js" defer></script>')
    assert STYLE_ATTRIBUTE.search('<h1 style="flex:1">')
    assert not STYLE_ATTRIBUTE.search('<h1 class="style">')


def _directives(header: str) -> dict[str, list[str]]:
    parts = (d.strip().split() for d in header.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def test_every_page_carries_a_strict_policy(client, db):
    person = admin_of(OrganizationFactory(name="Policy Check Co", plan_tier="PRO"))
    for path, who in (("/accounts/login/", None), ("/dashboard/", person), ("/nowhere/", person)):
        if who:
            logged_in(client, who)
        response = client.get(path)
        assert "Content-Security-Policy" in response, path
        policy = _directives(response["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["form-action"] == ["'self'"]
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_stripe_checkout_is_an_allowed_form_target_only_when_stripe_is_configured():
    # form-action also governs the redirect after a POST: real Checkout lives at Stripe.
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    )
    env = {**_base_env(), "STRIPE_SECRET_KEY": "sk_test_x"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert "https://checkout.stripe.com" in out.stdout, out.stderr


def test_htmx_runs_without_eval_or_injected_styles(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html
    assert re.search(r'<script src="/static/js/app\.js" defer>', html)


def _base_env() -> dict[str, str]:
    import os

    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=os.environ.get("DATABASE_URL") or "postgres://check@127.0.0.1:1/check",
    )
    return env
