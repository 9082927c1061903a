from django.shortcuts import render
from django.views.decorators.http import require_GET

from syncs import selectors


@require_GET
def home(request):
    """The landing page after login: where each destination stands."""
    return render(request, "home.html", {"overview": selectors.sync_overview()})
