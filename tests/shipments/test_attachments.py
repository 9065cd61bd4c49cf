"""Evidence uploads and downloads: an allow-list checked by content, a size limit, random stored
names, and downloads only through a scoped view that both sides of the shipment can use.

The factory network: the subsidiary (net.admin) ships to the 3PL's FBA site; the 3PL's admin
receives it with evidence. Sephora (a partner of the same subsidiary, not a party to this
shipment) and MedSupply (no link at all) must not be able to fetch the file.
"""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.uploads import EVIDENCE, check_upload, validate_evidence
from inventory.models import Product
from shipments.models import CaseMessage, DiscrepancyCase, Receipt, ReceiptLine
from shipments.services import cases as case_services
from shipments.services import receipts as receipt_services

from ..factories import logged_in, scope_of_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"
RANDOM_NAME = re.compile(r"^receipts/\d{4}/\d{2}/[0-9a-f]{32}\.pdf$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def login(client):
    return lambda user, c=None: logged_in(c or client, user)


def _stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def _receipt_form(asn, upload, *, damaged="2", key="k-evidence"):
    line = asn.lines.get()
    return {
        "idempotency_key": key,
        "note": "",
        f"received_{line.pk}": str(line.expected_quantity),
        f"damaged_{line.pk}": damaged,
        f"lot_{line.pk}": line.lot,
        f"reason_{line.pk}": "DAMAGED",
        f"note_{line.pk}": "",
        f"file_{line.pk}": upload,
    }


@pytest.fixture
def received(net, shipped, login, media):
    """The 3PL received 100 serum, 2 damaged, with a delivery note as PDF: (receipt line, case)."""
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    upload = SimpleUploadedFile("delivery note.pdf", PDF, "application/pdf")
    response = login(net.amazon_admin).post(
        f"/asns/{shipment.asn.public_id}/", _receipt_form(shipment.asn, upload)
    )
    assert response.status_code == 302
    line = ReceiptLine.objects.get(receipt__asn=shipment.asn)
    return line, DiscrepancyCase.objects.get(receipt_line=line)


def test_a_pdf_is_accepted_and_stored_under_a_random_name(received, media):
    line, case = received
    assert RANDOM_NAME.match(line.attachment.name), line.attachment.name
    assert "delivery" not in line.attachment.name
    assert line.attachment_name == "delivery note.pdf"
    assert (media / line.attachment.name).read_bytes() == PDF
    # The case opened by the receipt shows the same evidence.
    first = case.messages.get()
    assert first.attachment.name == line.attachment.name
    assert first.attachment_name == "delivery note.pdf"


@pytest.mark.parametrize("who", ["admin", "amazon_admin"])
def test_both_sides_download_the_evidence(net, received, login, who):
    line, case = received
    client = login(getattr(net, who))
    for page in (f"/asns/{case.shipment.asn.public_id}/", f"/asns/cases/{case.public_id}/"):
        body = client.get(page).content.decode()
        assert f"/asns/evidence/{line.public_id}/" in body, page
        assert "delivery note.pdf" in body
    response = client.get(f"/asns/evidence/{line.public_id}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="delivery note.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("who", ["sephora_admin", "stranger_admin", "supplier_admin"])
def test_a_third_partner_and_an_outsider_get_404(net, received, login, who):
    line, case = received
    client = login(getattr(net, who))
    assert client.get(f"/asns/evidence/{line.public_id}/").status_code == 404
    message = case.messages.get()
    assert client.get(f"/asns/cases/attachments/{message.public_id}/").status_code == 404


def test_anonymous_is_sent_to_sign_in(received):
    from django.test import Client

    line, _ = received
    response = Client().get(f"/asns/evidence/{line.public_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_media_url_serves_nothing(received, login, net):
    from django.test import Client

    line, _ = received
    assert Client().get(f"/media/{line.attachment.name}").status_code == 404
    assert login(net.admin).get(f"/media/{line.attachment.name}").status_code == 404


def test_case_messages_carry_attachments_both_parties_download(net, received, login):
    _, case = received
    photo = SimpleUploadedFile("crushed box.png", _png(), "image/png")
    response = login(net.admin).post(
        f"/asns/cases/{case.public_id}/",
        {"action": "message", "body": "Here is our photo at dispatch.", "attachment": photo},
    )
    assert response.status_code == 302
    message = case.messages.latest("id")
    assert re.match(r"^cases/\d{4}/\d{2}/[0-9a-f]{32}\.png$", message.attachment.name)
    for who in (net.admin, net.amazon_admin):
        page = login(who).get(f"/asns/cases/{case.public_id}/").content.decode()
        assert f"/asns/cases/attachments/{message.public_id}/" in page
        download = login(who).get(f"/asns/cases/attachments/{message.public_id}/")
        assert download.status_code == 200
        assert download["Content-Type"] == "image/png"
        assert download["Content-Disposition"] == 'attachment; filename="crushed box.png"'
        assert download["X-Content-Type-Options"] == "nosniff"


REFUSED = [
    ("page.html", HTML, "text/html", "not a file type we accept"),
    ("logo.svg", SVG, "image/svg+xml", "not a file type we accept"),
    ("invoice.pdf", EXE, "application/pdf", "not a file type we accept"),  # a renamed .exe
    ("scan.pdf", PDF + b"0" * 3000, "application/pdf", "files may be at most"),
]


@pytest.mark.parametrize(("name", "content", "content_type", "message"), REFUSED)
def test_a_refused_receipt_upload_writes_nothing(
    net, shipped, login, media, settings, name, content, content_type, message
):
    settings.UPLOAD_MAX_BYTES = 2048  # the oversized case, without a 10 MB body in the test
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    upload = SimpleUploadedFile(name, content, content_type)
    response = login(net.amazon_admin).post(
        f"/asns/{shipment.asn.public_id}/", _receipt_form(shipment.asn, upload)
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and name in body
    assert not Receipt.objects.filter(asn=shipment.asn).exists()
    assert not DiscrepancyCase.objects.filter(shipment=shipment).exists()
    assert _stored_files(media) == []


@pytest.mark.parametrize(("name", "content", "content_type", "message"), REFUSED)
def test_a_refused_case_attachment_writes_nothing(
    net, received, login, media, settings, name, content, content_type, message
):
    settings.UPLOAD_MAX_BYTES = 2048
    _, case = received
    before = _stored_files(media)
    response = login(net.admin).post(
        f"/asns/cases/{case.public_id}/",
        {
            "action": "message",
            "body": "See attached.",
            "attachment": SimpleUploadedFile(name, content, content_type),
        },
        follow=True,
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert CaseMessage.objects.filter(case=case).count() == 1  # the receipt's evidence only
    assert _stored_files(media) == before


def test_the_service_refuses_what_the_form_would(net, shipped, media):
    """A caller that skips the form (the API, a script) meets the same check."""
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    line = shipment.asn.lines.get()
    with pytest.raises(ValidationError, match="not a file type we accept"):
        receipt_services.asn_confirm_receipt(
            scope=scope_of_user(net.amazon_admin),
            asn=shipment.asn,
            lines=[
                receipt_services.ReceivedLine(
                    asn_line_id=line.pk,
                    received_quantity=line.expected_quantity,
                    attachment=SimpleUploadedFile("x.svg", SVG, "image/svg+xml"),
                )
            ],
            idempotency_key="svc",
        )
    assert not Receipt.objects.filter(asn=shipment.asn).exists()
    assert _stored_files(media) == []


def test_the_model_field_validates_too():
    with pytest.raises(ValidationError):
        validate_evidence(SimpleUploadedFile("a.html", HTML, "text/html"))
    validate_evidence(SimpleUploadedFile("a.pdf", PDF, "application/pdf"))
    field = ReceiptLine._meta.get_field("attachment")
    assert validate_evidence in field.validators


@pytest.mark.parametrize(
    ("name", "content", "label"),
    [
        ("counts.csv", b"sku,qty\nLB-SER-001,-5\n", "csv"),
        ("notes.txt", "Carton 3 crushed, 2 units lost \u2013 driver signed.".encode(), "txt"),
        ("photo.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40, "webp"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, "jpg"),
    ],
)
def test_evidence_kinds_accepted(name, content, label):
    assert check_upload(SimpleUploadedFile(name, content), allowed=EVIDENCE).extension == label


def test_text_with_nul_bytes_or_bad_utf8_is_refused():
    for content in (b"a,b\n\x00\x01", b"caf\xe9,1\n"):
        with pytest.raises(ValidationError):
            check_upload(SimpleUploadedFile("x.csv", content), allowed=EVIDENCE)


def _png() -> bytes:
    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return buf.getvalue()


def test_product_images_go_only_to_those_who_see_the_product(net, login, media):
    from inventory.services import catalog

    scope = scope_of_user(net.admin, net.dist)
    product = Product.objects.get(pk=net.serum.pk)
    catalog.product_update(
        scope=scope, product=product, image=SimpleUploadedFile("s.png", _png(), "image/png")
    )
    product.refresh_from_db()
    assert re.match(r"^products/[0-9a-f]{32}\.png$", product.image.name)
    owner = login(net.admin)
    assert (
        f"/products/{product.public_id}/image/"
        in owner.get(f"/products/{product.public_id}/").content.decode()
    )
    response = owner.get(f"/products/{product.public_id}/image/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    # Found by a tenant-style attack: it was served inline; every stored upload is an attachment.
    assert response["Content-Disposition"].startswith("attachment;")
    assert login(net.stranger_admin).get(f"/products/{product.public_id}/image/").status_code == 404
    assert login(net.admin).get(f"/media/{product.image.name}").status_code == 404


def test_an_svg_product_image_is_refused(net, login):
    response = login(net.admin).post(
        f"/products/{net.serum.public_id}/edit/",
        {
            "name": "Serum",
            "price": "10",
            "cost": "1",
            "unit_of_measure": "EA",
            "specifications": "",
            "is_active": "on",
            "action": "save",
            "image": SimpleUploadedFile("x.svg", SVG, "image/svg+xml"),
        },
    )
    assert response.status_code == 400
    assert not Product.objects.get(pk=net.serum.pk).image


@pytest.mark.parametrize(
    "content", [b"PK\x03\x04" + b"\x00" * 60, HTML, EXE], ids=["xlsx", "html", "exe"]
)
def test_the_product_import_refuses_what_is_not_csv_text(net, login, content):
    before = Product.objects.count()
    response = login(net.admin).post(
        "/products/import/", {"file": SimpleUploadedFile("products.csv", content)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "products.csv is not UTF-8 CSV text" in body and "Nothing was imported" in body
    assert Product.objects.count() == before


class DiskFullUpload(SimpleUploadedFile):
    """An upload whose bytes stop half-way as a full disk would stop them: the first chunk is
    written, then the write fails with ENOSPC."""

    def chunks(self, chunk_size=None):
        yield PDF[:20]
        raise OSError(28, "No space left on device")


def test_a_receipt_that_fails_after_files_were_stored_leaves_no_file(net, shipped, media):
    """The first line's delivery note is stored, the second line's write fails half-way: the
    receipt rolls back, and neither the whole file nor the truncated one stays behind."""
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1"), (net.cream, 50, "")])
    serum, cream = shipment.asn.lines.order_by("pk")
    with pytest.raises(OSError, match="No space left"):
        receipt_services.asn_confirm_receipt(
            scope=scope_of_user(net.amazon_admin),
            asn=shipment.asn,
            lines=[
                receipt_services.ReceivedLine(
                    asn_line_id=serum.pk,
                    received_quantity=serum.expected_quantity,
                    attachment=SimpleUploadedFile("note.pdf", PDF, "application/pdf"),
                ),
                receipt_services.ReceivedLine(
                    asn_line_id=cream.pk,
                    received_quantity=cream.expected_quantity,
                    lot=cream.lot,
                    attachment=DiskFullUpload("count.pdf", PDF, "application/pdf"),
                ),
            ],
            idempotency_key="disk-full",
        )
    assert not Receipt.objects.filter(asn=shipment.asn).exists()
    assert _stored_files(media) == []


def test_a_failed_case_message_leaves_no_file(net, received, media):
    line, case = received
    before = _stored_files(media)
    with pytest.raises(OSError):
        case_services.case_post_message(
            scope=scope_of_user(net.amazon_admin),
            case=case,
            body="Count sheet attached",
            attachment=DiskFullUpload("count.pdf", PDF, "application/pdf"),
        )
    assert _stored_files(media) == before
    assert not CaseMessage.objects.filter(case=case, body="Count sheet attached").exists()


def test_a_stored_file_is_removed_when_the_service_raises_later(media):
    """The wrapper alone: a file stored, then a refusal (a validation error after the upload),
    and the file is gone; a service that returns keeps its file."""
    from django.core.files.storage import default_storage

    from core.uploads import removes_files_on_error

    @removes_files_on_error
    def stores_then_refuses() -> None:
        default_storage.save("receipts/x.pdf", BytesIO(PDF))
        raise ValidationError("refused after the upload")

    @removes_files_on_error
    def stores() -> str:
        return default_storage.save("receipts/y.pdf", BytesIO(PDF))

    with pytest.raises(ValidationError):
        stores_then_refuses()
    assert _stored_files(media) == []
    name = stores()
    assert [p.relative_to(media).as_posix() for p in _stored_files(media)] == [name]


def test_a_replaced_product_image_is_removed_after_commit(
    net, media, django_capture_on_commit_callbacks
):
    from inventory.services import catalog

    scope = scope_of_user(net.admin, net.dist)
    product = Product.objects.get(pk=net.serum.pk)
    for name in ("first.png", "second.png"):
        with django_capture_on_commit_callbacks(execute=True):
            catalog.product_update(
                scope=scope, product=product, image=SimpleUploadedFile(name, _png(), "image/png")
            )
    product.refresh_from_db()
    assert [p.relative_to(media).as_posix() for p in _stored_files(media)] == [product.image.name]
