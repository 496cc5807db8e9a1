"""greenhouse page."""

from ui.sector_page import render

render("greenhouse")
