"""investigate: a read-only, command-line support-ticket investigator."""

__version__ = "0.1.0"
