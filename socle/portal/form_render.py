"""Procedure forms in HTML: from a definition to widgets, and from a POST back to answers.

Works without JavaScript: a condition on an answer of the same page is shown as a hint
saying when the question applies (with JavaScript, ``conditions.js`` shows and hides the
question in place, from the same rules); a condition on an answer already given (an
earlier step) is evaluated here, and the question is drawn only when it applies.
Repeatable groups show their rows plus one blank row, and an "add a row" button
re-displays the form with one more.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from socle.core.blobs import BlobRefused, blob_put
from socle.core.models import User
from socle.core.uploads import upload_handle_create

from .form_schema import DEFAULT_FILE_MAX_SIZE, DEFAULT_FILE_TYPES, Field, field_visible

PREFIX = "f-"
# Files received before the form is shown again (an added row, another field's error)
# come back as a signed reference: the browser cannot resend them, nor name another's.
KEPT_SALT = "socle.portal.kept-files"
KEPT_SUFFIX = "-kept"

TYPE_HINTS = {
    "phone": "Exemple : 03 44 40 00 00",
    "date": "Format : JJ/MM/AAAA",
    "siret": "14 chiffres, sans espace",
    "email": "Exemple : nom@domaine.fr",
}


@dataclass
class Widget:
    """One field as the template draws it."""

    field: Field
    html_name: str
    html_id: str
    value: Any
    error: str = ""
    hint: str = ""
    rows: list[list[Widget]] = default(default_factory=list)
    condition: str = ""
    # The HTML name of the answer the condition reads, and the form values that show it.
    condition_name: str = ""
    condition_values: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return self.field.type

    @property
    def required_label(self) -> str:
        """Return the mark of a required question: only « (obligatoire) » when it applies now."""
        if not self.field.required or self.type == "step":
            return ""
        return "(obligatoire dans ce cas)" if self.condition else "(obligatoire)"

    @property
    def condition_values_json(self) -> str:
        return json.dumps(list(self.condition_values))

    @property
    def choices(self) -> list[tuple[str, str, bool]]:
        selected = self.value if isinstance(self.value, list) else [self.value]
        return [(c.value, c.label, c.value in selected) for c in self.field.choices]

    @property
    def described_by(self) -> str:
        ids = []
        if self.hint:
            ids.append(f"{self.html_id}-hint")
        if self.error:
            ids.append(f"{self.html_id}-error")
        return " ".join(ids)

    @property
    def yes_no(self) -> str:
        """Return "oui", "non" or "": a saved answer is a boolean, a re-displayed one the POST's text."""
        text = str(self.value).strip().lower()
        if text in {"true", "oui", "1", "on", "yes"}:
            return "oui"
        return "non" if text in {"false", "non", "0", "off", "no"} else ""

    @property
    def kept(self) -> str:
        """Return the signed reference of the files already received for this field."""
        if self.type != "file" or not isinstance(self.value, list) or not self.value:
            return ""
        # A fresh deposit is kept by its handle (still the uploader's own), a file the
        # answers already held by its digest (checked against them again on sending).
        return signing.dumps([{key: item[key] for key in ("upload", "sha256", "name") if key in item}
                              for item in self.value if isinstance(item, Mapping)],
                             salt=KEPT_SALT, compress=True)


def _hint(f: Field) -> str:
    hint = f.help or TYPE_HINTS.get(f.type, "")
    if f.type == "file":
        types = ", ".join(_short_type(t) for t in f.options.get("types") or DEFAULT_FILE_TYPES)
        size = int(f.options.get("max_size") or DEFAULT_FILE_MAX_SIZE) // (1024 * 1024)
        hint = " ".join(part for part in [hint, f"Formats acceptés : {types}. {size} Mo au plus."]
                        if part)
    return hint


def _expected(show_if: Mapping[str, Any]) -> list[Any]:
    return [show_if["equals"]] if "equals" in show_if else list(show_if.get("in") or [])


def _as_form_value(other: Field | None, value: Any) -> str:
    # What the browser sends for that answer: "oui"/"non" for a yes-no question.
    if (other is not None and other.type == "yesno") or isinstance(value, bool):
        return "oui" if value is True or str(value).lower() in {"true", "oui"} else "non"
    return str(value)


def _answer_label(other: Field | None, value: Any) -> str:
    """Return an expected answer as the citizen saw it: the choice's label, never its value."""
    if other is not None and other.type in {"choice", "multichoice"}:
        labels = {c.value: c.label for c in other.choices}
        return labels.get(str(value), str(value))
    if (other is not None and other.type == "yesno") or isinstance(value, bool):
        return "Oui" if _as_form_value(other, value) == "oui" else "Non"
    return str(value)


