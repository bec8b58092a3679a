#!/bin/sh
# Make sure Debian's tesseract and its French data are there, for the OCR of scanned files
# (socle/documents/extraction.py) and its tests. As root (or with sudo) they are installed
# with apt; otherwise we say how, and the OCR tests are skipped.
if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx fra; then
  exit 0
fi
sh "$(dirname "$0")/apt-install.sh" \
  "la reconnaissance de caractères (paquets Debian « tesseract-ocr » et « tesseract-ocr-fra »)" \
  tesseract-ocr tesseract-ocr-fra
status=$?
[ "$status" = "3" ] || exit "$status"
echo "Tesseract (avec le français) est absent : les documents numérisés ne seront pas lus et les tests de l'OCR seront ignorés."
echo "Pour l'installer : sudo apt-get install tesseract-ocr tesseract-ocr-fra"
exit 0
