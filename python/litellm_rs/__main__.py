"""``python -m litellm_rs --config config.yaml``: the proxy (see ``litellm_rs.proxy``)."""

import sys

from .proxy.cli import main

sys.exit(main())
