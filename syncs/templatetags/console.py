"""Small presentation helpers for the console templates."""

import json

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from syncs import destinations

register = template.Library()

_WIDTH, _HEIGHT, _PAD, _TOP = 480, 120, 18, 16


@register.simple_tag
def hourly_chart(buckets, field: str, title: str) -> SafeString:
    """A server-rendered SVG bar chart of one field of HourBucket rows (no JavaScript, no CDN)."""
    values = [getattr(b, field) for b in buckets]
    peak = max(values, default=0) or 1
    slot = _WIDTH / max(len(values), 1)
    bars = []
    for i, (bucket, value) in enumerate(zip(buckets, values, strict=True)):
        height = round((_HEIGHT - _PAD - _TOP) * value / peak, 1)
        bars.append(
            (
                round(i * slot + 1, 1),
                round(_HEIGHT - _PAD - height, 1),
                round(max(slot - 2, 1), 1),
                height,
                f"{bucket.hour:%H}:00 UTC: {value}",
            )
        )
    rects = format_html_join(
        "",
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        bars,
    )
    first = buckets[0].hour if buckets else None
    last = buckets[-1].hour if buckets else None
    labels = ""
    if first and last:
        labels = format_html(
            '<text class="axis" x="0" y="{}">{}</text>'
            '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>'
            '<text class="axis" x="{}" y="10" text-anchor="end">max {}</text>',
            _HEIGHT - 3,
            f"{first:%H}:00",
            _WIDTH,
            _HEIGHT - 3,
            f"{last:%H}:00",
            _WIDTH,
            peak if any(values) else 0,
        )
    total = sum(values)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}: {} in the last 24 hours"><title>{}</title>{}{}</svg>',
        _WIDTH,
        _HEIGHT,
        title,
        total,
        title,
        rects,
        labels,
    )


@register.filter
def duration(seconds: float) -> str:
    """1 h 05 min / 4 min 10 s / 12 s."""
    seconds = int(seconds or 0)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


@register.filter
def pretty_json(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def wire(value) -> str:
    """A payload value as it travels: lists and objects as compact JSON, text as itself."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


_LABELS = "destination_labels"


@register.simple_tag(takes_context=True)
def destination_label(context, name: str) -> str:
    """What every page calls a destination (`citrusad` → CitrusAd, `webhook:3` → Webhook Shop).

    The labels are read once per page, at the first row that asks (one query for every
    endpoint's name), and kept in the render's own context: a list never runs a query per row.
    """
    labels = context.render_context.get(_LABELS)
    if labels is None:
        labels = context.render_context[_LABELS] = destinations.destination_labels_current()
    if name not in labels:  # removed since: "Webhook #3 (removed)"
        labels.update(destinations.destination_labels([name]))
    return labels[name]


@register.filter
def percent(share: float) -> str:
    """0.2 -> "20 %"; 0.125 -> "12.5 %"."""
    value = round(float(share or 0) * 100, 1)
    return f"{value:g} %"


# The parameters that say where in a list a page is: a new order or search starts at page 1.
PAGING_PARAMS = ("after", "before", "back", "page")


@register.simple_tag(takes_context=True)
def list_url(context, **changes) -> str:
    """This list's URL with its search kept, its paging dropped, and `changes` applied."""
    request = context["request"]
    query = request.GET.copy()
    for name in PAGING_PARAMS:
        query.pop(name, None)
    for name, value in changes.items():
        query.pop(name, None)
        if value not in (None, ""):
            query[name] = value
    return f"{request.path}?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def sort_header(context, label: str, column: str, target: str = "#results") -> SafeString:
    """A column header that sorts the list by `column`, and again the other way round."""
    current = context["page"].sort
    if current == column:
        state, next_sort, mark = "ascending", f"-{column}", " ▲"
    elif current == f"-{column}":
        state, next_sort, mark = "descending", column, " ▼"
    else:
        state, next_sort, mark = "none", column, ""
    url = list_url(context, sort=next_sort)
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="{}" hx-get="{}" hx-target="{}" '
        'hx-swap="outerHTML" hx-push-url="true">{}<span aria-hidden="true">{}</span></a></th>',
        state,
        url,
        url,
        target,
        label,
        mark,
    )


@register.filter
def took(started, finished) -> str:
    """How long from `started` to `finished`, as `duration` writes it ("4 min 10 s")."""
    if not started or not finished:
        return ""
    return duration((finished - started).total_seconds())


@register.filter
def audit_changes(event) -> list[dict]:
    """An audit entry's before and after as rows a person reads: field, before, after."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    fields = [*before, *(name for name in after if name not in before)]

    def shown(mapping: dict, name: str) -> str:
        if name not in mapping:
            return ""
        value = mapping[name]
        if value is None or value == "":
            return "—"
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    return [
        {
            "field": name.replace("_", " "),
            "before": shown(before, name),
            "after": shown(after, name),
            "changed": name in before and name in after and before[name] != after[name],
        }
        for name in fields
    ]


@register.filter
def row_id(value) -> int | None:
    """A database id written as text (an audit entry's object id), or None when it is not."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 18 else None
