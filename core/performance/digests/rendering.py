"""A digest as an email: a subject, a plain-text part and an HTML part with inline styles (mail
clients drop style sheets), in the language current when it is rendered (the recipient's), with
links back into the app (a deal opens on Pipeline, a rep on Performance, the figures on
Attainment). Money is in the company currency, in whole units; percentages have one decimal.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from pydantic import BaseModel, ConfigDict

from core.i18n import N_, _, day, ngettext, number, period_name
from core.models import Role
from core.performance.alert_settings import Alert
from core.performance.digests.content import DailyDigest, Digest, ReminderDigest, WeeklyDigest
from core.performance.digests.settings import link
from core.pipeline.follow_up_views import FollowUpRow
from core.progress.attainment import AttainmentRow

CELL = "padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:{align};"
HEAD = "padding:6px 8px;background:#f3f4f6;font-weight:600;text-align:{align};"
LINK = "color:#1d4ed8;text-decoration:underline;"
FOOTER = N_(
    "You receive this email because of your place in the sales organisation. "
    "You can stop it on My account."
)
ALERTS_SHOWN = 10
"""A weekly digest lists this many alerts, most severe first, and links to the rest."""
SEVERITY_COLOUR = {"high": "#b91c1c", "medium": "#b45309", "low": "#4b5563"}


class RenderedEmail(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    text: str
    html: str


def money(value: Decimal | None, currency: str | None) -> str:
    """Whole units, with the currency code when given (a table names it once above)."""
    if value is None:
        return "–"
    return f"{number(value, 0)} {currency}" if currency else number(value, 0)


def percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{number(value * 100, 1)}%"


class _Email:
    """Collects the same content as text lines and HTML blocks."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.blocks: list[str] = []

    def heading(self, text: str) -> None:
        self.lines += ["", text, "-" * min(len(text) * 2, 60)]
        self.blocks.append(f'<h2 style="font-size:17px;margin:22px 0 8px;">{escape(text)}</h2>')

    def paragraph(self, text: str, *, url: str | None = None) -> None:
        self.lines.append(f"{text} {url}" if url else text)
        body = f'<a href="{escape(url)}" style="{LINK}">{escape(text)}</a>' if url else escape(text)
        self.blocks.append(f'<p style="margin:6px 0;">{body}</p>')

    def table(self, headers: list[str], rows: list[list[tuple[str, str | None]]]) -> None:
        """Rows of (text, link or None); the first column left, the others right aligned."""
        for row in rows:
            self.lines.append(
                "  "
                + " | ".join(
                    _("{name}: {value}").format(name=h, value=t) if i else t
                    for i, (h, (t, __)) in enumerate(zip(headers, row, strict=True))
                )
            )
        align = ["left"] + ["right"] * (len(headers) - 1)
        head = "".join(
            f'<th style="{HEAD.format(align=a)}">{escape(h)}</th>'
            for h, a in zip(headers, align, strict=True)
        )
        body = "".join(
            "<tr>"
            + "".join(
                f'<td style="{CELL.format(align=a)}">'
                + (f'<a href="{escape(u)}" style="{LINK}">{escape(t)}</a>' if u else escape(t))
                + "</td>"
                for (t, u), a in zip(row, align, strict=True)
            )
            + "</tr>"
            for row in rows
        )
        self.blocks.append(
            '<div style="overflow-x:auto;"><table role="presentation" cellspacing="0" '
            'cellpadding="0" style="border-collapse:collapse;width:100%;max-width:640px;'
            f'font-size:14px;"><tr>{head}</tr>{body}</table></div>'
        )

    def facts(self, pairs: list[tuple[str, str]]) -> None:
        """Name and value, one per line."""
        self.lines += ["  " + _("{name}: {value}").format(name=n, value=v) for n, v in pairs]
        rows = "".join(
            f'<tr><td style="{CELL.format(align="left")}">{escape(name)}</td>'
            f'<td style="{CELL.format(align="right")}font-weight:600;">{escape(value)}</td></tr>'
            for name, value in pairs
        )
        self.blocks.append(
            '<table role="presentation" cellspacing="0" cellpadding="0" '
            f'style="border-collapse:collapse;width:100%;max-width:420px;font-size:14px;">{rows}</table>'
        )

    def alerts(self, alerts: list[Alert]) -> None:
        """Each alert with what it is about (the deal, customer, rep or currency)."""
        said = [
            _("{subject}: {message}").format(subject=a.subject, message=a.message) for a in alerts
        ]
        for alert, text in zip(alerts, said):
            self.lines.append(f"  - [{alert.rule_label}] {text} {alert_link(alert)}")
        items = "".join(
            f'<li style="margin:4px 0;"><span style="font-weight:600;'
            f'color:{SEVERITY_COLOUR.get(a.severity, "#111")};">{escape(a.rule_label)}</span> '
            f'<a href="{escape(alert_link(a))}" style="{LINK}">{escape(text)}</a></li>'
            for a, text in zip(alerts, said)
        )
        self.blocks.append(f'<ul style="padding-left:20px;margin:6px 0;">{items}</ul>')

    def html(self, title: str) -> str:
        footer, account = _(FOOTER), link("/account")
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head>"
            '<body style="margin:0;padding:0;background:#f9fafb;">'
            '<div style="max-width:680px;margin:0 auto;padding:20px;background:#ffffff;'
            "font-family:Arial,'Helvetica Neue',Helvetica,'PingFang SC','Microsoft YaHei',"
            'sans-serif;color:#111827;font-size:14px;line-height:1.5;">'
            f'<h1 style="font-size:20px;margin:0 0 12px;">{escape(title)}</h1>'
            + "".join(self.blocks)
            + f'<p style="margin:24px 0 0;color:#6b7280;font-size:12px;">{escape(footer)} '
            f'<a href="{escape(account)}" style="{LINK}">{escape(account)}</a></p>'
            "</div></body></html>"
        )

    def text(self, title: str) -> str:
        footer = _(FOOTER)
        return (
            "\n".join(
                [title, "=" * min(len(title) * 2, 60), *self.lines, "", footer, link("/account")]
            )
            + "\n"
        )


