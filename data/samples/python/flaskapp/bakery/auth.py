"""Accounts: log in and out, on a blueprint mounted under /auth."""

from flask import Blueprint, redirect, render_template, request, session, url_for

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        session["user"] = request.form["username"]
        return redirect(url_for("index"))
    return render_template("auth/login.html")


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("index"))
