"""A PayFiP web service (DGFiP, SOAP) on 127.0.0.1, for eopayment's payfip_ws backend.

It answers the two calls a platform makes: ``creerPaiementSecurise`` (returns an
operation id, idOp) and ``recupererDetailPaiementSecurise`` (the operation's
result: a SOAP fault P5 while the citizen has not paid, then P/R/A with the
amount in cents). ``wsdl_url`` is a copy of eopayment's WSDL whose address points
here. A test decides what the bank says with ``settle``.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import eopayment

RESOURCE = Path(eopayment.__file__).parent / "resource"
SERVICE_NS = ("http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
              "contrat_paiement_securise/PaiementSecuriseService")
ENVELOPE = ('<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>{}'
            "</S:Body></S:Envelope>")


@dataclass
class Operation:
    """One payment as PayFiP holds it."""

    request: dict[str, str]
    resultrans: str = ""  # "" until the citizen pays: PayFiP answers with the P5 fault
    montant: str = ""
    refdet: str = ""


@dataclass
class PayfipServer:
    wsdl_url: str = ""
    operations: dict[str, Operation] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def settle(self, idop: str, resultrans: str = "P", montant: str | None = None,
               refdet: str | None = None) -> None:
        """Say what became of an operation: P paid, R refused, A cancelled (and, to test a
        confused answer, for which amount and debt reference)."""
        operation = self.operations[idop]
        operation.resultrans = resultrans
        operation.montant = montant if montant is not None else operation.request["montant"]
        operation.refdet = refdet if refdet is not None else operation.request["refdet"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _fields(element: ET.Element) -> dict[str, str]:
    return {_local(child.tag): child.text or "" for child in element}


def _fault(code: str, text: str) -> str:
    return ENVELOPE.format(
        "<S:Fault><faultcode>S:Server</faultcode>"
        "<faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur</faultstring>"
        f'<detail><ns2:FonctionnelleErreur xmlns:ns2="{SERVICE_NS}"><code>{code}</code>'
        f"<descriptif>{escape(text)}</descriptif><libelle>{escape(text)}</libelle>"
        "<severite>2</severite></ns2:FonctionnelleErreur></detail></S:Fault>")


def _response(operation: str, values: dict[str, str]) -> str:
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in values.items())
    return ENVELOPE.format(f'<ns2:{operation}Response xmlns:ns2="{SERVICE_NS}"><return>{inner}'
                           f"</return></ns2:{operation}Response>")


def _handler(state: PayfipServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            # Only eopayment's own requests reach this loopback server.
            envelope = ET.fromstring(body)  # noqa: S314
            call = next(envelope.iter("{http://schemas.xmlsoap.org/soap/envelope/}Body"))[0]
            name = _local(call.tag)
            arguments = _fields(call[0]) if len(call) else {}
            state.calls.append(name)
            status, answer = 200, ""
            if name == "creerPaiementSecurise":
                idop = secrets.token_hex(16)
                state.operations[idop] = Operation(request=arguments)
                answer = _response(name, {"idOp": idop})
            elif name == "recupererDetailPaiementSecurise":
                operation = state.operations.get(arguments.get("idOp", ""))
                if operation is None:
                    status, answer = 500, _fault("P1", "IdOp incorrect.")
                elif not operation.resultrans:
                    status, answer = 500, _fault("P5", "Résultat de la transaction non connu.")
                else:
                    request = operation.request
                    answer = _response(name, {
                        "dattrans": "", "exer": request["exer"], "heurtrans": "",
                        "idOp": arguments["idOp"], "mel": request["mel"],
                        "montant": operation.montant,
                        "numauto": "112233" if operation.resultrans == "P" else "",
                        "numcli": request["numcli"], "objet": request.get("objet", ""),
                        "refdet": operation.refdet, "resultrans": operation.resultrans,
                        "saisie": request["saisie"]})
            else:
                status, answer = 500, _fault("P0", "Opération inconnue.")
            data = answer.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def running_payfip_server(directory: Path) -> Iterator[PayfipServer]:
    """Start the service on a free port; write its WSDL (and schemas) into ``directory``."""
    state = PayfipServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    address = f"http://127.0.0.1:{httpd.server_address[1]}/tpa/services/securite"
    for schema in RESOURCE.glob("*.xsd"):
        shutil.copy(schema, directory / schema.name)
    wsdl = (RESOURCE / "PaiementSecuriseService.wsdl").read_text(encoding="utf-8")
    wsdl = wsdl.replace("https://www.payfip.gouv.fr/tpa/services/securite", address)
    (directory / "PaiementSecuriseService.wsdl").write_text(wsdl, encoding="utf-8")
    state.wsdl_url = (directory / "PaiementSecuriseService.wsdl").as_uri()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
