"""``tools/bootstrap.sh`` waits for apt's lock (another apt, unattended-upgrades) instead
of failing at once (issue 14, reliability).

A static check: exercising it would mean holding the system's dpkg lock during a test.
"""

from __future__ import annotations

import re

from bot.settings import PROJECT_ROOT

BOOTSTRAP = PROJECT_ROOT / "tools" / "bootstrap.sh"


def test_every_apt_get_waits_for_the_lock() -> None:
    script = BOOTSTRAP.read_text(encoding="utf-8")
    assert re.search(r'^\s*wait_lock="-o DPkg::Lock::Timeout=\d+"$', script, re.M)
    calls = [
        line
        for line in script.splitlines()
        if re.search(r"\bapt-get\b", line) and not line.lstrip().startswith("#")
    ]
    assert calls, "no apt-get call found"
    for line in calls:
        assert "apt-get $wait_lock " in line, line


def test_the_reverse_proxy_the_tests_run_is_installed_with_the_others() -> None:
    assert '[ -x /usr/sbin/nginx ] || missing="$missing nginx"' in BOOTSTRAP.read_text(encoding="utf-8")
