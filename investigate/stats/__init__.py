"""`investigate stats`: support metrics (FRT, MTTR, SLA, escalation, CSAT, NPS, root causes)
and the incident radar. `history` is what ticket sources supply, `compute` and `radar` are
pure, `render` and `html` draw, `run` gathers the inputs."""
