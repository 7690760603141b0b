from django.urls import path

from . import views
from .views import AboutView, CommentView, FeedView

app_name = "blog"
urlpatterns = [
    path("", views.post_list, name="post-list"),
    path("<slug:slug>/", views.post_detail, name="post-detail"),
    path("<slug:slug>/comment/", CommentView.as_view(), name="comment"),
    path("about/", AboutView.as_view(), name="about"),
]
urlpatterns.append(path("feed/", FeedView.as_view(), name="feed"))
