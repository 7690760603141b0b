"""The site's URLs: the admin, the two apps, and a health check."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView, TemplateView


@require_safe
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("library/", include("library.urls")),
    path("blog/", include("blog.urls", namespace="blog")),
    path("healthz", health),
    re_path(r"^favicon\.ico$", RedirectView.as_view(url="/static/favicon.ico")),
]

if settings.DEBUG:
    urlpatterns += [path("debug/ping/", health, name="debug-ping")]
