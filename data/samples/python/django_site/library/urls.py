from django.urls import include, path, re_path

from library import views

app_name = "library"

api_patterns = [
    path("books/<str:isbn>/", views.BookAPI.as_view(), name="api-book"),
    path("authors/<int:author_id>/", views.AuthorAPI.as_view(), name="api-author"),
]

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("books/", views.BookListView.as_view(), name="book-list"),
    path("books/<int:pk>/", views.BookDetailView.as_view(), name="book-detail"),
    path("books/<int:pk>/borrow/", views.borrow, name="borrow"),
    re_path(r"^archive/(?P<year>[0-9]{4})/(?P<author_id>[0-9]+)/$", views.author_books, name="author-books"),
    path("api/v1/", include(api_patterns)),
]
