"""A small shop: an HTTP API, a command line and the services behind them."""

from shop.app import app as app
from shop.models import Item as Item
