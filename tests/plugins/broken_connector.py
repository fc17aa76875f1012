"""A plugin that fails at import: the registry must warn and skip it."""

raise ImportError("this plugin needs a package that is not installed")
