"""Plain server-rendered pages for residents: search, detail with reveal, building
notice board, import with progress and error report, template, export. Thin: every
id goes through ``residents.selectors`` (out of scope → 404), every write through a
service."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from residents.exports import residents_export
from residents.imports import resident_import_start, template_workbook
from residents.models import ImportKind, ResidenceType
from residents.privacy import present
from residents.selectors import (
    access_building,
    access_import,
    access_resident,
    access_resident_tag,
    areas_of,
    building_notice_board,
    can_reveal,
    care_tags_to_visit,
    grid_sheets,
    imports_visible_to,
    overdue_visits_by_grid,
    overdue_visits_by_worker,
    resident_tags_visible_to,
    residents_rights,
)
from residents.services import SearchBudgetExceeded, care_visit_record, import_file_download, resident_find, resident_reveal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Why a page is refused, per right it needs (residents.selectors.residents_rights).
REFUSALS = {
    "open": _("The residents pages are for the staff of grids and areas; your roles are in departments, "
              "whose work is in the department queue."),
    "import": _("Your role may not import residents."),
    "export": _("Your role may not export residents."),
    "visits": _("Only the grid's workers record care visits."),
}


def residents_page(right: str = "open"):
    """A residents page that needs ``right`` (403 with the reason otherwise, as its links
    are hidden); ``request.residents_rights`` tells the templates which links to show."""
    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            rights = residents_rights(request.user)
            if not (rights["open"] and rights[right]):
                raise PermissionDenied(REFUSALS["open" if not rights["open"] else right])
            request.residents_rights = rights
            return view(request, *args, **kwargs)
        return wrapped
    return decorate


class RevealForm(forms.Form):
    field = forms.ChoiceField(label=_("field"), choices=[("id_number", _("ID number")), ("phone", _("phone"))])
    reason = forms.CharField(label=_("reason"), max_length=200)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("the file holds"), choices=ImportKind.choices, initial=ImportKind.RESIDENTS, required=False)
    file = forms.FileField(label=_("CSV or .xlsx file"))
    upgrade_ids = forms.BooleanField(label=_("Store 15-digit ID numbers in their 18-character form"), required=False)
    sheet = forms.CharField(label=_("Sheet (.xlsx; empty: the first)"), required=False, max_length=100)


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")])
    grid_code = forms.CharField(label=_("area code"), required=False, max_length=32)
    residence_type = forms.ChoiceField(label=_("residence type"), required=False,
                                       choices=[("", _("all"))] + list(ResidenceType.choices))
    name = forms.CharField(label=_("name starts with"), required=False, max_length=50)
    include_moved_out = forms.BooleanField(label=_("include people who moved out"), required=False)


@residents_page()
def search(request):
    query = request.GET.get("q", "").strip()
    hits, refusal = [], None
    if query:
        try:
            hits = resident_find(actor=request.user, query=query)
        except SearchBudgetExceeded as error:
            refusal = str(error)
    for hit in hits:
        present(request.user, hit.resident)
    response = render(request, "residents/search.html", {"query": query, "hits": hits, "refusal": refusal,
                                                          "areas": areas_of(request.user)},
                      status=429 if refusal else 200)
    response["Cache-Control"] = "no-store"
    return response


@residents_page()
def detail(request, resident_id):
    resident = access_resident(request.user, resident_id)
    revealed = None
    form = RevealForm()
    if request.method == "POST":
        form = RevealForm(request.POST)
        if form.is_valid():
            try:
                value = resident_reveal(actor=request.user, resident=resident, field=form.cleaned_data["field"],
                                        reason=form.cleaned_data["reason"])
            except PermissionDenied as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                revealed = {"field": dict(form.fields["field"].choices)[form.cleaned_data["field"]], "value": value}
    present(request.user, resident)
    context = {
        "resident": resident,
        "form": form,
        "revealed": revealed,
        "may_reveal": can_reveal(request.user, resident, "id_number") or can_reveal(request.user, resident, "phone"),
        "tags": resident_tags_visible_to(request.user).filter(resident=resident, ended_on__isnull=True),
    }
    response = render(request, "residents/detail.html", context)
    response["Cache-Control"] = "no-store"  # a revealed value must not stay in a cache
    return response


@residents_page()
def notice_board(request, building_id):
    """The building's printable notice board (公示牌) with a QR code that opens the
    public report page for this building."""
    import segno
    from django.urls import reverse

    from events.views.public import building_link_token

    building = access_building(request.user, building_id)
    report_url = request.build_absolute_uri(reverse("public_report") + "?b=" + building_link_token(building.pk))
    # Whole pixels per module (about 200 px in all) and the 4-module quiet zone scanners
    # need, at its own size: CSS that resized it used to crop its edges.
    code = segno.make(report_url, error="m")
    scale = max(1, round(200 / code.symbol_size(border=4)[0]))
    qr_svg = code.svg_inline(scale=scale, border=4, title=str(_("Report a problem here")))
    return render(request, "residents/notice_board.html", {
        "board": building_notice_board(building), "report_url": report_url, "qr_svg": qr_svg})


@residents_page()
def my_grid(request):
    """The buildings, key places and resident counts of the user's grids."""
    return render(request, "residents/my_grid.html", {"sheets": grid_sheets(request.user)})


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("visited on"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    note = forms.CharField(label=_("note"), max_length=1000, required=False)

    def clean_visited_on(self):
        day = self.cleaned_data["visited_on"]
        if day > timezone.localdate():
            raise ValidationError(_("A visit cannot be in the future."))
        return day


@residents_page("visits")
def visits(request):
    """Care visits to record: the special-group people in scope, most urgent first; the
    form records one visit (htmx swaps the row)."""
    today = timezone.localdate()
    if request.method == "POST":
        tag = access_resident_tag(request.user, request.POST.get("tag"))
        form = VisitForm(request.POST)
        if form.is_valid():
            try:
                care_visit_record(actor=request.user, tag=tag, visited_on=form.cleaned_data["visited_on"],
                                  note=form.cleaned_data["note"])
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                tag.refresh_from_db()
                form = VisitForm(initial={"visited_on": today})
                form.recorded = True
        context = {"tag": tag, "form": form, "today": today}
        if request.headers.get("HX-Request"):
            return render(request, "residents/_visit_row.html", context)
        if not form.errors:
            return redirect("residents:visits")
    rows = [{"tag": tag, "form": VisitForm(initial={"visited_on": today})} for tag in care_tags_to_visit(request.user)]
    return render(request, "residents/visits.html", {"rows": rows, "today": today})


@residents_page("import")
def import_list(request):
    form, status = ImportForm(), 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = resident_import_start(actor=request.user, upload=upload, name=upload.name,
                                            upgrade_ids=form.cleaned_data["upgrade_ids"], sheet=form.cleaned_data["sheet"],
                                            language=translation.get_language(), kind=form.cleaned_data["kind"] or ImportKind.RESIDENTS)
            except PermissionDenied as error:
                form.add_error(None, str(error))
                status = 403
            else:
                return redirect("residents:import_detail", job.pk)
    jobs = imports_visible_to(request.user)[:20]
    return render(request, "residents/import_list.html", {"form": form, "jobs": jobs,
                                                              "retention_days": settings.RESIDENT_FILE_RETENTION_DAYS},
                  status=status)


@residents_page("import")
def import_detail(request, import_id):
    job = access_import(request.user, import_id)
    return render(request, "residents/import_detail.html", {"job": job})


@residents_page("import")
def import_errors(request, import_id):
    job = access_import(request.user, import_id)
    handle = import_file_download(actor=request.user, job=job)
    if handle is None:
        return redirect("residents:import_detail", job.pk)
    response = FileResponse(handle, as_attachment=True, filename=f"import-{job.pk}-errors.xlsx", content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response


@residents_page("import")
def import_template(request):
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="residents-template.xlsx"'
    return response


@residents_page("export")
def export(request):
    form = ExportForm(request.GET or None)
    if not request.GET or not form.is_valid():
        return render(request, "residents/export.html", {"form": form})
    filters = {key: value for key, value in form.cleaned_data.items() if key != "format"}
    file_format = form.cleaned_data["format"]
    _count, content = residents_export(actor=request.user, format=file_format, filters=filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="residents-{stamp}.csv"'
        return response
    return FileResponse(content, as_attachment=True, filename=f"residents-{stamp}.xlsx", content_type=XLSX)


@residents_page()
def overdue(request):
    today = timezone.localdate()
    return render(request, "residents/overdue.html", {
        "by_grid": overdue_visits_by_grid(request.user, today=today),
        "by_worker": overdue_visits_by_worker(request.user, today=today),
        "today": today,
    })
