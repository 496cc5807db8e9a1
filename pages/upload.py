"""Placeholder: this page is being built."""

import streamlit as st

from ui.common import t

st.info(t("此页面正在建设中。", "This page is being built."))
