"""Reports for people who read rather than watch: 日报 and 周报 of complaints, waves and sources.

``query`` computes every number from the store; the renderers lay them out as HTML and PDF.
"""
