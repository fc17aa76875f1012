"""What the core makes of the evidence the connectors found: the ticket's entities, typed
signals, ranking, causal links between changes and errors, incidents, runbooks, the reply lint,
and the redaction and secret detection that run before anything leaves for a hosted LLM.

Imports the kit (`investigate.sdk`) and the spine's foundation only (tests/test_architecture.py).
"""
