"""Command-line commands, one module per area. Each module has `register(commands)` that adds
its sub-commands to manage.py's parser; each command function returns the line to print."""
