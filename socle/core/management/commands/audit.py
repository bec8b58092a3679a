from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from socle.core.journal import audit_verify
from socle.core.journal_seal import (
    SealError,
    audit_proof,
    audit_proof_verify,
    audit_seal,
    audit_verify_seals,
    audit_verify_witness,
    roots_configured,
)


class Command(BaseCommand):
    help = "Journal d'audit : vérifier la chaîne d'empreintes, sceller, prouver."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Vérifier que le journal est intact.")
        verify.add_argument("--proofs", action="store_true",
                            help="Vérifier aussi les scellements : racines de Merkle, liens, "
                                 "jetons d'horodatage (hors ligne).")
        verify.add_argument("--ca-file", default="",
                            help="Certificats racine de confiance (PEM). Par défaut : SOCLE_TSA_CA_FILE.")
        verify.add_argument("--witness", default="", metavar="FICHIER",
                            help="Fichier témoin des scellements. Par défaut : SOCLE_SEAL_WITNESS.")
        sub.add_parser("seal", help="Sceller les événements depuis le dernier scellement "
                                    "(racine de Merkle horodatée RFC 3161).")
        proof = sub.add_parser("proof", help="Preuve d'inclusion d'un événement dans son "
                                             "scellement, ou vérification d'une preuve.")
        target = proof.add_mutually_exclusive_group(required=True)
        target.add_argument("--event", type=int, metavar="SEQ", help="Numéro de l'événement.")
        target.add_argument("--verify", metavar="FICHIER", help="Preuve (JSON) à vérifier.")
        proof.add_argument("--ca-file", default="",
                           help="Certificats racine de confiance (PEM). Par défaut : SOCLE_TSA_CA_FILE.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "seal":
                self._seal()
            elif options["action"] == "proof":
                self._proof(options)
            else:
                self._verify(proofs=options["proofs"], ca_file=options["ca_file"],
                             witness=options["witness"] or settings.SEAL_WITNESS)
        except SealError as exc:
            raise CommandError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from exc

    def _seal(self) -> None:
        seal = audit_seal(actor=None)
        if seal is None:
            self.stdout.write(json.dumps({"sealed": False}))
            self.stderr.write("Rien à sceller : aucun événement depuis le dernier scellement.")
            return
        self.stdout.write(json.dumps({
            "sealed": True, "seal": seal.seq, "first_seq": seal.first_seq,
            "last_seq": seal.last_seq, "merkle_root": seal.merkle_root,
            "seal_hash": seal.seal_hash, "tst_time": seal.tst_time.isoformat(),
        }))
        self.stderr.write(f"Scellement n° {seal.seq} : événements n° {seal.first_seq} à "
                          f"{seal.last_seq}, horodatés le {seal.tst_time:%d/%m/%Y à %H:%M:%S} UTC.")

    def _proof(self, options: dict[str, Any]) -> None:
        if options["event"] is not None:
            self.stdout.write(json.dumps(audit_proof(seq=options["event"]), ensure_ascii=False,
                                         indent=2))
            return
        try:
            proof = json.loads(Path(options["verify"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SealError(f"preuve illisible : {exc}") from exc
        if not isinstance(proof, dict):
            raise SealError("preuve illisible : un objet JSON est attendu")
        at = audit_proof_verify(proof=proof, roots=roots_configured(options["ca_file"] or None))
        self.stdout.write(json.dumps({"ok": True, "event": proof["event"]["seq"],
                                      "seal": proof["seal"]["seq"], "tst_time": at.isoformat()}))
        self.stderr.write(f"Preuve valide : l'événement n° {proof['event']['seq']} existait "
                          f"le {at:%d/%m/%Y à %H:%M:%S} UTC.")

    def _verify(self, *, proofs: bool, ca_file: str, witness: str = "") -> None:
        report = audit_verify()
        summary: dict[str, Any] = {"ok": report.ok, "checked": report.checked,
                                   "last_seq": report.last_seq, "last_hash": report.last_hash}
        problem = ""
        if report.first_break is not None:
            summary["first_break"] = {"seq": report.first_break.seq,
                                      "event_id": report.first_break.event_id,
                                      "reason": report.first_break.reason}
            problem = (f"Journal rompu à l'événement n° {report.first_break.seq} : "
                       f"{report.first_break.reason}.")
        if proofs:
            seals = audit_verify_seals(roots=roots_configured(ca_file or None))
            summary["ok"] = report.ok and seals.ok
            summary["seals"] = {"ok": seals.ok, "checked": seals.checked,
                                "sealed_up_to": seals.sealed_up_to,
                                "unsealed_events": seals.unsealed_events,
                                "last_timestamp": seals.last_timestamp}
            if seals.first_problem is not None:
                summary["seals"]["first_problem"] = {"seal": seals.first_problem.seal,
                                                     "reason": seals.first_problem.reason}
                problem = problem or (f"Scellement n° {seals.first_problem.seal} invalide : "
                                      f"{seals.first_problem.reason}.")
            if witness:
                attested = audit_verify_witness(witness)
                summary["seals"]["witness"] = {"file": str(witness), "attested": attested.attested,
                                               "ok": not attested.problem}
                if attested.problem:
                    summary["ok"] = False
                    summary["seals"]["witness"]["problem"] = attested.problem
                    problem = problem or f"Fichier témoin : {attested.problem}."
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if problem:
            raise CommandError(problem)
        message = f"Journal intact : {report.checked} événements vérifiés."
        if proofs:
            message += (f" {seals.checked} scellements valides, jusqu'à l'événement n° "
                        f"{seals.sealed_up_to} ; {seals.unsealed_events} événements pas encore scellés.")
        self.stderr.write(message)
