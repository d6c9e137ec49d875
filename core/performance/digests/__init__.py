"""Email digests: the weekly progress digest, the daily alert digest and follow-up reminders.

content (what each says, read from core.progress, core.performance.alerts and
core.pipeline), rendering (subject, text and HTML in the recipient's language), settings (mail
server, app address), delivery (smtplib), sending (recipients, once per period, the sent log),
services (opt-outs, the sent log and previews, with their permissions).
"""