def condition_text(f: Field, other: Field | None) -> str:
    """Return when a conditional question applies, in the words of the form."""
    if not f.show_if:
        return ""
    name = other.label if other is not None else str(f.show_if["field"])
    answers = " ou ".join(f"« {_answer_label(other, v)} »" for v in _expected(f.show_if))
    return f"À remplir seulement si vous avez répondu {answers} à « {name} »."


def _short_type(mime: str) -> str:
    return {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG",
            "application/vnd.oasis.opendocument.text": "ODT",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
            }.get(mime, mime)


def widgets(fields: list[Field], data: Mapping[str, Any], errors: Mapping[str, str],
            *, extra_rows: Mapping[str, int] | None = None, prefix: str = PREFIX,
            path: str = "", known: Mapping[str, Any] | None = None,
            context_fields: list[Field] | None = None) -> list[Widget]:
    """Return the widgets of a form, filled with answers and errors.

    ``known`` holds the cleaned answers already given elsewhere (earlier steps, or the
    case being completed): a question, or a step, whose condition reads one of them is
    drawn only when it applies. A condition on a question of the same page is left to
    the page (a hint, and ``conditions.js``). ``context_fields`` lists every field of the
    form, so that a condition names a question of another step by its label.
    """
    here = {f.name for f in fields}
    by_name = {f.name: f for f in (context_fields or fields)}
    by_name.update({f.name: f for f in fields})
    result = []
    step_shown = True
    for f in fields:
        if f.type == "step":
            step_shown = known is None or not f.show_if or field_visible(f, known)
        if not step_shown:
            continue
        other_name = str(f.show_if["field"]) if f.show_if else ""
        in_page = bool(f.show_if) and other_name in here
        # Answered elsewhere (an earlier step): decided here, on the server.
        if (f.show_if and not in_page and f.type != "step" and known is not None
                and not field_visible(f, known)):
            continue
        name = f"{prefix}{f.name}"
        key = f"{path}{f.name}"
        widget = Widget(field=f, html_name=name, html_id=f"id-{name}", value=data.get(f.name),
                        error=errors.get(key, ""), hint=_hint(f))
        if f.show_if and f.type != "step" and (in_page or known is None):
            other = by_name.get(other_name)
            widget.condition = condition_text(f, other)
            widget.condition_name = f"{prefix}{other_name}"
            widget.condition_values = tuple(_as_form_value(other, v) for v in _expected(f.show_if))
        if f.type == "group":
            rows = [r for r in (data.get(f.name) or []) if isinstance(r, Mapping)]
            wanted = max(len(rows), 1) + (extra_rows or {}).get(f.name, 0)
            max_rows = int(f.options.get("max_rows", 50))
            while len(rows) < min(wanted, max_rows):
                rows.append({})
            widget.rows = [
                widgets(list(f.fields), row, errors, prefix=f"{name}-{i}-", path=f"{key}.{i}.")
                for i, row in enumerate(rows)
            ]
            widget.value = None
        result.append(widget)
    return result


