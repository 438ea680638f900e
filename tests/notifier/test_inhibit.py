"""The inhibit stage on its own: Alertmanager's inhibit rules against a given set of firing
alerts (the notifier reads them from the store; see test_inhibition for that)."""

from __future__ import annotations

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.config import InhibitRule
from yujing.config.notify import DEFAULT_INHIBIT_RULES
from yujing.notifier.stages import InhibitStage, Notice

from .conftest import make_alert

PRODUCT = make_alert("p")
CATEGORY = make_alert("p", "理赔")


def passes(alert: Alert, firing: list[Alert], rules=DEFAULT_INHIBIT_RULES, kind=None) -> bool:
    kind = kind or (EventKind.RESOLVED if alert.state is AlertState.RESOLVED else EventKind.FIRING)
    notice = Notice(AlertEvent(kind, alert), receiver="a")
    return InhibitStage(rules, lambda: firing).run([notice]) == [notice]


def test_a_firing_product_alert_inhibits_its_category_alerts() -> None:
    assert not passes(CATEGORY, [PRODUCT, CATEGORY])
    assert not passes(CATEGORY, [PRODUCT], kind=EventKind.ESCALATED)


def test_only_a_firing_source_of_the_same_product_inhibits() -> None:
    assert passes(CATEGORY, [])
    assert passes(CATEGORY, [make_alert("other")])  # equal: [product]
    resolved = make_alert("p", state=AlertState.RESOLVED)
    assert passes(CATEGORY, [resolved]), "a resolved source inhibits nothing"


def test_empty_value_matches_a_missing_label() -> None:
    # category="" picks alerts without a category: a category alert is no source, so two
    # category alerts of one product never inhibit each other.
    assert passes(CATEGORY, [make_alert("p", "退保")])
    assert passes(PRODUCT, [PRODUCT, CATEGORY]), "the product alert is no target"


def test_a_resolution_is_never_inhibited() -> None:
    assert passes(make_alert("p", "理赔", state=AlertState.RESOLVED), [PRODUCT])


def test_an_alert_never_inhibits_itself_nor_its_own_class() -> None:
    # Red burst alerts mute the other burst alerts of their product; "severity" is a label.
    rules = [
        InhibitRule(
            source_matchers=["severity=red"], target_matchers=["kind=burst"], equal=["product"]
        )
    ]
    red = make_alert("p", severity=Severity.RED)
    assert passes(red, [red], rules), "its own stored copy is no source"
    red_category = make_alert("p", "退保", severity=Severity.RED)
    assert passes(red, [red, red_category], rules), "two red alerts do not silence each other"
    assert not passes(CATEGORY, [red_category], rules)  # an orange one they do
    assert passes(CATEGORY, [make_alert("p", "理赔", severity=Severity.RED)], rules), "own series"


def test_rules_are_matched_one_by_one() -> None:
    rules = [
        InhibitRule(source_matchers=["product=x"], target_matchers=["product=p"]),
        *DEFAULT_INHIBIT_RULES,
    ]
    assert not passes(PRODUCT, [make_alert("x")], rules)  # no equal labels: any x inhibits
    assert not passes(CATEGORY, [PRODUCT], rules)
    assert passes(PRODUCT, [make_alert("y")], rules)


def test_firing_alerts_are_read_only_when_a_notice_is_a_target() -> None:
    reads: list[int] = []

    def firing() -> list[Alert]:
        reads.append(1)
        return [PRODUCT]

    stage = InhibitStage(DEFAULT_INHIBIT_RULES, firing)
    product = [Notice(AlertEvent(EventKind.FIRING, PRODUCT), receiver=r) for r in "ab"]
    assert stage.run(product) == product and reads == []
    category = [Notice(AlertEvent(EventKind.FIRING, CATEGORY), receiver=r) for r in "ab"]
    assert stage.run(category) == [] and reads == [1], "read once per run"
