"""Active content in a PDF: what a viewer would run, or do by itself, when the file is opened.

``pdf_active_content(handle, *, inert_attachment) -> list[str]`` returns what was found,
in French (empty: the PDF is inert). The PDF is parsed (pypdf), not searched as bytes: a
name written ``/J#61vaScript`` or kept in a compressed object stream is read as the viewer
reads it. Every object of the cross-reference table is inspected, reachable or not.

Refused anywhere: JavaScript (``/JS``, the ``/JavaScript`` name tree and action), launching
a program (``/Launch``), sending or importing form data (``/SubmitForm``, ``/ImportData``),
opening another file (``/GoToR``, ``/GoToE``), renditions and RichMedia (Flash, 3D, video
that carry scripts), XFA forms. Refused when automatic (``/OpenAction``, ``/AA``): any
action other than moving inside the document (``/GoTo``, ``/Named``), so a PDF cannot open
an address by itself. An attached file is let through only when ``inert_attachment`` says
its bytes are inert (the XML of a Factur-X invoice). A PDF pypdf cannot read is searched
as bytes instead, compressed streams included, since a viewer may still repair it; one
protected by a password cannot be inspected and is refused.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

# What each active name is, for the refusal message.
_ACTIONS = {
    "/javascript": "du JavaScript",
    "/launch": "le lancement d'un programme (Launch)",
    "/submitform": "l'envoi des données d'un formulaire (SubmitForm)",
    "/importdata": "l'import de données (ImportData)",
    "/gotor": "l'ouverture d'un autre fichier (GoToR)",
    "/gotoe": "l'ouverture d'un fichier joint (GoToE)",
    "/rendition": "une lecture multimédia (Rendition)",
    "/richmediaexecute": "un contenu RichMedia",
}
_KEYS = {
    "/js": "du JavaScript",
    "/javascript": "du JavaScript",
    "/richmedia": "un contenu RichMedia",
    "/richmediacontent": "un contenu RichMedia",
    "/xfa": "un formulaire XFA (qui peut contenir des scripts)",
}
# The only actions a PDF may run by itself: moving to a page, a named viewer command.
_AUTOMATIC_ALLOWED = {"/goto", "/named"}
ATTACHMENT = "un fichier joint qui n'est pas un simple texte ou XML"
ENCRYPTED = "une protection par mot de passe, qui empêche de contrôler son contenu"
# An attachment is read to be checked; past this it is refused unread.
ATTACHMENT_MAX_SIZE = 10 * 1024 * 1024
_DEPTH = 64


def pdf_active_content(handle: IO[bytes], *, inert_attachment: Callable[[bytes], bool]) -> list[str]:
    """Return what in a PDF would run or act by itself, in French (empty: the PDF is inert)."""
    handle.seek(0)
    try:
        found = _parsed(handle, inert_attachment)
    # pypdf raises many kinds on a hostile file (ValueError, KeyError, RecursionError...):
    # whatever it cannot read, a viewer's repair may still open, so the bytes are searched.
    except Exception:  # noqa: BLE001
        handle.seek(0)
        found = _searched(handle)
    finally:
        handle.seek(0)
    return sorted(found)


def _parsed(handle: IO[bytes], inert_attachment: Callable[[bytes], bool]) -> set[str]:
    reader = PdfReader(handle, strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        return {ENCRYPTED}
    found: set[str] = set()
    objects: list[Any] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        objects += [IndirectObject(number, generation, reader) for number in numbers]
    objects += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    for obj in objects:
        for dictionary in _dictionaries(obj.get_object() if obj is not None else None):
            _inspect(dictionary, found, inert_attachment)
    return found


def _dictionaries(root: Any) -> Iterator[DictionaryObject]:
    """Yield the dictionaries of one object, without following its references (visited apart)."""
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, DictionaryObject):  # streams included
            yield obj
            stack.extend(value for value in obj.values() if not isinstance(value, IndirectObject))
        elif isinstance(obj, ArrayObject):
            stack.extend(value for value in obj if not isinstance(value, IndirectObject))


def _name(value: Any) -> str:
    value = value.get_object() if isinstance(value, IndirectObject) else value
    # Names are case-sensitive to a viewer; folding only makes the check stricter.
    return str(value).casefold() if isinstance(value, NameObject) else ""


def _inspect(dictionary: DictionaryObject, found: set[str],
             inert_attachment: Callable[[bytes], bool]) -> None:
    for key in dictionary:
        label = _KEYS.get(str(key).casefold())
        if label:
            found.add(label)
    action = _ACTIONS.get(_name(dictionary.get("/S")))
    if action:
        found.add(action)
    subtype = _name(dictionary.get("/Subtype"))
    if subtype == "/richmedia":
        found.add(_KEYS["/richmedia"])
    if "/OpenAction" in dictionary:
        _automatic(dictionary["/OpenAction"], found, "à l'ouverture du document")
    additional = dictionary.get("/AA")
    additional = additional.get_object() if isinstance(additional, IndirectObject) else additional
    if isinstance(additional, DictionaryObject):
        for trigger in additional.values():
            _automatic(trigger, found, "déclenchée sans clic")
    if _name(dictionary.get("/Type")) == "/embeddedfile" and isinstance(dictionary, StreamObject):
        _attachment(dictionary, found, inert_attachment)
    files = dictionary.get("/EF")
    files = files.get_object() if isinstance(files, IndirectObject) else files
    if isinstance(files, DictionaryObject):
        for stream in files.values():
            _attachment(stream.get_object(), found, inert_attachment)


def _automatic(value: Any, found: set[str], when: str) -> None:
    """Refuse an automatic action (and those it chains with /Next) that leaves the document."""
    pending, seen = [value], 0
    while pending and seen < _DEPTH:
        action = pending.pop()
        action = action.get_object() if isinstance(action, IndirectObject) else action
        seen += 1
        if isinstance(action, ArrayObject):
            # An array is a destination ([page /XYZ ...]) as /OpenAction, or a list of /Next.
            pending.extend(item for item in action
                           if isinstance(item, IndirectObject | DictionaryObject))
            continue
        if not isinstance(action, DictionaryObject):
            continue
        raw = action.get("/S")
        kind = _name(raw)
        # A dangerous kind is named by _inspect wherever it stands.
        if kind and kind not in _AUTOMATIC_ALLOWED and kind not in _ACTIONS:
            shown = raw.get_object() if isinstance(raw, IndirectObject) else raw
            found.add(f"une action automatique {when} ({str(shown)[1:]})")
        if "/Next" in action:
            pending.append(action["/Next"])


def _attachment(stream: Any, found: set[str], inert_attachment: Callable[[bytes], bool]) -> None:
    if not isinstance(stream, StreamObject):
        return
    declared = stream.get("/Length")
    if isinstance(declared, int) and declared > ATTACHMENT_MAX_SIZE:
        found.add(ATTACHMENT)
        return
    data = stream.get_data()
    if len(data) > ATTACHMENT_MAX_SIZE or not inert_attachment(data):
        found.add(ATTACHMENT)


# --- a PDF pypdf cannot read -----------------------------------------------------------------

_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]+")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n")
_SEARCHED = {"/js": "du JavaScript", "/javascript": "du JavaScript",
             "/aa": "une action automatique (AA)",
             "/embeddedfile": ATTACHMENT, "/embeddedfiles": ATTACHMENT,
             **{name: label for name, label in _ACTIONS.items() if name != "/javascript"},
             **_KEYS}
# A damaged file is read whole (it is under the upload cap); each stream inflates to at most
# this, so that a small bomb cannot fill the memory.
_INFLATED_MAX = 16 * 1024 * 1024


def _searched(handle: IO[bytes]) -> set[str]:
    data = handle.read()
    view = memoryview(data)  # slices without copies: a file may hold thousands of streams
    found = _names_in(data)
    for match in _STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(view[match.end():], _INFLATED_MAX)
        except zlib.error:
            continue
        found |= _names_in(inflated)
    return found


def _names_in(data: bytes) -> set[str]:
    found: set[str] = set()
    for raw in _NAME.findall(data):
        name = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
        label = _SEARCHED.get(name.decode("latin-1").casefold())
        if label:
            found.add(label)
    return found