def alert_link(alert: Alert) -> str:
    if alert.subject_type == "deal" and alert.subject_id is not None:
        return link("/pipeline", deal=alert.subject_id)
    if alert.subject_type == "rep" and alert.subject_id is not None:
        return link("/performance", rep=alert.subject_id)
    return link("/alerts")


def _figures(email: _Email, head: AttainmentRow, currency: str) -> None:
    email.facts(
        [
            (_("Target"), money(head.target, currency)),
            (_("Won"), money(head.won, currency)),
            (_("Attainment"), percent(head.attainment)),
            (_("Expected by today"), money(head.expected_to_date, currency)),
            (_("Pace"), percent(head.pace)),
            (_("Gap"), money(head.gap, currency)),
            (_("Probability of making it"), percent(head.probability)),
        ]
    )


def _rep_link(row: AttainmentRow) -> str | None:
    if row.key.startswith("rep:"):
        return link("/performance", rep=row.key.split(":", 1)[1])
    return link("/attainment")


def _weekly(digest: WeeklyDigest, currency: str) -> tuple[str, _Email]:
    email = _Email()
    head, period = digest.head, period_name(digest.period)
    email.paragraph(_("Hello {name},").format(name=digest.person))
    if digest.role == Role.REP:
        subject = (
            _("Your week: {attainment} of your {period} target").format(
                attainment=percent(head.attainment), period=period
            )
            if head.target is not None
            else _("Your week: {won} won in {period}").format(
                won=money(head.won, currency), period=period
            )
        )
        email.paragraph(
            _("This is where you stand in {period} on {day}.").format(
                period=period, day=day(digest.today)
            )
        )
    else:
        subject = (
            _("Your area's week: {attainment} of the {period} target").format(
                attainment=percent(head.attainment), period=period
            )
            if head.target is not None
            else _("Your area's week: {won} won in {period}").format(
                won=money(head.won, currency), period=period
            )
        )
        email.paragraph(
            _("This is where {area} stands in {period} on {day}.").format(
                area=head.label, period=period, day=day(digest.today)
            )
        )
    _figures(email, head, currency)
    email.paragraph(_("Open Attainment & forecast"), url=link("/attainment"))
    if digest.role != Role.REP:
        email.heading(
            _("Reps, best attainment first") if digest.role == Role.MANAGER else _("Regions")
        )
        if digest.rows:
            first = _("Rep") if digest.role == Role.MANAGER else _("Region")
            email.paragraph(_("Amounts in {currency}.").format(currency=currency))
            email.table(
                [
                    first,
                    _("Target"),
                    _("Won"),
                    _("Attainment"),
                    _("Pace"),
                    _("Gap"),
                    _("Probability"),
                ],
                [
                    [
                        (row.label, _rep_link(row)),
                        (money(row.target, None), None),
                        (money(row.won, None), None),
                        (percent(row.attainment), None),
                        (percent(row.pace), None),
                        (money(row.gap, None), None),
                        (percent(row.probability), None),
                    ]
                    for row in digest.rows
                ],
            )
        else:
            email.paragraph(
                _("No one in your area has a target, a win or open pipeline this quarter.")
            )
    if digest.role == Role.REP:
        email.heading(_("Deals to close this month"))
        if digest.deals:
            email.table(
                [_("Deal"), _("Customer"), _("Stage"), _("Amount"), _("Expected close")],
                [
                    [
                        (deal.name, link("/pipeline", deal=deal.id)),
                        (deal.customer, None),
                        (_(deal.stage), None),
                        (f"{number(deal.amount, 0)} {deal.currency}", None),
                        (day(deal.expected_close), None),
                    ]
                    for deal in digest.deals
                ],
            )
        else:
            email.paragraph(_("No open deal of yours is expected to close this month."))
        email.heading(_("Your alerts"))
    else:
        email.heading(_("The biggest risks"))
    if digest.alerts:
        email.alerts(digest.alerts[:ALERTS_SHOWN])
        hidden = len(digest.alerts) - ALERTS_SHOWN
        if hidden > 0:
            email.paragraph(
                ngettext(
                    "{n} more alert is on the Alerts page.",
                    "{n} more alerts are on the Alerts page.",
                    hidden,
                ).format(n=hidden),
                url=link("/alerts"),
            )
    else:
        email.paragraph(_("Nothing needs your attention."))
    return subject, email


