"""Feeds (admins): define a feed, follow its runs, run it now, pause it, change or remove it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syncs.feeds.timing import every_format
from syncs.forms import FeedForm, FeedRunFilterForm
from syncs.models import Feed
from syncs.selectors.feeds import (
    feed_credentials_shown,
    feed_get,
    feed_is_running,
    feed_list,
    feed_run_list,
)
from syncs.selectors.pagination import Paging
from syncs.services.feeds import (
    feed_create,
    feed_delete,
    feed_run_now,
    feed_set_enabled,
    feed_update,
)
from syncs.views.access import HtmxHttpRequest, render_page, require_permission


def _get_feed_for(user, pk: int) -> Feed:
    require_permission(user, "syncs.manage_feeds")
    feed = feed_get(feed_id=pk)
    if feed is None:
        raise Http404("No such feed.")
    return feed


def _apply_errors(form: FeedForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        target = field if field in form.fields else None
        for error in errors:
            form.add_error(target, error if target else f"{field}: {error}")


@require_http_methods(["GET", "POST"])
def feed_list_view(request: HtmxHttpRequest) -> HttpResponse:
    """Every feed with its last run; the form to add one."""
    require_permission(request.user, "syncs.manage_feeds")
    form = FeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feed = feed_create(
                name=form.cleaned_data["name"], settings=form.feed_settings(), actor=request.user
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Feed {feed.name} added; its first run is due now.")
            return redirect("feed_detail", pk=feed.pk)
    context = {"feeds": feed_list(), "form": form}
    status = 400 if form.errors else 200
    return render_page(request, "feeds/list.html", context, partial="feeds", status=status)


def _edit_initial(feed: Feed) -> dict:
    return {
        "kind": feed.kind,
        "url": feed.url,
        "every": every_format(feed.every_seconds) if feed.every_seconds else "",
        "cron": feed.cron,
        "catalog": feed.catalog_id,
        "skip_invalid": feed.skip_invalid,
        "encoding": feed.encoding,
        "expect_new_file_hours": feed.expect_new_file_hours,
        "credentials_env": "\n".join(f"{k}={v}" for k, v in feed.credentials_env.items()),
        **feed.options,
    }


def _detail(request, feed: Feed, form: FeedForm | None = None, status: int = 200):
    filters = FeedRunFilterForm(request.GET)
    before = filters.cleaned_data.get("before") if filters.is_valid() else None
    page = feed_run_list(feed=feed, paging=Paging(after=before))
    runs, next_id = page.rows, page.next_after
    context = {
        "feed": feed,
        "runs": runs,
        "next_id": next_id,
        "running": feed_is_running(feed=feed),
        "credentials": feed_credentials_shown(feed=feed),
        "form": form or FeedForm(initial=_edit_initial(feed), editing=True),
    }
    return render_page(request, "feeds/detail.html", context, partial="runs", status=status)


@require_GET
def feed_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A feed's settings and its runs (what was found, the import started, the outcome)."""
    return _detail(request, _get_feed_for(request.user, pk))


@require_POST
def feed_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    feed = _get_feed_for(request.user, pk)
    form = FeedForm(request.POST, editing=True)
    if form.is_valid():
        try:
            feed_update(feed=feed, settings=form.feed_settings(), actor=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Feed {feed.name} saved.")
            return redirect("feed_detail", pk=feed.pk)
    return _detail(request, feed_get(feed_id=pk), form=form, status=400)


@require_POST
def feed_run_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Run now: a worker looks at the file at once (a second click finds it running)."""
    feed = _get_feed_for(request.user, pk)
    if feed_run_now(feed=feed, actor=request.user) is None:
        messages.info(request, f"Feed {feed.name} is running already.")
    else:
        messages.success(request, f"Feed {feed.name} started; its run appears below.")
    return redirect("feed_detail", pk=feed.pk)


@require_POST
def feed_schedule(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Pause or resume the schedule: `state=on` / `state=off` (the target, never a flip)."""
    feed = _get_feed_for(request.user, pk)
    state = request.POST.get("state")
    if state not in ("on", "off"):
        messages.error(request, "Choose to pause or to resume the schedule.")
        return redirect("feed_detail", pk=feed.pk)
    feed_set_enabled(feed=feed, enabled=state == "on", actor=request.user)
    messages.success(request, f"Feed {feed.name} {'resumed' if state == 'on' else 'paused'}.")
    return redirect("feed_detail", pk=feed.pk)


@require_POST
def feed_delete_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    feed = _get_feed_for(request.user, pk)
    if request.POST.get("confirm") != feed.name:
        messages.error(request, f"Type the feed's name ({feed.name}) to remove it.")
        return redirect("feed_detail", pk=feed.pk)
    feed_delete(feed=feed, actor=request.user)
    messages.success(request, f"Feed {feed.name} removed; the imports it started stay.")
    return redirect("feed_list")
