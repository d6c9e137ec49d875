"""One module per import kind: how its rows are matched, checked and written."""