def error_items(fields: list[Field], errors: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Return a form's errors for its summary: the field's anchor, its label, the message."""
    labels = {f.name: f.label for f in fields}
    items = []
    for key, message in errors.items():
        head = key.split(".")[0]
        anchor = "id-" + PREFIX + key.replace(".", "-")
        items.append((anchor, labels.get(head, key or "Formulaire"), message))
    return items


def form_context(fields: list[Field], data: Mapping[str, Any], errors: Mapping[str, str],
                 extra_rows: Mapping[str, int] | None = None, *,
                 known: Mapping[str, Any] | None = None,
                 context_fields: list[Field] | None = None) -> dict[str, Any]:
    """Return what the templates of a procedure's form need: widgets, errors, communes."""
    from socle.core.selectors import communes_public

    return {"widgets": widgets(fields, data, errors, extra_rows=extra_rows, known=known,
                               context_fields=context_fields),
            "communes_choices": communes_public(),
            "has_files": any(f.type == "file" or any(s.type == "file" for s in f.fields)
                             for f in fields),
            "errors": error_items(fields, errors), "form_error": errors.get("")}


@dataclass
class Parsed:
    data: dict[str, Any]
    errors: dict[str, str]
    add_row: str = ""


def _kept_files(post: QueryDict, name: str) -> list[dict[str, Any]] | None:
    try:
        kept = signing.loads(post.get(name + KEPT_SUFFIX, ""), salt=KEPT_SALT,
                             max_age=24 * 3600)
    except signing.BadSignature:
        return None
    return kept if isinstance(kept, list) else None


def _file_value(f: Field, name: str, post: QueryDict, files: MultiValueDict[str, UploadedFile],
                previous: Any, errors: dict[str, str], key: str, uploader: User | None) -> Any:
    uploads = files.getlist(name)
    if not uploads:
        kept = _kept_files(post, name)
        return previous if kept is None else kept
    stored = []
    types = f.options.get("types") or DEFAULT_FILE_TYPES
    max_size = int(f.options.get("max_size") or DEFAULT_FILE_MAX_SIZE)
    for upload in uploads:
        try:
            blob = blob_put(stream=upload, max_size=max_size, allowed_types=types).blob
        except BlobRefused as exc:
            errors[key] = exc.message
            return previous
        handle, _ = upload_handle_create(actor=uploader, blob=blob, name=upload.name or "fichier")
        stored.append({"upload": handle, "name": upload.name or "fichier"})
    return stored


def parse_post(fields: list[Field], post: QueryDict, files: MultiValueDict[str, UploadedFile],
               previous: Mapping[str, Any] | None = None, *, prefix: str = PREFIX,
               path: str = "", uploader: User | None = None) -> Parsed:
    """Turn a submitted HTML form into answers in the shape the validation expects.

    A file received here is stored and named by an upload handle given to ``uploader``
    (the signed-in person, or None for a visitor), as ``POST /api/v1/blobs`` does.
    """
    previous = previous or {}
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    add_row = ""
    for f in fields:
        name = f"{prefix}{f.name}"
        key = f"{path}{f.name}"
        if f.type == "step":
            continue
        if f.type == "multichoice":
            data[f.name] = post.getlist(name)
        elif f.type == "address":
            parts = {part: post.get(f"{name}-{part}", "").strip()
                     for part in ("street", "postal_code", "city")}
            data[f.name] = parts if any(parts.values()) else None
        elif f.type == "file":
            data[f.name] = _file_value(f, name, post, files, previous.get(f.name), errors, key,
                                       uploader)
        elif f.type == "group":
            count = 0
            try:
                count = min(int(post.get(f"{name}-rows", "0")), 50)
            except ValueError:
                count = 0
            old_rows = previous.get(f.name) or []
            rows = []
            for i in range(count):
                old = old_rows[i] if i < len(old_rows) and isinstance(old_rows[i], Mapping) else {}
                parsed = parse_post(list(f.fields), post, files, old, prefix=f"{name}-{i}-",
                                    path=f"{key}.{i}.", uploader=uploader)
                errors.update(parsed.errors)
                rows.append(parsed.data)
            data[f.name] = rows
            if post.get("add_row") == f.name:
                add_row = f.name
        else:
            value = post.get(name)
            data[f.name] = value if value is None else value.strip() if f.type != "textarea" else value
    return Parsed(data=data, errors=errors, add_row=add_row)


def display_value(f: Field, value: Any) -> str:
    """Return an answer as a person reads it in a summary."""
    if value in (None, "", []):
        return "—"
    if f.type in {"choice", "multichoice"}:
        labels = {c.value: c.label for c in f.choices}
        values = value if isinstance(value, list) else [value]
        return ", ".join(str(labels.get(v, v)) for v in values)
    if f.type == "yesno":
        return "Oui" if value else "Non"
    if f.type == "address" and isinstance(value, Mapping):
        return f"{value.get('street', '')}, {value.get('postal_code', '')} {value.get('city', '')}"
    if f.type == "date" and isinstance(value, str) and len(value) == 10:
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    if f.type == "file" and isinstance(value, list):
        return ", ".join(str(item.get("name") or "fichier") for item in value
                         if isinstance(item, Mapping))
    if f.type == "number":
        return number_fr(str(value))
    return str(value)


def number_fr(text: str) -> str:
    """Write a stored number the French way: 1 234,5 (narrow no-break space, comma)."""
    negative = text.startswith("-")
    whole, _, decimals = text.lstrip("-").partition(".")
    if not whole.isdigit():
        return text
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return ("-" if negative else "") + "\u202f".join(groups) + (f",{decimals}" if decimals else "")


@dataclass
class SummaryRow:
    label: str
    value: str
    rows: list[list[SummaryRow]] = default(default_factory=list)


def summary(fields: list[Field], data: Mapping[str, Any]) -> list[SummaryRow]:
    """Return the answers of a case, by field label, for reading."""
    result = []
    for f in fields:
        if f.type == "step":
            continue
        if f.type == "group":
            rows = [summary(list(f.fields), row) for row in data.get(f.name) or []
                    if isinstance(row, Mapping)]
            result.append(SummaryRow(f.label, f"{len(rows)} ligne(s)", rows))
        elif f.name in data:
            result.append(SummaryRow(f.label, display_value(f, data.get(f.name))))
    return result
