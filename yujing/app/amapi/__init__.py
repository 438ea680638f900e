"""Alertmanager's API (v2) over yujing's waves and silences, so amtool, karma and Grafana's
Alertmanager data source read them unchanged: what each answer holds (``alerts``,
``silences``) and who may ask (``guard``). The daemon serves it (``components.alertmanager``).
"""
