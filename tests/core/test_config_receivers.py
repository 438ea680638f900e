"""The chat-app, e-mail and webhook receivers in config: secrets from the environment, webhook
URLs checked without repeating them, templates checked on load with file and line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from yujing.config import ConfigError, load_config

ENV = {
    "DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
    "DINGTALK_SECRET": "SECabc",
    "WECOM_WEBHOOK": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-1",
    "FEISHU_WEBHOOK": "https://open.feishu.cn/open-apis/bot/v2/hook/h-1",
    "FEISHU_SECRET": "fs-5521-feishu",
    "SMTP_PASSWORD": "pw-7781-smtp",
    "YUJING_WEBHOOK_SECRET": "whsec",
}

RECEIVERS = """\
notify:
  receivers:
    - name: ding
      type: dingtalk
      webhook: ${DINGTALK_WEBHOOK}
      secret: ${DINGTALK_SECRET}
    - name: wecom
      type: wecom
      webhook: ${WECOM_WEBHOOK}
    - name: feishu
      type: feishu
      webhook: ${FEISHU_WEBHOOK}
      secret: ${FEISHU_SECRET}
    - name: mail
      type: email
      host: smtp.example.cn
      username: bot@example.cn
      password: ${SMTP_PASSWORD}
      sender: bot@example.cn
      to: [pr@example.cn]
    - name: soc
      type: webhook
      url: https://soc.example.cn/hooks/yujing
      secret: ${YUJING_WEBHOOK_SECRET}
  route: {receiver: ding}
"""


def write(tmp_path: Path, text: str, name: str = "yujing.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def test_every_new_receiver_loads_from_the_environment(tmp_path: Path, env: None) -> None:
    config = load_config(write(tmp_path, RECEIVERS))
    types = [r.type for r in config.notify.receivers]
    assert types == ["dingtalk", "wecom", "feishu", "email", "webhook"]
    ding, _, _, mail, _ = config.notify.receivers
    assert ding.secret == "SECabc" and mail.password == "pw-7781-smtp" and mail.smtp_port == 587


def test_secrets_written_in_the_file_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        notify:
          receivers:
            - name: ding
              type: dingtalk
              webhook: https://oapi.dingtalk.com/robot/send?access_token=abc
              secret: SECabc
          route: {receiver: ding}
        """,
    )
    assert problems(path) == [
        f"{path}:5: notify.receivers[0].webhook: a secret written in the file; "
        "write ${DINGTALK_WEBHOOK} instead and set it in the environment",
        f"{path}:6: notify.receivers[0].secret: a secret written in the file; "
        "write ${DINGTALK_SECRET} instead and set it in the environment",
    ]


def test_a_wrong_webhook_is_named_without_repeating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DINGTALK_WEBHOOK", "https://oapi.dingtalk.com/robot/send?token=leaky")
    monkeypatch.setenv("WECOM_WEBHOOK", "qyapi.weixin.qq.com/send?key=leaky")
    path = write(
        tmp_path,
        """\
        notify:
          receivers:
            - {name: ding, type: dingtalk, webhook: "${DINGTALK_WEBHOOK}"}
            - {name: wecom, type: wecom, webhook: "${WECOM_WEBHOOK}"}
          route: {receiver: ding}
        """,
    )
    found = problems(path)
    assert found == [
        f"{path}:3: notify.receivers[0].webhook: the DingTalk webhook URL has no access_token= "
        "parameter; copy the whole URL",
        f"{path}:4: notify.receivers[1].webhook: expected the WeCom webhook URL, starting with "
        "https://",
    ]
    assert "leaky" not in "".join(found)


def test_inline_template_errors_name_the_config_line_and_the_template_line(
    tmp_path: Path, env: None
) -> None:
    path = write(
        tmp_path,
        """\
        notify:
          receivers:
            - name: wecom
              type: wecom
              webhook: ${WECOM_WEBHOOK}
              template: |
                ### {{ title }}
                {{ counts }
            - name: feishu
              type: feishu
              webhook: ${FEISHU_WEBHOOK}
              template: "{{ title }}\\n{% for s in samples %}{{ s.titel | linky(s.url) }}{% endfor %}"
            - name: ding
              type: dingtalk
              webhook: ${DINGTALK_WEBHOOK}
              template: "{{ title }} {{ prodcut_name }}"
          route: {receiver: wecom}
        """,
    )
    found = problems(path)
    assert found[0].startswith(
        f"{path}:6: notify.receivers[0].template: template line 2: unexpected '}}'"
    )
    assert (
        found[1]
        == f"{path}:12: notify.receivers[1].template: template line 2: No filter named 'linky'."
    )
    assert found[2].startswith(
        f"{path}:16: notify.receivers[2].template: template line 1: unknown field 'prodcut_name'; "
        "a template can use alerts, annotations, category"
    )


def test_template_file_errors_name_the_template_file_and_line(tmp_path: Path, env: None) -> None:
    template = tmp_path / "templates" / "ding.md.j2"
    template.parent.mkdir()
    template.write_text("### {{ title }}\n\n{% if reasons %}{{ reasons | join('；') }}\n", "utf-8")
    path = write(
        tmp_path,
        f"""\
        notify:
          receivers:
            - name: ding
              type: dingtalk
              webhook: ${{DINGTALK_WEBHOOK}}
              template_file: {template}
            - name: wecom
              type: wecom
              webhook: ${{WECOM_WEBHOOK}}
              template_file: {tmp_path / "missing.j2"}
              template: "{{{{ title }}}}"
          route: {{receiver: ding}}
        """,
    )
    found = problems(path)
    assert found[0].startswith(
        f"{path}:6: notify.receivers[0].template_file: {template}:3: Unexpected end of template"
    )
    assert any(
        p.startswith(f"{path}:10: notify.receivers[1].template_file: template file ")
        and p.endswith("not found")
        for p in found
    ), found


def test_template_and_template_file_together_are_refused(tmp_path: Path) -> None:
    from yujing.config import WeComReceiver

    template = tmp_path / "w.md.j2"
    template.write_text("{{ title }}", "utf-8")
    with pytest.raises(ValueError, match="set template or template_file, not both"):
        WeComReceiver(
            name="w",
            type="wecom",
            webhook="https://q.example/send?key=k",
            template="{{ title }}",
            template_file=template,
        )


def test_check_config_prints_the_template_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        notify:
          receivers:
            - name: soc
              type: webhook
              url: https://soc.example.cn/hook
              secret: ${YUJING_WEBHOOK_SECRET}
              template: "{% if resolved %}已解除"
          route: {receiver: soc}
        """,
    )
    env = {"YUJING_WEBHOOK_SECRET": "s", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "yujing", "check-config", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert (
        f"{path}:7: notify.receivers[0].template: template line 1: Unexpected end of template"
        in (result.stderr)
    )
    assert "Traceback" not in result.stderr


def test_a_printed_config_shows_that_secrets_are_set_never_their_values(
    tmp_path: Path, env: None
) -> None:
    config = load_config(write(tmp_path, RECEIVERS))
    shown = repr(config) + str(config.notify)
    for value in ENV.values():
        assert value not in shown
    assert "webhook='********'" in shown and "password='********'" in shown
