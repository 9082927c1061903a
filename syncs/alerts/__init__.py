"""Alerts: incidents that open when something needs a person, and the channels that tell them.

`evaluation` decides, once a minute, what is wrong now; `incidents` holds every transition of an
incident and of its notifications; `channels` sends them (e-mail, a Slack/Teams webhook).
"""
