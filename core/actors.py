"""Who did something: a signed-in user, or the system / a plugin / a channel acting alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """The author of a change, as recorded on its audit event."""

    user: Any = None
    label: str = ""

    @classmethod
    def of(cls, user: Any) -> Actor:
        """A signed-in user."""
        return cls(user=user, label=user.email)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The system itself, a plugin (`plugin:sla`) or a channel (`channel:email`)."""
        return cls(user=None, label=label)

    def as_dict(self) -> dict[str, Any]:
        """`{"id", "email", "name"}` for a user, `{"label"}` otherwise."""
        if self.user is None:
            return {"id": None, "label": self.label}
        return {"id": self.user.id, "email": self.user.email, "name": self.user.name, "label": self.label}
