"""Run `rasa data validate` and fail on any warning that is not a known false alarm.

    python -m tools.validate

Rasa warns that a response "is not used in any story or rule" when only a custom action
utters it; those warnings are accepted only if the response really is named in
actions/. Any other warning or error fails, with Rasa's own message.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tools.stack import PROJECT_ROOT

UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")
WARNING = re.compile(r"(UserWarning|FutureWarning|ERROR|Error|error:)")
# Lines Rasa, TensorFlow and SQLAlchemy print about themselves, not about our data.
NOISE = (
    "DeprecationWarning",
    "MovedIn20Warning",
    "declare_namespace",
    "pkg_resources",
    "xla_computation",
    # Rasa 3.6 prints this for every domain that has slots, whatever their mappings.
    "Slot auto-fill has been removed in 3.0",
)


def main() -> int:
    rasa = str(Path(sys.executable).parent / "rasa")
    completed = subprocess.run(
        [rasa, "data", "validate", "--debug"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    output = completed.stdout + completed.stderr
    actions_source = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "actions").glob("*.py"))
    problems = []
    for line in output.splitlines():
        if any(noise in line for noise in NOISE):
            continue
        unused = UNUSED.search(line)
        if unused:
            name = unused.group(1)
            # Asked by a form, uttered by an action, or Rasa's own core fallback.
            if (
                name.startswith("utter_ask_")
                or name == "utter_default"
                or re.search(rf"\b{name}\b", actions_source)
            ):
                continue
            problems.append(line.strip())
        elif WARNING.search(line):
            problems.append(line.strip())
    if completed.returncode != 0 or problems:
        print("rasa data validate found problems:", file=sys.stderr)
        for problem in problems or [output[-3000:]]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print("rasa data validate: clean (responses uttered only by custom actions accepted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
