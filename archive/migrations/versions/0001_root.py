"""Root revision: every feature's tables branch from here.

Revision ID: 0001
"""

revision = "0001"
down_revision = None
branch_labels = ("root",)
depends_on = None


def upgrade() -> None:
    """Nothing: the root only anchors the feature branches."""


def downgrade() -> None:
    """Nothing to undo."""
