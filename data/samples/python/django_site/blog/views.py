"""The blog: posts rendered from templates, and a form to comment."""

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import FormView, TemplateView


class CommentForm(forms.Form):
    name = forms.CharField(max_length=80)
    body = forms.CharField(widget=forms.Textarea)


def post_list(request: HttpRequest) -> HttpResponse:
    return render(request, "blog/post_list.html", {"posts": []})


def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "blog/post_detail.html", {"slug": slug})


class AboutView(TemplateView):
    template_name = "blog/about.html"


class CommentView(FormView):
    form_class = CommentForm
    template_name = "blog/comment.html"

    def get_success_url(self) -> str:
        return reverse("blog:post-list")


class FeedView(TemplateView):
    template_name = "blog/feed.xml"
    content_type = "application/rss+xml"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.GET.get("format") == "atom":
            return HttpResponseRedirect(reverse("blog:feed"))
        return super().get(request)
