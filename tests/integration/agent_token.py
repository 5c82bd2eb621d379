"""The bearer token of the integration tests' plaintext agents. An agent serves plaintext
beyond loopback only with a token (pathpair-agent --insecure --token-file), so every test
agent in a namespace gets AGENT_ARGS and every controller that talks to it CONTROLLER_ARGS."""

import atexit
import os
import secrets
import tempfile

_fd, PATH = tempfile.mkstemp(prefix="pathpair-test-token-")
os.write(_fd, (secrets.token_hex(16) + "\n").encode())
os.close(_fd)
# Readable by the unprivileged users some tests run agents and controllers as
# (test_least_privilege.py): a test token guards nothing secret.
os.chmod(PATH, 0o644)
atexit.register(lambda: os.path.exists(PATH) and os.unlink(PATH))

AGENT_ARGS = ["--insecure", "--token-file", PATH]
CONTROLLER_ARGS = ["--insecure", "--token-file", PATH]
