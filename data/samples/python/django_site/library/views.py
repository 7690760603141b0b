"""Views of the library: function views, a class-based view per resource, and generic views."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import DetailView, ListView

from library.models import Author, Book


def index(request: HttpRequest) -> HttpResponse:
    latest = Book.objects.order_by("-published")[:5]
    return render(request, "library/index.html", {"latest": latest})


@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("q") or request.GET.get("q", "")
    books = Book.objects.filter(title__icontains=query)
    return render(request, "library/search.html", {"books": books, "query": query})


@require_POST
def borrow(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(Book, pk=pk)
    request.session.setdefault("borrowed", []).append(book.pk)
    return redirect("library:book-detail", pk=book.pk)


class BookListView(ListView):
    model = Book
    template_name = "library/book_list.html"
    paginate_by = 20


class BookDetailView(DetailView):
    model = Book
    template_name = "library/book_detail.html"


class BookAPI(View):
    """A JSON resource: read, replace and delete one book."""

    def get(self, request: HttpRequest, isbn: str) -> JsonResponse:
        book = get_object_or_404(Book, isbn=isbn)
        return JsonResponse({"title": book.title, "isbn": book.isbn})

    def put(self, request: HttpRequest, isbn: str) -> JsonResponse:
        book = get_object_or_404(Book, isbn=isbn)
        book.title = request.body.decode()
        book.save()
        return JsonResponse({"title": book.title})

    def delete(self, request: HttpRequest, isbn: str) -> HttpResponse:
        get_object_or_404(Book, isbn=isbn).delete()
        return HttpResponse(status=204)


class AuthorAPI(View):
    def get(self, request: HttpRequest, author_id: int) -> JsonResponse:
        author = get_object_or_404(Author, pk=author_id)
        return JsonResponse({"name": author.name, "books": [book.isbn for book in author.books.all()]})


def author_books(request: HttpRequest, year: str, author_id: int) -> HttpResponse:
    author = get_object_or_404(Author, pk=author_id)
    books = author.books.filter(published__year=int(year))
    return render(request, "library/author_books.html", {"author": author, "books": books})
