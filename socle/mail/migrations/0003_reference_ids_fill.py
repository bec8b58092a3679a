"""Decision 0017, step 2: a letter's case number becomes the case's id, a piece's GED
document id (a string) becomes an integer.

Its own migration, so that on PostgreSQL the rows are written in one transaction and the
columns dropped in the next one. The portal is read only if it is installed (the way
Django's documentation moves data between apps): without it, a case number leads
nowhere and the link is left empty.
"""

from django.apps import apps as global_apps
from django.db import migrations

BATCH = 500
LARGEST_ID = 2**63 - 1


def _portal_case_model(apps):
    try:
        return apps.get_model("portal", "Case")
    except LookupError:
        return None


def forwards(apps, schema_editor):
    Mail = apps.get_model("mail", "Mail")
    MailPiece = apps.get_model("mail", "MailPiece")
    for pk, ref in MailPiece.objects.exclude(document_ref="").values_list("pk", "document_ref"):
        ref = ref.strip()
        if ref.isdigit() and 0 < int(ref) <= LARGEST_ID:
            MailPiece.objects.filter(pk=pk).update(documents_document_id=int(ref))
    Case = _portal_case_model(apps)
    if Case is None:
        return
    linked = list(Mail.objects.exclude(portal_case_number="")
                  .values_list("pk", "portal_case_number", "portal_case_organisation_id"))
    for start in range(0, len(linked), BATCH):
        batch = linked[start:start + BATCH]
        cases = {number: (pk, organisation_id) for pk, number, organisation_id in
                 Case.objects.filter(number__in=[number for _, number, _ in batch])
                 .values_list("pk", "number", "organisation_id")}
        for mail_pk, number, organisation_id in batch:
            case_pk, case_organisation_id = cases.get(number, (None, None))
            # The organisation was stored with the number: a case elsewhere is not this one.
            if case_pk is not None and organisation_id in (None, case_organisation_id):
                Mail.objects.filter(pk=mail_pk).update(portal_case_id=case_pk)


def backwards(apps, schema_editor):
    Mail = apps.get_model("mail", "Mail")
    MailPiece = apps.get_model("mail", "MailPiece")
    for pk, document_id in MailPiece.objects.filter(documents_document_id__isnull=False) \
            .values_list("pk", "documents_document_id"):
        MailPiece.objects.filter(pk=pk).update(document_ref=str(document_id))
    Case = _portal_case_model(apps)
    if Case is None:
        return
    linked = list(Mail.objects.filter(portal_case_id__isnull=False)
                  .values_list("pk", "portal_case_id"))
    for start in range(0, len(linked), BATCH):
        batch = linked[start:start + BATCH]
        cases = {pk: (number, organisation_id) for pk, number, organisation_id in
                 Case.objects.filter(pk__in=[case_pk for _, case_pk in batch])
                 .values_list("pk", "number", "organisation_id")}
        for mail_pk, case_pk in batch:
            if case_pk in cases:
                number, organisation_id = cases[case_pk]
                Mail.objects.filter(pk=mail_pk).update(
                    portal_case_number=number, portal_case_organisation_id=organisation_id)


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0002_reference_ids'),
    ]
    if global_apps.is_installed("socle.portal"):
        dependencies.append(('portal', '0001_initial'))

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