def _daily(digest: DailyDigest) -> tuple[str, _Email]:
    count = len(digest.alerts)
    subject = ngettext("{n} new high-severity alert", "{n} new high-severity alerts", count).format(
        n=count
    )
    email = _Email()
    email.paragraph(_("Hello {name},").format(name=digest.person))
    email.paragraph(
        _(
            "These high-severity alerts of your area are new on {day}: "
            "no earlier daily digest reported them."
        ).format(day=day(digest.today))
    )
    email.alerts(digest.alerts)
    email.paragraph(_("Open Alerts"), url=link("/alerts"))
    return subject, email


def _follow_up_row(row: FollowUpRow) -> list[tuple[str, str | None]]:
    about = row.deal or row.customer or "–"
    url = link("/pipeline", deal=row.deal_id) if row.deal_id else link("/my_day")
    return [(row.title, url), (about, None), (day(row.due_on), None)]


def _reminders(digest: ReminderDigest) -> tuple[str, _Email]:
    subject = _("Follow-ups for {day}: {overdue} overdue, {due} due today").format(
        day=day(digest.today), overdue=len(digest.overdue), due=len(digest.due_today)
    )
    email = _Email()
    email.paragraph(_("Hello {name},").format(name=digest.person))
    headers = [_("Follow-up"), _("About"), _("Due")]
    email.heading(_("Overdue"))
    if digest.overdue:
        email.table(headers, [_follow_up_row(row) for row in digest.overdue])
    else:
        email.paragraph(_("No follow-up is overdue."))
    email.heading(_("Due today"))
    if digest.due_today:
        email.table(headers, [_follow_up_row(row) for row in digest.due_today])
    else:
        email.paragraph(_("No follow-up is due today."))
    email.paragraph(_("Open My day"), url=link("/my_day"))
    return subject, email


def render(digest: Digest, currency: str) -> RenderedEmail:
    """The email of a digest, in the current language."""
    if isinstance(digest, WeeklyDigest):
        subject, email = _weekly(digest, currency)
    elif isinstance(digest, DailyDigest):
        subject, email = _daily(digest)
    else:
        subject, email = _reminders(digest)
    return RenderedEmail(subject=subject, text=email.text(subject), html=email.html(subject))
