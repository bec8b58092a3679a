"""RFC 3161 timestamps: ask an authority over HTTP, and verify a token offline.

The verification needs nothing but the token, the digest it should cover and the
trusted root certificates: it re-does the CMS signature check (signed attributes,
message digest of the TSTInfo, ESSCertID/ESSCertIDv2 binding of the signer) and the
certificate path up to a trusted root, with ``cryptography``. It never calls the
``openssl`` binary, so a journal exported to another system stays verifiable there.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}
# A longer path than this is no TSA hierarchy we would trust.
_MAX_PATH = 6


class TimestampError(Exception):
    """A timestamp could not be obtained or does not verify (message in French)."""


@dataclass(frozen=True)
class VerifiedTimestamp:
    gen_time: datetime
    serial_number: int
    policy: str
    signer_subject: str
    # PEM of the signer's certificate then each issuer up to the trusted root.
    chain_pem: str


def _digest(name: str, data: bytes) -> bytes:
    if name not in _HASHES:
        raise TimestampError(f"algorithme d'empreinte non pris en charge : {name}")
    digest = hashes.Hash(_HASHES[name]())
    digest.update(data)
    return digest.finalize()


def trusted_roots_load(path: str | Path) -> list[x509.Certificate]:
    """Read the trusted root certificates of a PEM file (one or several)."""
    try:
        roots = x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise TimestampError(
            f"impossible de lire les certificats de confiance de {path} : {exc}") from exc
    return roots


def timestamp_request(digest: bytes) -> tuple[bytes, int]:
    """Build a DER TimeStampReq over a SHA-256 digest, with a fresh nonce and certReq."""
    nonce = secrets.randbits(63)
    request = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": tsp.MessageImprint({
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "hashed_message": digest,
        }),
        "nonce": nonce,
        "cert_req": True,
    })
    return request.dump(), nonce


def timestamp_obtain(
    *, url: str, digest: bytes, roots: list[x509.Certificate], timeout: float = 10.0,
) -> tuple[bytes, VerifiedTimestamp]:
    """Ask the authority at ``url`` to timestamp ``digest``; return the verified token (DER)."""
    if not url.startswith(("https://", "http://")):
        raise TimestampError(f"l'adresse de l'autorité d'horodatage doit être en http(s) : {url}")
    query, nonce = timestamp_request(digest)
    http_request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=query, method="POST",
        headers={"Content-Type": "application/timestamp-query",
                 "Accept": "application/timestamp-reply"},
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:  # noqa: S310 - idem
            body = response.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        raise TimestampError(
            f"l'autorité d'horodatage {url} a répondu par une erreur HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TimestampError(
            f"l'autorité d'horodatage {url} est injoignable ({reason})") from exc
    token = timestamp_response_token(body)
    verified = timestamp_verify(token=token, digest=digest, roots=roots, nonce=nonce)
    return token, verified


def timestamp_response_token(body: bytes) -> bytes:
    """Return the token of a TimeStampResp, or say why the authority refused."""
    try:
        response = tsp.TimeStampResp.load(body)
        status = response["status"]["status"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError("la réponse de l'autorité d'horodatage est illisible") from exc
    if status not in {"granted", "granted_with_mods"}:
        texts = response["status"]["status_string"].native or []
        detail = " ; ".join(str(text) for text in texts) or str(status)
        raise TimestampError(f"l'autorité d'horodatage a refusé la demande ({detail})")
    token = response["time_stamp_token"]
    if not isinstance(token, cms.ContentInfo) or token.native is None:
        raise TimestampError("la réponse de l'autorité d'horodatage ne contient pas de jeton")
    return bytes(token.dump())


def _signed_attrs(signer_info: cms.SignerInfo) -> dict[str, Any]:
    # asn1crypto ships no types: each value is an asn1crypto object, read by its keys and .native.
    attrs: dict[str, Any] = {}
    for attr in signer_info["signed_attrs"]:
        name = attr["type"].native
        values = attr["values"]
        if name in attrs or len(values) != 1:
            raise TimestampError(f"attribut signé {name} en double ou ambigu")
        attrs[name] = values[0]
    return attrs


def _signed_attrs_der(signer_info: cms.SignerInfo) -> bytes:
    # The signature covers the attributes encoded as a SET OF (tag 0x31), not as
    # the [0] IMPLICIT field they are stored in (RFC 5652 §5.4).
    encoded = bytes(signer_info["signed_attrs"].dump())
    return b"\x31" + encoded[1:]


def _verify_signature(public_key: object, signature: bytes, data: bytes,
                      signer_info: cms.SignerInfo, digest_name: str) -> None:
    algorithm = signer_info["signature_algorithm"]
    kind = algorithm.signature_algo
    try:
        if isinstance(public_key, rsa.RSAPublicKey) and kind == "rsassa_pkcs1v15":
            public_key.verify(signature, data, padding.PKCS1v15(), _HASHES[digest_name]())
        elif isinstance(public_key, rsa.RSAPublicKey) and kind == "rsassa_pss":
            params = algorithm["parameters"]
            pss_hash = _HASHES[params["hash_algorithm"]["algorithm"].native]()
            public_key.verify(signature, data, padding.PSS(
                mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native), pss_hash)
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and kind == "ecdsa":
            public_key.verify(signature, data, ec.ECDSA(_HASHES[digest_name]()))
        elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public_key.verify(signature, data)
        else:
            raise TimestampError(f"algorithme de signature non pris en charge : {kind}")
    except InvalidSignature as exc:
        raise TimestampError("la signature du jeton d'horodatage est invalide") from exc


def _find_signer(signer_info: cms.SignerInfo,
                 certificates: list[x509.Certificate]) -> x509.Certificate:
    sid = signer_info["sid"]
    for certificate in certificates:
        if sid.name == "issuer_and_serial_number":
            issuer_der = sid.chosen["issuer"].dump()
            if (certificate.serial_number == sid.chosen["serial_number"].native
                    and certificate.issuer.public_bytes() == issuer_der):
                return certificate
        else:
            try:
                ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == sid.chosen.native:
                return certificate
    raise TimestampError("le certificat du signataire du jeton d'horodatage est absent")


def _check_ess_binding(attrs: dict[str, Any], signer: x509.Certificate) -> None:
    # ESSCertID(v2) binds the signature to one certificate, so the signer cannot be
    # swapped for another certificate carrying the same key (RFC 3161 §2.4.1, RFC 5816).
    signer_der = signer.public_bytes(serialization.Encoding.DER)
    if "signing_certificate_v2" in attrs:
        cert_id = attrs["signing_certificate_v2"]["certs"][0]
        hash_name = cert_id["hash_algorithm"]["algorithm"].native
    elif "signing_certificate" in attrs:
        cert_id = attrs["signing_certificate"]["certs"][0]
        hash_name = "sha1"
    else:
        raise TimestampError("le jeton ne désigne pas le certificat de son signataire (ESSCertID)")
    if cert_id["cert_hash"].native != _digest(hash_name, signer_der):
        raise TimestampError("le jeton désigne un autre certificat que celui qui l'a signé")
    issuer_serial = cert_id["issuer_serial"]
    if issuer_serial.native is not None and (
            issuer_serial["serial_number"].native != signer.serial_number):
        raise TimestampError("le jeton désigne un autre certificat que celui qui l'a signé")


def _valid_at(certificate: x509.Certificate, at: datetime) -> bool:
    return certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _chain_to_root(signer: x509.Certificate, pool: list[x509.Certificate],
                   roots: list[x509.Certificate], at: datetime) -> list[x509.Certificate]:
    def der(certificate: x509.Certificate) -> bytes:
        return certificate.public_bytes(serialization.Encoding.DER)

    root_ders = {der(root) for root in roots}
    untrusted = TimestampError(
        "le certificat de l'autorité d'horodatage ne mène à aucune autorité de confiance")
    chain = [signer]
    seen = {der(signer)}
    current = signer
    for _ in range(_MAX_PATH):
        if der(current) in root_ders:
            return chain
        # A self-signed certificate we do not trust ends the path: anyone can make one.
        if current.subject == current.issuer:
            raise untrusted
        for candidate in [*roots, *pool]:
            if candidate.subject != current.issuer or der(candidate) in seen:
                continue
            if not _is_ca(candidate) or not _valid_at(candidate, at):
                continue
            try:
                current.verify_directly_issued_by(candidate)
            except (InvalidSignature, ValueError, TypeError):
                continue
            chain.append(candidate)
            seen.add(der(candidate))
            current = candidate
            break
        else:
            raise untrusted
    raise TimestampError("chaîne de certificats de l'autorité d'horodatage trop longue")


def timestamp_verify(
    *, token: bytes, digest: bytes, roots: list[x509.Certificate], nonce: int | None = None,
    extra_certificates: list[x509.Certificate] | None = None,
) -> VerifiedTimestamp:
    """Verify offline that ``token`` timestamps ``digest`` and is signed by a trusted TSA."""
    try:
        content_info = cms.ContentInfo.load(token)
        if content_info["content_type"].native != "signed_data":
            raise TimestampError("le jeton d'horodatage n'est pas une structure signée (CMS)")
        signed_data = content_info["content"]
        encap = signed_data["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("le jeton ne contient pas d'informations d'horodatage (TSTInfo)")
        tst_info_der = bytes(encap["content"].contents)
        tst_info = tsp.TSTInfo.load(tst_info_der)
        tst_native = tst_info.native
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            raise TimestampError("le jeton d'horodatage doit avoir exactement un signataire")
        signer_info = signer_infos[0]
        if not signer_info["signed_attrs"].native:
            raise TimestampError("le jeton d'horodatage n'a pas d'attributs signés")
        attrs = _signed_attrs(signer_info)
        digest_name = signer_info["digest_algorithm"]["algorithm"].native
        certificates = [
            x509.load_der_x509_certificate(choice.chosen.dump())
            for choice in (signed_data["certificates"] or [])
            if choice.name == "certificate"
        ]
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise TimestampError("le jeton d'horodatage est illisible") from exc

    imprint = tst_native["message_imprint"]
    if imprint["hash_algorithm"]["algorithm"] != "sha256":
        raise TimestampError("le jeton n'horodate pas une empreinte SHA-256")
    if imprint["hashed_message"] != digest:
        raise TimestampError("le jeton horodate une autre empreinte que celle attendue")
    if nonce is not None and tst_native["nonce"] != nonce:
        raise TimestampError("le jeton ne reprend pas le nonce de la demande (rejeu possible)")
    if attrs.get("content_type") is None or attrs["content_type"].native != "tst_info":
        raise TimestampError("l'attribut signé content-type du jeton est incorrect")
    message_digest = attrs.get("message_digest")
    if message_digest is None or message_digest.native != _digest(digest_name, tst_info_der):
        raise TimestampError("l'empreinte signée ne correspond pas au contenu du jeton")

    pool = certificates + list(extra_certificates or [])
    signer = _find_signer(signer_info, pool)
    _check_ess_binding(attrs, signer)
    _verify_signature(signer.public_key(), bytes(signer_info["signature"].native),
                      _signed_attrs_der(signer_info), signer_info, digest_name)

    gen_time: datetime = tst_native["gen_time"]
    try:
        usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound as exc:
        raise TimestampError("le certificat du signataire n'est pas un certificat d'horodatage") from exc
    # RFC 3161 §2.3: the sole, critical extended key usage is timeStamping.
    if not usage.critical or list(usage.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise TimestampError("le certificat du signataire n'est pas un certificat d'horodatage")
    if not _valid_at(signer, gen_time):
        raise TimestampError("le certificat de l'autorité d'horodatage n'était pas valide à la date du jeton")
    chain = _chain_to_root(signer, pool, roots, gen_time)
    return VerifiedTimestamp(
        gen_time=gen_time,
        serial_number=int(tst_native["serial_number"]),
        policy=str(tst_native["policy"]),
        signer_subject=signer.subject.rfc4514_string(),
        chain_pem="".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain),
    )

