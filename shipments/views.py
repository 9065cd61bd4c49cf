from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from core.entitlements import Feature, require_feature
from core.exports import csv_response, pdf_response
from core.forms import add_service_error, error_text, render_form
from core.paging import paginate
from core.uploads import EVIDENCE, file_download
from orgs.decorators import scoped_view

from . import selectors
from .forms import MessageForm, ReceiptForm, ResolveForm, ShipmentForm
from .models import ShipmentStatus
from .services import cases as case_services
from .services import receipts as receipt_services
from .services import shipments as shipment_services


@scoped_view
@require_feature(Feature.SHIPMENTS_VIEW)
def shipment_list(request):
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()[:80]
    page = selectors.shipment_page(
        request.scope, status=status, query=query, page=request.GET.get("page")
    )
    return render(
        request,
        "shipments/shipment_list.html",
        {"page": page, "status": status, "query": query, "statuses": ShipmentStatus.choices},
    )


@scoped_view
@require_feature(Feature.SHIPMENTS_CREATE)
def shipment_create(request):
    form = ShipmentForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        try:
            shipment = shipment_services.shipment_create(
                scope=request.scope, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{shipment.number} was created as a draft.")
            return redirect("shipments:shipment_detail", public_id=shipment.public_id)
    return render_form(request, "shipments/shipment_form.html", {"form": form})


@scoped_view
@require_feature(Feature.SHIPMENTS_VIEW)
def shipment_detail(request, public_id):
    shipment = selectors.shipment_detail(request.scope, public_id)
    return render(
        request,
        "shipments/shipment_detail.html",
        {"shipment": shipment, "receive_key": uuid.uuid4().hex},
    )


@require_POST
@scoped_view
@require_feature(Feature.SHIPMENTS_VIEW)
def shipment_transition(request, public_id, action):
    shipment = selectors.shipment_detail(request.scope, public_id)
    scope = request.scope
    try:
        if action == "book":
            shipment_services.shipment_book(scope=scope, shipment=shipment)
        elif action == "ship":
            cartons = request.POST.get("cartons", "0")
            shipment_services.shipment_ship(
                scope=scope, shipment=shipment, cartons=int(cartons) if cartons.isdigit() else 0
            )
        elif action == "cancel":
            shipment_services.shipment_cancel(scope=scope, shipment=shipment)
        elif action == "receive":
            key = request.POST.get("idempotency_key") or f"receive:{shipment.public_id}"
            shipment_services.shipment_mark_received(
                scope=scope, shipment=shipment, idempotency_key=key
            )
        else:
            return HttpResponseNotAllowed(["POST"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        response = render(
            request,
            "shipments/shipment_detail.html",
            {
                "shipment": selectors.shipment_detail(scope, public_id),
                "receive_key": uuid.uuid4().hex,
            },
            status=409,
        )
        return response
    shipment.refresh_from_db(fields=["status"])
    messages.success(request, f"{shipment.number} is now {shipment.get_status_display().lower()}.")
    return redirect("shipments:shipment_detail", public_id=shipment.public_id)


@scoped_view
@require_feature(Feature.ASNS_RECEIVE)
def asn_list(request):
    tab = request.GET.get("tab", "awaiting")
    if tab not in {"awaiting", "received", "all"}:
        tab = "awaiting"
    page = selectors.asn_page(request.scope, tab=tab, page=request.GET.get("page"))
    return render(request, "shipments/asn_list.html", {"page": page, "tab": tab})


@scoped_view
@require_feature(Feature.ASNS_RECEIVE)
def asn_detail(request, public_id):
    asn = selectors.asn_detail(request.scope, public_id)
    form = None
    status = 200
    if asn.can_confirm or request.method == "POST":
        form = ReceiptForm(
            request.POST or None, request.FILES or None, asn=asn, lines=asn.line_list
        )
    if request.method == "POST":
        if form.is_valid():
            try:
                receipt, created = receipt_services.asn_confirm_receipt(
                    scope=request.scope,
                    asn=asn,
                    lines=form.received_lines(),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    note=form.cleaned_data.get("note", ""),
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                cases = receipt.lines.filter(case__isnull=False).count()
                messages.success(
                    request,
                    f"{asn.number} received."
                    + (f" {cases} discrepancy case(s) opened." if cases else ""),
                )
                return redirect("shipments:asn_detail", public_id=asn.public_id)
        status = 400
    return render(request, "shipments/asn_detail.html", {"asn": asn, "form": form}, status=status)


@scoped_view
@require_feature(Feature.ASNS_RECEIVE)
def case_list(request):
    open_only = request.GET.get("open") == "1"
    page = selectors.case_page(request.scope, open_only=open_only, page=request.GET.get("page"))
    return render(request, "shipments/case_list.html", {"page": page, "open_only": open_only})


@scoped_view
@require_feature(Feature.ASNS_RECEIVE)
def case_detail(request, public_id):
    scope = request.scope
    case = selectors.case_detail(scope, public_id)
    message_form = MessageForm()
    resolve_form = ResolveForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "message":
                message_form = MessageForm(request.POST, request.FILES)
                if not message_form.is_valid():
                    problems = list(message_form.errors.get("attachment", []))
                    if "body" in message_form.errors:
                        problems.insert(0, "Write a message (up to 5,000 characters).")
                    raise ValidationError(problems)
                case_services.case_post_message(
                    scope=scope,
                    case=case,
                    body=message_form.cleaned_data["body"],
                    attachment=message_form.cleaned_data.get("attachment"),
                )
                messages.success(request, "Message sent to both sides.")
            elif action == "resolve":
                resolve_form = ResolveForm(request.POST)
                if not resolve_form.is_valid():
                    raise ValidationError("Choose a resolution; quantities must be numbers.")
                data = resolve_form.cleaned_data
                if data["resolution"] == "DISPUTE":
                    case_services.case_dispute(scope=scope, case=case, body=data.get("note", ""))
                    messages.success(request, f"{case.number} is disputed.")
                else:
                    case_services.case_resolve(
                        scope=scope,
                        case=case,
                        resolution=data["resolution"],
                        found_quantity=data.get("found_quantity"),
                        note=data.get("note", ""),
                    )
                    messages.success(request, f"{case.number} is resolved.")
            else:
                raise ValidationError("Unknown action.")
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            status = 400
            case = selectors.case_detail(scope, public_id)
        else:
            return redirect("shipments:case_detail", public_id=case.public_id)
    return render(
        request,
        "shipments/case_detail.html",
        {"case": case, "message_form": message_form, "resolve_form": resolve_form},
        status=status,
    )


@scoped_view
@require_feature(Feature.ASNS_RECEIVE)
def credit_note_pdf(request, public_id):
    case = selectors.case_detail(request.scope, public_id)
    if not case.credit_note_number:
        raise Http404("No credit note on this case.")
    return pdf_response(
        request,
        "shipments/credit_note.html",
        {"case": case},
        filename=f"{case.credit_note_number}.pdf",
    )


@require_safe
@scoped_view
@require_feature(Feature.ASNS_RECEIVE)
def receipt_evidence(request, public_id):
    """A receipt line's evidence, to both sides of its shipment (404 for anyone else)."""
    line = selectors.receipt_line_with_evidence(request.scope, public_id)
    return file_download(line.attachment, original_name=line.attachment_name, allowed=EVIDENCE)


@require_safe
@scoped_view
@require_feature(Feature.ASNS_RECEIVE)
def case_attachment(request, public_id):
    """A case message's attachment, to both parties of the case (404 for anyone else)."""
    message = selectors.case_message_with_attachment(request.scope, public_id)
    return file_download(
        message.attachment, original_name=message.attachment_name, allowed=EVIDENCE
    )


@scoped_view
@require_feature(Feature.REPORTS_BASIC)
def receipt_history(request):
    receipts = selectors.receipt_history(request.scope)
    if request.GET.get("format") == "csv":
        return csv_response(
            "receipt-history.csv",
            ["confirmed_at", "asn", "shipment", "from", "to", "units", "damaged", "cases"],
            _receipt_rows(request.scope, receipts),
        )
    page = paginate(request, receipts)
    for receipt in page.object_list:
        selectors.decorate(request.scope, receipt.asn.shipment)
    return render(request, "shipments/receipt_history.html", {"page": page})


def _receipt_rows(scope, receipts):
    for receipt in receipts.iterator(chunk_size=500):
        shipment = selectors.decorate(scope, receipt.asn.shipment)
        yield [
            f"{receipt.confirmed_at:%Y-%m-%d %H:%M}",
            receipt.asn.number,
            shipment.number,
            _end_text(shipment.origin_end),
            _end_text(shipment.destination_end),
            receipt.units,
            receipt.damaged,
            receipt.case_count,
        ]


def _end_text(end) -> str:
    return f"{end.code} {end.name}".strip()


@scoped_view
@require_feature(Feature.REPORTS_BASIC)
def storage_fees(request):
    reports = selectors.storage_fee_reports(request.scope)
    if request.GET.get("format") == "csv":
        return csv_response(
            "storage-fees.csv",
            ["network", "partner", "locations", "month", "units", "cubic_m3", "basis", "fee_usd"],
            _storage_fee_rows(reports),
        )
    return render(request, "shipments/storage_fees.html", {"reports": reports})


def _storage_fee_rows(reports):
    for report in reports:
        codes = " ".join(loc.code for loc in report.locations)
        for month in report.months:
            yield [
                report.network_org_name,
                report.partner_org_name,
                codes,
                f"{month.month:%Y-%m}",
                month.units,
                month.cubic_metres,
                month.basis,
                month.fee,
            ]
