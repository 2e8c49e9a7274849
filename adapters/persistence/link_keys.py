"""Share-link keys in the database (SPEC §12, migrations/m0006), shared by every instance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from adapters.persistence.engine import Database
from adapters.persistence.tables import MediaLinkKeyTable as Keys

_FIRST = 1


class PiccoloLinkKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def signing_key(self, new_secret: str, now: datetime) -> str:
        current = await self._current()
        if current is not None:
            return current
        # Whoever inserts generation 1 first wins; the others' insert does nothing and they
        # read the winner's key.
        await (
            Keys.insert(Keys(generation=_FIRST, secret=new_secret, created_at=now))
            .on_conflict(target=Keys.generation, action="DO NOTHING")
            .run()
        )
        current = await self._current()
        if current is None:  # a rotation always leaves a current key; none means a bug
            raise RuntimeError("no share-link key after creating one")
        return current

    async def _current(self) -> str | None:
        row = (
            await Keys.select(Keys.secret)
            .where(Keys.valid_until.is_null())
            .order_by(Keys.generation, ascending=False)
            .first()
        )
        return None if row is None else str(row["secret"])

    async def verifying_keys(self, now: datetime) -> Sequence[str]:
        rows = await Keys.select(Keys.secret).where(
            Keys.valid_until.is_null() | (Keys.valid_until > now)
        )
        return [str(row["secret"]) for row in rows]

    async def rotate(self, new_secret: str, now: datetime, grace_seconds: int) -> None:
        async with self._db.write_transaction():
            if self._db.dialect == "postgres":
                # Self-conflicting: rotations run one at a time; plain reads are not blocked.
                await self._db.run('LOCK TABLE "media_link_key" IN SHARE ROW EXCLUSIVE MODE')
            # Keys past their grace can never verify again: forget them.
            await Keys.delete().where(Keys.valid_until.is_not_null() & (Keys.valid_until <= now))
            await Keys.update({Keys.valid_until: now + timedelta(seconds=grace_seconds)}).where(
                Keys.valid_until.is_null()
            )
            newest = (
                await Keys.select(Keys.generation)
                .order_by(Keys.generation, ascending=False)
                .first()
            )
            generation = _FIRST if newest is None else int(newest["generation"]) + 1
            await Keys.insert(Keys(generation=generation, secret=new_secret, created_at=now))
