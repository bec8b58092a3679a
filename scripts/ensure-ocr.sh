#!/bin/sh
# Make sure Debian's tesseract and its French data are there, for the OCR of scanned files
# (socle/documents/extraction.py) and its tests. As root (or with sudo) they are installed
# with apt; otherwise we say how, and the OCR tests are skipped.
has_french() {
  command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx fra
}
if has_french; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
  else
    SUDO="none"
  fi
  if [ "$SUDO" != "none" ]; then
    echo "Installation de la reconnaissance de caractères (paquets Debian « tesseract-ocr » et « tesseract-ocr-fra »)…"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      tesseract-ocr tesseract-ocr-fra >/dev/null
    exit $?
  fi
fi
echo "Tesseract (avec le français) est absent : les documents numérisés ne seront pas lus et les tests de l'OCR seront ignorés."
echo "Pour l'installer : sudo apt-get install tesseract-ocr tesseract-ocr-fra"
exit 0
