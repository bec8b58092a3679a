"""Filling a procedure in steps: one page per step, conditions decided between steps, then a
summary where the citizen checks and changes the answers before sending them.

The answers travel in the session (files as the uploader's handles) until they are sent;
every step is validated by the same rules as the whole form, and the summary's « Envoyer »
validates everything again in ``case_submit``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import get_random_string

from socle.core.models import Organisation, User
from socle.core.request_actor import request_actor_or_none
from socle.core.services import ServiceError

from . import selectors, services
from .effective import EffectiveProcedure
from .form_render import error_items, form_context, parse_post, summary
from .form_steps import RECAP, Step, step_after, step_before, step_of_error, steps_shown, steps_split
from .models import Case, FeeKind, ProcedureRevision
from .page_filing import case_file_from_page, case_filed

STATE_PREFIX = "socle_steps"
# An editor trying a revision before it is published: answers kept apart, nothing filed.
TRIAL_PREFIX = "socle_trial"


def _key(offered: EffectiveProcedure, commune: Organisation | None,
         trial: ProcedureRevision | None = None) -> str:
    prefix = f"{TRIAL_PREFIX}:{trial.number}" if trial is not None else STATE_PREFIX
    return f"{prefix}:{offered.procedure.pk}:{commune.slug if commune else ''}"


def _url(request: HttpRequest, step: str | int) -> str:
    query = request.GET.copy()
    query.pop("brouillon", None)
    query["etape"] = str(step)
    return f"{request.path}?{query.urlencode()}"


def _state(request: HttpRequest, offered: EffectiveProcedure, commune: Organisation | None,
           user: User | None, trial: ProcedureRevision | None) -> dict[str, Any]:
    key = _key(offered, commune, trial)
    state = request.session.get(key)
    number = "" if trial is not None else request.GET.get("brouillon", "")
    draft = None
    if number and user is not None:
        draft = selectors.case_draft_of_citizen(actor=user, number=number)
    if number and user is not None and draft is not None:
        state = {"data": dict(draft.data), "draft": draft.number,
                 "revision": draft.revision.number if draft.revision_id else None}
    current = trial or offered.revision
    revision = current.number if current else None
    if not isinstance(state, dict) or (not state.get("draft") and state.get("revision") != revision):
        # A new form, or one published again since: start afresh.
        state = {"data": {}, "draft": "", "revision": revision}
    state.setdefault("key", get_random_string(24))
    request.session[key] = state
    return state


def _cleaned(offered: EffectiveProcedure, data: dict[str, Any], user: User | None,
             draft: Case | None, revision: ProcedureRevision | None) -> dict[str, Any]:
    return services.case_validate(offered, data, actor=user, held=draft.data if draft else None,
                                  partial=True, revision=revision).data


def procedure_in_steps(request: HttpRequest, *, offered: EffectiveProcedure,
                       commune: Organisation | None,
                       trial: ProcedureRevision | None = None) -> HttpResponse:
    """Show one step of a procedure, its summary, or move between them.

    With ``trial`` (a revision an editor tries before publishing it), the same pages run the
    same rules on that revision, and the summary ends the trial: nothing is filed or sent.
    """
    user = request_actor_or_none(request)
    state = _state(request, offered, commune, user, trial)
    draft = (selectors.case_draft_of_citizen(actor=user, number=state["draft"])
             if state.get("draft") and user is not None and trial is None else None)
    revision = trial or (draft.revision if draft else offered.revision)
    fields = offered.fields(revision)
    steps = steps_split(fields, first_title="Votre demande")
    data: dict[str, Any] = dict(state["data"])
    shown = steps_shown(steps, _cleaned(offered, data, user, draft, revision))
    wanted = request.GET.get("etape", "1")
    if wanted == RECAP:
        return _recap(request, offered=offered, commune=commune, user=user, state=state,
                      draft=draft, shown=shown, fields=fields, trial=trial)
    step = next((s for s in shown if str(s.number) == wanted), shown[0])
    errors: dict[str, str] = {}
    extra_rows: dict[str, int] = {}
    status = 200
    if request.method == "POST":
        parsed = parse_post(list(step.fields), request.POST, request.FILES, data, uploader=user)
        data.update(parsed.data)
        state["data"] = data
        request.session.modified = True
        action = request.POST.get("action", "next")
        cleaned = _cleaned(offered, data, user, draft, revision)
        shown = steps_shown(steps, cleaned)
        if action == "previous":
            before = step_before(shown, step.number)
            return redirect(_url(request, before.number if before else step.number))
        if parsed.add_row:
            extra_rows[parsed.add_row] = 1
        else:
            full = services.case_validate(offered, data, actor=user,
                                          held=draft.data if draft else None,
                                          revision=revision)
            errors = {k: v for k, v in {**full.errors, **parsed.errors}.items()
                      if k.split(".")[0] in step.names}
            if not errors:
                after = step_after(shown, step.number)
                return redirect(_url(request, after.number if after else RECAP))
            status = 400
    cleaned = _cleaned(offered, data, user, draft, revision)
    return render(request, "portal/procedure_step.html", {
        "offered": offered, "commune": commune, "step": step, "shown": shown, "trial": trial,
        "position": shown.index(step) + 1 if step in shown else 1, "draft": draft,
        "fee_fixed": offered.fee_kind == FeeKind.FIXED,
        "previous": step_before(shown, step.number),
        "errors": error_items(fields, errors),
        **_context(list(step.fields), data, errors, extra_rows, cleaned, fields),
    }, status=status)


def _context(step_fields: list[Any], data: dict[str, Any], errors: dict[str, str],
             extra_rows: dict[str, int], cleaned: dict[str, Any], fields: list[Any]
             ) -> dict[str, Any]:
    context = form_context(step_fields, data, errors, extra_rows, known=cleaned,
                           context_fields=fields)
    context.pop("errors", None)
    return context


def _recap(request: HttpRequest, *, offered: EffectiveProcedure, commune: Organisation | None,
           user: User | None, state: dict[str, Any], draft: Case | None, shown: list[Step],
           fields: list[Any], trial: ProcedureRevision | None) -> HttpResponse:
    data: dict[str, Any] = dict(state["data"])
    revision = trial or (draft.revision if draft else offered.revision)
    cleaned = _cleaned(offered, data, user, draft, revision)
    form_error = ""
    status = 200
    sections = [{"step": step, "rows": summary(list(step.fields), cleaned),
                 "url": _url(request, step.number)} for step in shown]
    if request.method == "POST" and trial is not None:
        checked = services.case_validate(offered, data, actor=user, revision=trial)
        wrong = step_of_error(shown, checked.errors) if checked.errors else None
        if wrong is not None:
            messages.error(request, "Une réponse est à corriger : l'envoi serait refusé.")
            return redirect(_url(request, wrong.number))
        request.session.pop(_key(offered, commune, trial), None)
        return render(request, "portal/procedure_trial_done.html", {
            "offered": offered, "trial": trial, "sections": sections,
            "restart_url": _url(request, 1)})
    if request.method == "POST":
        action = request.POST.get("action", "submit")
        try:
            if action == "draft" and user is not None:
                draft = services.case_draft_save(actor=user, offered=offered, data=data,
                                                 case=draft)
                request.session.pop(_key(offered, commune), None)
                messages.success(request, f"Brouillon n° {draft.number} enregistré. Vous "
                                          "pourrez le reprendre depuis « Mes demandes ».")
                return redirect("portal:my_cases")
            case = case_file_from_page(
                request, user=user, offered=offered, data=data, draft=draft,
                expected_revision=state.get("revision"), idempotency_key=str(state.get("key", "")))
        except services.CaseInvalid as exc:
            wrong = step_of_error(shown, exc.errors)
            if wrong is not None:
                messages.error(request, "Une réponse est à corriger avant l'envoi.")
                return redirect(_url(request, wrong.number))
            form_error = " ".join(exc.errors.values())
            status = 400
        except ServiceError as exc:
            form_error = exc.message
            status = 409 if exc.code in {"revision_changed", "already_submitted"} else exc.status
        else:
            request.session.pop(_key(offered, commune), None)
            return case_filed(request, user=user, case=case)
    return render(request, "portal/procedure_recap.html", {
        "offered": offered, "commune": commune, "sections": sections, "shown": shown,
        "trial": trial,
        "draft": draft, "form_error": form_error, "fee_fixed": offered.fee_kind == FeeKind.FIXED,
        "back_url": _url(request, shown[-1].number) if shown else reverse("portal:catalogue"),
    }, status=status)
