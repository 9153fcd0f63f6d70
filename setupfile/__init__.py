"""The organisation of a municipality from a spreadsheet: template and import."""
