"""The bakery's web app, built by a factory: pages, an order form and the accounts blueprint."""

from flask import Flask, redirect, render_template, request, url_for

CAKES = ["sourdough", "rye", "brioche"]


def create_app() -> Flask:
    app = Flask(__name__)

    from bakery import auth

    app.register_blueprint(auth.bp)

    @app.route("/")
    def index():
        return render_template("index.html", cakes=CAKES)

    @app.route("/orders/new", methods=["GET", "POST"])
    def new_order():
        if request.method == "POST":
            return redirect(url_for("index"))
        return render_template("orders/new.html", cakes=CAKES)

    @app.get("/search")
    def search():
        found = [cake for cake in CAKES if request.args.get("q", "") in cake]
        return render_template("index.html", cakes=found)

    @app.get("/contact")
    def contact():
        return render_template("contact.html")

    return app
