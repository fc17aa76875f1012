"""The connector kit: what vendor connectors share, in the core package so that no connector
imports another. Import from the submodules (`investigate.sdk.alerts`, `.helpdesk`,
`.trackers`)."""
