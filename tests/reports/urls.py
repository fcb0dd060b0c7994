"""The routes the reporting tests need, until and besides the project's URL map.

`test-login/<user id>` signs the browser in without a form, for the headless Chromium test; it
exists only in this test URL map.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme


def _test_login(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_user_model().objects.get(id=user_id)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "/"
    return HttpResponseRedirect(target)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("test-login/<int:user_id>", _test_login),
    path("", include("attribution.reports.urls")),
]
