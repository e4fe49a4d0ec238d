"""Rule writes through engine.store.numbers (save_rule validates; RuleError lists every problem), audited."""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_web import audit
from engine.store.models import RoutingRule
from engine.store.numbers import delete_rule, reorder_rules, save_rule


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def save(session: Session, rule: RoutingRule | None, name: str, match: dict, action: dict, active: bool,
         flows: list[str]) -> RoutingRule:
    """Create (rule None, placed last) or update a rule; RuleError when invalid (nothing written)."""
    row = save_rule(session, name, match, action, active=active, rule_id=rule.id if rule else None, flows=flows)
    audit.record(session, "rule.create" if rule is None else "rule.update", f"rule:{row.name}",
                 f"match={_json(row.match)}; action={_json(row.action)}; active={row.active}")
    return row


def set_active(session: Session, rule: RoutingRule, active: bool, flows: list[str]) -> None:
    """Activation validates the rule again (names may have gone); deactivation never fails."""
    if active:
        save_rule(session, rule.name, rule.match, rule.action, position=rule.position, active=True,
                  rule_id=rule.id, flows=flows)
    else:
        rule.active = False
        session.flush()
    audit.record(session, "rule.activate" if active else "rule.deactivate", f"rule:{rule.name}")


def move(session: Session, rule: RoutingRule, step: int) -> bool:
    """Swap the rule with its neighbour above (-1) or below (+1); False at either end."""
    ids = list(session.scalars(select(RoutingRule.id).order_by(RoutingRule.position, RoutingRule.id)))
    i = ids.index(rule.id)
    j = i + step
    if not 0 <= j < len(ids):
        return False
    ids[i], ids[j] = ids[j], ids[i]
    reorder_rules(session, ids)
    audit.record(session, "rule.move", f"rule:{rule.name}", f"{'up' if step < 0 else 'down'} to #{j + 1}")
    return True


def delete(session: Session, rule: RoutingRule) -> None:
    name, match, action = rule.name, rule.match, rule.action
    delete_rule(session, rule.id)
    audit.record(session, "rule.delete", f"rule:{name}", f"match={_json(match)}; action={_json(action)}")
