"""Shared templates and static files (htmx, styles) live with the shell blueprint."""

from flask import Blueprint

shell = Blueprint("shell", __name__, template_folder="templates")
