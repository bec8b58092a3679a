"""Seals of the journal: Merkle roots over event ranges, chained and timestamped (RFC 3161).

The hash chain of ``journal.py`` shows a change to one event, but whoever holds the
database can rewrite the whole chain consistently. A seal fixes, at a date attested
by an outside timestamping authority, the Merkle root of the events since the
previous seal; seals are chained to each other. Rewriting the past then means
forging a token of the authority. See docs/decisions/0006-sealed-journal.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from . import merkle
from .journal import GENESIS_HASH, _timestamp, canonical_json, event_hash, event_payload
from .models import AuditEvent, AuditSeal, User
from .timestamping import TimestampError, timestamp_obtain, timestamp_verify, trusted_roots_load

SEAL_FORMAT = 1
PROOF_FORMAT = "socle-preuve-journal/1"


class SealError(Exception):
    """Sealing or checking a seal failed (message in French)."""


def _millis(at: datetime) -> datetime:
    # The precision every serialiser keeps (Django's JSON dumps drop microseconds).
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def seal_content(seal: AuditSeal) -> dict[str, Any]:
    """Return the content of a seal that its hash covers."""
    return {
        "format": SEAL_FORMAT,
        "seq": seal.seq,
        "first_seq": seal.first_seq,
        "last_seq": seal.last_seq,
        "merkle_root": seal.merkle_root,
        "last_event_hash": seal.last_event_hash,
        "prev_seal_hash": seal.prev_seal_hash,
        "created_at": _timestamp(seal.created_at),
    }


def _content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def seal_hash(seal: AuditSeal) -> str:
    """Compute the hash a seal must carry (the digest the authority timestamps)."""
    return _content_hash(seal_content(seal))


def _event_rows(first_seq: int, last_seq: int, batch: int = 5000) -> Iterator[AuditEvent]:
    after = first_seq - 1
    while after < last_seq:
        rows = list(AuditEvent.objects.filter(seq__gt=after, seq__lte=last_seq)
                    .order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def _event_hashes(first_seq: int, last_seq: int, batch: int = 20000) -> Iterator[tuple[int, str]]:
    after = first_seq - 1
    while after < last_seq:
        rows = list(AuditEvent.objects.filter(seq__gt=after, seq__lte=last_seq)
                    .order_by("seq").values_list("seq", "hash")[:batch])
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _range_root(first_seq: int, last_seq: int) -> tuple[str, str]:
    """Return (merkle root, hash of the last event) of a range that must be complete."""
    expected = first_seq
    last_hash = ""

    def leaves() -> Iterator[bytes]:
        nonlocal expected, last_hash
        for seq, digest in _event_hashes(first_seq, last_seq):
            if seq != expected:
                raise SealError(f"l'événement n° {expected} manque dans le journal")
            expected += 1
            last_hash = digest
            yield bytes.fromhex(digest)

    root = merkle.merkle_root(leaves())
    if expected != last_seq + 1:
        raise SealError(f"l'événement n° {expected} manque dans le journal")
    return root.hex(), last_hash


def roots_configured(ca_file: str | Path | None = None) -> list[x509.Certificate]:
    """Load the trusted TSA roots from ``ca_file`` or SOCLE_TSA_CA_FILE."""
    path = ca_file or settings.TSA_CA_FILE
    if not path:
        raise SealError("aucune autorité de confiance pour l'horodatage : réglez "
                        "SOCLE_TSA_CA_FILE ou indiquez --ca-file")
    try:
        return trusted_roots_load(path)
    except TimestampError as exc:
        raise SealError(str(exc)) from exc


def _pem_certificates(pem: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem.encode()) if pem.strip() else []
    except ValueError:
        return []


def audit_seal(*, actor: User | None = None) -> AuditSeal | None:
    """Seal the events recorded since the last seal; return None if there are none."""
    # The seal is its own chained, append-only record: journaling it would leave an
    # unsealed event behind every seal, so there would never be "nothing to seal".
    del actor
    if not settings.TSA_URL:
        raise SealError("aucune autorité d'horodatage configurée (SOCLE_TSA_URL)")
    roots = roots_configured()
    previous = AuditSeal.objects.order_by("-seq").first()
    first_seq = previous.last_seq + 1 if previous else 1
    last_event = AuditEvent.objects.filter(seq__gte=first_seq).order_by("-seq").first()
    if last_event is None:
        return None
    # Never seal a journal that is already broken: the seal would vouch for it.
    expected_prev = previous.last_event_hash if previous else GENESIS_HASH
    expected_seq = first_seq
    for event in _event_rows(first_seq, last_event.seq):
        if event.seq != expected_seq:
            raise SealError(f"l'événement n° {expected_seq} manque dans le journal")
        if event.prev_hash != expected_prev or event_hash(event) != event.hash:
            raise SealError(f"le journal est rompu à l'événement n° {event.seq} "
                            "(lancez « socle audit verify »)")
        expected_prev = event.hash
        expected_seq += 1
    root, last_hash = _range_root(first_seq, last_event.seq)
    seal = AuditSeal(
        seq=previous.seq + 1 if previous else 1,
        first_seq=first_seq,
        last_seq=last_event.seq,
        merkle_root=root,
        last_event_hash=last_hash,
        prev_seal_hash=previous.seal_hash if previous else GENESIS_HASH,
        created_at=_millis(timezone.now()),
        tsa_url=settings.TSA_URL,
    )
    seal.seal_hash = seal_hash(seal)
    try:
        token, verified = timestamp_obtain(url=settings.TSA_URL, digest=bytes.fromhex(seal.seal_hash),
                                           roots=roots, timeout=settings.TSA_TIMEOUT)
    except TimestampError as exc:
        raise SealError(f"horodatage impossible : {exc}") from exc
    seal.tst = base64.b64encode(token).decode()
    seal.tst_time = _millis(verified.gen_time)
    seal.tsa_certificates = verified.chain_pem
    try:
        with transaction.atomic():
            seal.save(force_insert=True)
    except IntegrityError as exc:
        raise SealError("un autre scellement a été enregistré pendant celui-ci : "
                        "relancez « socle audit seal »") from exc
    _witness_append(seal)
    return seal


def _witness_line(seal: AuditSeal) -> str:
    return json.dumps({"seal": seal.seq, "first_seq": seal.first_seq, "last_seq": seal.last_seq,
                       "seal_hash": seal.seal_hash, "tst_time": seal.tst_time.isoformat()},
                      sort_keys=True)


def _witness_append(seal: AuditSeal) -> None:
    """Append the seal to the witness file (SOCLE_SEAL_WITNESS), synced to disk."""
    if not settings.SEAL_WITNESS:
        return
    try:
        with open(settings.SEAL_WITNESS, "a", encoding="utf-8") as witness:
            witness.write(_witness_line(seal) + "\n")
            witness.flush()
            os.fsync(witness.fileno())
    except OSError as exc:
        raise SealError(f"le scellement n° {seal.seq} est enregistré, mais le fichier témoin "
                        f"{settings.SEAL_WITNESS} n'a pas pu être écrit ({exc.strerror}) : "
                        "ajoutez-y la ligne à la main ou corrigez le fichier") from exc


@dataclass
class WitnessReport:
    attested: int = 0
    problem: str = ""


def audit_verify_witness(path: str | Path) -> WitnessReport:
    """Check that every seal the witness file attests is still in the database, unchanged."""
    report = WitnessReport()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        if AuditSeal.objects.exists():
            report.problem = f"fichier témoin des scellements illisible ({exc.strerror})"
        return report
    stored = dict(AuditSeal.objects.values_list("seq", "seal_hash"))
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            attested = json.loads(line)
            seq, digest = int(attested["seal"]), str(attested["seal_hash"])
        except (ValueError, KeyError, TypeError):
            report.problem = f"ligne {number} du fichier témoin illisible"
            return report
        if seq not in stored:
            report.problem = (f"le scellement n° {seq}, attesté par le fichier témoin, n'est plus "
                              "en base (scellement supprimé)")
            return report
        if stored[seq] != digest:
            report.problem = (f"le scellement n° {seq} en base diffère de celui qu'atteste le "
                              "fichier témoin")
            return report
        report.attested += 1
    return report


@task(queue_name="default")
def audit_seal_task() -> dict[str, Any]:
    """Seal the journal (run by `socle worker`, e.g. queued every night)."""
    seal = audit_seal(actor=None)
    if seal is None:
        return {"sealed": False}
    return {"sealed": True, "seal": seal.seq, "first_seq": seal.first_seq,
            "last_seq": seal.last_seq, "seal_hash": seal.seal_hash}


def _token_check(seal: AuditSeal, roots: list[x509.Certificate]) -> datetime:
    try:
        token = base64.b64decode(seal.tst, validate=True)
    except ValueError as exc:
        raise SealError("le jeton d'horodatage est illisible") from exc
    try:
        verified = timestamp_verify(token=token, digest=bytes.fromhex(seal.seal_hash), roots=roots,
                                    extra_certificates=_pem_certificates(seal.tsa_certificates))
    except TimestampError as exc:
        raise SealError(f"jeton d'horodatage : {exc}") from exc
    return verified.gen_time


@dataclass(frozen=True)
class SealProblem:
    seal: int
    reason: str


@dataclass
class SealsReport:
    checked: int = 0
    sealed_up_to: int = 0
    unsealed_events: int = 0
    last_timestamp: str = ""
    first_problem: SealProblem | None = None
    seals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_problem is None


def _seal_check(seal: AuditSeal, *, expected_seq: int, expected_first: int, expected_prev: str,
                roots: list[x509.Certificate]) -> datetime:
    if seal.seq != expected_seq:
        raise SealError(f"scellement n° {expected_seq} attendu, n° {seal.seq} trouvé")
    if seal.first_seq != expected_first or seal.last_seq < seal.first_seq:
        raise SealError(f"la plage #{seal.first_seq} à #{seal.last_seq} ne suit pas le "
                        f"scellement précédent (début attendu : #{expected_first})")
    if seal.prev_seal_hash != expected_prev:
        raise SealError("le lien vers le scellement précédent est rompu")
    if seal_hash(seal) != seal.seal_hash:
        raise SealError("le contenu du scellement a été modifié (empreinte différente)")
    root, last_hash = _range_root(seal.first_seq, seal.last_seq)
    if root != seal.merkle_root:
        raise SealError("les événements scellés ont été modifiés (racine de Merkle différente)")
    if last_hash != seal.last_event_hash:
        raise SealError("le dernier événement scellé a été modifié")
    gen_time = _token_check(seal, roots)
    if _millis(gen_time) != _millis(seal.tst_time):
        raise SealError("la date enregistrée ne correspond pas à celle du jeton d'horodatage")
    return gen_time


def audit_verify_seals(*, roots: list[x509.Certificate]) -> SealsReport:
    """Check every seal offline: ranges, links, hashes, Merkle roots and tokens."""
    report = SealsReport()
    expected_prev, expected_first = GENESIS_HASH, 1
    for expected_seq, seal in enumerate(AuditSeal.objects.order_by("seq").iterator(), start=1):
        try:
            gen_time = _seal_check(seal, expected_seq=expected_seq, expected_first=expected_first,
                                   expected_prev=expected_prev, roots=roots)
        except SealError as exc:
            report.first_problem = SealProblem(seal.seq, str(exc))
            break
        report.checked += 1
        report.sealed_up_to = seal.last_seq
        report.last_timestamp = gen_time.isoformat()
        expected_prev, expected_first = seal.seal_hash, seal.last_seq + 1
    last_event = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    report.unsealed_events = max(0, last_event - report.sealed_up_to)
    return report


def audit_proof(*, seq: int) -> dict[str, Any]:
    """Return the inclusion proof of one event in its seal, verifiable without the database."""
    event = AuditEvent.objects.filter(seq=seq).first()
    if event is None:
        raise SealError(f"l'événement n° {seq} n'existe pas")
    seal = AuditSeal.objects.filter(first_seq__lte=seq, last_seq__gte=seq).first()
    if seal is None:
        raise SealError(f"l'événement n° {seq} n'est pas encore scellé (lancez « socle audit seal »)")
    leaves = [bytes.fromhex(digest) for _, digest in _event_hashes(seal.first_seq, seal.last_seq)]
    path = merkle.inclusion_path(leaves, seq - seal.first_seq)
    return {
        "format": PROOF_FORMAT,
        "event": {**event_payload(event), "hash": event.hash},
        "leaf_index": seq - seal.first_seq,
        "tree_size": seal.last_seq - seal.first_seq + 1,
        "audit_path": [node.hex() for node in path],
        "seal": {**seal_content(seal), "seal_hash": seal.seal_hash, "tsa_url": seal.tsa_url,
                 "tst": seal.tst, "tst_time": seal.tst_time.isoformat(),
                 "tsa_certificates": seal.tsa_certificates},
    }


def audit_proof_verify(*, proof: dict[str, Any], roots: list[x509.Certificate]) -> datetime:
    """Check an inclusion proof alone; return the date the authority attests."""
    try:
        if proof.get("format") != PROOF_FORMAT:
            raise SealError("format de preuve inconnu")
        event = dict(proof["event"])
        claimed = event.pop("hash")
        if hashlib.sha256(canonical_json(event).encode()).hexdigest() != claimed:
            raise SealError("le contenu de l'événement ne correspond pas à son empreinte")
        seal = proof["seal"]
        content = {key: seal[key] for key in ("format", "seq", "first_seq", "last_seq",
                                              "merkle_root", "last_event_hash",
                                              "prev_seal_hash", "created_at")}
        if _content_hash(content) != seal["seal_hash"]:
            raise SealError("le contenu du scellement ne correspond pas à son empreinte")
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
        if index != event["seq"] - seal["first_seq"] or size != seal["last_seq"] - seal["first_seq"] + 1:
            raise SealError("la position de l'événement ne correspond pas au scellement")
        if not merkle.inclusion_verify(data=bytes.fromhex(claimed), index=index, size=size,
                                       path=[bytes.fromhex(node) for node in proof["audit_path"]],
                                       root=bytes.fromhex(seal["merkle_root"])):
            raise SealError("le chemin d'audit ne mène pas à la racine de Merkle du scellement")
        token = base64.b64decode(seal["tst"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise SealError(f"preuve incomplète ou mal formée ({exc})") from exc
    try:
        verified = timestamp_verify(token=token, digest=bytes.fromhex(seal["seal_hash"]), roots=roots,
                                    extra_certificates=_pem_certificates(seal.get("tsa_certificates", "")))
    except TimestampError as exc:
        raise SealError(f"jeton d'horodatage : {exc}") from exc
    return verified.gen_time
