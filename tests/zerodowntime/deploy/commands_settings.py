"""The catalog's settings plus the deploy commands a test passes as JSON in the environment."""

import json
import os

from catalog.settings import *  # noqa: F403

ZDT_DEPLOY_COMMANDS = json.loads(os.environ["TEST_DEPLOY_COMMANDS"])
