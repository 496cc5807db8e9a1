"""hog page."""

from ui.sector_page import render

render("hog")
