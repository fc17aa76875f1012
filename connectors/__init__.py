"""Built-in connectors, one module per system; registered via `investigate.connectors.v1`."""
