"""Every page of the console and every parameter it reads, found from the URLconf and the forms.

A page another engineer adds is covered as soon as it is in the URLconf: its path parameters get
the id of an existing row of the model its first path segment names (or a missing one), and its
query and form parameters are the fields of the forms its view uses, the names its view reads
directly, the inputs its HTML shows and the fields of every other form in the project.
"""

import inspect
import re
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

# Django's own admin is not ours to fuzz; its access rules are tested in tests/views/test_users.py.
SKIPPED_NAMESPACES = {"admin"}
# First path segments whose model name does not say it.
SEGMENT_MODELS = {
    "history": "syncs.SyncBatch",
    "imports": "syncs.ImportJob",
    "users": "auth.User",
    "alerts": "syncs.Incident",
}
_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Page:
    route: str  # "products/<id:pk>/"
    name: str
    form_fields: tuple[str, ...]  # fields of the forms the view itself builds
    file_fields: tuple[str, ...]

    @property
    def model(self):
        segment = self.route.split("/", 1)[0]
        label = SEGMENT_MODELS.get(segment)
        if label:
            return apps.get_model(label)
        for model in apps.get_models():
            names = {model._meta.model_name, f"{model._meta.model_name}s"}
            names.add(str(model._meta.verbose_name_plural).replace(" ", "-").lower())
            if segment in names:
                return model
        return None

    def path(self, values: dict[str, str]) -> str:
        return "/" + _PARAM.sub(lambda m: values[m["name"]], self.route)

    @property
    def parameters(self) -> list[tuple[str, str]]:
        return [(m["converter"] or "str", m["name"]) for m in _PARAM.finditer(self.route)]


def project_forms() -> list[type[forms.BaseForm]]:
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith(("syncs.", "citrusadmin.")):
            found.append(cls)
    return found


def _fields(form_classes) -> tuple[list[str], list[str]]:
    names, files = [], []
    for form_class in form_classes:
        for name, field in form_class.base_fields.items():
            names.append(name)
            if isinstance(field, forms.FileField):
                files.append(name)
    return names, files


def _view_constants(callback) -> list[str]:
    """Identifier-like string constants of a view: the names it reads with request.GET.get()."""
    code = getattr(inspect.unwrap(callback), "__code__", None)
    if code is None:
        return []
    return [c for c in code.co_consts if isinstance(c, str) and c.isidentifier() and len(c) < 40]


def _view_forms(callback) -> list[type[forms.BaseForm]]:
    """The form classes a view builds: a class-based view's form_class, or the Form names its
    function refers to."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        form_class = getattr(view_class, "form_class", None)
        return [form_class] if form_class else []
    function = inspect.unwrap(callback)
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    found = []
    for name in code.co_names:
        value = function.__globals__.get(name)
        if inspect.isclass(value) and issubclass(value, forms.BaseForm):
            found.append(value)
    return found


def console_pages() -> list[Page]:
    pages = []

    def walk(patterns, prefix: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in SKIPPED_NAMESPACES:
                    continue
                walk(entry.url_patterns, prefix + str(entry.pattern))
                continue
            assert isinstance(entry, URLPattern)
            # A regex route would need its own way to build a path: extend this when one appears.
            assert isinstance(entry.pattern, RoutePattern), f"not a path(): {entry.pattern}"
            names, files = _fields(_view_forms(entry.callback))
            names += _view_constants(entry.callback)
            route = prefix + str(entry.pattern)
            pages.append(Page(route, entry.name or route, tuple(names), tuple(files)))

    walk(get_resolver().url_patterns, "")
    return pages


def html_parameters(html: str) -> set[str]:
    """The inputs a page shows and the query keys of its links."""
    names = set(re.findall(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', html))
    names |= set(re.findall(r'href="[^"]*?[?&](?:amp;)?([A-Za-z_][\w-]*)=', html))
    names.discard("csrfmiddlewaretoken")
    return names
