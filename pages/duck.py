"""duck page."""

from ui.sector_page import render

render("duck")
