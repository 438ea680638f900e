"""Receiver templates are configuration from a possibly hostile hand: the known escape routes from
Jinja2 to Python are refused by check-config with file and line, and fail closed when rendered."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from testkit.fakes.wecom import FakeWeCom
from yujing import config as cfg
from yujing.config import ConfigError, load_config
from yujing.config.templates import template_problem
from yujing.notifier.receivers.wecom import WeComReceiver
from yujing.notifier.render import PLAIN, MessageTemplate, alert_view

from ..notifier.conftest import make_event, notification

MARK = "SANDBOX-ESCAPED"

# Each reaches os, the process's globals or a class's subclasses in a plain Jinja2 environment.
ESCAPES = [
    "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('echo "
    + MARK
    + "').read() }}",
    "{{ title.__class__.__mro__[1].__subclasses__() }}",
    "{{ lipsum.__globals__['os'].popen('echo " + MARK + "').read() }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ title | attr('__class__') }}",
    "{{ (title | attr(['__cla', 'ss__'] | join)) }}",
    "{{ labels['__class__'] }}",
    "{{ self._TemplateReference__context }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{% set x = samples | map(attribute='__class__') | list %}{{ x }}",
    "{{ samples | selectattr(['__cla', 'ss__'] | join) | list }}",
    "{{ range.__init__ }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_check_config_refuses_every_known_escape_route(source: str) -> None:
    problem = template_problem(source)
    assert problem is not None, source
    assert problem[0] == 1


@pytest.mark.parametrize("source", ESCAPES)
def test_the_sandbox_holds_when_a_template_gets_past_the_check(source: str) -> None:
    """Rendered directly (as a template written after the config was checked would be): it either
    fails or prints nothing of Python's insides, and never runs a command."""
    template = MessageTemplate(source, PLAIN)
    try:
        text = template.render(alert_view(make_event()).fields())
    except Exception as exc:
        assert type(exc).__name__ in {"SecurityError", "UndefinedError", "TypeError"}, exc
        return
    assert MARK not in text
    for inside in ("<class", "<function", "<module", "environ", "Context", "__"):
        assert inside not in text, (source, text)


def test_a_template_that_fails_while_rendering_still_delivers_the_alert(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A template that passed the check but fails on a value (here a division by a zero count)
    does not lose the alert: the shipped template writes the message, and the log names the
    template and its line."""
    with FakeWeCom() as fake:
        conf = cfg.WeComReceiver(
            name="w", type="wecom", webhook=fake.webhook, template="## {{ title }}\n{{ 1 / 0 }}"
        )
        with caplog.at_level(logging.WARNING, logger="yujing.notifier"):
            WeComReceiver(conf, names={"anxin-e": "安心e生医疗险"}).send(notification(make_event()))
    assert len(fake.messages) == 1
    assert "安心e生医疗险" in fake.messages[0]["markdown"]["content"]
    warned = [r.getMessage() for r in caplog.records]
    assert any("w.template line 2 failed (ZeroDivisionError" in m for m in warned), warned


def test_the_checks_name_the_config_file_and_line(tmp_path: Path) -> None:
    template = tmp_path / "ding.md.j2"
    template.write_text("### {{ title }}\n\n{{ title.__class__ }}\n", "utf-8")
    path = tmp_path / "yujing.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            notify:
              receivers:
                - name: ding
                  type: dingtalk
                  webhook: https://oapi.dingtalk.com/robot/send?access_token=x
                  template_file: {template}
                - name: wecom
                  type: wecom
                  webhook: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x
                  template: |
                    {{{{ title }}}}
                    {{{{ self.__init__.__globals__ }}}}
              route: {{receiver: ding}}
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    found = info.value.problems
    assert found[0].startswith(
        f"{path}:6: notify.receivers[0].template_file: {template}:3: '__class__' is private"
    ), found
    assert found[1].startswith(
        f"{path}:10: notify.receivers[1].template: template line 2: '__globals__' is private"
    ), found


@pytest.mark.parametrize(
    "source",
    [
        "{{ title }}",
        "{% for s in samples %}{{ s.title | link(s.url) }}{% endfor %}",
        "{{ alerts | map(attribute='title') | join('、') }}",
        "{% for a in alerts | selectattr('resolved') %}{{ a.id }}{% endfor %}",
        "{{ labels.product }} {{ reasons | join('；') }} {% for i in range(2) %}{{ i }}{% endfor %}",
    ],
)
def test_ordinary_templates_pass_and_render(source: str) -> None:
    assert template_problem(source) is None
    MessageTemplate(source, PLAIN).render(alert_view(make_event()).fields() | {"alerts": []})
