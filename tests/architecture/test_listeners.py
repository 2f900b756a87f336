"""Every database hook is installed by portal/listeners.py, once, in its order: none hides in a module
that happens to be imported, and a second app in the same process does not install them twice."""

import ast
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from portal import create_app, listeners

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _listens_outside_listeners() -> list[str]:
    found = []
    for path in PORTAL.rglob("*.py"):
        if path.name == "listeners.py" and path.parent == PORTAL:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("listens_for", "listen"):
                if isinstance(node.value, ast.Name) and node.value.id == "event":
                    found.append(f"{path.relative_to(PORTAL)}:{node.lineno}")
    return found


def test_no_module_installs_a_database_hook_of_its_own():
    assert _listens_outside_listeners() == []


def _installed(target, name) -> list:
    """The functions listening to this event of this class, in the order they run."""
    if name == "connect":  # an Engine's connection events are its pool's
        target = Pool
    if not hasattr(target, "dispatch"):  # an instance event of a mixin: as a class that inherits it has it
        from sqlalchemy.orm.instrumentation import manager_of_class

        from portal.persons.models import Person

        return list(getattr(manager_of_class(Person).dispatch, name))
    return list(getattr(target.dispatch, name)._clslevel[target])


def test_every_hook_is_installed_once_however_many_apps_are_made(app):
    events = {(target, name) for target, name, _function in listeners.hooks()}
    counts = {key: len(_installed(*key)) for key in events}
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert {key: len(_installed(*key)) for key in events} == counts
    for target, name, function in listeners.hooks():
        assert event.contains(target, name, function), (name, function.__name__)
    assert _installed(Session, "before_flush").count(listeners.hooks()[2][2]) == 1


def test_hooks_taken_off_for_a_block_come_back_in_their_order(app):
    from portal.tenancy import guard

    before = [(t, n, f) for t, n, f in listeners.hooks()]
    with listeners.without(guard.scope_tenant_queries):
        assert not event.contains(*before[1])
    order = _installed(Session, "before_flush")
    assert order.index(guard.check_write_reach) < order.index(before[3][2])
    assert event.contains(*before[1])
