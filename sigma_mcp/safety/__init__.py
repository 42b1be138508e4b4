"""What guards the boundaries: ids checked before they reach a URL, request keys, redaction, text cleaning."""
